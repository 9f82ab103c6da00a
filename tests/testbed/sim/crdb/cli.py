"""Command line of the simulated `cockroach` / `kwbase` binary.

Client commands talk to a node over pgwire (SQL for `sql` and `node status`, like the real CLI;
admin RPCs such as drain/init/decommission travel as internal `SIMRPC` statements because the
real ones use gRPC). Output goes through the same writers as the real CLI (common/tablefmt.py).
"""
import json
import os
import socket
import ssl
import sys
import time
import zipfile

from ..common import pgwire, tablefmt
from ..common.pgwire import PgError
from . import certs
from . import profile as profiles
from . import versions
from . import settings
from .settings import go_duration

# flag name -> takes a value
FLAGS = {
    "insecure": False, "certs-dir": True, "host": True, "port": True, "url": True, "user": True,
    "advertise-addr": True, "advertise-host": True, "listen-addr": True, "sql-addr": True, "http-addr": True,
    "join": True, "store": True, "cache": True, "max-sql-memory": True, "locality": True, "background": False,
    "format": True, "timeout": True, "execute": True, "all": False, "ranges": False, "stats": False,
    "decommission": False, "self": False, "drain-wait": True, "shutdown": False, "wait": True, "checks": True,
    "build-tag": False, "upgrade-complete": False, "brpc-addr": True, "out": True, "database": True,
    "logtostderr": True, "log": True, "log-dir": True, "pid-file": True, "cluster-name": True, "tlcp": False,
    "store-encryption": True, "advertise-sql-addr": True, "echo-sql": False, "dry-run": False,
    "ca-key": True, "key-size": True, "overwrite": False, "allow-ca-key-reuse": False, "concurrency": True,
    "verbose": False, "only-cookie": False, "expire-after": True,
}
# `gen haproxy` templates (EXACT, haproxyTemplate in pkg/cli/haproxy.go of CockroachDB >= v21 and of KWDB,
# which kept the v20.1 text); %s is the list of server lines.
HAPROXY_TEMPLATE = """
global
  maxconn 4096

defaults
    mode                tcp

    # Timeout values should be configured for your specific use.
    # See: https://cbonte.github.io/haproxy-dconv/1.8/configuration.html#4-timeout%%20connect

    # With the timeout connect 5 secs,
    # if the backend server is not responding, haproxy will make a total
    # of 3 connection attempts waiting 5s each time before giving up on the server,
    # for a total of 15 seconds.
    retries             2
    timeout connect     5s

    # timeout client and server govern the maximum amount of time of TCP inactivity.
    # The server node may idle on a TCP connection either because it takes time to
    # execute a query before the first result set record is emitted, or in case of
    # some trouble on the server. So these timeout settings should be larger than the
    # time to execute the longest (most complex, under substantial concurrent workload)
    # query, yet not too large so truly failed connections are lingering too long
    # (resources associated with failed connections should be freed reasonably promptly).
    timeout client      10m
    timeout server      10m

    # TCP keep-alive on client side. Server already enables them.
    option              clitcpka

listen psql
    bind :26257
    mode tcp
    balance roundrobin
    option httpchk GET /health?ready=1
%s
"""
KWDB_HAPROXY_TEMPLATE = """
global
  maxconn 4096

defaults
    mode                tcp
    # Timeout values should be configured for your specific use.
    # See: https://cbonte.github.io/haproxy-dconv/1.8/configuration.html#4-timeout%%20connect
    timeout connect     10s
    timeout client      1m
    timeout server      1m
    # TCP keep-alive on client side. Server already enables them.
    option              clitcpka

listen psql
    bind :26257
    mode tcp
    balance roundrobin
    option httpchk GET /health?ready=1
%s
"""
SHORT = {"e": "execute", "d": "database", "u": "user", "s": "store"}
KWDB_ONLY = ("upgrade-complete", "brpc-addr", "tlcp")


class UsageError(Exception):
    pass


class CliError(Exception):
    """Printed as ``ERROR: <message>``, ``SQLSTATE: <code>`` (not for XXUUU), ``DETAIL: ...``, ``HINT: ...``,
    then ``Failed running "<cmd>"`` (pkg/cli/clierror/formatted_error.go)."""

    def __init__(self, message, code=None, detail=None, hint=None):
        super().__init__(message)
        self.message, self.code, self.detail, self.hint = message, code, detail, hint


UNCATEGORIZED = "XXUUU"
DRAIN_TIMEOUT = ("drain timeout, consider adjusting --drain-wait, especially under custom server.shutdown "
                 "cluster settings")
DRAIN_MIN_BUFFER = 10.0  # rpc_node_shutdown.go: "Add an extra buffer of 10 seconds for the timeout."


def parse_go_duration(text, flag="drain-wait"):
    """time.ParseDuration for a flag value (10m, 1m30s, 2s, 500ms, 0) in seconds."""
    try:
        return settings.duration_seconds(text)
    except PgError:
        raise CliError('invalid argument "%s" for "--%s" flag: time: invalid duration "%s"' % (text, flag, text)) \
            from None


