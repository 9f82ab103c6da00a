"""databend-meta server: banner, on-disk DataVersion, Raft-like membership, admin HTTP API and gRPC."""
import json
import os
import sys
import threading
import time

from . import formats, netutil, runtime, versions
from .metastate import HEARTBEAT_INTERVAL, MetaCluster, NoLeader

RAFT_FEATURES_PROVIDE = "append:v0, install_snapshot:v1, install_snapshot:v3, vote:v0"
RAFT_FEATURES_REQUIRE = "append:v0, install_snapshot:v3, vote:v0"
DEFAULT_WAIT_LEADER_MS = 70000
STDERR_LINE = "enabled=false(To enable: LOG_STDERR_ON=true or RUST_LOG=info), level=WARN, format=text"


def say(*lines):
    for line in lines:
        print(line, flush=True)


class StartupError(Exception):
    """The process exits with this message, like an anyhow error returned from main."""


class OnDisk:
    """<raft_dir>/df_meta/VERSION, the header databend-meta keeps since the V004 era."""

    def __init__(self, raft_dir, working):
        self.path = os.path.join(raft_dir, "df_meta", "VERSION")
        self.working = working
        self.header = None

    def open(self):
        os.makedirs(os.path.join(os.path.dirname(self.path), self.working, "log"), exist_ok=True)
        raw = None
        if os.path.exists(self.path):
            with open(self.path) as handle:
                raw = handle.read()
        if raw is None:
            self.header = formats.header_json("V002")  # no header: the oldest compatible version
            self._write()
            return self.header
        header = runtime.read_json(self.path)
        known = ["V0"] + [name for name, _since, _debug in versions.DATA_VERSIONS]
        known = known[:known.index(self.working) + 1]
        if header is None or header.get("version") not in known:
            column = raw.find('"', raw.find(":") + 2) + 1
            raise StartupError(
                "parsing version file %s: unknown variant `%s`, expected one of %s at line 1 column %d" % (
                    self.path, (header or {}).get("version"), ", ".join("`%s`" % k for k in known), column))
        self.header = header
        minimum = versions.MIN_ON_DISK[self.working]
        if versions.data_version_rank(header["version"]) < versions.data_version_rank(minimum):
            sys.stderr.write("Working data version is: %s\nOn-disk data version is too old: %s\n" % (
                self.working, header["version"]))
            raise StartupError("On-disk data version %s is too old, the latest compatible version is %s." % (
                header["version"], minimum))
        return header

    def _write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(json.dumps(self.header, separators=(",", ":")))  # serde_json::to_vec: field order, compact
        os.replace(tmp, self.path)

    def _progress(self, message):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    def describe(self):
        return "header: %s, data-dir: %s" % (formats.header_debug(self.header), os.path.dirname(os.path.dirname(self.path)))

    def upgrade(self):
        self._progress("Upgrade ondisk data if out of date: %s" % self.describe())
        self._progress("    Find and clean previous unfinished upgrading")
        names = [name for name, _since, _debug in versions.DATA_VERSIONS]
        while self.header["version"] != self.working:
            nxt = names[names.index(self.header["version"]) + 1]
            self._progress("Upgrade on-disk data")
            self._progress("    From: %s" % versions.data_version_debug(self.header["version"]))
            self._progress("    To:   %s" % versions.data_version_debug(nxt))
            self.header["upgrading"] = nxt
            self._write()
            self._progress("Begin upgrading: %s" % self.describe())
            self.header = formats.header_json(nxt)
            self._write()
            self._progress("Finished upgrading: %s" % self.describe())
        self._progress("Upgrade ondisk data finished: %s" % self.describe())


