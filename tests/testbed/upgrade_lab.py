"""A CockroachDB cluster ready for the upgrade playbooks: hosts, the database, haproxy, the release mirror and
an inventory that the playbooks take as it is (`python -m tests.testbed up --engine cockroachdb ...`).

    path = bring_up(lab, "lab", nodes=3, lb=True, version="v23.2.9")   # <cluster dir>/inventory.yml

The inventory contract (all.vars, in this order after the connection variables):
    distsql_engine, distsql_topology (multi_replica | standalone), distsql_service (the systemd unit),
    distsql_binary (what the unit's ExecStart runs), distsql_insecure [, distsql_certs_dir], distsql_sql_port,
    distsql_http_port, distsql_data_dir, distsql_release_mirror, distsql_release_url_template,
    distsql_release_checksum_url_template ({version} literally), distsql_releases ([{version, url, sha256}]).
Groups: cockroach (the nodes) and, with an lb, lb.
"""
import json
import os

from .hostlab import LabError, log
from .loadbalancer import configure_haproxy
from .mirror import ReleaseCatalog, ReleaseMirror
from .provision import CERTS_DIR, COCKROACH_BINARY, MULTI_REPLICA, STANDALONE, CockroachDeployment, releases

SQL_PORT = 26257
HTTP_PORT = 8080
DATA_DIR = "/var/lib/cockroach"


def inventory_vars(deployment, mirror):
    """The engine variables of the inventory contract."""
    variables = {
        "distsql_engine": "cockroachdb",
        "distsql_topology": deployment.topology,
        "distsql_service": deployment.unit,
        "distsql_binary": COCKROACH_BINARY,
        "distsql_insecure": not deployment.secure,
    }
    if deployment.secure:
        variables["distsql_certs_dir"] = CERTS_DIR
    variables.update({
        "distsql_sql_port": SQL_PORT,
        "distsql_http_port": HTTP_PORT,
        "distsql_data_dir": DATA_DIR,
        "distsql_release_mirror": mirror.url,
        "distsql_release_url_template": mirror.url_template,
        "distsql_release_checksum_url_template": mirror.checksum_url_template,
        "distsql_releases": mirror.releases(),
    })
    return variables


def write_inventories(cluster, deployment, mirror):
    """inventory.yml (the contract) and inventory.ini (the same without list values); returns the YAML path."""
    groups = {"cockroach": [node.hostname for node in cluster.nodes]}
    if cluster.lb:
        groups["lb"] = [cluster.lb.hostname]
    extra = inventory_vars(deployment, mirror)
    cluster.write_inventory(groups=groups, extra_vars=extra)
    with open(os.path.join(cluster.dir, "inventory.json"), "w", encoding="utf-8") as out:
        json.dump(cluster.inventory_dict(groups, extra), out, indent=1)
    return cluster.write_yaml_inventory(groups=groups, extra_vars=extra)


def bring_up(lab, name, nodes=None, lb=False, version="v23.2.9", topology=MULTI_REPLICA, secure=False,
             subnet_index=None, keep=True, **sim_options):
    """Start the cluster and everything on it; returns (cluster, deployment, mirror, inventory path).

    On any failure the cluster is removed again, so no half-made cluster outlives the call.
    """
    if topology == STANDALONE:
        if nodes not in (None, 1):
            raise LabError("the standalone topology has one node, not %d" % nodes)
        nodes = 1
    nodes = 3 if nodes is None else nodes
    try:
        releases.cockroach_buildinfo(version)  # an unknown release fails before any host starts
    except ValueError as error:
        raise LabError(str(error)) from None
    catalog = ReleaseCatalog.ensure(lab)
    mirror_host = "lb" if lb else "node1"
    cluster = lab.up(name, nodes, lb=lb, subnet_index=subnet_index, keep=keep,
                     mounts={mirror_host: catalog.mounts()})
    try:
        deployment = CockroachDeployment(lab, cluster, secure=secure, topology=topology, **sim_options)
        deployment.deploy(version)
        if cluster.lb:
            configure_haproxy(cluster, cluster.nodes, security=deployment.client_security())
        mirror = ReleaseMirror(cluster.host(mirror_host), catalog).start()
        path = write_inventories(cluster, deployment, mirror)
    except BaseException:
        cluster.down()
        raise
    log("cluster %s: %s %s on %d node(s)%s, mirror %s" % (name, version, topology, nodes,
                                                          " behind lb" if lb else "", mirror.url))
    return cluster, deployment, mirror, path
