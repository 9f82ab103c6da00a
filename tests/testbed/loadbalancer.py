"""HAProxy in front of a lab cluster, configured the way CockroachDB documents it (`cockroach gen haproxy`), or in
front of Databend's query nodes.

    configure_haproxy(cluster, cluster.nodes)       # writes /etc/haproxy/haproxy.cfg on cluster.lb, starts haproxy
    configure_databend_haproxy(cluster, query_hosts)  # the same for Databend's HTTP handler (see below)
    backend_states(cluster)                         # {"node1": "UP", "node2": "DOWN", ...} from the stats socket

The configuration is the output of `cockroach gen haproxy` run on a node, with its `server` lines replaced by
the requested backends; each keeps `check port <http>` (checks `GET /health?ready=1`) and spells out HAProxy's
default check timing (`inter 2000 fall 3 rise 2`) so the drain arithmetic below is visible. The only addition
is an admin stats socket, so tests can see what the LB thinks of each backend. The host image already carries
the systemd drop-in Debian's haproxy unit needs in the lab's containers (tests/testbed/image/customize.sh).

Drain timing (anchors.md section 5): a draining node answers 503 on /health?ready=1 at once, but HAProxy only
marks it DOWN after `fall` failed checks `inter` apart. Until then it keeps sending new connections there, so
the node must keep accepting them that long: `server.shutdown.initial_wait` (alias `drain_wait`) has to be at
least inter x (fall + 1), 8 s with the defaults (`min_drain_wait()`).

Databend (`configure_databend_haproxy`): Databend ships no haproxy config, so ours is written here: `mode http` on
:8000 balancing the query nodes' HTTP handler, `option httpchk GET /v1/health` against the admin API (`check port
8080`), same check timing. A stopping query node closes its listeners first (flow-surfaces-databend 4.1) and has no
drain phase that would keep it accepting until haproxy marks it DOWN, so haproxy itself retries what failed there:
`retry-on conn-failure empty-response response-timeout` (a refused connection, a connection closed without an
answer, no answer in time) with `retries 3`, the last try redispatched to another server (`option redispatch`).
HAProxy 2.6 of the host image has all of these (L7 retries since 2.0).

Standard library only.
"""
import csv
import io
import socket
import time

from .hostlab import LabError, _poll

HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"
STATS_SOCKET = "/run/haproxy-admin.sock"
GEN_OUTPUT = "/tmp/haproxy-gen.cfg"
COCKROACH_BINARY = "/usr/local/bin/cockroach"
LISTEN_SECTION = "psql"
DATABEND_SECTION = "databend"
DATABEND_HTTP_PORT = 8000
DATABEND_ADMIN_PORT = 8080
DEFAULT_INTER_MS = 2000
DEFAULT_FALL = 3
DEFAULT_RISE = 2

DATABEND_CONFIG = """global
  maxconn 4096
  stats socket {socket} mode 600 level admin

defaults
    mode                http
    timeout connect     5s
    timeout client      1m
    timeout server      1m
    retries             3
    option              redispatch
    retry-on            conn-failure empty-response response-timeout

listen {section}
    bind :{port}
    balance roundrobin
    option httpchk GET /v1/health
{servers}"""

# Reads HAProxy's CSV `show stat` from the admin socket on the lb host (python3 is in the host image).
_SHOW_STAT = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.connect(sys.argv[1])\n"
    "s.sendall(b'show stat\\n')\n"
    "out = b''\n"
    "while True:\n"
    "    chunk = s.recv(65536)\n"
    "    if not chunk:\n"
    "        break\n"
    "    out += chunk\n"
    "sys.stdout.write(out.decode())\n"
)


def min_drain_wait(inter_ms=DEFAULT_INTER_MS, fall=DEFAULT_FALL):
    """Seconds a drain must keep accepting connections before HAProxy stops routing to the node."""
    return inter_ms * (fall + 1) / 1000.0


def generated_config(node, sql_port=26257, security=("--insecure",), binary=COCKROACH_BINARY):
    """The text `cockroach gen haproxy` writes when run on ``node`` (a lab Host running cockroach);
    ``security``: the client flags of the cluster (``--certs-dir=...`` on a secure one); ``binary``: the CLI
    (KWDB's kwbase has the same command)."""
    address = "--host=%s:%d" % (node.hostname, sql_port)
    node.exec([binary, "gen", "haproxy"] + list(security) + [address, "--out=%s" % GEN_OUTPUT])
    return node.read_file(GEN_OUTPUT)


def server_line(host, sql_port, http_port, inter_ms, fall, rise):
    return "    server %s %s:%d check port %d inter %d fall %d rise %d\n" % (
        host.hostname, host.hostname, sql_port, http_port, inter_ms, fall, rise)


def render_config(generated, backend_hosts, sql_port=26257, http_port=8080, inter_ms=DEFAULT_INTER_MS,
                  fall=DEFAULT_FALL, rise=DEFAULT_RISE):
    """``generated`` with its server lines replaced by ``backend_hosts`` and the stats socket added to global."""
    lines = generated.splitlines(True)
    if not any(line.strip() == "global" for line in lines) or not any(line.startswith("listen ") for line in lines):
        raise LabError("unexpected `cockroach gen haproxy` output (no global or listen section):\n%s" % generated)
    servers = [server_line(host, sql_port, http_port, inter_ms, fall, rise) for host in backend_hosts]
    out = []
    for line in lines:
        if line.strip().startswith("server "):
            out.extend(servers)
            servers = []
            continue
        out.append(line)
        if line.strip() == "global":
            out.append("  stats socket %s mode 600 level admin\n" % STATS_SOCKET)
    if servers:
        raise LabError("`cockroach gen haproxy` output has no server line to replace:\n%s" % generated)
    if "option httpchk GET /health?ready=1" not in generated:
        raise LabError("`cockroach gen haproxy` output lacks the readiness check:\n%s" % generated)
    return "".join(out).replace("bind :26257", "bind :%d" % sql_port)


