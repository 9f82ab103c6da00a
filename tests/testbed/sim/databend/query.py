"""databend-query server: meta handshake and registration, admin API and the HTTP query handler."""
import ipaddress
import json
import os
import re
import sys
import threading
import time
import uuid

from . import netutil, runtime, versions
from .metaclient import MetaClient, MetaClientError

REGISTER_INTERVAL = 1.0
REGISTER_TTL = 5.0
STDERR_LINE = "enabled=false(To enable: LOG_STDERR_ON=true or RUST_LOG=info), level=WARN, format=text"

CREATE_RE = re.compile(r"^create\s+table\s+(if\s+not\s+exists\s+)?([A-Za-z_][\w.]*)\s*\((.*)\)$", re.I | re.S)
INSERT_RE = re.compile(r"^insert\s+into\s+([A-Za-z_][\w.]*)\s*(?:\([^)]*\)\s*)?values\s*(.+)$", re.I | re.S)
COUNT_RE = re.compile(r"^select\s+count\(\s*\*\s*\)\s+from\s+([A-Za-z_][\w.]*)$", re.I)


class SQLError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class QueryServer:
    def __init__(self, buildinfo, conf):
        self.version = buildinfo["version"]
        self.facts = versions.release_facts(self.version)
        self.conf = conf
        self.node_id = uuid.uuid4().hex[:22]
        self.meta = MetaClient(conf["meta"]["endpoints"], self.version, self.facts["min_compatible_metasrv_version"])
        self.log = runtime.Logger(conf["log_file"]["dir"] if conf["log_file"]["on"] else None,
                                  "databend-query-%s@%s" % (conf["tenant_id"], conf["cluster_id"]), "databend_query")
        self.servers = []
        self.stopping = threading.Event()
        self.registered = False
        self.last_error = None
        self.banner_printed = False
        self.started_at = time.time()
        self.advertised = None

    # -- addresses ---------------------------------------------------------------------------------
    def _http_address(self):
        return "%s:%s" % (self.conf["http_handler_host"], self.conf["http_handler_port"])

    def _cluster_prefix(self):
        return "__fd_clusters_v4/%s/%s/databend_query/" % (self.conf["tenant_id"], self.conf["cluster_id"])

    def _table_key(self, name):
        return "%s/default/%s" % (self.conf["tenant_id"], name.rpartition(".")[2].lower())

    def advertise_addresses(self):
        """ClusterDiscovery::register_to_metastore: a loopback or unspecified (0.0.0.0) flight, discovery or
        HTTP address is advertised with the local IP of the meta connection instead (with a warning)."""
        addresses = {"flight_address": self.conf["flight_api_address"],
                     "discovery_address": self.conf["discovery_address"] or self._http_address(),
                     "http_address": self._http_address()}
        for key, flag in (("flight_address", "flight-api-address"), ("discovery_address", "discovery-address"),
                          ("http_address", "http-address")):
            host, port = netutil.split_address(addresses[key])
            if not _loopback_or_unspecified(host):
                continue
            local = self.meta.local_addr()
            if local is None:
                continue
            rewritten = "%s:%s" % (local, port)
            self.log.warn('Detected loopback or unspecified address as %s endpoint. We rewrite it("%s" -> "%s") '
                          "for advertising to other nodes. If there are proxies between nodes, you can specify "
                          "endpoint with --%s." % (flag, addresses[key], rewritten, flag))
            addresses[key] = rewritten
        return addresses

    def node_info(self):
        if self.advertised is None:
            self.advertised = self.advertise_addresses()
        addresses = self.advertised
        return {"id": self.node_id, "secret": "", "cpu_nums": os.cpu_count() or 1, "version": 0,
                "http_address": addresses["http_address"], "flight_address": addresses["flight_address"],
                "discovery_address": addresses["discovery_address"],
                "binary_version": versions.databend_commit_version(self.version),
                "cluster_id": self.conf["cluster_id"], "warehouse_id": self.conf["cluster_id"]}

    # -- lifecycle ---------------------------------------------------------------------------------
    def run(self, shutdown):
        faults = runtime.faults(*versions.fault_tags(self.version))
        if faults.get("crash_on_start"):
            sys.stderr.write("Error: simulated fault crash_on_start on %s\n" % runtime.host_name())
            return 1
        self.log.info("Databend Query start with config: %s" % json.dumps(self.conf, sort_keys=True))
        try:
            self._start_servers()
        except OSError as exc:
            sys.stderr.write("Error: %s\n" % exc)
            self._close()
            return 1
        if not faults.get("never_ready"):
            threading.Thread(target=self._register_loop, daemon=True).start()
        shutdown.wait()
        self.stopping.set()
        self._deregister()
        self._close()
        self.log.info("Shutdown server.")
        return 0

    def _start_servers(self):
        conf = self.conf
        self.servers.append(netutil.serve_idle("%s:%s" % (conf["mysql_handler_host"], conf["mysql_handler_port"])))
        self.servers.append(netutil.serve_http(self._http_address(), {
            ("POST", "/v1/query"): netutil.json_route(self._query_route),
            ("POST", "/v1/query/"): netutil.json_route(self._query_route)}))
        self.servers.append(netutil.serve_http(conf["metric_api_address"], {
            ("GET", "/metrics"): lambda q, b: (200, "text/plain; version=0.0.4", self.metrics())}))
        routes = {"/v1/health": lambda q, b: (200, {"status": "pass"}),
                  "/v1/config": lambda q, b: (200, self.conf),
                  "/v1/status": lambda q, b: (200, self.instance_status()),
                  "/v1/cluster/list": self._cluster_list_route}
        self.servers.append(netutil.serve_http(conf["admin_api_address"],
                                               {("GET", p): netutil.json_route(fn) for p, fn in routes.items()}))
        self.servers.append(netutil.serve_idle("%s:%s" % (conf["flight_sql_handler_host"], conf["flight_sql_handler_port"])))
        self.servers.append(netutil.serve_idle(conf["flight_api_address"]))

    def _register_loop(self):
        while not self.stopping.is_set():
            try:
                self.meta.request({"op": "upsert", "key": self._cluster_prefix() + self.node_id,
                                   "value": self.node_info(), "ttl": REGISTER_TTL})
            except MetaClientError as exc:
                self._failed(exc)
            else:
                self._registered()
            self.stopping.wait(REGISTER_INTERVAL)

    def _failed(self, exc):
        self.registered = False
        if str(exc) != self.last_error:
            self.log.error("Cluster discovery: failed to register to metasrv %s: %s" % (
                self.conf["meta"]["endpoints"], exc))
        self.last_error = str(exc)

    def _registered(self):
        if not self.registered:
            self.log.info("Databend query has been registered:%r to metasrv:%r." % (
                self.conf["cluster_id"], self.conf["meta"]["endpoints"]))
        self.registered, self.last_error = True, None
        if not self.banner_printed:
            self.banner_printed = True
            self._print_banner()

    def _deregister(self):
        if self.registered:
            try:
                self.meta.request({"op": "delete", "key": self._cluster_prefix() + self.node_id})
            except MetaClientError as exc:
                self.log.warn("failed to unregister from metasrv: %s" % exc)

    def _close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    def _print_banner(self):
        conf = self.conf
        log_file = "enabled=%s, level='%s', dir=%s, format=%s, limit=48" % (
            str(conf["log_file"]["on"]).lower(), conf["log_file"]["level"], conf["log_file"]["dir"],
            conf["log_file"]["format"])
        endpoints = "".join('    "%s",\n' % e for e in conf["meta"]["endpoints"])
        mysql = "%s:%s" % (conf["mysql_handler_host"], conf["mysql_handler_port"])
        lines = ["Databend Query", "", "Version: %s" % versions.databend_commit_version(self.version), "",
                 "Logging:", "    file: %s" % log_file, "    stderr: %s" % STDERR_LINE,
                 "Meta: connected to endpoints [\n%s]" % endpoints,
                 "Cluster: %s" % self._cluster_summary(),
                 "Storage: %s | root=%s" % (conf["storage"]["type"], conf["storage"]["data_path"]), "",
                 "Admin", "    listened at %s" % conf["admin_api_address"],
                 "MySQL", "    listened at %s" % mysql,
                 "    connect via: mysql -u${USER} -p${PASSWORD} -h%s -P%s" % (
                     conf["mysql_handler_host"], conf["mysql_handler_port"]),
                 "Databend HTTP", "    listened at %s" % self._http_address()]
        print("\n".join(lines), flush=True)

    def _cluster_summary(self):
        try:
            count = len(self.cluster_nodes())
        except MetaClientError:
            count = 1
        return "[%d] nodes" % count if count > 1 else "standalone"

    # -- admin API ---------------------------------------------------------------------------------
    def cluster_nodes(self):
        return list(self.meta.request({"op": "list", "prefix": self._cluster_prefix()}).values())

    def _cluster_list_route(self, _query, _body):
        try:
            return 200, self.cluster_nodes()
        except MetaClientError as exc:
            return 500, {"error": {"code": 2001, "message": str(exc)}}

    def instance_status(self):
        stamp = int(time.time())
        return {"inflight_queries_count": 0, "running_queries_count": 0, "queuing_queries_count": 0,
                "active_sessions_count": 0, "max_running_query_executed_secs": 0, "last_query_started_at": None,
                "last_query_finished_at": None, "instance_started_at": int(self.started_at),
                "instance_timestamp": stamp}

    def metrics(self):
        return ("# HELP databend_system_version .\n# TYPE databend_system_version gauge\n"
                'databend_system_version{component="query",semver="%s",sha="%s"} 1\n' % (
                    versions.git_semver(self.version), versions.commit_sha("query", self.version)))

    # -- HTTP query handler ------------------------------------------------------------------------
    def _query_route(self, _query, body):
        query_id = str(uuid.uuid4())
        try:
            sql = json.loads(body or b"{}").get("sql", "")
            schema, data, written = self.execute(sql)
        except (SQLError, ValueError, AttributeError) as exc:
            code = exc.code if isinstance(exc, SQLError) else 1005
            return 200, _response(query_id, [], [], 0, "Failed", {"code": code, "message": str(exc)})
        return 200, _response(query_id, schema, data, written, "Succeeded", None)

    def execute(self, sql):
        """The SQL the testbed needs; anything else is a syntax error, like unsupported SQL would be."""
        if not self.registered:
            raise SQLError(2001, "MetaServiceError: %s" % (self.last_error or "not connected to meta service"))
        text = " ".join(sql.strip().rstrip(";").split())
        lowered = text.lower()
        if lowered == "select 1":
            return [{"name": "1", "type": "UInt8"}], [["1"]], 0
        if lowered == "select version()":
            return ([{"name": "version()", "type": "String"}],
                    [["DatabendQuery %s" % versions.databend_commit_version(self.version)]], 0)
        for pattern, handler in ((CREATE_RE, self._create), (INSERT_RE, self._insert), (COUNT_RE, self._count)):
            match = pattern.match(text)
            if match:
                return self._meta_call(handler, match)
        raise SQLError(1005, "error: \n  --> SQL:1:1\n  |\n1 | %s\n  | ^ unsupported statement in the simulator" % text)

    def _meta_call(self, handler, match):
        try:
            return handler(match)
        except MetaClientError as exc:
            if exc.kind == "request":
                code = 1025 if str(exc).startswith("Unknown table") else 2302
                raise SQLError(code, str(exc))
            raise SQLError(2001, "MetaServiceError: %s" % exc)

    def _create(self, match):
        columns = [c.strip() for c in match.group(3).split(",") if c.strip()]
        self.meta.request({"op": "create_table", "table": self._table_key(match.group(2)), "columns": columns,
                           "if_not_exists": bool(match.group(1))})
        return [], [], 0

    def _insert(self, match):
        rows = len(re.findall(r"\([^)]*\)", match.group(2)))
        if rows == 0:
            raise SQLError(1005, "error: no rows in VALUES")
        self.meta.request({"op": "insert", "table": self._table_key(match.group(1)), "rows": rows})
        return [], [], rows

    def _count(self, match):
        table = self.meta.request({"op": "table", "table": self._table_key(match.group(1))})
        return [{"name": "count(*)", "type": "UInt64"}], [[str(table["rows"])]], 0


def _loopback_or_unspecified(host):
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a host name: SocketAddr::from_str fails and the address is kept
        return False
    return address.is_loopback or address.is_unspecified


def _response(query_id, schema, data, written, state, error):
    progress = {"rows": 0, "bytes": 0}
    return {"id": query_id, "session_id": query_id, "session": {}, "schema": schema, "data": data,
            "state": state, "error": error,
            "stats": {"scan_progress": progress, "write_progress": {"rows": written, "bytes": 0},
                      "result_progress": {"rows": len(data), "bytes": 0}, "running_time_ms": 1.0},
            "affect": None, "warnings": [], "stats_uri": None, "final_uri": "/v1/query/%s/final" % query_id,
            "next_uri": "/v1/query/%s/final" % query_id, "kill_uri": "/v1/query/%s/kill" % query_id}
