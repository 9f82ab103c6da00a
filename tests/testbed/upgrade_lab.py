"""A cluster ready for the upgrade playbooks: hosts, the database, haproxy, the release mirror and an inventory that
the playbooks take as it is (`python -m tests.testbed up --engine cockroachdb|kwdb|databend ...`).

    cluster, deployment, mirror, path = bring_up(lab, "lab", nodes=3, lb=True, version="v23.2.9")  # path: inventory.yml
    bring_up(lab, "kw", lb=True, engine="kwdb", version="V3.0.0", topology="single_replica")
    bring_up(lab, "db", lb=True, engine="databend", version="1.2.680-nightly", meta=3, query=2)

The inventory contract (all.vars, in this order after the connection variables):
    distsql_engine (cockroachdb | kwdb | databend), distsql_topology (multi_replica | single_replica (kwdb) |
    standalone), the engine's variables, distsql_release_mirror, distsql_release_url_template,
    distsql_release_checksum_url_template ({version} literally), distsql_releases ([{version, url, sha256}], every
    release the mirror serves). `{version}` is a release's version as distsql_releases and `up --version` write it:
    the tag for cockroachdb (v23.2.9) and kwdb (V3.0.0); for databend the version without the tag's leading `v`
    (1.2.680-nightly, as `databend-query --cmd ver` prints it), the template adds the `v` of the GitHub tag.
The engine's variables of cockroachdb and kwdb:
    distsql_service (the systemd unit), distsql_binary (what the unit's ExecStart runs), distsql_insecure
    [, distsql_certs_dir], distsql_sql_port, distsql_http_port, distsql_data_dir, and for kwdb then
    distsql_group (kwdb: the nodes' group, not the collection's default), distsql_node_address ("{{ ansible_host }}":
    deploy.sh advertises the node's IP address, the name the cluster knows it by), distsql_kwdb_install_dir (the unpacked
    kwdb_install of the installed release, with deploy.sh, on every node), distsql_kwdb_deploy_mode (bare: the
    packages were installed with dpkg; line 1 of /etc/kaiwudb/info/MODE).
The engine's variables of databend (two services, so no distsql_service/binary/ports):
    distsql_group (databend), distsql_node_address ("{{ ansible_host }}"), distsql_data_dir (/var/lib/databend), then
    distsql_databend_: meta_service, query_service (the units), meta_binary, metactl_binary, query_binary,
    meta_config, query_config (the TOML files), meta_admin_port, meta_grpc_port, query_http_port, query_admin_port,
    query_log (the file the query node logs to), shutdown_wait_timeout_ms (of the deployed query config).
    Host variable of every meta host: distsql_databend_meta_id (its raft node id).
Groups: the nodes (cockroach, or kwdb); for databend `databend` (every host), `databend_meta` (meta hosts in raft id
order), `databend_query` (a standalone host is in all three); with an lb, lb.
"""
import collections
import json
import os

from .hostlab import LabError, _ini_value, _write_if_changed, log, yaml_dump
from .loadbalancer import configure_databend_haproxy, configure_haproxy
from .mirror import COCKROACHDB_RELEASES, DATABEND_RELEASES, KWDB_RELEASES, ReleaseCatalog, ReleaseMirror
from .provision import CERTS_DIR, COCKROACH_BINARY, MULTI_REPLICA, STANDALONE, TOPOLOGIES, CockroachDeployment, releases
from . import provision_databend, provision_kwdb
# `sim` is importable once .provision has put the testbed directory on sys.path
from sim import databend_releases, kwdb_packages  # pylint: disable=wrong-import-order

SQL_PORT = 26257
HTTP_PORT = 8080

# What `up` asked for, checked: ``nodes`` is the number of hosts; ``meta`` and ``query`` (databend) how many of them
# run databend-meta (node1..nodeM) and databend-query (the next Q; on a standalone host both).
Request = collections.namedtuple("Request", "version topology nodes meta query secure sim_options query_version")


