"""A cluster ready for the upgrade playbooks: hosts, the database, haproxy, the release mirror and an inventory that
the playbooks take as it is (`python -m tests.testbed up --engine cockroachdb|kwdb ...`).

    cluster, deployment, mirror, path = bring_up(lab, "lab", nodes=3, lb=True, version="v23.2.9")  # path: inventory.yml
    bring_up(lab, "kw", lb=True, engine="kwdb", version="V3.0.0", topology="single_replica")

The inventory contract (all.vars, in this order after the connection variables):
    distsql_engine (cockroachdb | kwdb), distsql_topology (multi_replica | single_replica (kwdb) | standalone),
    distsql_service (the systemd unit), distsql_binary (what the unit's ExecStart runs), distsql_insecure
    [, distsql_certs_dir], distsql_sql_port, distsql_http_port, distsql_data_dir, the engine's own variables,
    distsql_release_mirror, distsql_release_url_template, distsql_release_checksum_url_template ({version}
    literally, the tag), distsql_releases ([{version, url, sha256}], every release the mirror serves).
The engine's own variables: none for cockroachdb; for kwdb
    distsql_group (kwdb: the nodes' group, not the collection's default), distsql_node_address ("{{ ansible_host }}":
    deploy.sh advertises the node's IP address, the name the cluster knows it by), distsql_kwdb_install_dir (the unpacked
    kwdb_install of the installed release, with deploy.sh, on every node), distsql_kwdb_deploy_mode (bare: the
    packages were installed with dpkg; line 1 of /etc/kaiwudb/info/MODE).
Groups: the nodes (cockroach, or kwdb) and, with an lb, lb.
"""
import json
import os

from .hostlab import LabError, log
from .loadbalancer import configure_haproxy
from .mirror import COCKROACHDB_RELEASES, KWDB_RELEASES, ReleaseCatalog, ReleaseMirror
from .provision import CERTS_DIR, COCKROACH_BINARY, MULTI_REPLICA, STANDALONE, TOPOLOGIES, CockroachDeployment, releases
from . import provision_kwdb
# `sim` is importable once .provision has put the testbed directory on sys.path
from sim import kwdb_packages  # pylint: disable=wrong-import-order

SQL_PORT = 26257
HTTP_PORT = 8080


class CockroachdbEngine:
    """CockroachDB installed the way its docs do it (provision.py)."""
    name, group, release_source = "cockroachdb", "cockroach", COCKROACHDB_RELEASES
    binary, certs_dir, data_dir = COCKROACH_BINARY, CERTS_DIR, "/var/lib/cockroach"
    topologies = TOPOLOGIES
    check_version = staticmethod(releases.cockroach_buildinfo)
    own_vars = {}

    @staticmethod
    def deploy(lab, cluster, version, topology, secure, sim_options):
        return CockroachDeployment(lab, cluster, secure=secure, topology=topology, **sim_options).deploy(version)


class KwdbEngine:
    """KWDB installed with its deploy.sh in the mode of the topology (provision_kwdb.py); tls when secure."""
    name, group, release_source = "kwdb", "kwdb", KWDB_RELEASES
    binary, certs_dir, data_dir = provision_kwdb.KWBASE, provision_kwdb.CERTS_DIR, provision_kwdb.DATA_DIR
    topologies = tuple(provision_kwdb.TOPOLOGY_MODES)
    check_version = staticmethod(kwdb_packages.basic_version)
    own_vars = {"distsql_group": group, "distsql_node_address": "{{ ansible_host }}",
                "distsql_kwdb_install_dir": provision_kwdb.INSTALL_DIR,
                "distsql_kwdb_deploy_mode": provision_kwdb.DEPLOY_MODE}

    @staticmethod
    def deploy(lab, cluster, version, topology, secure, sim_options):
        deployment = provision_kwdb.KwdbDeployment(lab, cluster, secure_mode="tls" if secure else "insecure",
                                                   **sim_options)
        return deployment.deploy(version, provision_kwdb.TOPOLOGY_MODES[topology])


