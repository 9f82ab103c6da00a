"""Install and run simulated database releases on lab hosts, the way an operator installs the real ones.

CockroachDB follows the vendor's deployment docs: the release tarball is copied to each host and
unpacked, its binary installed as /usr/local/bin/cockroach, a `cockroach` user owns /var/lib/cockroach,
and the documented `insecurecockroachdb.service` unit (Type=notify) runs it; `cockroach init` on the
first node initializes the cluster. The standalone topology is one node whose unit runs
`cockroach start-single-node` (the same unit and flags, without --join; it initializes itself).
"""
import json
import os
import shutil
import sys
import tempfile
import time

TESTBED_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTBED_DIR not in sys.path:
    sys.path.insert(0, TESTBED_DIR)  # the simulator is the top-level package `sim` (as inside its zipapp)

from sim import releases  # noqa: E402  pylint: disable=wrong-import-position

COCKROACH_BINARY = "/usr/local/bin/cockroach"
COCKROACH_UNIT = "insecurecockroachdb"
SECURE_COCKROACH_UNIT = "securecockroachdb"
CERTS_DIR = "/var/lib/cockroach/certs"
CA_DIR = "/root/cockroach-ca"
SIM_CONFIG_PATH = "/etc/testbed/sim.json"
SHARED_DIR = "/testbed/shared"

UNIT = """[Unit]
Description=Cockroach Database cluster node
Requires=network.target
[Service]
Type=notify
WorkingDirectory=/var/lib/cockroach
ExecStart=/usr/local/bin/cockroach {command} {security} --advertise-addr={advertise}{join} --cache=.25 --max-sql-memory=.25
TimeoutStopSec=300
Restart=always
RestartSec=10
StandardOutput=syslog
StandardError=syslog
SyslogIdentifier=cockroach
User=cockroach
[Install]
WantedBy=default.target
"""


MULTI_REPLICA = "multi_replica"
STANDALONE = "standalone"
TOPOLOGIES = (MULTI_REPLICA, STANDALONE)


class ProvisionError(Exception):
    """A host could not be brought to the requested state."""


def release_dir(lab):
    path = os.path.join(lab.work_dir, "releases")
    os.makedirs(path, exist_ok=True)
    return path


def cached_tarball(lab, version):
    """The release tarball of ``version`` from the lab's cache: the release catalog's copy when the version is
    in the catalog, else one built once per simulator source (both files written atomically)."""
    catalog_dir = os.path.join(release_dir(lab), "catalog-%s" % releases.source_digest())
    path = os.path.join(catalog_dir, releases.tarball_name(version))
    if os.path.exists(path + ".sha256sum"):
        return path
    extra = os.path.join(release_dir(lab), "extra-%s" % releases.source_digest())
    path = os.path.join(extra, releases.tarball_name(version))
    if not os.path.exists(path + ".sha256sum"):
        if not os.path.isdir(extra):  # the simulator changed: older builds are of no use any more
            for name in os.listdir(release_dir(lab)):
                if name.startswith("extra-"):
                    shutil.rmtree(os.path.join(release_dir(lab), name), ignore_errors=True)
        releases.build_cockroach_tarball(version, extra)
    return path


SIM_KNOBS = ("liveness_ttl", "heartbeat_interval", "catchup_seconds", "ranges", "finalize_delay",
             "schema_change_seconds")


def sim_config(liveness_ttl=4.5, catchup_seconds=10.0, ranges=60, finalize_delay=2.0, **knobs):
    """The simulator-only knobs every node reads (the real binaries have fixed, slower timings)."""
    unknown = sorted(set(knobs) - set(SIM_KNOBS))
    if unknown:
        raise ProvisionError("unknown simulator option(s) %s (known: %s)" % (", ".join(unknown), ", ".join(SIM_KNOBS)))
    config = {"shared_dir": SHARED_DIR, "liveness_ttl": liveness_ttl, "heartbeat_interval": 1.0,
              "catchup_seconds": catchup_seconds, "ranges": int(ranges), "finalize_delay": finalize_delay}
    config.update(knobs)
    return config


