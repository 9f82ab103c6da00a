"""Install and run simulated database releases on lab hosts, the way an operator installs the real ones.

CockroachDB follows the vendor's deployment docs: the release tarball is copied to each host and
unpacked, its binary installed as /usr/local/bin/cockroach, a `cockroach` user owns /var/lib/cockroach,
and the documented `insecurecockroachdb.service` unit (Type=notify) runs it; `cockroach init` on the
first node initializes the cluster.
"""
import json
import os
import sys
import time

TESTBED_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTBED_DIR not in sys.path:
    sys.path.insert(0, TESTBED_DIR)  # the simulator is the top-level package `sim` (as inside its zipapp)

from sim import releases  # noqa: E402  pylint: disable=wrong-import-position

COCKROACH_BINARY = "/usr/local/bin/cockroach"
COCKROACH_UNIT = "insecurecockroachdb"
SIM_CONFIG_PATH = "/etc/testbed/sim.json"
SHARED_DIR = "/testbed/shared"

INSECURE_UNIT = """[Unit]
Description=Cockroach Database cluster node
Requires=network.target
[Service]
Type=notify
WorkingDirectory=/var/lib/cockroach
ExecStart=/usr/local/bin/cockroach start --insecure --advertise-addr={advertise} --join={join} --cache=.25 --max-sql-memory=.25
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


class ProvisionError(Exception):
    """A host could not be brought to the requested state."""


def release_dir(lab):
    path = os.path.join(lab.work_dir, "releases")
    os.makedirs(path, exist_ok=True)
    return path


def sim_config(liveness_ttl=4.5, catchup_seconds=10.0, ranges=60, finalize_delay=2.0):
    """The simulator-only knobs every node reads (the real binaries have fixed, slower timings)."""
    return {"shared_dir": SHARED_DIR, "liveness_ttl": liveness_ttl, "heartbeat_interval": 1.0,
            "catchup_seconds": catchup_seconds, "ranges": ranges, "finalize_delay": finalize_delay}


class CockroachDeployment:
    """A simulated CockroachDB cluster on the nodes of a lab cluster."""

    def __init__(self, lab, cluster, **sim_options):
        self.lab = lab
        self.cluster = cluster
        self.sim_options = sim_options

    @property
    def nodes(self):
        return self.cluster.nodes

    def sql_address(self, host):
        return "%s:26257" % host.hostname

    def tarball(self, version):
        return releases.build_cockroach_tarball(version, release_dir(self.lab))

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
        host.write_file("/etc/systemd/system/%s.service" % COCKROACH_UNIT,
                        INSECURE_UNIT.format(advertise=host.hostname, join=join))
        host.systemctl("daemon-reload")

    def deploy(self, version, start=True):
        """Install ``version`` on every node, start the services and initialize the cluster."""
        os.makedirs(self.cluster.shared_dir, exist_ok=True)
        os.chmod(self.cluster.shared_dir, 0o1777)  # the database runs as its own user on every host
        for host in self.nodes:
            self.install(host, version)
            self.configure(host)
        if start:
            for host in self.nodes:
                host.systemctl("enable", "--now", COCKROACH_UNIT)
            self.cli(self.nodes[0], "init", "--insecure", "--host=%s" % self.sql_address(self.nodes[0]))
            self.wait_all_live()
        return self

    def restart_on(self, host, version, check=True):
        """Stop the node, install another release, start it again (no drain: a plain test helper)."""
        host.systemctl("stop", COCKROACH_UNIT)
        self.install(host, version)
        return host.systemctl("start", COCKROACH_UNIT, check=check)

    def sql(self, host, statement):
        """One statement through `cockroach sql` on the host; returns the csv output."""
        return self.cli(host, "sql", "--insecure", "--format=csv", "--host=%s" % self.sql_address(host),
                        "-e", statement).stdout

    def journal(self, host, lines=200):
        return host.exec(["journalctl", "-u", COCKROACH_UNIT, "--no-pager", "-n", str(lines)], check=False).stdout

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
        return self.cli(host, "node", "status", "--all", "--format=csv", "--insecure",
                        "--host=%s" % self.sql_address(host)).stdout

    def wait_all_live(self, timeout=60):
        """Setup helper (not the product's wait): poll until every node reports live."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            proc = self.cli(self.nodes[0], "node", "status", "--format=csv", "--insecure",
                            "--host=%s" % self.sql_address(self.nodes[0]), check=False)
            last = proc.stdout + proc.stderr
            rows = [line.split(",") for line in proc.stdout.splitlines()[1:]]
            if proc.returncode == 0 and len(rows) == len(self.nodes) and all(row[-1] == "true" for row in rows):
                return
            time.sleep(0.5)
        raise ProvisionError("cluster %s did not become live within %ss; last status:\n%s"
                             % (self.cluster.name, timeout, last))
