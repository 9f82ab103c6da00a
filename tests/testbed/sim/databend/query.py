"""databend-query server: meta handshake and registration, admin API, the HTTP query handler, graceful stop."""
import ipaddress
import json
import os
import re
import sys
import threading
import time
import uuid

from . import formats, netutil, runtime, versions
from .metaclient import MetaClient, MetaClientError

REGISTER_INTERVAL = 1.0
REGISTER_TTL = 5.0
HTTP_GRACE = 1.0  # poem graceful shutdown of the HTTP services: Some(Duration::from_millis(1000))
SESSION_CHECK_INTERVAL = 1.0  # idle sessions are killed once a second while the stop waits
START_FAILURE_EXIT = 2001  # std::process::exit(ErrorCode::MetaServiceError.code()); a shell sees 2001 & 0xFF = 209
ABORTED = (1043, "Aborted query, because the server is shutting down or the query was killed")
# Server::shutdown phases log every service by name (the simulator has no ClickHouse handler)
SERVICES = ("RPCService", "MySQLHandler", "DatabendHTTPHandler", "MetricService", "AdminHTTP", "FlightSQLService")
STDERR_LINE = "enabled=false(To enable: LOG_STDERR_ON=true or RUST_LOG=info), level=WARN, format=text"

CREATE_RE = re.compile(r"^create\s+table\s+(if\s+not\s+exists\s+)?([A-Za-z_][\w.]*)\s*\((.*)\)$", re.I | re.S)
INSERT_RE = re.compile(r"^insert\s+into\s+([A-Za-z_][\w.]*)\s*(?:\([^)]*\)\s*)?values\s*(.+)$", re.I | re.S)
COUNT_RE = re.compile(r"^select\s+count\(\s*\*\s*\)\s+from\s+([A-Za-z_][\w.]*)$", re.I)
SLEEP_RE = re.compile(r"^select\s+sleep\(\s*(\d+(?:\.\d+)?)\s*\)$", re.I)
CLUSTERS_RE = re.compile(r"^select\s+(\*|name\s*,\s*cluster\s*,\s*host\s*,\s*port\s*,\s*version)\s+"
                         r"from\s+system\.clusters$", re.I)
CLUSTERS_SCHEMA = [{"name": "name", "type": "String"}, {"name": "cluster", "type": "String"},
                   {"name": "host", "type": "String"}, {"name": "port", "type": "UInt16"},
                   {"name": "version", "type": "String"}]
MAX_SLEEP = 300.0


class SQLError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class StartFailure(Exception):
    """main(): `Databend Query start failure, cause: {:?}` on stderr, then exit(code)."""

    def __init__(self, error_code_debug, code=START_FAILURE_EXIT):
        super().__init__(error_code_debug)
        self.code = code


class Session:
    """An HTTP query's session while its query runs. A session whose query has finished is idle: a stop kills it
    at the first check, so only running queries keep a stop waiting (INFERRED, see FIDELITY.md)."""

    def __init__(self, session_id):
        self.id = session_id
        self.killed = threading.Event()


def new_uniq_name():
    """GlobalUniqName::unique(): a uuid v4 in base62."""
    return formats.uniq_name(uuid.uuid4().int)


