"""HAProxy in front of a lab cluster, configured the way CockroachDB documents it (`cockroach gen haproxy`).

    configure_haproxy(cluster, cluster.nodes)       # writes /etc/haproxy/haproxy.cfg on cluster.lb, starts haproxy
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
DEFAULT_INTER_MS = 2000
DEFAULT_FALL = 3
DEFAULT_RISE = 2

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
    if cluster.lb is None:
        raise LabError("cluster %s has no lb host (start it with lb=True)" % cluster.name)
    backend_hosts = list(backend_hosts)
    if not backend_hosts:
        raise LabError("configure_haproxy needs at least one backend host")
    text = render_config(generated_config(backend_hosts[0], sql_port, security, binary), backend_hosts, sql_port,
                         http_port, inter_ms, fall, rise)
    lb = cluster.lb
    lb.write_file(HAPROXY_CFG, text)
    checked = lb.exec(["haproxy", "-c", "-f", HAPROXY_CFG], check=False)
    if checked.returncode != 0:
        raise LabError("haproxy rejects the generated configuration: %s\n%s" % (checked.stderr.strip(), text))
    lb.systemctl("enable", "haproxy")
    lb.systemctl("restart", "haproxy")
    wait_listening(lb.ip, sql_port, timeout)
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
            if row["pxname"] == LISTEN_SECTION and row["svname"] not in ("FRONTEND", "BACKEND")}


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