class MetaServer:
    def __init__(self, buildinfo, conf):
        self.version = buildinfo["version"]
        self.facts = versions.binary_facts(buildinfo)
        self.conf = conf
        self.raft = conf["raft_config"]
        self.node_id = int(self.raft["id"])
        self.cluster = MetaCluster(runtime.shared_dir(), self.raft["cluster_name"])
        self.log = runtime.Logger(conf["log_file"]["dir"] if conf["log_file"]["on"] else None,
                                  "databend-meta-%d@%s" % (self.node_id, self.raft["cluster_name"]), "databend_meta",
                                  conf["log_file"]["level"])
        self.faults = runtime.faults(*versions.fault_tags(self.version))
        self.servers = []
        self.stopping = threading.Event()

    # -- identity ----------------------------------------------------------------------------------
    @property
    def modern(self):
        return versions.parse(self.version) >= versions.RAFT_LOG_FORMAT_SINCE

    def node_info(self):
        return {"id": self.node_id,
                "raft_endpoint": {"addr": self.raft["raft_advertise_host"], "port": int(self.raft["raft_api_port"])},
                "grpc_advertise": self.conf["grpc_api_advertise_address"],
                "grpc_address": self.conf["grpc_api_address"],
                "admin_address": self.conf["admin_api_address"],
                "version": self.version,
                "binary_version": versions.metasrv_commit_version(self.version),
                "data_version": self.facts["data_version"]}

    # -- startup -----------------------------------------------------------------------------------
    def run(self, shutdown):
        if self.faults.get("crash_on_start"):
            sys.stderr.write("Error: simulated fault crash_on_start on %s\n" % runtime.host_name())
            return 1
        self.log.info("Databend Meta version: %s" % versions.metasrv_commit_version(self.version))
        try:
            self._start()
        except (StartupError, OSError) as exc:
            self.log.error("%s" % exc)
            sys.stderr.write("Error: %s\n" % exc)
            sys.stderr.flush()
            self._close()
            return 1
        if not self.faults.get("never_ready"):
            threading.Thread(target=self._heartbeat_loop, daemon=True).start()
            if not self._register(shutdown):
                self._close()
                return 1
            say("Databend Metasrv started")
        shutdown.wait()
        self.log.info("Databend-meta is done shutting down")
        self.stopping.set()
        self.cluster.stop(self.node_id)
        self._close()
        say("Databend Metasrv shutdown")
        return 0

    def _start(self):
        on_disk = OnDisk(self.raft["raft_dir"], self.facts["data_version"])
        say("Databend Metasrv", "", "Version: %s" % versions.metasrv_commit_version(self.version),
            "Working DataVersion: %s" % versions.data_version_debug(self.facts["data_version"]), "",
            "Raft Feature set:", "    Server Provide: { %s }" % RAFT_FEATURES_PROVIDE,
            "    Client Require: { %s }" % RAFT_FEATURES_REQUIRE, "")
        header = on_disk.open()
        self._print_layout(header)
        on_disk.upgrade()
        self.servers.append(netutil.serve_http(self.conf["admin_api_address"], self._routes()))
        self.servers.append(netutil.serve_rpc(self.conf["grpc_api_address"], self._handle_rpc))
        self.servers.append(netutil.serve_idle(self.raft["raft_listen"]))

    def _print_layout(self, header):
        raft, conf = self.raft, self.conf
        log_file = "enabled=%s, level='%s', dir=%s, format=%s, limit=48" % (
            str(conf["log_file"]["on"]).lower(), conf["log_file"]["level"], conf["log_file"]["dir"],
            conf["log_file"]["format"])
        grpc_advertise = conf["grpc_api_advertise_address"] or "-"
        upgrading = versions.data_version_debug(header["upgrading"]) if header.get("upgrading") else "None"
        if self.modern:
            status = "single" if raft["single"] else "join %s" % _debug_list(raft["join"])
            say("Disk  Data: %s; Upgrading: %s" % (versions.data_version_debug(header["version"]), upgrading),
                "      Dir: %s" % raft["raft_dir"], "",
                "Log   File:   %s" % log_file, "      Stderr: %s" % STDERR_LINE,
                "Raft  Id: %s; Cluster: %s" % (raft["id"], raft["cluster_name"]),
                "      Dir: %s" % raft["raft_dir"], "      Status: %s" % status, "",
                "HTTP API listen at: %s" % conf["admin_api_address"],
                "gRPC API listen at: %s advertise: %s" % (conf["grpc_api_address"], grpc_advertise),
                "Raft API listen at: %s advertise: %s" % (raft["raft_listen"], raft["raft_advertise"]), "")
            return
        status = "single" if raft["single"] else "join %s" % _pretty_list(raft["join"])
        say("On Disk Data:", "    Dir: %s" % raft["raft_dir"],
            "    DataVersion: %s" % versions.data_version_debug(header["version"]),
            "    In-Upgrading: %s" % upgrading, "", "Log:", "    File: %s" % log_file, "    Stderr: %s" % STDERR_LINE,
            "Id: %s" % raft["id"], "Raft Cluster Name: %s" % raft["cluster_name"], "Raft Dir: %s" % raft["raft_dir"],
            "Raft Status: %s" % status, "", "HTTP API", "   listening at %s" % conf["admin_api_address"],
            "gRPC API", "   listening at %s" % conf["grpc_api_address"], "   advertise:  %s" % grpc_advertise,
            "Raft API", "   listening at %s" % raft["raft_listen"], "   advertise:  %s" % raft["raft_advertise"], "")

    def _register(self, shutdown):
        """register_node(): wait for an active leader, then re-register this node's addresses."""
        timeout_ms = int(self.raft.get("wait_leader_timeout", DEFAULT_WAIT_LEADER_MS))
        say("Wait for %s for active leader..." % _duration(timeout_ms))
        deadline = time.monotonic() + timeout_ms / 1000.0
        while time.monotonic() < deadline and not shutdown.requested:
            state, _nodes = self.cluster.snapshot()
            if state["leader"] is not None:
                log = state["log"]
                say("Leader Id: %s" % state["leader"],
                    "    Metrics: id=%s, %s, term=%s, last_log=Some(%s), last_applied=%s" % (
                        self.node_id, "Leader" if state["leader"] == self.node_id else "Follower", state["term"],
                        log["index"], formats.log_id_display(log, self.version)), "",
                    "Register this node: {%s}" % formats.node_display(self.node_info()), "",
                    "    Register-node: Ok", "")
                return True
            time.sleep(HEARTBEAT_INTERVAL)
        if shutdown.requested:
            return True
        sys.stderr.write("Error: timeout; no error received\n")
        return False

    def _heartbeat_loop(self):
        while not self.stopping.is_set():
            try:
                self.cluster.heartbeat(self.node_info())
            except OSError as exc:
                self.log.warn("heartbeat failed: %s" % exc)
            self.stopping.wait(HEARTBEAT_INTERVAL)

    def _close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []

    # -- status ------------------------------------------------------------------------------------
    def _status_parts(self):
        state, nodes = self.cluster.snapshot()
        me = nodes.get(self.node_id, dict(self.node_info(), applied=None))
        live = MetaCluster.is_live(me)
        leader_id = state["leader"] if live else None
        leader = nodes.get(leader_id) if leader_id is not None else None
        role = "Leader" if leader_id == self.node_id else ("Follower" if leader else "Candidate")
        applied = me.get("applied") or {"term": 0, "node": 0, "index": 0}
        replication = {}
        if role == "Leader":
            replication = {node_id: node.get("applied") for node_id, node in nodes.items()}
        return {"state": state, "nodes": nodes, "role": role, "leader": leader, "applied": applied,
                "replication": replication, "keys": len(state["kv"]) + len(state["tables"])}

    def cluster_status(self):
        """MetaNodeStatus as served at /v1/cluster/status (field order of meta_node_status.rs, per era)."""
        parts = self._status_parts()
        status = {"id": self.node_id, "binary_version": versions.metasrv_commit_version(self.version),
                  "data_version": self.facts["data_version"],
                  "endpoint": status_endpoint(self.version, self.node_id in parts["nodes"], self.node_info_endpoint())}
        status.update(status_size_fields(self.version, parts["applied"]["index"], parts["keys"]))
        status.update({
            "state": parts["role"], "is_leader": parts["role"] == "Leader",
            "current_term": parts["state"]["term"], "last_log_index": parts["applied"]["index"],
            "last_applied": formats.log_id_json(parts["applied"]), "snapshot_last_log_id": None, "purged": None,
            "leader": formats.node_json(parts["leader"]) if parts["leader"] else None,
            "replication": {str(k): formats.log_id_json(v) for k, v in parts["replication"].items()} or None,
            "voters": [formats.node_json(node) for node in parts["nodes"].values()],
            "non_voters": [], "last_seq": parts["state"]["seq"]})
        return status

    def node_info_endpoint(self):
        return self.raft["raft_advertise"]

    def grpc_cluster_status(self):
        """ClusterStatus of the gRPC API: strings formatted by this server, as metactl prints them. The size fields
        this server's era does not have stay at their protobuf defaults (0, or no raft_log_status)."""
        parts = self._status_parts()

        def show(log_id):
            return formats.log_id_display(log_id, self.version)
        sizes = status_size_fields(self.version, parts["applied"]["index"], parts["keys"])
        status = {"binary_version": versions.metasrv_commit_version(self.version),
                  "data_version": self.facts["data_version"], "id": self.node_id,
                  "endpoint": self.node_info_endpoint(), "state": parts["role"],
                  "db_size": sizes.get("db_size", 0), "key_num": sizes.get("key_num", 0),
                  "raft_log_size": sizes.get("raft_log_size", sizes.get("raft_log", {}).get("wal_total_size", 0)),
                  "raft_log_status": sizes.get("raft_log"),
                  "snapshot_key_count": sizes.get("snapshot_key_count", 0),
                  "leader": formats.node_display(parts["leader"]) if parts["leader"] else None,
                  "current_term": parts["state"]["term"], "last_seq": parts["state"]["seq"],
                  "last_log_index": parts["applied"]["index"], "last_applied": show(parts["applied"]),
                  "snapshot_last_log_id": None, "purged": None,
                  "replication": [[k, show(v)] for k, v in parts["replication"].items()],
                  "voters": [formats.node_display(node) for node in parts["nodes"].values()], "non_voters": []}
        return status

    # -- admin HTTP --------------------------------------------------------------------------------
    def _routes(self):
        routes = {
            "/v1/health": lambda q, b: (200, {"status": "pass"}),
            "/v1/config": lambda q, b: (200, self.conf),
            "/v1/cluster/status": lambda q, b: (200, self.cluster_status()),
            "/v1/cluster/nodes": lambda q, b: (200, [formats.node_json(n) for n in self.cluster.nodes().values()]),
            "/v1/ctrl/trigger_snapshot": lambda q, b: (200, {}),
            "/v1/features/list": lambda q, b: (200, {"features": {}}),
        }
        table = {("GET", path): netutil.json_route(fn) for path, fn in routes.items()}
        table[("GET", "/v1/metrics")] = lambda q, b: (200, "text/plain; version=0.0.4", self.metrics())
        if versions.parse(self.version) >= versions.TRANSFER_LEADER_SINCE:  # before: poem's 404 "not found"
            table[("GET", "/v1/ctrl/trigger_transfer_leader")] = self._transfer_leader
        return table

    def _transfer_leader(self, query, _body):
        """ctrl.rs trigger_transfer_leader (flow-surfaces-databend 1.1). Errors are poem::Error::from_string: plain
        text. 200 only means accepted: a transfer to a node that is down or not a voter changes nothing."""
        to = _parse_u64(query.get("to"))
        parts = self._status_parts()
        leader_id = parts["leader"]["id"] if parts["leader"] else None
        voters = sorted(parts["nodes"])
        current = "Some(%d)" % leader_id if leader_id is not None else "None"
        request = "None" if "to" in query and to is None else "Some(Query(TransferLeaderQuery { to: %s }))" % (
            "Some(%d)" % to if to is not None else "None")
        self.log.info("id=%d Received trigger_transfer_leader request: %s, this node: current_leader=%s voter_ids=%s"
                      % (self.node_id, request, current, _rust_list(voters)))
        if versions.parse(self.version) < versions.TRANSFER_LEADER_TO_OPTIONAL_SINCE:
            if to is None:
                return netutil.text_errors(400, "missing query to=<node_id_to_transfer_leader_to>")
            if parts["role"] == "Leader":  # 1.2.599-1.2.600 have no leader check; a follower ignores it (INFERRED)
                self.log.info("id=%d Begin to transfer leadership to node: %d" % (self.node_id, to))
                self.cluster.transfer_leader(self.node_id, to)
            return 200, "application/json", None
        if parts["role"] != "Leader":
            self.log.warn("id=%d This node is not leader, can not transfer leadership; Current leader is: %s "
                          "voter_ids=%s" % (self.node_id, current, _rust_list(voters)))
            return netutil.text_errors(404, "This node is not leader, can not transfer leadership;\nid=%d\n"
                                            "current_leader=%s\nvoter_ids=%s" % (self.node_id, current, _rust_list(voters)))
        if to is None:
            to = next_voter(voters, self.node_id)
        self.log.info("id=%d Begin to transfer leadership to node: %d" % (self.node_id, to))
        self.cluster.transfer_leader(self.node_id, to)
        return 200, "application/json", {"from": self.node_id, "to": to, "voter_ids": voters}

    def metrics(self):
        parts = self._status_parts()
        leader = parts["leader"]
        gauges = [("metasrv_server_has_leader", int(leader is not None)),
                  ("metasrv_server_is_leader", int(parts["role"] == "Leader")),
                  ("metasrv_server_node_is_health", int(leader is not None)),
                  ("metasrv_server_current_leader_id", leader["id"] if leader else 0),
                  ("metasrv_server_current_term", parts["state"]["term"]),
                  ("metasrv_server_last_log_index", parts["applied"]["index"]),
                  ("metasrv_server_last_seq", parts["state"]["seq"]),
                  ("metasrv_server_proposals_pending", 0)]
        lines = []
        for name, value in gauges:
            lines += ["# HELP %s %s." % (name, name.rpartition("server_")[2].replace("_", " ")),
                      "# TYPE %s gauge" % name, "%s %s" % (name, value)]
        lines += ["# HELP metasrv_server_version version.", "# TYPE metasrv_server_version gauge",
                  'metasrv_server_version{component="metasrv",semver="%s",sha="%s"} 1' % (
                      versions.git_semver(self.version), versions.commit_sha("meta", self.version))]
        return "\n".join(lines) + "\n"

    # -- gRPC stand-in -----------------------------------------------------------------------------
    def _handle_rpc(self, request):
        op = request.get("op")
        if op == "handshake":
            return self._handshake(request)
        if op == "cluster_status":
            return {"ok": True, "status": self.grpc_cluster_status()}
        handler = KV_OPS.get(op)
        if handler is None:
            return {"ok": False, "code": "Unimplemented", "message": "unknown op %r" % op}
        try:
            return {"ok": True, "result": handler(self.cluster, request)}
        except NoLeader as exc:
            return {"ok": False, "code": "Unavailable", "message": "MetaNetworkError: %s" % exc}
        except KeyError as exc:
            return {"ok": False, "code": "NotFound", "message": str(exc.args[0])}
        except ValueError as exc:
            return {"ok": False, "code": "AlreadyExists", "message": str(exc)}

    def _handshake(self, request):
        """Server side of the handshake: refuse clients older than min-compatible-client-version."""
        client = versions.from_digit(int(request.get("protocol_version", 0)))
        minimum = self.facts["min_compatible_client_version"]
        if client > (0, 0, 0) and client < versions.parse(minimum):
            return {"ok": False, "code": "InvalidArgument",
                    "message": "meta-client protocol_version(%s) < metasrv min-compatible(%s)" % (
                        versions.triple_str(client), minimum)}
        return {"ok": True, "protocol_version": versions.to_digit(self.version)}