def configure_haproxy(cluster, backend_hosts, sql_port=26257, http_port=8080, inter_ms=DEFAULT_INTER_MS,
                      fall=DEFAULT_FALL, rise=DEFAULT_RISE, timeout=30, security=("--insecure",),
                      binary=COCKROACH_BINARY):
    """Write the config on cluster.lb, enable and (re)start haproxy, wait until every backend passed a check.

    Returns the configuration text. The first node of ``backend_hosts`` runs `cockroach gen haproxy`.
    """
    backend_hosts = _checked_backends(cluster, backend_hosts)
    text = render_config(generated_config(backend_hosts[0], sql_port, security, binary), backend_hosts, sql_port,
                         http_port, inter_ms, fall, rise)
    return start_haproxy(cluster, text, sql_port, backend_hosts, timeout)


def render_databend_config(query_hosts, http_port=DATABEND_HTTP_PORT, admin_port=DATABEND_ADMIN_PORT,
                           inter_ms=DEFAULT_INTER_MS, fall=DEFAULT_FALL, rise=DEFAULT_RISE):
    """The haproxy.cfg balancing Databend's HTTP handler over ``query_hosts``."""
    servers = "".join(server_line(host, http_port, admin_port, inter_ms, fall, rise) for host in query_hosts)
    return DATABEND_CONFIG.format(socket=STATS_SOCKET, section=DATABEND_SECTION, port=http_port, servers=servers)


def configure_databend_haproxy(cluster, query_hosts, http_port=DATABEND_HTTP_PORT, admin_port=DATABEND_ADMIN_PORT,
                               inter_ms=DEFAULT_INTER_MS, fall=DEFAULT_FALL, rise=DEFAULT_RISE, timeout=30):
    """haproxy on cluster.lb in front of Databend's query nodes; returns the configuration text."""
    query_hosts = _checked_backends(cluster, query_hosts)
    text = render_databend_config(query_hosts, http_port, admin_port, inter_ms, fall, rise)
    return start_haproxy(cluster, text, http_port, query_hosts, timeout)


def _checked_backends(cluster, backend_hosts):
    if cluster.lb is None:
        raise LabError("cluster %s has no lb host (start it with lb=True)" % cluster.name)
    backend_hosts = list(backend_hosts)
    if not backend_hosts:
        raise LabError("haproxy needs at least one backend host")
    return backend_hosts


def start_haproxy(cluster, text, port, backend_hosts, timeout=30):
    """Write ``text`` as haproxy.cfg on cluster.lb, check it, (re)start haproxy, wait for ``port`` and every backend
    UP; returns ``text``."""
    lb = cluster.lb
    lb.write_file(HAPROXY_CFG, text)
    checked = lb.exec(["haproxy", "-c", "-f", HAPROXY_CFG], check=False)
    if checked.returncode != 0:
        raise LabError("haproxy rejects the configuration: %s\n%s" % (checked.stderr.strip(), text))
    lb.systemctl("enable", "haproxy")
    lb.systemctl("restart", "haproxy")
    wait_listening(lb.ip, port, timeout)
    wait_backends(cluster, {host.hostname: "UP" for host in backend_hosts}, timeout)
    return text


def wait_listening(ip, port, timeout=30):
    def accepts():
        try:
            with socket.create_connection((ip, port), timeout=1):
                return True, "accepted"
        except OSError as error:
            return False, str(error)
    return _poll("haproxy to accept on %s:%d" % (ip, port), accepts, timeout)


def server_stats(cluster):
    """`show stat` rows of the backend servers of the listen section: {server name: row dict}."""
    output = cluster.lb.exec(["python3", "-c", _SHOW_STAT, STATS_SOCKET], timeout=10).stdout
    rows = csv.DictReader(io.StringIO(output.lstrip("# ")))
    return {row["svname"]: row for row in rows
            if row["pxname"] in (LISTEN_SECTION, DATABEND_SECTION) and row["svname"] not in ("FRONTEND", "BACKEND")}


def backend_states(cluster):
    """{server name: status} as HAProxy sees it; "UP" only once a check has passed (not the initial assumption)."""
    states = {}
    for name, row in server_stats(cluster).items():
        status = row["status"].split()[0]
        if status == "UP" and not row["check_status"].startswith("L7OK"):
            status = "UP (unchecked)"
        states[name] = status
    return states


def wait_backends(cluster, expected, timeout=30, interval=0.2):
    """Wait until each named backend has the expected status ("UP"/"DOWN"); returns all states."""
    def matches():
        states = backend_states(cluster)
        return all(states.get(name) == status for name, status in expected.items()), states
    return _poll("haproxy backends %s" % expected, matches, timeout, interval)


def wait_backend(cluster, hostname, status, timeout=30):
    """Wait until HAProxy reports ``hostname`` with ``status``; returns the seconds waited."""
    started = time.monotonic()
    wait_backends(cluster, {hostname: status}, timeout)
    return time.monotonic() - started