class SqlEngine:
    """What CockroachDB and KWDB share: the same service on every node, haproxy from `<binary> gen haproxy`."""
    name = group = binary = certs_dir = data_dir = None
    own_vars = {}

    @classmethod
    def sized(cls, request):
        if request.meta is not None or request.query is not None or request.query_version is not None:
            raise LabError("--meta, --query and --query-version are for --engine databend, not %s" % cls.name)
        if request.topology == STANDALONE:
            if request.nodes not in (None, 1):
                raise LabError("the standalone topology has one node, not %d" % request.nodes)
            return request._replace(nodes=1)
        return request._replace(nodes=3 if request.nodes is None else request.nodes)

    @staticmethod
    def check_options(request):
        """Nothing to refuse early: the deployment checks the simulator options itself."""

    @classmethod
    def groups(cls, cluster, deployment):
        return {cls.group: [node.hostname for node in cluster.nodes]}

    @staticmethod
    def host_vars(deployment):
        return {}

    @classmethod
    def configure_lb(cls, cluster, deployment):
        configure_haproxy(cluster, cluster.nodes, security=deployment.client_security(), binary=cls.binary)

    @classmethod
    def engine_vars(cls, deployment):
        variables = {"distsql_service": deployment.unit, "distsql_binary": cls.binary,
                     "distsql_insecure": not deployment.secure}
        if deployment.secure:
            variables["distsql_certs_dir"] = cls.certs_dir
        variables.update({"distsql_sql_port": SQL_PORT, "distsql_http_port": HTTP_PORT,
                          "distsql_data_dir": cls.data_dir, **cls.own_vars})
        return variables


class CockroachdbEngine(SqlEngine):
    """CockroachDB installed the way its docs do it (provision.py)."""
    name, group, release_source = "cockroachdb", "cockroach", COCKROACHDB_RELEASES
    binary, certs_dir, data_dir = COCKROACH_BINARY, CERTS_DIR, "/var/lib/cockroach"
    topologies = TOPOLOGIES
    check_version = staticmethod(releases.cockroach_buildinfo)

    @staticmethod
    def deploy(lab, cluster, request):
        deployment = CockroachDeployment(lab, cluster, secure=request.secure, topology=request.topology,
                                         **request.sim_options)
        return deployment.deploy(request.version)


class KwdbEngine(SqlEngine):
    """KWDB installed with its deploy.sh in the mode of the topology (provision_kwdb.py); tls when secure."""
    name, group, release_source = "kwdb", "kwdb", KWDB_RELEASES
    binary, certs_dir, data_dir = provision_kwdb.KWBASE, provision_kwdb.CERTS_DIR, provision_kwdb.DATA_DIR
    topologies = tuple(provision_kwdb.TOPOLOGY_MODES)
    check_version = staticmethod(kwdb_packages.basic_version)
    own_vars = {"distsql_group": group, "distsql_node_address": "{{ ansible_host }}",
                "distsql_kwdb_install_dir": provision_kwdb.INSTALL_DIR,
                "distsql_kwdb_deploy_mode": provision_kwdb.DEPLOY_MODE}

    @staticmethod
    def deploy(lab, cluster, request):
        deployment = provision_kwdb.KwdbDeployment(lab, cluster, secure_mode="tls" if request.secure else "insecure",
                                                   **request.sim_options)
        return deployment.deploy(request.version, provision_kwdb.TOPOLOGY_MODES[request.topology])


def databend_release(version):
    """ValueError unless ``version`` is a release of the Databend simulator (as its catalog writes it)."""
    if version not in databend_releases.DATABEND_RELEASES:
        raise ValueError("unknown Databend release %r (known: %s)"
                         % (version, ", ".join(databend_releases.DATABEND_RELEASES)))