class QueryServer:
    def __init__(self, buildinfo, conf):
        self.version = buildinfo["version"]
        self.facts = versions.binary_facts(buildinfo)
        self.conf = conf
        self.node_id = new_uniq_name()  # random on every start, cannot be configured
        self.secret = new_uniq_name()
        self.meta = MetaClient(conf["meta"]["endpoints"], self.version, self.facts["min_compatible_metasrv_version"])
        # the file name is the simulator's (INFERRED; the real prefix is databend-query-<cluster_id>, see FIDELITY.md)
        self.log = runtime.Logger(conf["log_file"]["dir"] if conf["log_file"]["on"] else None,
                                  "databend-query-%s@%s" % (conf["tenant_id"], conf["cluster_id"]), "databend_query",
                                  conf["log_file"]["level"])
        self.services = []  # (name, server) in SERVICES order
        self.stopping = threading.Event()
        self.register_thread = None
        self.register_lock = threading.Lock()
        self.sessions = {}
        self.sessions_lock = threading.Lock()
        self.registered = False
        self.last_error = None
        self.banner_printed = False
        self.serving = False
        self.started_at = time.time()
        self.advertised = None

    # -- addresses ---------------------------------------------------------------------------------
    def _http_address(self):
        return "%s:%s" % (self.conf["http_handler_host"], self.conf["http_handler_port"])

    def _cluster_prefix(self):
        """Where this node's cluster is listed: by this query's own version (flow-surfaces-databend 4.2), so query
        nodes on either side of a prefix change do not see each other. The path below the prefix is INFERRED
        for v2..v5 and the pre-1.2.550 prefix; v6 is `<tenant>/online_clusters/<warehouse>/<cluster>/`."""
        prefix, tenant, cluster = versions.cluster_prefix(self.version), self.conf["tenant_id"], self.conf["cluster_id"]
        if versions.parse(self.version) >= versions.CLUSTER_V6_LAYOUT_SINCE:
            return "%s/%s/online_clusters/%s/%s/" % (prefix, tenant, cluster, cluster)  # warehouse = cluster (self-managed)
        return "%s/%s/%s/databend_query/" % (prefix, tenant, cluster)

    def _registration_keys(self):
        keys = [self._cluster_prefix() + self.node_id]
        if versions.parse(self.version) >= versions.CLUSTER_V6_LAYOUT_SINCE:
            keys.insert(0, "%s/%s/online_nodes/%s" % (versions.cluster_prefix(self.version), self.conf["tenant_id"],
                                                      self.node_id))
        return keys

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
        return {"id": self.node_id, "secret": self.secret, "cpu_nums": os.cpu_count() or 1, "version": 0,
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
            self._start_handshake()
        except StartFailure as failure:
            sys.stderr.write("Databend Query start failure, cause: %s\n" % failure)
            sys.stderr.flush()
            return failure.code
        if not faults.get("never_ready"):
            # registered first, then the listeners ("has been registered", then "Ready for connections"): a client
            # the load balancer sends to a node that just started finds it in the cluster
            self._register_once()
        try:
            self._start_servers()
        except OSError as exc:
            sys.stderr.write("Error: %s\n" % exc)
            self._stop_services(graceful=False, log=False)
            return 1
        self.serving = True
        self._banner_once_serving()
        if not faults.get("never_ready"):
            self.register_thread = threading.Thread(target=self._register_loop, daemon=True)
            self.register_thread.start()
        shutdown.wait()
        self._graceful_stop(shutdown)
        return 0

    def _start_handshake(self):
        """GlobalServices::init builds the meta client and handshakes before any listener opens: an incompatible
        meta ends the process (flow-surfaces-databend 5). The two MetaChannelManager lines are INFO, so the
        packaged level WARN keeps them out of the log file. While no endpoint answers, the client keeps trying
        for client_timeout_in_second (default 4); after that the start goes on and the register loop retries
        (INFERRED: the reference does not say what an unreachable meta does to the start)."""
        deadline = time.monotonic() + float(self.conf["meta"].get("client_timeout_in_second", 4))
        while True:
            for endpoint in self.meta.endpoints:
                try:
                    self.meta.handshake(endpoint)
                except OSError:
                    continue
                except MetaClientError as exc:
                    self._log_handshake(endpoint, "Some(%s)" % exc.debug)
                    raise StartFailure(formats.error_code_debug("MetaServiceError", 2001, str(exc)))
                self._log_handshake(endpoint, "None")
                return
            if time.monotonic() >= deadline:
                return
            time.sleep(0.2)

    def _log_handshake(self, endpoint, result):
        self.log.info("MetaChannelManager done building RealClient to %s, start handshake" % endpoint)
        self.log.info("MetaChannelManager done handshake to %s, result.err(): %s" % (endpoint, result))

    def _start_servers(self):
        conf = self.conf
        admin_routes = {"/v1/health": lambda q, b: (200, {"status": "pass"}),
                        "/v1/config": lambda q, b: (200, self.conf),
                        "/v1/status": lambda q, b: (200, self.instance_status())}
        admin = {("GET", p): netutil.json_route(fn) for p, fn in admin_routes.items()}
        admin[("GET", "/v1/cluster/list")] = self._cluster_list_route
        starters = {
            "RPCService": lambda: netutil.serve_idle(conf["flight_api_address"]),
            "MySQLHandler": lambda: netutil.serve_idle("%s:%s" % (conf["mysql_handler_host"], conf["mysql_handler_port"])),
            "DatabendHTTPHandler": lambda: netutil.serve_http(self._http_address(), {
                ("POST", "/v1/query"): netutil.json_route(self._query_route),
                ("POST", "/v1/query/"): netutil.json_route(self._query_route)}, errors=netutil.json_errors),
            "MetricService": lambda: netutil.serve_http(conf["metric_api_address"], {
                ("GET", "/metrics"): lambda q, b: (200, "text/plain; version=0.0.4", self.metrics())}),
            "AdminHTTP": lambda: netutil.serve_http(conf["admin_api_address"], admin),
            "FlightSQLService": lambda: netutil.serve_idle(
                "%s:%s" % (conf["flight_sql_handler_host"], conf["flight_sql_handler_port"])),
        }
        for name in SERVICES:
            self.services.append((name, starters[name]()))

    def _register_loop(self):
        while not self.stopping.wait(REGISTER_INTERVAL):
            self._register_once()

    def _register_once(self):
        with self.register_lock:
            if self.stopping.is_set():
                return
            try:
                for key in self._registration_keys():
                    self.meta.request({"op": "upsert", "key": key, "value": self.node_info(), "ttl": REGISTER_TTL})
            except MetaClientError as exc:
                self._failed(exc)
            else:
                self._registered()

    def _failed(self, exc):
        self.registered = False
        if str(exc) != self.last_error:
            self.log.error("Cluster discovery: failed to register to metasrv %s: %s" % (
                self.conf["meta"]["endpoints"], exc))
        self.last_error = str(exc)

    def _registered(self):
        if not self.registered:
            self.log.info("Databend query has been registered:%s to metasrv:%s." % (
                json.dumps(self.conf["cluster_id"]), json.dumps(self.conf["meta"]["endpoints"])))
        self.registered, self.last_error = True, None
        self._banner_once_serving()

    def _banner_once_serving(self):
        if self.registered and self.serving and not self.banner_printed:
            self.banner_printed = True
            self._print_banner()

    # -- graceful stop (Server::shutdown + SessionManager::graceful_shutdown, flow-surfaces-databend 4.1) ------------
    def _graceful_stop(self, shutdown):
        self.log.info("Received termination signal.")
        self._stop_services(graceful=True)
        self.stopping.set()
        with self.register_lock:  # the heartbeat is stopped: no re-registration after the delete
            self._deregister()
        self._wait_sessions(shutdown)
        self._stop_services(graceful=False)
        self.log.info("Shutdown server.")

    def _stop_services(self, graceful, log=True):
        """All services at once: listeners close (new connections are refused), then in-flight HTTP requests get
        HTTP_GRACE seconds before their connections are closed (graceful), or none (the second phase)."""
        if log:
            for name, _server in self.services:
                self.log.info("Stopping %s service" % name)
        threads = [threading.Thread(target=server.stop, args=(HTTP_GRACE if graceful else 0.0,), daemon=True)
                   for _name, server in self.services]
        for thread in threads:
            thread.start()
        for (name, _server), thread in zip(self.services, threads):
            thread.join()
            if log:
                self.log.info("Stopped %s service" % name)

    def _deregister(self):
        """warehouse_manager.shutdown_node(): tried on every stop, registered or not."""
        try:
            for key in self._registration_keys():
                self.meta.request({"op": "delete", "key": key})
        except MetaClientError as exc:
            self.log.warn("Cannot drop cluster node(while shutdown), cause %s" % formats.error_code_debug(
                "MetaServiceError", 2001, str(exc)))

    def _wait_sessions(self, shutdown):
        """Wait up to shutdown_wait_timeout_ms (whole seconds, as the real loop counts) while sessions remain; idle
        ones are killed at every check; a second signal ends the wait; the rest are force-killed."""
        remaining = int(self.conf.get("shutdown_wait_timeout_ms", 5000))
        self.log.info("Waiting %s for connections to close. You can press Ctrl + C again to force shutdown."
                      % formats.rust_duration(remaining))
        while remaining > 0:
            if self._destroy_idle_sessions():
                return
            if shutdown.forced.wait(SESSION_CHECK_INTERVAL):
                break
            remaining = max(0, remaining - int(SESSION_CHECK_INTERVAL * 1000))
        self.log.info("Will shutdown forcefully.")
        with self.sessions_lock:
            for session in self.sessions.values():
                session.killed.set()

    def _destroy_idle_sessions(self):
        with self.sessions_lock:
            return not self.sessions

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
            return 200, "application/json", self.cluster_nodes()
        except MetaClientError as exc:
            cause = formats.error_code_display("MetaServiceError", 2001, str(exc))
            return netutil.text_errors(500, "Failed to fetch cluster nodes list. cause: %s" % cause)

    def instance_status(self):
        stamp = int(time.time())
        with self.sessions_lock:
            running = len(self.sessions)
        return {"inflight_queries_count": running, "running_queries_count": running, "queuing_queries_count": 0,
                "active_sessions_count": running, "max_running_query_executed_secs": 0, "last_query_started_at": None,
                "last_query_finished_at": None, "instance_started_at": int(self.started_at),
                "instance_timestamp": stamp}

    def metrics(self):
        return ("# HELP databend_system_version .\n# TYPE databend_system_version gauge\n"
                'databend_system_version{component="query",semver="%s",sha="%s"} 1\n' % (
                    versions.git_semver(self.version), versions.commit_sha("query", self.version)))

    # -- HTTP query handler ------------------------------------------------------------------------
    def _query_route(self, _query, body):
        query_id = str(uuid.uuid4())
        session = Session(query_id)
        with self.sessions_lock:
            self.sessions[session.id] = session
        try:
            sql = json.loads(body or b"{}").get("sql", "")
            schema, data, written = self.execute(sql, session)
        except (SQLError, ValueError, AttributeError) as exc:
            code = exc.code if isinstance(exc, SQLError) else 1005
            return 200, _response(query_id, [], [], 0, "Failed", {"code": code, "message": str(exc)})
        finally:
            with self.sessions_lock:
                self.sessions.pop(session.id, None)
        return 200, _response(query_id, schema, data, written, "Succeeded", None)

    def execute(self, sql, session=None):
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
        sleep = SLEEP_RE.match(text)
        if sleep and float(sleep.group(1)) <= MAX_SLEEP:
            if (session.killed if session else threading.Event()).wait(float(sleep.group(1))):
                raise SQLError(*ABORTED)
            return [{"name": "sleep(%s)" % sleep.group(1), "type": "UInt8"}], [["0"]], 0
        if CLUSTERS_RE.match(text):
            return CLUSTERS_SCHEMA, self._clusters_rows(), 0
        for pattern, handler in ((CREATE_RE, self._create), (INSERT_RE, self._insert), (COUNT_RE, self._count)):
            match = pattern.match(text)
            if match:
                return self._meta_call(handler, match)
        raise SQLError(1005, "error: \n  --> SQL:1:1\n  |\n1 | %s\n  | ^ unsupported statement in the simulator" % text)

    def _clusters_rows(self):
        """system.clusters: name (node id), cluster, host and port of the flight address, version."""
        try:
            nodes = self.cluster_nodes()
        except MetaClientError as exc:
            raise SQLError(2001, "MetaServiceError: %s" % exc)
        rows = []
        for node in sorted(nodes, key=lambda n: n["id"]):
            host, port = netutil.split_address(node["flight_address"])
            cluster = node["cluster_id"]
            if versions.parse(self.version) >= versions.SYSTEM_CLUSTERS_WAREHOUSE_SINCE:
                cluster = "%s/%s" % (node["warehouse_id"], node["cluster_id"])
            rows.append([node["id"], cluster, host, str(port), node["binary_version"]])
        return rows

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