def parse_args(args):
    """pflag-like parsing: returns (positionals, {flag: value}); repeated --execute accumulate."""
    positionals, flags = [], {"execute": []}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            positionals.extend(args[index:])
            break
        if arg.startswith("--") or (arg.startswith("-") and len(arg) == 2 and arg[1] in SHORT):
            name, eq, value = arg.lstrip("-").partition("=")
            name = SHORT.get(name, name)
            if name not in FLAGS:
                raise UsageError("unknown flag: %s" % arg.split("=")[0])
            if FLAGS[name]:
                if not eq:
                    if index >= len(args):
                        raise UsageError("flag needs an argument: %s" % arg)
                    value = args[index]
                    index += 1
            else:
                value = (value or "true").lower() == "true"
            if name == "execute":
                flags["execute"].append(value)
            else:
                flags[name] = value
        else:
            positionals.append(arg)
    return positionals, flags


def command_name(positionals):
    """The cobra command path used in `Failed running "<name>"`."""
    if not positionals:
        return "cockroach"
    if positionals[0] in ("node", "debug", "gen", "cert", "auth-session") and len(positionals) > 1:
        return " ".join(positionals[:2])
    return positionals[0]


def main(argv, buildinfo):
    profile = profiles.Profile(buildinfo)
    args = argv[1:]
    if args in (["--version"], ["-v"]) and not profile.kwdb:
        sys.stdout.write(profile.version_text())
        return 0
    try:
        positionals, flags = parse_args(args)
    except UsageError as error:
        return _report(CliError(str(error)), command_name([a for a in args if not a.startswith("-")]))
    name = command_name(positionals)
    try:
        return Cli(profile, flags).dispatch(positionals, name)
    except CliError as error:
        return _report(error, name, bool(flags.get("verbose")))


def _report(error, name, verbose=False):
    sys.stdout.flush()
    text = "ERROR: %s\n" % error.message
    if error.code and (error.code != UNCATEGORIZED or verbose):
        text += "SQLSTATE: %s\n" % error.code
    if getattr(error, "detail", None):
        text += "DETAIL: %s\n" % error.detail
    if getattr(error, "hint", None):
        text += "HINT: %s\n" % error.hint
    sys.stderr.write(text + 'Failed running "%s"\n' % name)
    return 1