class DatabendEngine:
    """Databend from its release tarball (provision_databend.py): databend-meta on node1..nodeM, databend-query on
    the next Q hosts, haproxy in front of the query nodes' HTTP handler; standalone: both on node1."""
    name, group, release_source = "databend", "databend", DATABEND_RELEASES
    topologies = (MULTI_REPLICA, STANDALONE)
    check_version = staticmethod(databend_release)
    default_meta, default_query = 3, 2

    @classmethod
    def sized(cls, request):
        if request.topology == STANDALONE:
            if request.meta is not None or request.query is not None:
                raise LabError("the standalone topology runs one databend-meta and one databend-query on one host: "
                               "no --meta or --query")
            if request.nodes not in (None, 1):
                raise LabError("the standalone topology has one node, not %d" % request.nodes)
            return request._replace(nodes=1, meta=1, query=1)
        if request.nodes is not None and (request.meta is not None or request.query is not None):
            raise LabError("databend takes --meta and --query, not --nodes with them")
        meta = cls.default_meta if request.meta is None else request.meta
        query = cls.default_query if request.query is None else request.query
        for component, count in (("meta", meta), ("query", query)):
            if count < 1:
                raise LabError("databend needs at least one %s node, not %d" % (component, count))
        if request.nodes not in (None, meta + query):
            raise LabError("databend runs on %d meta + %d query hosts, not --nodes %d" % (meta, query, request.nodes))
        return request._replace(nodes=meta + query, meta=meta, query=query)

    @staticmethod
    def check_options(request):
        if request.secure:
            raise LabError("databend has no --secure: the Databend simulator serves plain HTTP and gRPC only")
        if request.sim_options:
            raise LabError("databend takes no --sim options (got %s): the Databend simulator has no timing knobs"
                           % ", ".join(sorted(request.sim_options)))

    @staticmethod
    def deploy(lab, cluster, request):
        meta_hosts = cluster.nodes[:request.meta]
        query_hosts = cluster.nodes if request.topology == STANDALONE else cluster.nodes[request.meta:]
        deployment = provision_databend.DatabendDeployment(lab, cluster, meta_hosts, query_hosts)
        return deployment.deploy(request.query_version or request.version, request.version)

    @classmethod
    def groups(cls, cluster, deployment):
        named = provision_databend.hosts_named
        return {cls.group: named(deployment.hosts), "databend_meta": named(deployment.meta_hosts),
                "databend_query": named(deployment.query_hosts)}

    @staticmethod
    def host_vars(deployment):
        return {host.hostname: {"distsql_databend_meta_id": deployment.meta_id(host)} for host in deployment.meta_hosts}

    @staticmethod
    def configure_lb(cluster, deployment):
        configure_databend_haproxy(cluster, deployment.query_hosts, http_port=provision_databend.QUERY_HTTP_PORT,
                                   admin_port=provision_databend.QUERY_ADMIN_PORT)

    @classmethod
    def engine_vars(cls, deployment):
        bend = provision_databend
        return {
            "distsql_group": cls.group,
            "distsql_node_address": "{{ ansible_host }}",
            "distsql_data_dir": bend.DATA_DIR,
            "distsql_databend_meta_service": bend.UNITS["meta"],
            "distsql_databend_query_service": bend.UNITS["query"],
            "distsql_databend_meta_binary": bend.binary_path("meta"),
            "distsql_databend_metactl_binary": bend.binary_path("metactl"),
            "distsql_databend_query_binary": bend.binary_path("query"),
            "distsql_databend_meta_config": bend.config_path("meta"),
            "distsql_databend_query_config": bend.config_path("query"),
            "distsql_databend_meta_admin_port": bend.META_ADMIN_PORT,
            "distsql_databend_meta_grpc_port": bend.META_GRPC_PORT,
            "distsql_databend_query_http_port": bend.QUERY_HTTP_PORT,
            "distsql_databend_query_admin_port": bend.QUERY_ADMIN_PORT,
            "distsql_databend_query_log": bend.QUERY_LOG,
            "distsql_databend_shutdown_wait_timeout_ms": deployment.query_shutdown_wait_timeout_ms(
                deployment.query_hosts[0]),
        }


ENGINES = {engine.name: engine for engine in (CockroachdbEngine, KwdbEngine, DatabendEngine)}


def inventory_vars(engine, deployment, mirror, topology):
    """The engine variables of the inventory contract."""
    return {
        "distsql_engine": engine.name,
        "distsql_topology": topology,
        **engine.engine_vars(deployment),
        "distsql_release_mirror": mirror.url,
        "distsql_release_url_template": mirror.url_template,
        "distsql_release_checksum_url_template": mirror.checksum_url_template,
        "distsql_releases": mirror.releases(),
    }