class CockroachDeployment:
    """A simulated CockroachDB cluster on the nodes of a lab cluster.

    ``secure=True`` follows the secure deployment docs: certificates made with `cockroach cert` (the CA key
    stays on the first node, outside the certs directory), copied to /var/lib/cockroach/certs on every node,
    and the `securecockroachdb.service` unit with `--certs-dir=certs`.
    """

    def __init__(self, lab, cluster, secure=False, topology=MULTI_REPLICA, **sim_options):
        if topology not in TOPOLOGIES:
            raise ProvisionError("unknown topology %r (known: %s)" % (topology, ", ".join(TOPOLOGIES)))
        if topology == STANDALONE and len(cluster.nodes) != 1:
            raise ProvisionError("the standalone topology runs on one node; cluster %s has %d"
                                 % (cluster.name, len(cluster.nodes)))
        self.lab = lab
        self.cluster = cluster
        self.secure = secure
        self.topology = topology
        self.unit = SECURE_COCKROACH_UNIT if secure else COCKROACH_UNIT
        self.sim_options = sim_options

    def client_security(self):
        """The CLI flags that authenticate a client on this cluster."""
        return ["--certs-dir=%s" % CERTS_DIR] if self.secure else ["--insecure"]

    @property
    def nodes(self):
        return self.cluster.nodes

    def sql_address(self, host):
        return "%s:26257" % host.hostname

    def tarball(self, version):
        return cached_tarball(self.lab, version)

    def install(self, host, version):
        """Copy the release tarball to the host, unpack it and install the binary (what the docs do)."""
        tarball = self.tarball(version)
        remote = "/tmp/" + os.path.basename(tarball)
        host.put(tarball, remote)
        host.put(tarball + ".sha256sum", remote + ".sha256sum")
        host.exec(["sh", "-c", 'cd /tmp && sha256sum -c "$1" >/dev/null', "sh", remote + ".sha256sum"])
        host.exec(["tar", "-xzf", remote, "-C", "/tmp"])
        host.exec(["install", "-m", "0755", remote[:-len(".tgz")] + "/cockroach", COCKROACH_BINARY])

    def configure(self, host):
        join = ",".join(node.hostname for node in self.nodes)
        host.exec(["sh", "-c", "id cockroach >/dev/null 2>&1 || useradd --system --home-dir /var/lib/cockroach cockroach"])
        host.exec(["install", "-d", "-o", "cockroach", "-m", "0755", "/var/lib/cockroach"])
        host.write_file(SIM_CONFIG_PATH, json.dumps(sim_config(**self.sim_options), indent=1) + "\n")
        security = "--certs-dir=certs" if self.secure else "--insecure"
        host.write_file("/etc/systemd/system/%s.service" % self.unit, self.unit_text(host, join, security))
        host.systemctl("daemon-reload")

    def unit_text(self, host, join, security):
        if self.topology == STANDALONE:
            return UNIT.format(command="start-single-node", security=security, advertise=host.hostname, join="")
        return UNIT.format(command="start", security=security, advertise=host.hostname, join=" --join=" + join)

    def create_certificates(self):
        """CA on the first node; node and root client certificates for every node, copied into place."""
        first = self.nodes[0]
        first.exec(["mkdir", "-p", CA_DIR + "/certs"])
        self.cli(first, "cert", "create-ca", "--certs-dir=%s/certs" % CA_DIR, "--ca-key=%s/ca.key" % CA_DIR)
        for host in self.nodes:
            staging = "%s/%s" % (CA_DIR, host.hostname)
            first.exec(["rm", "-rf", staging])
            first.exec(["mkdir", "-p", staging])
            first.exec(["cp", CA_DIR + "/certs/ca.crt", staging])
            self.cli(first, "cert", "create-node", host.hostname, host.ip, "localhost", "127.0.0.1",
                     "--certs-dir=%s" % staging, "--ca-key=%s/ca.key" % CA_DIR)
            self.cli(first, "cert", "create-client", "root", "--certs-dir=%s" % staging, "--ca-key=%s/ca.key" % CA_DIR)
            self._copy_certs(first, staging, host)

    def _copy_certs(self, source, staging, host):
        host.exec(["install", "-d", "-o", "cockroach", "-m", "0700", CERTS_DIR])
        with tempfile.TemporaryDirectory() as local:
            for name in ("ca.crt", "node.crt", "node.key", "client.root.crt", "client.root.key"):
                source.get("%s/%s" % (staging, name), os.path.join(local, name))
                mode = 0o600 if name.endswith(".key") else 0o644
                host.put(os.path.join(local, name), "%s/%s" % (CERTS_DIR, name), mode=mode)
        host.exec(["chown", "-R", "cockroach", CERTS_DIR])

    def deploy(self, version, start=True):
        """Install ``version`` on every node, start the services and initialize the cluster."""
        os.makedirs(self.cluster.shared_dir, exist_ok=True)
        os.chmod(self.cluster.shared_dir, 0o1777)  # the database runs as its own user on every host
        for host in self.nodes:
            self.install(host, version)
            self.configure(host)
        if self.secure:
            self.create_certificates()
        if start:
            for host in self.nodes:
                host.systemctl("enable", "--now", self.unit)
            if self.topology != STANDALONE:
                self.cli(self.nodes[0], "init", *self.client_args(self.nodes[0]))
            self.wait_all_live()
        return self

    def client_args(self, host):
        """Connection flags of a client on ``host`` talking to its own node."""
        return self.client_security() + ["--host=%s" % self.sql_address(host)]

    def restart_on(self, host, version, check=True):
        """Stop the node (SIGTERM: the node drains with the cluster's shutdown settings), install another
        release, start it again."""
        host.systemctl("stop", self.unit)
        self.install(host, version)
        return host.systemctl("start", self.unit, check=check)

    def sql(self, host, statement):
        """One statement through `cockroach sql` on the host; returns the csv output."""
        return self.cli(host, "sql", "--format=csv", "-e", statement, *self.client_args(host)).stdout

    def journal(self, host, lines=200):
        return host.exec(["journalctl", "-u", self.unit, "--no-pager", "-n", str(lines)], check=False).stdout

    def journal_shows(self, host, text, timeout=10):
        """Whether the unit's journal shows ``text`` within ``timeout`` (journald writes asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            journal = self.journal(host)
            if text in journal or time.monotonic() > deadline:
                return text in journal
            time.sleep(0.3)

    def cli(self, host, *args, check=True, timeout=60):
        return host.exec([COCKROACH_BINARY] + list(args), check=check, timeout=timeout)

    def node_status_csv(self, host=None):
        host = host or self.nodes[0]
        return self.cli(host, "node", "status", "--all", "--format=csv", *self.client_args(host)).stdout

    def wait_all_live(self, timeout=60):
        """Setup helper (not the product's wait): poll until every node reports live."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            proc = self.cli(self.nodes[0], "node", "status", "--format=csv", *self.client_args(self.nodes[0]),
                            check=False)
            last = proc.stdout + proc.stderr
            rows = [line.split(",") for line in proc.stdout.splitlines()[1:]]
            if proc.returncode == 0 and len(rows) == len(self.nodes) and all(row[-1] == "true" for row in rows):
                return
            time.sleep(0.5)
        raise ProvisionError("cluster %s did not become live within %ss; last status:\n%s"
                             % (self.cluster.name, timeout, last))