def _parse_u64(text):
    """serde's u64 of a query value; anything else makes poem's Option<Query<..>> None (INFERRED): no `to`."""
    if text is None or not text.isdigit() or int(text) >= 2 ** 64:
        return None
    return int(text)


def _rust_list(items):
    return "[%s]" % ", ".join(str(item) for item in items)


def next_voter(voter_ids, node_id):
    """The default target: the voter after this node in voter_ids, wrapping around, whether it is up or not."""
    if node_id not in voter_ids:
        return voter_ids[0]
    return voter_ids[(voter_ids.index(node_id) + 1) % len(voter_ids)]


def status_endpoint(version, has_node_record, advertise):
    """`endpoint`: a String up to 1.2.818; from 1.2.819 an Option, None while this node's own Node record is not in
    the state machine (INFERRED rule: the simulator shows null only before the node's first heartbeat)."""
    if versions.parse(version) >= versions.ENDPOINT_OPTIONAL_SINCE and not has_node_record:
        return None
    return advertise


def status_size_fields(version, applied_index, keys):
    """The size fields of /v1/cluster/status between `endpoint` and `state`, in order, by the server's era:
    <= 1.2.657 db_size[, key_num]; 1.2.658-1.2.662 raft_log_size, snapshot_key_count; >= 1.2.663 raft_log{},
    snapshot_key_count (snapshot_key_space_stat, 1.2.759+, is omitted when empty: the simulator has no snapshot)."""
    triple = versions.parse(version)
    size = 256 * applied_index
    if triple >= versions.RAFT_LOG_OBJECT_SINCE:
        return {"raft_log": {"cache_items": applied_index, "cache_used_size": size, "wal_total_size": size,
                             "wal_open_chunk_size": size, "wal_offset": size, "wal_closed_chunk_count": 0,
                             "wal_closed_chunk_total_size": 0, "wal_closed_chunk_sizes": {}},
                "snapshot_key_count": keys}
    if triple >= versions.RAFT_LOG_SIZE_SINCE:
        return {"raft_log_size": size, "snapshot_key_count": keys}
    fields = {"db_size": 4096 + 512 * applied_index}
    if triple >= versions.KEY_NUM_SINCE:
        fields["key_num"] = keys
    return fields


