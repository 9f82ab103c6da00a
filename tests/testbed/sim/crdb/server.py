"""`cockroach start` / `start-single-node` (and the kwbase equivalents): one simulated node process.

The node serves pgwire on its listen (and SQL) address, HTTP on its --http-addr, heartbeats its
liveness into the cluster's shared state, and applies the real version rules to its store.
"""
import datetime
import json
import os
import signal
import socket
import sys
import threading
import time

from ..common import config as sim_config
from ..common import notify
from ..common import state as shared_state
from ..common.pgwire import OID_BOOL, OID_INT8, OID_TEXT, PgError, PgServer, Result
from . import cluster as model
from . import httpapi
from . import websessions
from . import settings
from . import versions
from .sqlengine import SqlEngine

IDENTITY_FILE = "sim_node.json"
MIN_VERSION_FILE = "STORAGE_MIN_VERSION"
POLL_SECONDS = 0.05


class StartupError(Exception):
    """The server exits with `ERROR: cockroach server exited with error: ...`."""


def split_addr(text, default_port):
    """'h:p', ':p', 'h', '[v6]:p' -> (host, port)."""
    text = text or ""
    if text.startswith("["):
        host, _bracket, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, int(default_port)
    return host, int(port or default_port)


class NodeServer:
    """One running node."""

    def __init__(self, profile, opts, command):
        self.profile, self.opts, self.command = profile, opts, command
        self.config = sim_config.load_config()
        self.store = model.ClusterStore(self.config["shared_dir"])
        self.stop_event = threading.Event()
        self.signalled = False  # set by the signal handler (no locks there)
        self.hard_stop = False
        self.node_id = None
        self.sql_ready = False  # serving SQL clients (a real node's pgwire accept loop runs)
        self.unready = False  # drain started: /health?ready=1 fails, SQL clients still accepted
        self.draining = False  # new SQL clients refused
        self.clients_drained = False  # the SQL phases of a drain ran (only the first drain request runs them)
        self._drain_lock = threading.Lock()
        self._remote_drain = None
        self.pg = None
        self.http = None
        self.last_persisted_version = None
        self._resolve_addresses()
        self.faults = self.current_faults()
        self.store_dir = os.path.abspath(_store_path(opts.get("store") or profile.default_store))
        self.log_path = os.path.join(self.store_dir, "logs", "%s.log" % profile.binary)

    # ---------------------------------------------------------------- addresses
    def _resolve_addresses(self):
        opts = self.opts
        listen_host, listen_port = split_addr(opts.get("listen_addr") or ":26257", 26257)
        adv_host, adv_port = split_addr(opts.get("advertise_addr") or "", listen_port)
        adv_host = adv_host or listen_host or socket.gethostname()
        self.listen = (listen_host or "0.0.0.0", listen_port)
        self.advertise = (adv_host, adv_port)
        if opts.get("sql_addr"):
            sql_host, sql_port = split_addr(opts["sql_addr"], 26257)
            self.sql_listen = (sql_host or "0.0.0.0", sql_port)
            self.sql_advertise = (sql_host or adv_host, sql_port)
        else:
            self.sql_listen, self.sql_advertise = None, self.advertise
        http_host, http_port = split_addr(opts.get("http_addr") or ":8080", 8080)
        self.http_listen = (http_host or "0.0.0.0", http_port)
        self.http_advertise = (http_host or adv_host, http_port)

    def current_faults(self):
        """The faults of this host that apply to this build (tests/testbed/faults.py)."""
        return sim_config.load_faults(self.config, self.advertise[0], self.profile.tag)

    @staticmethod
    def _fmt(addr):
        host, port = addr
        return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)

    def node_info(self):
        return {"address": self._fmt(self.advertise), "sql_address": self._fmt(self.sql_advertise),
                "http_address": self._fmt(self.http_advertise), "host": self.advertise[0],
                "build_tag": self.profile.tag, "binary_version": self.profile.series,
                "start_mode": self.command, "pid": os.getpid(), "store": self.store_dir,
                "locality": self.opts.get("locality") or ""}

    # ---------------------------------------------------------------- logging
    def log(self, message):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        stamp = datetime.datetime.utcnow().strftime("I%y%m%d %H:%M:%S.%f")
        with open(self.log_path, "a") as out:
            out.write("%s %d [n%s] %s\n" % (stamp, os.getpid(), self.node_id or "?", message))

    # ---------------------------------------------------------------- store checks
    def _identity(self):
        return shared_state.read_json(os.path.join(self.store_dir, IDENTITY_FILE))

    def _write_identity(self, st):
        shared_state.write_json(os.path.join(self.store_dir, IDENTITY_FILE),
                                {"node_id": self.node_id, "cluster_id": st["cluster_id"]})
        self.persist_store_version(st["cluster_version"])

    def store_version(self):
        try:
            with open(os.path.join(self.store_dir, MIN_VERSION_FILE)) as source:
                return source.read().strip() or None
        except OSError:
            return None

    def persist_store_version(self, version):
        if version and version != self.last_persisted_version:
            path = os.path.join(self.store_dir, MIN_VERSION_FILE)
            with open(path + ".tmp", "w") as out:
                out.write(version + "\n")
            os.replace(path + ".tmp", path)
            self.last_persisted_version = version

    def check_store_version(self):
        """pkg/storage/fs/min_version.go ValidateMinVersionFile."""
        stored = self.store_version()
        if stored is None or self.profile.kwdb:
            return
        running, minimum = self.profile.series, versions.min_supported(self.profile.series)
        if versions.newer(minimum, stored):
            raise StartupError("store last used with cockroach version v%s is too old for running version v%s "
                               "(which requires data from v%s or later)" % (stored, running, minimum))
        if versions.newer(stored, running):
            raise StartupError("store last used with cockroach version v%s is too high for running version v%s"
                               % (stored, running))

    def check_cluster_version(self, st):
        """pkg/rpc/heartbeat.go checkVersion, seen by a binary older than the active cluster version."""
        active = st.get("cluster_version")
        if self.profile.kwdb or not active or not versions.newer(active, self.profile.series):
            return
        raise StartupError("initial connection heartbeat failed: rpc error: code = Unknown desc = version "
                           "compatibility check failed on ping request: cluster requires at least version %s, "
                           "but peer has version %s" % (active, self.profile.series))

    # ---------------------------------------------------------------- lifecycle
    def run(self):
        if self.faults.get("crash_on_start"):
            sys.stderr.write("panic: testbed fault crash_on_start for %s\n\ngoroutine 1 [running]:\n"
                             % self.advertise[0])
            return 2
        os.makedirs(self.store_dir, exist_ok=True)
        try:
            self.check_store_version()
            self._listen()
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
            self._join_or_wait()
        except StartupError as error:
            return self._fail(str(error))
        self._print_banner()
        threading.Thread(target=self._heartbeat_loop, daemon=True).start()
        while not self.stopping():
            time.sleep(POLL_SECONDS)
        return self._shutdown()

    def stopping(self):
        return self.signalled or self.stop_event.is_set()

    def _fail(self, message):
        text = "%s server exited with error: %s" % (self.profile.binary, message)
        sys.stderr.write("*\n* ERROR: ERROR: %s\n*\nERROR: %s\nFailed running \"%s\"\n"
                         % (text, text, self.command))
        self.log("ERROR: " + text)
        return 1

    def _listen(self):
        addresses = [self.listen] + ([self.sql_listen] if self.sql_listen else [])
        params = {"server_version": "13.0.0", "client_encoding": "UTF8", "DateStyle": "ISO, MDY",
                  "integer_datetimes": "on", "standard_conforming_strings": "on", "TimeZone": "UTC",
                  "application_name": "", "crdb_version": self.profile.short_version()}
        try:
            self.pg = PgServer(addresses, _Backend(self), params)
            self.http = httpapi.start(self, self.http_listen)
        except OSError as error:
            raise StartupError("failed to start server: listen tcp %s: bind: %s"
                               % (self._fmt(self.listen), error.strerror or error))
        self.pg.start()

    def _ready(self):
        if not self.faults.get("never_ready"):
            notify.sd_notify("READY=1")

    def _serve_sql(self):
        """The node has joined: it serves SQL clients, unless the never_ready fault holds it before that."""
        self.sql_ready = not self.faults.get("never_ready")

    def _catchup_seconds(self):
        return float(self.faults.get("slow_catchup_seconds") or self.config["catchup_seconds"])

    def _join_or_wait(self):
        identity = self._identity()
        info = self.node_info()
        notified = False
        while not self.stopping():
            with self.store.update() as st:
                if st.get("initialized"):
                    self.check_cluster_version(st)
                    now = time.time()
                    known = identity.get("cluster_id") == st["cluster_id"] and model.node(st, identity.get("node_id"))
                    if known:
                        self.node_id = identity["node_id"]
                        model.rejoin(st, self.node_id, info, now, self.config, self._catchup_seconds())
                        self.status = "restarted pre-existing node"
                    elif self.node_id is None:
                        self.node_id = model.join(st, info, now, self.config, self._catchup_seconds())
                        self.status = "initialized new node, joined pre-existing cluster"
                    self._apply_start_flags(st)
                    self._write_identity(st)
                    break
                if self.command == "start-single-node":
                    self.node_id = model.bootstrap(st, info, time.time(), self.config, 1)
                    self.status = "initialized new cluster"
                    self._write_identity(st)
                    break
            if not notified:
                self._ready()
                notified = True
                print("*\n* INFO: initial startup completed.\n* Node will now attempt to join a running "
                      "cluster, or wait for `%s init`.\n* Client connections will be accepted after this "
                      "completes successfully.\n* Check the log file(s) for progress. \n*" % self.profile.binary,
                      flush=True)
            time.sleep(0.1)
        self._serve_sql()
        if not notified:
            self._ready()

    def _apply_start_flags(self, st):
        record = st["nodes"][str(self.node_id)]
        record["metrics"] = model.fresh_metrics(st, self.node_id, time.time())
        if self.profile.kwdb and not record.get("locality"):
            record["locality"] = self.profile.default_locality(self.node_id)
        if self.opts.get("upgrade_complete") and record.get("upgrading"):
            record["upgrading"] = False
            st.setdefault("settings", {}).pop("server.time_until_store_dead", None)

    def bootstrap_from_init(self):
        """The `init` RPC reached this (waiting) node: it becomes node 1 of a new cluster."""
        with self.store.update() as st:
            if st.get("initialized"):
                raise PgError("XXUUU", "cluster has already been initialized")
            factor = 1 if self.command == "start-single-replica" else 3
            self.node_id = model.bootstrap(st, self.node_info(), time.time(), self.config, factor)
            self.status = "initialized new cluster"
            self._apply_start_flags(st)
            self._write_identity(st)
        self._serve_sql()

    def initialized(self):
        return self.node_id is not None

    def _print_banner(self):
        insecure = self.opts.get("insecure")
        scheme = "sslmode=disable" if insecure else "sslmode=verify-full"
        lines = [
            ("build", "CCL %s @ %s (%s)" % (self.profile.tag, self.profile.buildinfo["build_time"],
                                            self.profile.buildinfo["go_version"])),
            ("webui", "%s://%s" % ("http" if insecure else "https", self._fmt(self.http_advertise))),
            ("sql", "postgresql://root@%s/defaultdb?%s" % (self._fmt(self.sql_advertise), scheme)),
            ("RPC client flags", "%s <client cmd> --host=%s %s" % (
                self.profile.binary, self._fmt(self.advertise),
                "--insecure" if insecure else "--certs-dir=%s" % self.opts.get("certs_dir"))),
            ("logs", os.path.dirname(self.log_path)),
            ("store[0]", "path=%s" % self.store_dir),
            ("storage engine", "pebble"),
            ("clusterID", self.store.read().get("cluster_id", "")),
            ("status", self.status),
            ("nodeID", str(self.node_id)),
        ]
        started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
        text = "%s node starting at %s +0000 UTC (took 0.4s)\n" % (self.profile.product, started)
        text += "".join("%-21s%s\n" % (key + ":", value) for key, value in lines)
        sys.stdout.write(text)
        sys.stdout.flush()
        self.log("node startup completed:\n" + text)

    # ---------------------------------------------------------------- heartbeat
    def _heartbeat_loop(self):
        while not self.stop_event.wait(self.config["heartbeat_interval"]):
            try:
                self.heartbeat()
            except (OSError, ValueError, KeyError) as error:
                self.log("heartbeat failed: %s" % error)

    def heartbeat(self):
        now = time.time()
        with self.store.update() as st:
            record = st["nodes"][str(self.node_id)]
            record.update({"expiration": now + self.config["liveness_ttl"], "updated_at": now, "running": True})
            record["metrics"] = model.fresh_metrics(st, self.node_id, now)
            for key, entry in list(st.get("catchup", {}).items()):
                if now - entry["start"] > entry["duration"]:
                    del st["catchup"][key]
            model.advance_finalization(st, now, self.config, kwdb=self.profile.kwdb)
            request = record.get("drain_request")
            version = st.get("cluster_version")
        if model.is_live(record, now):
            self.persist_store_version(version)
        if request and (self._remote_drain is None or not self._remote_drain.is_alive()):
            self._remote_drain = threading.Thread(target=self._serve_drain_request, args=(request,), daemon=True)
            self._remote_drain.start()

    def _serve_drain_request(self, request):
        """A drain asked for through another node (`node drain <id>`): drain, then clear the request."""
        self.drain_local()
        with self.store.update() as st:
            st["nodes"][str(self.node_id)]["drain_request"] = None
        if request.get("shutdown"):
            self.request_stop()

    # ---------------------------------------------------------------- drain / stop
    def shutdown_waits(self):
        """(initial_wait, connections.timeout, transactions.timeout) in seconds, from the cluster settings."""
        st = self.store.read()
        return tuple(settings.seconds(st, name) for name in (
            "server.shutdown.initial_wait", "server.shutdown.connections.timeout",
            "server.shutdown.transactions.timeout"))

    def drain_local(self):
        """A whole drain (drain requests until nothing is left, as SIGTERM and `node drain <id>` do); returns the
        first request's work (the leases that moved)."""
        first = None
        while True:
            remaining = self.drain_round()
            first = remaining if first is None else first
            if remaining == 0 or self.hard_stop:
                return first

    def drain_round(self):
        """One drain request (pkg/server/drain.go); returns its work, 0 once nothing is left.

        The first request runs the SQL phases:
        1. unready: /health?ready=1 answers 503 but SQL clients are still accepted, for initial_wait;
        2. new SQL clients are refused; open sessions may end by themselves for up to connections.timeout;
        3. idle sessions are ended (FATAL 57P01); one inside a transaction gets up to transactions.timeout to
           finish it, then it is ended too;
        then every request moves leases to other nodes (the liveness record shows draining): all at once, or,
        with the slow_drain_seconds fault, only after that long, each request waiting one
        lease_transfer_iteration.timeout. A drain of a drained node finds nothing left.
        """
        with self._drain_lock:
            if not self.clients_drained:
                self._drain_clients()
                self.clients_drained = True
            remaining = self._drain_leases()
        self.log("drain remaining: %d" % remaining)
        return remaining

    def _drain_clients(self):
        initial_wait, connections_timeout, transactions_timeout = self.shutdown_waits()
        self.unready = True
        if initial_wait:
            self.log("waiting for health probes to notice that the node is not ready for new sql connections")
        self._pause(initial_wait)
        self.draining = True
        self._sessions_gone_within(connections_timeout)
        shutting_down = PgError("57P01", "server is shutting down", "FATAL")
        self.pg.terminate_sessions(shutting_down)
        if not self._sessions_gone_within(transactions_timeout):
            self.log("canceling all sessions after waiting %gs" % transactions_timeout)
            self.pg.terminate_sessions(shutting_down, force=True)
            self._sessions_gone_within(1.0)

    def _drain_leases(self):
        now = time.time()
        with self.store.update() as st:
            record = st["nodes"][str(self.node_id)]
            if not record.get("draining"):
                held = model.leases_held(st, self.node_id, now)
                slow = float(self.current_faults().get("slow_drain_seconds") or 0)
                record["draining"] = True
                record["lease_release_at"] = now + slow if slow else None
                if not slow:
                    return held
            release_at = record.get("lease_release_at") or 0
            # leases with nowhere to go (a single node) stay; only the fault holds back movable ones
            held = model.leases_held(st, self.node_id, now) if release_at > now else 0
            iteration = settings.seconds(st, "server.shutdown.lease_transfer_iteration.timeout")
        if held:
            self.log("waiting for %d replicas to transfer their lease away" % held)
            self._pause(min(max(iteration, 0.2), max(0.0, release_at - time.time()) + 0.05))
        return held

    def _pause(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.hard_stop:
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def _sessions_gone_within(self, seconds):
        """Wait up to ``seconds`` for the SQL client sessions to end; True when none is left."""
        deadline = time.monotonic() + seconds
        while self.pg.client_sessions() and not self.hard_stop:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def request_stop(self):
        self.stop_event.set()

    def _on_signal(self, signum, _frame):
        """SIGTERM/SIGINT: graceful shutdown (a full drain, then exit); another signal meanwhile: hard shutdown."""
        if self.faults.get("hang_on_stop") or self.current_faults().get("hang_on_stop"):
            self.log("received signal %d; testbed fault hang_on_stop: ignoring" % signum)
            return
        if self.stopping():
            self.log("received signal %d during shutdown, initiating hard shutdown" % signum)
            self.hard_stop = True
            return
        self.log("received signal %d; initiating graceful shutdown" % signum)
        self.signalled = True

    def _shutdown(self):
        if self.initialized() and self.pg is not None and not self.hard_stop:
            self.drain_local()
        if self.pg is not None:
            self.pg.stop_listening()
            self.pg.close_all_sessions()
        if self.http is not None:
            self.http.shutdown()
        if self.node_id is not None:
            with self.store.update() as st:
                st["nodes"][str(self.node_id)]["running"] = False
                version = st.get("cluster_version")
            # a real node has the active cluster version in its stores before the version is active anywhere;
            # the heartbeat persists it up to one interval later, so a stop right after finalization catches up
            self.persist_store_version(version)
        if not self.hard_stop:
            self.log("server drained and shutdown completed")
        return 0

    # ---------------------------------------------------------------- admin RPCs (over pgwire)
    def rpc(self, session, args):
        session.exempt_from_drain = True  # the real admin RPCs travel over gRPC, not over a SQL session
        name = args[0].upper() if args else ""
        handler = {"INIT": self._rpc_init, "DRAIN": self._rpc_drain, "NODES": self._rpc_nodes,
                   "DECOMMISSION": self._rpc_decommission, "UPGRADE": self._rpc_upgrade,
                   "DUMP": self._rpc_dump, "SETTINGS": self._rpc_settings, "LOGIN": self._rpc_login}.get(name)
        if handler is None:
            raise PgError("0A000", "unknown simulator RPC %s" % name)
        if name != "INIT" and not self.initialized():
            raise PgError("XXUUU", "node cannot be drained before it has been initialized"
                          if name == "DRAIN" else "node is waiting for cluster initialization")
        return handler(args[1:])

    def _rpc_init(self, _args):
        self.bootstrap_from_init()
        return Result("INIT")

    def _rpc_drain(self, args):
        """One drain request; the CLI repeats it until the work reported is 0 (rpc_node_shutdown.go)."""
        target, shutdown = args[0], args[1:] == ["shutdown"]
        self.log("drain request received with doDrain = true, shutdown = %s" % ("true" if shutdown else "false"))
        if target in ("local", str(self.node_id)):
            remaining = self.drain_round()
            if shutdown and remaining == 0:
                threading.Timer(0.3, self.request_stop).start()
            elif not shutdown:
                self.log("drain request completed without server shutdown")
        else:
            remaining = self._drain_remote(int(target), shutdown)
        return Result("DRAIN", [("remaining", OID_INT8)], [[remaining]])

    def _drain_remote(self, target, shutdown):
        """Ask node ``target`` (through the shared state) to drain; wait until it has. Returns the leases it held."""
        with self.store.update() as st:
            record = model.node(st, target)
            if record is None or not model.is_live(record, time.time()):
                raise PgError("XXUUU", "node n%d is not live" % target)
            remaining = model.leases_held(st, target, time.time())
            record["drain_request"] = {"shutdown": shutdown}
        while True:
            record = model.node(self.store.read(), target)
            if record.get("draining") and not record.get("drain_request"):
                return remaining
            if not model.is_live(record, time.time()):
                raise PgError("XXUUU", "node n%d is not live" % target)
            time.sleep(0.1)

    def _rpc_settings(self, args):
        """The Settings RPC the drain client reads the shutdown waits with: (name, value as Go prints it)."""
        st = self.store.read()
        rows = []
        for name in args:
            try:
                settings.show(st, name, time.time(), self)
            except PgError:
                continue
            rows.append([name, settings.raw_value(st, name)])
        return Result("SETTINGS", [("name", OID_TEXT), ("value", OID_TEXT)], rows)

    def liveness_status(self, record, now):
        if record["membership"] == "decommissioned":
            return "DECOMMISSIONED"
        if record["membership"] == "decommissioning":
            return "DECOMMISSIONING"
        if not model.is_live(record, now):
            return "DEAD"
        return "UPGRADING" if record.get("upgrading") else "LIVE"

    def _rpc_nodes(self, _args):
        st, now = self.store.read(), time.time()
        statuses = {str(n["node_id"]): self.liveness_status(n, now) for n in model.all_nodes(st)}
        info = {"local_node_id": self.node_id, "start_mode": self.command, "liveness": statuses}
        return Result("NODES", [("info", OID_TEXT)], [[json.dumps(info)]])

    def _rpc_decommission(self, args):
        membership, ids = args[0], [int(a) for a in args[1:]]
        now = time.time()
        with self.store.update() as st:
            for node_id in ids:
                record = model.node(st, node_id)
                if record is None:
                    raise PgError("XXUUU", "node does not exist")
                if membership == "decommissioning":
                    record["membership"] = "decommissioning"
                    model.move_replicas_off(st, node_id)
                elif membership == "decommissioned":
                    record["membership"] = "decommissioned"
                elif membership == "active":
                    if record["membership"] == "decommissioned":
                        raise PgError("XXUUU", "can only recommission a decommissioning node; n%d found to "
                                               "be decommissioned" % node_id)
                    record["membership"] = "active"
            rows = []
            for node_id in ids:
                record = model.node(st, node_id)
                replicas = sum(1 for r in st["ranges"] if node_id in r)
                rows.append([node_id, model.is_live(record, now), replicas, record["membership"] != "active",
                             record["membership"], bool(record.get("draining"))])
        columns = [("id", OID_INT8), ("is_live", OID_BOOL), ("replicas", OID_INT8),
                   ("is_decommissioning", OID_BOOL), ("membership", OID_TEXT), ("is_draining", OID_BOOL)]
        return Result("DECOMMISSION", columns, rows)

    def _rpc_upgrade(self, args):
        now = time.time()
        with self.store.update() as st:
            for record in model.all_nodes(st):
                status = self.liveness_status(record, now)
                if status not in ("LIVE", "DECOMMISSIONED"):
                    raise PgError("XXUUU", "can not upgrade nodes when cluster has node %s" % status)
            for node_id in (int(a) for a in args):
                model.node(st, node_id)["upgrading"] = True
                st.setdefault("settings", {})["server.time_until_store_dead"] = "3h"
        return Result("UPGRADE")

    def _rpc_login(self, args):
        """The INSERT INTO system.web_sessions of `auth-session login` (root is the only user the simulator has)."""
        username, seconds = args[0].lower(), float(args[1])
        if username != "root":
            raise PgError("XXUUU", 'user "%s" does not exist' % username)
        with self.store.update() as st:
            session_id, secret = websessions.create(st, username, seconds, self.node_id)
        return Result("LOGIN", [("id", OID_INT8), ("cookie", OID_TEXT)],
                      [[session_id, websessions.encode_cookie(session_id, secret)]])

    def _rpc_dump(self, _args):
        return Result("DUMP", [("state", OID_TEXT)], [[json.dumps(self.store.read())]])


def _store_path(spec):
    """--store=PATH or --store=path=PATH,attrs=..."""
    for part in spec.split(","):
        if part.startswith("path="):
            return part[len("path="):]
    return spec if "=" not in spec else "cockroach-data"


class _Backend:
    """pgwire backend of a node: admission (draining) and SQL execution."""

    def __init__(self, node):
        self.node = node
        self.engine = SqlEngine(node)

    def serving_sql(self):
        return self.node.sql_ready

    def admit(self, session):
        if self.node.draining and not session.rpc:
            raise PgError("57P01", "server is not accepting clients, try another node")

    def execute(self, session, sql, params):
        return self.engine.execute(session, sql, params)

    def describe(self, session, sql):
        return self.engine.describe(session, sql)


def main(profile, opts, command):
    return NodeServer(profile, opts, command).run()