def ini_text(inventory):
    """``inventory`` (the "all" of an inventory dict) as INI: hosts with their scalar variables, groups, all:vars
    (list values left out: the YAML inventory has them)."""
    def scalars(variables):
        return ["%s=%s" % (name, _ini_value(value)) for name, value in variables.items()
                if not isinstance(value, (list, dict))]
    lines = [" ".join([hostname] + scalars(hostvars)) for hostname, hostvars in inventory["hosts"].items()]
    for group, members in inventory["children"].items():
        lines += ["", "[%s]" % group] + list(members["hosts"])
    lines += ["", "[all:vars]"] + scalars(inventory["vars"])
    return "\n".join(lines) + "\n"


def write_inventories(cluster, engine, deployment, mirror, topology):
    """inventory.yml (the contract), inventory.json and inventory.ini (the same without list values); returns the
    YAML path."""
    groups = engine.groups(cluster, deployment)
    if cluster.lb:
        groups["lb"] = [cluster.lb.hostname]
    inventory = cluster.inventory_dict(groups, inventory_vars(engine, deployment, mirror, topology))
    for hostname, variables in engine.host_vars(deployment).items():
        inventory["all"]["hosts"][hostname].update(variables)
    _write_if_changed(cluster.inventory_path, ini_text(inventory["all"]))
    with open(os.path.join(cluster.dir, "inventory.json"), "w", encoding="utf-8") as out:
        json.dump(inventory, out, indent=1)
    _write_if_changed(cluster.yaml_inventory_path, "---\n" + yaml_dump(inventory))
    return cluster.yaml_inventory_path


def _checked_request(engine_name, version, topology, nodes=None, meta=None, query=None, secure=False,
                     sim_options=None, query_version=None):
    """The engine and the checked Request; a bad one fails before any host starts."""
    engine = ENGINES.get(engine_name)
    if engine is None:
        raise LabError("unknown engine %r (known: %s)" % (engine_name, ", ".join(ENGINES)))
    if topology not in engine.topologies:
        raise LabError("%s has no %s topology (known: %s)" % (engine.name, topology, ", ".join(engine.topologies)))
    request = engine.sized(Request(version, topology, nodes, meta, query, secure, dict(sim_options or {}),
                                   query_version))
    engine.check_options(request)
    try:
        engine.check_version(version)
        if query_version is not None:
            engine.check_version(query_version)
    except ValueError as error:
        raise LabError(str(error)) from None
    return engine, request


def _placement(request):
    if request.meta is None:
        return "%d node(s)" % request.nodes
    return "%d host(s) (%d meta, %d query)" % (request.nodes, request.meta, request.query)


def bring_up(lab, name, nodes=None, lb=False, version="v23.2.9", topology=MULTI_REPLICA, secure=False,
             subnet_index=None, keep=True, engine="cockroachdb", meta=None, query=None, query_version=None,
             **sim_options):
    """Start the cluster and everything on it; returns (cluster, deployment, mirror, inventory path).

    On any failure the cluster is removed again, so no half-made cluster outlives the call.
    """
    engine, request = _checked_request(engine, version, topology, nodes, meta, query, secure, sim_options,
                                       query_version)
    catalog = ReleaseCatalog.ensure(lab, engine.release_source)
    mirror_host = "lb" if lb else "node1"
    cluster = lab.up(name, request.nodes, lb=lb, subnet_index=subnet_index, keep=keep,
                     mounts={mirror_host: catalog.mounts()})
    try:
        deployment = engine.deploy(lab, cluster, request)
        if cluster.lb:
            engine.configure_lb(cluster, deployment)
        mirror = ReleaseMirror(cluster.host(mirror_host), catalog).start()
        path = write_inventories(cluster, engine, deployment, mirror, topology)
    except BaseException:
        cluster.down()
        raise
    log("cluster %s: %s %s %s on %s%s, mirror %s" % (name, engine.name, version, topology, _placement(request),
                                                     " behind lb" if lb else "", mirror.url))
    return cluster, deployment, mirror, path