def _debug_list(items):
    return "[%s]" % ", ".join('"%s"' % item for item in items)


def _pretty_list(items):
    if not items:
        return "[]"
    return "[\n%s]" % "".join('    "%s",\n' % item for item in items)


def _duration(ms):
    return "%ss" % (ms // 1000) if ms % 1000 == 0 else "%sms" % ms


# -- key-value operations of the state machine (what databend-query stores in meta) -------------
def _live(entry):
    return entry.get("expire") is None or entry["expire"] > runtime.now()


def _require_leader(cluster):
    state, nodes = cluster.snapshot()
    if state["leader"] is None or not MetaCluster.is_live(nodes.get(state["leader"], {})):
        raise NoLeader("no leader: the meta cluster has no quorum")
    return state


def _op_upsert(cluster, request):
    def apply(state):
        ttl = request.get("ttl")
        state["kv"][request["key"]] = {"value": request["value"], "expire": runtime.now() + ttl if ttl else None}
    return cluster.write(apply)


def _op_delete(cluster, request):
    def apply(state):
        state["kv"].pop(request["key"], None)
    return cluster.write(apply)


def _op_list(cluster, request):
    state = _require_leader(cluster)
    return {key: entry["value"] for key, entry in sorted(state["kv"].items())
            if key.startswith(request["prefix"]) and _live(entry)}


def _op_create_table(cluster, request):
    def apply(state):
        key = request["table"]
        if key in state["tables"]:
            if request.get("if_not_exists"):
                return False
            raise ValueError("Table '%s' already exists" % key.rpartition("/")[2])
        state["tables"][key] = {"columns": request["columns"], "rows": 0}
        return True
    return cluster.write(apply)


def _op_insert(cluster, request):
    def apply(state):
        if request["table"] not in state["tables"]:
            raise KeyError("Unknown table '%s'" % request["table"].rpartition("/")[2])
        state["tables"][request["table"]]["rows"] += request["rows"]
        return request["rows"]
    return cluster.write(apply)


def _op_table(cluster, request):
    state = _require_leader(cluster)
    if request["table"] not in state["tables"]:
        raise KeyError("Unknown table '%s'" % request["table"].rpartition("/")[2])
    return state["tables"][request["table"]]


KV_OPS = {"upsert": _op_upsert, "delete": _op_delete, "list": _op_list, "create_table": _op_create_table,
          "insert": _op_insert, "table": _op_table}