class Cli:
    def __init__(self, profile, flags):
        self.profile, self.flags = profile, flags
        for flag in KWDB_ONLY:
            if flag in flags and not profile.kwdb:
                raise CliError("unknown flag: --%s" % flag)
        if "shutdown" in flags and not profile.has_drain_shutdown():
            raise CliError("unknown flag: --shutdown")

    def dispatch(self, positionals, name):
        table = {
            "version": self.version, "start": self.start, "start-single-node": self.start,
            "start-single-replica": self.start, "init": self.init, "sql": self.sql,
            "node status": self.node_status, "node ls": self.node_ls, "node drain": self.node_drain,
            "node decommission": self.node_decommission, "node recommission": self.node_recommission,
            "node upgrade": self.node_upgrade, "debug zip": self.debug_zip, "gen haproxy": self.gen_haproxy,
            "cert create-ca": self.cert_create_ca, "cert create-node": self.cert_create_node,
            "cert create-client": self.cert_create_client, "auth-session login": self.auth_session_login,
        }
        if name == "start-single-replica" and not self.profile.kwdb:
            handler = None
        else:
            handler = table.get(name)
        if handler is None or (name == "node upgrade" and not self.profile.kwdb):
            raise CliError('unknown command "%s" for "%s"' % (name, self.profile.binary))
        return handler(positionals[len(name.split()):], name)

    # ---------------------------------------------------------------- version / start
    def version(self, _args, _name):
        if self.flags.get("build-tag") and not self.profile.kwdb:
            print(self.profile.tag)
        else:
            sys.stdout.write(self.profile.version_text())
        return 0

    def start(self, _args, name):
        from . import server
        if not self.flags.get("insecure") and not self.flags.get("certs-dir"):
            raise CliError("cannot load certificates.\nCheck your certificate settings, set --certs-dir, or use "
                           "--insecure for insecure clusters.\n\nproblem using security settings: no certificates "
                           "found; does certs dir exist?")
        opts = {key.replace("-", "_"): value for key, value in self.flags.items()}
        if not opts.get("advertise_addr") and opts.get("advertise_host"):
            opts["advertise_addr"] = opts["advertise_host"]
        return server.main(self.profile, opts, name)

    # ---------------------------------------------------------------- connections
    def _target(self):
        url = self.flags.get("url")
        if url:
            from urllib.parse import urlparse
            parsed = urlparse(url)
            return parsed.hostname or "localhost", parsed.port or 26257
        host, port = self.flags.get("host") or "localhost", None
        if host.startswith("[") or host.count(":") == 1:
            from .server import split_addr
            host, port = split_addr(host, 26257)
        return host, int(self.flags.get("port") or port or 26257)

    def _ssl_context(self):
        if self.flags.get("insecure"):
            return None
        certs = self.flags.get("certs-dir")
        if not certs:
            raise CliError("cannot load certificates.\nCheck your certificate settings, set --certs-dir, or use "
                           "--insecure for insecure clusters.\n\nproblem with CA certificate: not found")
        context = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt")) \
            if os.path.exists(os.path.join(certs, "ca.crt")) else ssl.create_default_context()
        context.check_hostname = False
        client_cert = os.path.join(certs, "client.root.crt")
        if os.path.exists(client_cert):
            context.load_cert_chain(client_cert, os.path.join(certs, "client.root.key"))
        return context

    def _dial_error(self, host, port, database, reason):
        try:
            address = socket.gethostbyname(host)
        except OSError:
            address = host
        dial = "dial tcp %s:%d: %s" % (address, port, reason)
        if self.profile.kwdb:
            detail = dial
        elif versions.parse_series(self.profile.series) >= (24, 1):
            detail = "failed to connect to `user=root database=%s`: %s:%d (%s): dial error: %s" % (
                database, host, port, host, dial)
        else:
            detail = "failed to connect to `host=%s user=root database=%s`: dial error (%s)" % (host, database, dial)
        return CliError("cannot dial server.\nIs the server running?\nIf the server is running, check --host "
                        "client-side and --advertise server-side.\n\n%s" % detail)

    def connect(self, database="system", rpc=False):
        """A pgwire connection to the target node; ``rpc`` for the admin RPCs (gRPC calls in the real CLI)."""
        host, port = self._target()
        timeout = float(os.environ.get("COCKROACH_CONNECT_TIMEOUT") or 5)
        try:
            return pgwire.PgClient(host, port, user="root", database=database, timeout=timeout,
                                   ssl_context=self._ssl_context(), rpc=rpc)
        except ConnectionRefusedError:
            raise self._dial_error(host, port, database, "connect: connection refused")
        except socket.timeout:
            raise self._dial_error(host, port, database, "i/o timeout")
        except OSError as error:
            raise self._dial_error(host, port, database, "connect: %s" % (error.strerror or error).lower())
        except PgError as error:
            raise CliError(error.message, error.code)

    def run(self, client, sql, params=None):
        try:
            return client.query(sql, params)
        except PgError as error:
            # admin RPCs are gRPC calls in the real CLI: their errors carry no SQLSTATE
            if sql.startswith("SIMRPC"):
                raise CliError(error.message)
            raise CliError(error.message, error.code, error.detail, error.hint)
        except (ConnectionError, OSError) as error:
            raise CliError("connection lost.\n\n%s" % error)

    def _format(self):
        fmt = self.flags.get("format") or ("table" if sys.stdout.isatty() else "tsv")
        if fmt not in self.profile.formats():
            raise CliError('invalid argument "%s" for "--format" flag: invalid table display format: %s '
                           "(possible values: %s)" % (fmt, fmt, ", ".join(self.profile.formats())))
        return fmt

    def _set_timeout(self, client):
        if self.flags.get("timeout"):
            self.run(client, "SET statement_timeout = '%s'" % self.flags["timeout"])

    # ---------------------------------------------------------------- init
    def init(self, _args, _name):
        client = self.connect(rpc=True)
        try:
            self.run(client, "SIMRPC INIT")
        finally:
            client.close()
        print("Cluster successfully initialized")
        return 0

    # ---------------------------------------------------------------- sql
    def sql(self, _args, _name):
        statements = []
        for text in self.flags["execute"]:
            statements.extend(pgwire.split_statements(text))
        fmt = self._format()
        client = self.connect(self.flags.get("database") or "defaultdb")
        try:
            for statement in statements:
                result = self.run(client, statement)
                if result.columns is None:
                    print(result.tag)
                    continue
                sys.stdout.write(tablefmt.render(fmt, column_names(result), display_rows(result), type_alignment(result.columns)))
        finally:
            client.close()
        return 0

    # ---------------------------------------------------------------- node status / ls
    def node_status_query(self, show_inactive):
        internal = self.profile.internal
        if self.profile.kwdb:
            available = ("CASE WHEN split_part(expiration,',',1)::decimal > now()::decimal AND not upgrading\n"
                         "                 THEN true\n                 ELSE false\n                 END AS is_available")
            mode = "\n\t\t\tstart_mode,"
            active = " WHERE decommissioning = false OR split_part(expiration,',',1)::decimal > now()::decimal"
        else:
            available = ("CASE WHEN split_part(expiration,',',1)::decimal > now()::decimal\n"
                         "                 THEN true\n                 ELSE false\n                 END AS is_available")
            mode = ""
            active = " WHERE membership = 'active' OR split_part(expiration,',',1)::decimal > now()::decimal"
        base = ("SELECT node_id AS id,\n            address,\n            sql_address,\n            build_tag AS build,\n"
                "            started_at,\n\t\t\tupdated_at,\n\t\t\tlocality,%s\n            %s,\n\t\t\tifnull(is_live, false)\n"
                "     FROM %s.gossip_liveness LEFT JOIN %s.gossip_nodes USING (node_id)"
                % (mode, available, internal, internal))
        if not show_inactive:
            base += active
        queries = [base]
        if self._show("ranges"):
            queries.append("\nSELECT node_id AS id,\n" + ",\n".join(
                "       sum((metrics->>'%s')::DECIMAL)::INT AS %s" % (key, col) for col, key in (
                    ("replicas_leaders", "replicas.leaders"), ("replicas_leaseholders", "replicas.leaseholders"),
                    ("ranges", "replicas"), ("ranges_unavailable", "ranges.unavailable"),
                    ("ranges_underreplicated", "ranges.underreplicated")))
                + "\nFROM %s.kv_store_status\nGROUP BY node_id" % internal)
        if self._show("stats"):
            keys = {"live_bytes": "livebytes", "key_bytes": "keybytes", "value_bytes": "valbytes",
                    "range_key_bytes": "rangekeybytes", "range_value_bytes": "rangevalbytes",
                    "intent_bytes": "intentbytes", "system_bytes": "sysbytes"}
            items = []
            for col in self.profile.stats_columns():
                if col.startswith("range_"):
                    items.append("       sum(coalesce((metrics->>'%s')::DECIMAL, 0))::INT AS %s" % (keys[col], col))
                else:
                    items.append("       sum((metrics->>'%s')::DECIMAL)::INT AS %s" % (keys[col], col))
            queries.append("\nSELECT node_id AS id,\n" + ",\n".join(items)
                           + "\nFROM %s.kv_store_status\nGROUP BY node_id" % internal)
        if self._show("decommission"):
            decom = ("       decommissioning AS is_decommissioning,\n" if self.profile.kwdb else
                     "       membership != 'active' as is_decommissioning,\n       membership AS membership,\n")
            queries.append("\nSELECT node_id AS id,\n       ranges AS gossiped_replicas,\n" + decom
                           + "       draining AS is_draining\nFROM %s.gossip_liveness LEFT JOIN %s.gossip_nodes "
                             "USING (node_id)" % (internal, internal))
        joined = queries[0]
        for query in queries[1:]:
            joined = "(" + joined + ") LEFT JOIN (" + query + ") USING (id)"
        return "SELECT * FROM (" + joined + ")"

    def _show(self, section):
        return bool(self.flags.get("all") or self.flags.get(section))

    def node_status(self, args, _name):
        if len(args) > 1:
            raise CliError("expected no arguments or a single node ID")
        fmt = self._format()
        query = self.node_status_query(self._show("decommission"))
        params = None
        if args:
            try:
                params = [int(args[0])]
            except ValueError:
                raise CliError("could not parse node_id %s" % args[0])
            query += " WHERE id = $1"
        else:
            query += " ORDER BY id"
        client = self.connect()
        try:
            self._set_timeout(client)
            result = self.run(client, query, params)
        finally:
            client.close()
        if args and not result.rows:
            raise CliError("node %d doesn't exist" % params[0])
        headers = self.profile.base_columns()
        align = "rlllll"
        if self._show("ranges"):
            headers, align = headers + self.profile.ranges_columns(), align + "rrrrrr"
        if self._show("stats"):
            headers, align = headers + self.profile.stats_columns(), align + "rrrrrr"
        if self._show("decommission"):
            headers = headers + self.profile.decommission_columns()
            align += self.profile.decommission_alignment()
        sys.stdout.write(tablefmt.render(fmt, headers, display_rows(result), align))
        return 0

    def node_ls(self, _args, _name):
        fmt = self._format()
        client = self.connect()
        try:
            self._set_timeout(client)
            if self.profile.kwdb:
                where = "decommissioning = false"
            else:
                where = "membership = 'active'"
            result = self.run(client, "SELECT node_id FROM %s.gossip_liveness\n               WHERE %s OR "
                                      "split_part(expiration,',',1)::decimal > now()::decimal"
                              % (self.profile.internal, where))
        finally:
            client.close()
        sys.stdout.write(tablefmt.render(fmt, ["id"], [[r[0]] for r in result.rows], "r"))
        return 0

    # ---------------------------------------------------------------- auth-session
    def auth_session_login(self, args, _name):
        """pkg/cli/auth.go runLogin: a web session for the user; the cookie alone with --only-cookie, else a
        `username | session ID | authentication cookie` table (and an example on a terminal)."""
        if len(args) != 1:
            raise CliError("accepts 1 arg(s), received %d" % len(args))
        validity = parse_go_duration(self.flags.get("expire-after") or "1h", "expire-after")
        client = self.connect()
        try:
            session_id, cookie = self.run(client, "SIMRPC LOGIN %s %s" % (args[0], validity)).rows[0]
        finally:
            client.close()
        if self.flags.get("only-cookie"):
            print(cookie)
            return 0
        sys.stdout.write(tablefmt.render(self._format(), ["username", "session ID", "authentication cookie"],
                                         [[args[0].lower(), str(session_id), cookie]], "ll"))
        if sys.stdin.isatty():
            sys.stderr.write("#\n# Example uses:\n#\n#     curl [-k] --cookie '%s' https://...\n#\n"
                             "#     wget [--no-check-certificate] --header='Cookie: %s' https://...\n#\n"
                             % (cookie, cookie))
        return 0

    # ---------------------------------------------------------------- drain
    def node_drain(self, args, _name):
        """pkg/cli/rpc_node_shutdown.go doDrain: drain requests until one reports no work left, every 200 ms,
        within --drain-wait (default 10m, 0 = no limit), which is first raised to what the shutdown settings
        need (10 s + drain_wait + connection_wait + 2 x query_wait + lease_transfer_wait [+ jobs_wait])."""
        if self.profile.kwdb and args:
            raise CliError('unknown command "%s" for "kwbase node drain"' % args[0])
        if not self.flags.get("self") and not args:
            if not self.profile.kwdb:
                sys.stderr.write("warning: draining a node without node ID or passing --self explicitly is "
                                 "deprecated.\n")
        if self.flags.get("self") and args:
            raise CliError("cannot use --self with an explicit node ID")
        wait = parse_go_duration(self.flags.get("drain-wait") or "10m")
        target = args[0] if args else "local"
        client = self.connect(rpc=True)
        try:
            if wait and not self.profile.kwdb:
                wait = self._drain_wait_for_settings(client, wait)
            deadline = time.monotonic() + wait if wait else None
            rpc = "SIMRPC DRAIN %s%s" % (target, " shutdown" if self.flags.get("shutdown") else "")
            while True:
                sys.stderr.write("node is draining... ")
                sys.stderr.flush()
                try:
                    result = self._call_before(client, rpc, deadline)
                except CliError:
                    sys.stderr.write("\n")  # finish the line started above
                    sys.stderr.flush()
                    raise
                remaining = int(result.rows[0][0])
                sys.stderr.write("remaining: %d%s\n" % (remaining, " (complete)" if remaining == 0 else ""))
                sys.stderr.flush()
                if remaining == 0:
                    break
                time.sleep(0.2)
        finally:
            client.close()
        print(self.profile.drain_ok_text())
        if self.flags.get("shutdown"):
            print("shutdown ok")
        return 0

    def _drain_wait_for_settings(self, client, wait):
        """The --drain-wait the drain runs with: raised (with a warning) to what the shutdown settings need."""
        names = ["server.shutdown.drain_wait", "server.shutdown.connection_wait", "server.shutdown.query_wait",
                 "server.shutdown.lease_transfer_wait"]
        jobs = versions.parse_series(self.profile.series) >= (24, 1)
        if jobs:
            names.append("server.shutdown.jobs_wait")
        try:
            client.sock.settimeout(5.0)
            rows = self.run(client, "SIMRPC SETTINGS " + " ".join(names)).rows
            client.sock.settimeout(None)
        except CliError as error:
            sys.stderr.write("warning: could not check drain related cluster settings: %s\n" % error.message)
            return wait
        needed = DRAIN_MIN_BUFFER
        for name, value in rows:
            seconds = parse_go_duration(value)
            needed += 2 * seconds if name == "server.shutdown.query_wait" else seconds
        if needed > wait:
            listed = "{drain,query,jobs,connection,lease_transfer}" if jobs else "{drain,query,connection,lease_transfer}"
            sys.stderr.write("warning: --drain-wait is %s, but the server.shutdown.%s_wait cluster settings require "
                             "a value of at least %s; using the larger value\n"
                             % (go_duration(wait), listed, go_duration(needed)))
            return needed
        return wait

    def _call_before(self, client, sql, deadline):
        """One admin RPC that must answer before ``deadline`` (monotonic; None: no limit)."""
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CliError(DRAIN_TIMEOUT)
            client.sock.settimeout(left)
        try:
            return self.run(client, sql)
        except CliError as error:
            if deadline is not None and time.monotonic() >= deadline:
                raise CliError(DRAIN_TIMEOUT) from None
            raise error
        finally:
            try:
                client.sock.settimeout(None)
            except OSError:
                pass

    # ---------------------------------------------------------------- decommission / recommission / upgrade
    def _ids(self, args):
        try:
            return [int(a) for a in args]
        except ValueError as error:
            raise CliError("unable to parse %s" % str(error).split()[-1].strip("'"))

    def _decommission_rpc(self, client, membership, ids):
        return self.run(client, "SIMRPC DECOMMISSION %s %s" % (membership, " ".join(str(i) for i in ids)))

    def _print_decommission(self, result, checks):
        cols = column_names(result)
        rows = display_rows(result)
        if self.profile.kwdb:
            cols, rows = cols[:4] + cols[5:], [r[:4] + r[5:] for r in rows]
        align = "rcrcc" if self.profile.kwdb else "rcrccc"
        if checks:
            cols, rows, align = cols + ["readiness", "blocking_ranges"], [r + ["ready", "0"] for r in rows], align + "cr"
        sys.stdout.write(tablefmt.render(self._format(), cols, rows, align))

    def node_decommission(self, args, _name):
        ids = self._ids(args)
        if not ids:
            raise CliError("no node ID specified")
        checks = (not self.profile.kwdb and versions.parse_series(self.profile.series) >= (23, 1)
                  and self.flags.get("checks", "enabled") != "skip")
        client = self.connect(rpc=True)
        try:
            previous = None
            while True:
                result = self._decommission_rpc(client, "decommissioning", ids)
                if result.rows != previous:
                    sys.stderr.write("\n")
                    self._print_decommission(result, checks)
                    previous = result.rows
                else:
                    sys.stderr.write(".")
                if self.flags.get("wait") == "none":
                    return 0
                if sum(int(r[2]) for r in result.rows) == 0:
                    break
                time.sleep(0.5)
            self._decommission_rpc(client, "decommissioned", ids)
        finally:
            client.close()
        print("\nNo more data reported on target nodes. Please verify cluster health before removing the nodes.")
        return 0

    def node_recommission(self, args, _name):
        ids = self._ids(args)
        if not ids:
            raise CliError("no node ID specified; use --self to target the node specified with --host")
        client = self.connect(rpc=True)
        try:
            result = self._decommission_rpc(client, "active", ids)
        finally:
            client.close()
        self._print_decommission(result, False)
        return 0

    def node_upgrade(self, args, _name):
        ids = self._ids(args)
        client = self.connect(rpc=True)
        try:
            info = json.loads(self.run(client, "SIMRPC NODES").rows[0][0])
            if info["start_mode"] != "start":
                raise CliError("Upgrade ternimated. Hint: upgrading is forbidden in the current start mode.")
            for node_id in ids:
                status = info["liveness"].get(str(node_id))
                if status is None:
                    message = "Upgrade ternimated. Hint: cannot find status of node %d" % node_id
                elif status not in ("LIVE", "DEAD", "DECOMMISSIONED"):
                    message = ("Upgrade ternimated. Hint: node %d is not eligible to upgrade, check the node "
                               "status and upgrader later." % node_id)
                else:
                    continue
                print(message)
                raise CliError(message)
            self.run(client, "SIMRPC UPGRADE %s" % " ".join(str(i) for i in ids))
        finally:
            client.close()
        return 0

    # ---------------------------------------------------------------- debug zip / gen haproxy
    def debug_zip(self, args, _name):
        """pkg/cli/zip.go: progress on stdout (zipReporter; one line per step with --concurrency=1, one line per
        event otherwise), the debug/ tree in the zip, exit 0 even when single items fail (they become .err.txt)."""
        if len(args) != 1:
            raise CliError("accepts 1 arg(s), received %d" % len(args))
        concurrency = int(self.flags.get("concurrency") or 15)
        report = ZipReporter(flowing=concurrency == 1)
        legacy = self.profile.kwdb or versions.parse_series(self.profile.series) < (23, 2)  # the older shape
        host, port = self._target()
        output = args[0]
        if not legacy:
            report.step("[cluster]", "discovering virtual clusters")
            self._zip_create(report, output)
        report.info("[cluster]", "establishing RPC connection to %s:%d..." % (host, port))
        client = self.connect(rpc=True)
        try:
            st = json.loads(self.run(client, "SIMRPC DUMP").rows[0][0])
        finally:
            client.close()
        if legacy:
            report.step("[cluster]", "retrieving the node status to get the SQL address")
        report.info("[cluster]", "using SQL address: %s:%d" % (host, port))
        if legacy:
            self._zip_create(report, output)
        files = {}
        as_json = (lambda path: ["converting to JSON", "writing binary output: %s" % path]) if legacy else \
            (lambda path: ["writing JSON output: %s" % path])
        nodes = [st["nodes"][key] for key in sorted(st.get("nodes", {}), key=int)]
        cluster_items = [("debug/events", {"events": []}), ("debug/rangelog", {"events": []}),
                         ("debug/settings", {"key_values": st.get("settings", {})}),
                         ("debug/reports/problemranges", {"problems_by_node_id": {}})]
        for name, content in cluster_items:
            files[name + ".json"] = json.dumps(content, indent=2)
            report.step("[cluster]", "requesting data for %s" % name, "received response", *as_json(name + ".json"))
        jobs_tsv = self._jobs_tsv(st)
        for table in ("crdb_internal.jobs", "system.jobs", "crdb_internal.cluster_settings"):
            path = "debug/%s.txt" % table
            files[path] = jobs_tsv if table.endswith("jobs") else "".join(
                "%s\t%s\n" % item for item in sorted(st.get("settings", {}).items()))
            report.step("[cluster]", "retrieving SQL data for %s" % table, "writing output: %s" % path)
        files["debug/nodes.json"] = json.dumps({"nodes": nodes}, indent=2)
        report.step("[cluster]", "requesting nodes", "received response", *as_json("debug/nodes.json"))
        liveness = {str(n["node_id"]): "LIVE" if n.get("expiration", 0) > time.time() else "DEAD" for n in nodes}
        files["debug/liveness.json"] = json.dumps({"statuses": liveness}, indent=2)
        report.step("[cluster]", "requesting liveness", "received response", *as_json("debug/liveness.json"))
        if not legacy:
            report.step("[cluster]", "requesting tenant ranges", "received response")
            report.info("[cluster]", "requesting CPU profiles")
            report.info("[cluster]", "profiles generated")
            for record in nodes:
                if liveness[str(record["node_id"])] == "LIVE":
                    path = "debug/nodes/%d/cpu.pprof" % record["node_id"]
                    files[path] = ""
                    report.step("[cluster]", "profile for node %d" % record["node_id"], "writing binary output: " + path)
        for record in nodes:
            self._zip_node(report, record, liveness[str(record["node_id"])] == "LIVE", st, files, legacy, as_json)
        for name, path in (("pprof summary script", "debug/pprof-summary.sh"),
                           ("hot range summary script", "debug/hot-ranges.sh"),
                           ("tenant hot range summary script", "debug/hot-ranges-tenant.sh")):
            if legacy and "tenant" in name:
                continue
            files[path] = "#!/bin/sh\n"
            report.step("[cluster]", name, "writing binary output: %s" % path)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, content in files.items():
                archive.writestr(path, content)
        return 0

    def _zip_create(self, report, output):
        try:
            with open(output, "wb"):
                pass
        except OSError as error:
            report.step("[cluster]", "creating output file %s" % output, error="open %s: %s"
                        % (output, (error.strerror or str(error)).lower()))
            raise CliError("open %s: %s" % (output, (error.strerror or str(error)).lower()))
        report.step("[cluster]", "creating output file %s" % output)

    def _jobs_tsv(self, st):
        names = ("job_id", "job_type", "description", "status", "user_name")
        rows = [["NULL" if job.get(name) is None else str(job.get(name)) for name in names] for job in st.get("jobs", [])]
        return tablefmt.render("tsv", ["id"] + list(names[1:]), rows)

    def _zip_node(self, report, record, live, st, files, legacy, as_json):
        node_id = record["node_id"]
        prefix = "[node %d]" % node_id
        base = "debug/nodes/%d" % node_id
        files[base + "/status.json"] = json.dumps(record, indent=2)
        report.step(prefix, "node status", *as_json(base + "/status.json"))
        scheme = "sslmode=disable" if self.flags.get("insecure") else "sslmode=verify-full"
        report.info(prefix, "using SQL connection URL: postgresql://root@%s/system?%s"
                    % (record.get("sql_address") or record["address"], scheme))
        if not live:
            error = ("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: "
                     "dial tcp %s: connect: connection refused\"" % record["address"])
            files[base + "/crdb_internal.gossip_nodes.txt.err.txt"] = error + "\n"
            report.step(prefix, "retrieving SQL data for crdb_internal.gossip_nodes",
                        "writing output: %s/crdb_internal.gossip_nodes.txt" % base, error=error,
                        error_file=base + "/crdb_internal.gossip_nodes.txt.err.txt")
            files[base + "/details.json.err.txt"] = error + "\n"
            report.step(prefix, "requesting data for %s/details" % base, error=error,
                        error_file=base + "/details.json.err.txt")
            return
        files[base + "/crdb_internal.gossip_nodes.txt"] = ""
        report.step(prefix, "retrieving SQL data for crdb_internal.gossip_nodes",
                    "writing output: %s/crdb_internal.gossip_nodes.txt" % base)
        files[base + "/details.json"] = json.dumps({"node_id": node_id, "address": record["address"],
                                                    "build_info": {"tag": record["build_tag"]}}, indent=2)
        report.step(prefix, "requesting data for %s/details" % base, "received response", *as_json(base + "/details.json"))
        for name, path in (("stacks", "stacks.txt"), ("heap profile", "heap.pprof")):
            files["%s/%s" % (base, path)] = ""
            report.step(prefix, "requesting %s" % name, "received response", "writing binary output: %s/%s" % (base, path))
        for listing, found in (("heap file list", "heap profiles"), ("goroutine dump list", "goroutine dumps"),
                               ("log files list", "log files")):
            report.step(prefix, "requesting %s" % listing, "received response")
            report.info(prefix, "0 %s found" % found)
        mine = [index + 1 for index, replicas in enumerate(st.get("ranges", [])) if node_id in replicas]
        report.step(prefix, "requesting ranges", "received response")
        if legacy:
            report.info(prefix, "%d ranges found" % len(mine))
            for range_id in mine:
                path = "%s/ranges/%d.json" % (base, range_id)
                files[path] = json.dumps({"range_id": range_id}, indent=2)
                report.step(prefix, "writing range %d" % range_id, *as_json(path))
        else:
            files[base + "/ranges.json"] = json.dumps({"ranges": [{"range_id": r} for r in mine]}, indent=2)
            report.step(prefix, "writing ranges", *as_json(base + "/ranges.json"))

    def gen_haproxy(self, args, _name):
        """pkg/cli/haproxy.go: one `server` line per node that is not decommissioned, by node id, with the
        node's advertised RPC address and the port of its --http-addr as the check port."""
        if args:
            raise CliError('unknown command "%s" for "%s gen haproxy"' % (args[0], self.profile.binary))
        client = self.connect(rpc=True)
        try:
            liveness = json.loads(self.run(client, "SIMRPC NODES").rows[0][0])["liveness"]
            records = json.loads(self.run(client, "SIMRPC DUMP").rows[0][0]).get("nodes", {})
        finally:
            client.close()
        servers = []
        for node_id in sorted(records, key=int):
            status = liveness.get(node_id)
            if status == "DECOMMISSIONING":
                sys.stderr.write("warning: node %s status is %s, excluding from haproxy configuration\n"
                                 % (node_id, status))
            if status in ("DECOMMISSIONING", "DECOMMISSIONED"):
                continue
            check_port = records[node_id]["http_address"].rpartition(":")[2] or "8080"
            servers.append("    server %s%s %s check port %s\n"
                           % (self.profile.binary, node_id, records[node_id]["address"], check_port))
        text = (KWDB_HAPROXY_TEMPLATE if self.profile.kwdb else HAPROXY_TEMPLATE) % "".join(servers)
        out = self.flags.get("out") or "haproxy.cfg"
        if out == "-":
            sys.stdout.write(text)
            return 0
        with open(os.open(out, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644), "w") as written:
            written.write(text)
        return 0

    # ---------------------------------------------------------------- cert
    def _cert_options(self):
        return {"key_size": int(self.flags.get("key-size") or certs.DEFAULT_KEY_SIZE),
                "overwrite": bool(self.flags.get("overwrite"))}

    def _certs(self, failure, create, *args, **options):
        try:
            create(self.flags.get("certs-dir") or "", self.flags.get("ca-key") or "", *args,
                   **dict(self._cert_options(), **options))
        except certs.CertError as error:
            raise CliError("%s: %s" % (failure, error)) from None
        return 0

    def cert_create_ca(self, args, name):
        if args:
            raise CliError('unknown command "%s" for "%s %s"' % (args[0], self.profile.binary, name))
        return self._certs("failed to generate CA cert and key", certs.create_ca,
                           allow_key_reuse=bool(self.flags.get("allow-ca-key-reuse")))

    def cert_create_node(self, args, _name):
        if not args:
            raise CliError("create-node requires at least one host name or address, none was specified")
        return self._certs("failed to generate node certificate and key", certs.create_node, args)

    def cert_create_client(self, args, _name):
        if len(args) != 1:
            raise CliError("accepts 1 arg(s), received %d" % len(args))
        return self._certs("failed to generate client certificate and key", certs.create_client, args[0])