ENGINES = {engine.name: engine for engine in (CockroachdbEngine, KwdbEngine)}


def inventory_vars(engine, deployment, mirror):
    """The engine variables of the inventory contract."""
    variables = {
        "distsql_engine": engine.name,
        "distsql_topology": deployment.topology,
        "distsql_service": deployment.unit,
        "distsql_binary": engine.binary,
        "distsql_insecure": not deployment.secure,
    }
    if deployment.secure:
        variables["distsql_certs_dir"] = engine.certs_dir
    variables.update({
        "distsql_sql_port": SQL_PORT,
        "distsql_http_port": HTTP_PORT,
        "distsql_data_dir": engine.data_dir,
        **engine.own_vars,
        "distsql_release_mirror": mirror.url,
        "distsql_release_url_template": mirror.url_template,
        "distsql_release_checksum_url_template": mirror.checksum_url_template,
        "distsql_releases": mirror.releases(),
    })
    return variables


def write_inventories(cluster, engine, deployment, mirror):
    """inventory.yml (the contract), inventory.json and inventory.ini (the same without list values); returns the
    YAML path."""
    groups = {engine.group: [node.hostname for node in cluster.nodes]}
    if cluster.lb:
        groups["lb"] = [cluster.lb.hostname]
    extra = inventory_vars(engine, deployment, mirror)
    cluster.write_inventory(groups=groups, extra_vars=extra)
    with open(os.path.join(cluster.dir, "inventory.json"), "w", encoding="utf-8") as out:
        json.dump(cluster.inventory_dict(groups, extra), out, indent=1)
    return cluster.write_yaml_inventory(groups=groups, extra_vars=extra)


def _checked_request(engine_name, version, topology, nodes):
    """The engine and the node count of a request; a bad one fails before any host starts."""
    engine = ENGINES.get(engine_name)
    if engine is None:
        raise LabError("unknown engine %r (known: %s)" % (engine_name, ", ".join(ENGINES)))
    if topology not in engine.topologies:
        raise LabError("%s has no %s topology (known: %s)" % (engine.name, topology, ", ".join(engine.topologies)))
    if topology == STANDALONE:
        if nodes not in (None, 1):
            raise LabError("the standalone topology has one node, not %d" % nodes)
        nodes = 1
    try:
        engine.check_version(version)
    except ValueError as error:
        raise LabError(str(error)) from None
    return engine, 3 if nodes is None else nodes


def bring_up(lab, name, nodes=None, lb=False, version="v23.2.9", topology=MULTI_REPLICA, secure=False,
             subnet_index=None, keep=True, engine="cockroachdb", **sim_options):
    """Start the cluster and everything on it; returns (cluster, deployment, mirror, inventory path).

    On any failure the cluster is removed again, so no half-made cluster outlives the call.
    """
    engine, nodes = _checked_request(engine, version, topology, nodes)
    catalog = ReleaseCatalog.ensure(lab, engine.release_source)
    mirror_host = "lb" if lb else "node1"
    cluster = lab.up(name, nodes, lb=lb, subnet_index=subnet_index, keep=keep,
                     mounts={mirror_host: catalog.mounts()})
    try:
        deployment = engine.deploy(lab, cluster, version, topology, secure, sim_options)
        if cluster.lb:
            configure_haproxy(cluster, cluster.nodes, security=deployment.client_security(), binary=engine.binary)
        mirror = ReleaseMirror(cluster.host(mirror_host), catalog).start()
        path = write_inventories(cluster, engine, deployment, mirror)
    except BaseException:
        cluster.down()
        raise
    log("cluster %s: %s %s %s on %d node(s)%s, mirror %s" % (name, engine.name, version, topology, nodes,
                                                             " behind lb" if lb else "", mirror.url))
    return cluster, deployment, mirror, path