class ZipReporter:
    """zipReporter (pkg/cli/zip_helpers.go) on stdout. Flowing (--concurrency=1): `[prefix] step... progress...
    done` on one line; otherwise each event on its own line (`[prefix] step...`, `[prefix] step: progress...`,
    `[prefix] step: done`). A failed step: `[prefix] step: last request failed: <err>`, then the error file."""

    def __init__(self, flowing):
        self.flowing = flowing

    @staticmethod
    def _out(text):
        sys.stdout.write(text)
        sys.stdout.flush()

    def info(self, prefix, message):
        self._out("%s %s\n" % (prefix, message))

    def step(self, prefix, name, *progress, error=None, error_file=None):
        if self.flowing:
            line = "%s %s..." % (prefix, name) + "".join(" %s..." % item for item in progress)
            if error is None:
                self._out(line + " done\n")
                return
            self._out(line + "\n")
        else:
            self._out("%s %s...\n" % (prefix, name))
            for item in progress:
                self._out("%s %s: %s...\n" % (prefix, name, item))
            if error is None:
                self._out("%s %s: done\n" % (prefix, name))
                return
        self._out("%s %s: last request failed: %s\n" % (prefix, name, error))
        if error_file:
            if self.flowing:
                self._out("%s %s: creating error output: %s... done\n" % (prefix, name, error_file))
            else:
                self._out("%s %s: creating error output: %s...\n%s %s: done\n" % (prefix, name, error_file, prefix, name))


def display_value(value, oid):
    """clisqlexec FormatVal over the text protocol: NULL, booleans spelled out."""
    if value is None:
        return "NULL"
    if oid == pgwire.OID_BOOL:
        return "true" if value == "t" else "false"
    return value


def column_names(result):
    return [name for name, _oid in result.columns]


def display_rows(result):
    return [[display_value(value, oid) for value, (_name, oid) in zip(row, result.columns)] for row in result.rows]


def type_alignment(columns):
    """rowIter.Align: strings left, numbers right, booleans centered."""
    align = {pgwire.OID_INT8: "r", pgwire.OID_FLOAT8: "r", pgwire.OID_NUMERIC: "r", pgwire.OID_TEXT: "l",
             pgwire.OID_BOOL: "c"}
    return "".join(align.get(oid, "d") for _name, oid in columns)
