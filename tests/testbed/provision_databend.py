"""Install and run simulated Databend releases on lab hosts the way the vendor's packages lay them out.

Layout of the deb/rpm packages (scripts/distribution/): binaries in /usr/bin, configs in /etc/databend,
units in /lib/systemd/system, data in /var/lib/databend (0750) and logs in /var/log/databend, owned by the
system user `databend`. The release tarball (bin/, configs/, systemd/) is copied to each host, checked with
`sha256sum -c` and unpacked; the packaged TOML files are rewritten per host: a 3-node meta cluster (raft id,
advertise host, `single` on the first node and `join` on the others) and query nodes whose meta endpoints
list every meta node's gRPC address. Meta starts first, then query.

    deployment = DatabendDeployment(lab, cluster, cluster.nodes, cluster.nodes[:2]).deploy("1.2.680-nightly", "1.2.680-nightly")
    deployment.upgrade_binary(cluster.nodes[0], "query", "1.2.770-nightly")
"""
import json
import os
import re
import time

from .provision import SHARED_DIR, SIM_CONFIG_PATH, ProvisionError, release_dir  # also puts the simulator on sys.path
from sim import databend_releases  # noqa: E402  pylint: disable=wrong-import-position
from sim.databend.testing import http_json  # noqa: E402  pylint: disable=wrong-import-position

USER = "databend"
CONFIG_DIR = "/etc/databend"
DATA_DIR = "/var/lib/databend"
LOG_DIR = "/var/log/databend"
UNIT_DIR = "/lib/systemd/system"
UNITS = {"meta": "databend-meta", "query": "databend-query"}
META_GRPC_PORT = 9191
META_RAFT_PORT = 28004
QUERY_HTTP_PORT = 8000
QUERY_ADMIN_PORT = 8080
QUERY_FLIGHT_PORT = 9090
QUERY_LOG = LOG_DIR + "/databend-query-default@default.log"  # <log.file.dir>/databend-query-<tenant>@<cluster>.log
STATUS_LIST_KEYS = ("RaftLog", "Replication", "Voters", "NonVoters")


def binary_path(component):
    return "/usr/bin/databend-" + component


def set_toml_keys(text, values):
    """Set top-level-style `key = value` lines (also commented `# key = ...` ones) of a packaged TOML file."""
    for key, value in values.items():
        pattern = re.compile(r"^#?\s*%s(\s*=\s*).*$" % re.escape(key), re.M)
        encoded = json.dumps(value)  # JSON strings, ints, booleans and string arrays are valid TOML
        text, count = pattern.subn(lambda match, k=key, v=encoded: k + match.group(1) + v, text, count=1)
        if count != 1:
            raise ProvisionError("packaged config has no key %r" % key)
    return text


def parse_metactl_status(text):
    """`databend-metactl status` output -> {"Key": "value", ..., "Voters": [items], ...} (list keys in STATUS_LIST_KEYS)."""
    status = {key: [] for key in STATUS_LIST_KEYS}
    current = None
    for line in text.splitlines():
        if line.startswith("  - ") and current is not None:
            status[current].append(line[4:])
        elif not line.startswith(" "):
            key, _sep, value = line.partition(": ")
            current = key.rstrip(":") if key.endswith(":") and key.rstrip(":") in status else None
            if current is None:
                status[key] = value
    return status


def poll(what, probe, timeout, interval=0.3):
    """Call probe() until it returns (True, observed); raise ProvisionError with the last observation."""
    deadline = time.monotonic() + timeout
    observed = None
    while True:
        done, observed = probe()
        if done:
            return observed
        if time.monotonic() >= deadline:
            raise ProvisionError("timed out after %ss waiting for %s; last observed: %r" % (timeout, what, observed))
        time.sleep(interval)


class DatabendDeployment:
    """A simulated Databend cluster: databend-meta on ``meta_hosts``, databend-query on ``query_hosts``."""

    def __init__(self, lab, cluster, meta_hosts, query_hosts):
        self.lab = lab
        self.cluster = cluster
        self.meta_hosts = list(meta_hosts)
        self.query_hosts = list(query_hosts)
        self._staged = set()

    @property
    def hosts(self):
        return [host for host in self.cluster.nodes if host in self.meta_hosts or host in self.query_hosts]

    def components(self, host):
        return [component for component, hosts in (("meta", self.meta_hosts), ("query", self.query_hosts)) if host in hosts]

    # -- addresses ---------------------------------------------------------------------------------
    def meta_grpc_address(self, host):
        return "%s:%d" % (host.hostname, META_GRPC_PORT)

    def query_url(self, host, path, port=QUERY_HTTP_PORT):
        return "http://%s:%d%s" % (host.ip, port, path)

    def query_flight_address(self, host):
        """What /v1/cluster/list reports as a node's flight_address (the packaged 0.0.0.0 would be the same on all)."""
        return "%s:%d" % (host.ip, QUERY_FLIGHT_PORT)

    # -- install -----------------------------------------------------------------------------------
    def stage_release(self, host, version):
        """Copy the release tarball to the host, verify and unpack it; returns the unpacked directory."""
        tarball, checksum = databend_releases.build_databend_tarball(version, release_dir(self.lab))
        remote = "/tmp/" + os.path.basename(tarball)
        unpacked = remote[:-len(".tar.gz")]
        if (host.name, version) not in self._staged:
            host.put(tarball, remote)
            host.put(checksum, remote + ".sha256sum")
            host.exec(["sh", "-c", 'cd /tmp && sha256sum -c "$1" >/dev/null', "sh", remote + ".sha256sum"])
            host.exec(["mkdir", "-p", unpacked])
            host.exec(["tar", "-xzf", remote, "-C", unpacked])
            self._staged.add((host.name, version))
        return unpacked

    def install_binary(self, host, component, version):
        release = self.stage_release(host, version)
        host.exec(["install", "-m", "0755", "%s/bin/databend-%s" % (release, component), binary_path(component)])

    def prepare_host(self, host):
        host.exec(["sh", "-c", "id %s >/dev/null 2>&1 || useradd --system --shell /sbin/nologin --home-dir %s --user-group %s"
                   % (USER, DATA_DIR, USER)])
        host.exec(["install", "-d", "-o", USER, "-g", USER, "-m", "0750", DATA_DIR])
        host.exec(["install", "-d", "-o", USER, "-g", USER, "-m", "0755", LOG_DIR])
        host.exec(["install", "-d", "-m", "0755", CONFIG_DIR])
        host.write_file(SIM_CONFIG_PATH, json.dumps({"shared_dir": SHARED_DIR, "host": host.hostname}, indent=1) + "\n")

    def meta_settings(self, host):
        node_id = self.meta_hosts.index(host) + 1
        settings = {"grpc_api_advertise_host": host.hostname, "id": node_id, "raft_advertise_host": host.hostname,
                    "single": node_id == 1}
        if node_id > 1:
            settings["join"] = ["%s:%d" % (peer.hostname, META_RAFT_PORT) for peer in self.meta_hosts if peer is not host]
        return settings

    def query_settings(self, host):
        return {"flight_api_address": self.query_flight_address(host),
                "endpoints": [self.meta_grpc_address(meta) for meta in self.meta_hosts]}

    def configure(self, host, component, version):
        """Install the packaged config (rewritten for this host) and systemd unit of ``component``."""
        release = self.stage_release(host, version)
        packaged = host.read_file("%s/configs/databend-%s.toml" % (release, component))
        settings = self.meta_settings(host) if component == "meta" else self.query_settings(host)
        host.write_file("%s/databend-%s.toml" % (CONFIG_DIR, component), set_toml_keys(packaged, settings), mode=0o644)
        host.exec(["install", "-m", "0644", "%s/systemd/%s.service" % (release, UNITS[component]), UNIT_DIR])

    def deploy(self, query_version, meta_version):
        """Install both components, start meta then query, and wait until both clusters are complete."""
        os.makedirs(self.cluster.shared_dir, exist_ok=True)
        os.chmod(self.cluster.shared_dir, 0o1777)  # the services run as `databend` on every host
        versions = {"meta": meta_version, "query": query_version}
        for host in self.hosts:
            self.prepare_host(host)
            for component in self.components(host):
                self.install_binary(host, component, versions[component])
                self.configure(host, component, versions[component])
            if "meta" in self.components(host):
                self.install_binary(host, "metactl", meta_version)
            host.systemctl("daemon-reload")
        self.start(self.meta_hosts[0], "meta")
        self.wait_meta(self.meta_hosts[:1])
        for host in self.meta_hosts[1:]:
            self.start(host, "meta")
        self.wait_meta()
        for host in self.query_hosts:
            self.start(host, "query")
        self.wait_query()
        return self

    def upgrade_binary(self, host, component, version):
        """Stop the component's service, swap its binary for the one of ``version``'s tarball, start it again."""
        unit = UNITS.get(component)
        if unit:
            host.systemctl("stop", unit)
        self.install_binary(host, component, version)
        if unit:
            host.systemctl("start", unit)

    # -- service control and probes ------------------------------------------------------------------
    def start(self, host, component):
        host.systemctl("enable", "--now", UNITS[component])

    def stop(self, host, component):
        host.systemctl("stop", UNITS[component])

    def metactl_status(self, host):
        """(parsed, raw text) of `databend-metactl status` against the host's own meta node."""
        proc = host.exec([binary_path("metactl"), "status", "--grpc-api-address", "127.0.0.1:%d" % META_GRPC_PORT],
                         check=False, timeout=30)
        return parse_metactl_status(proc.stdout), proc.stdout + proc.stderr

    def leader_host(self, hosts=None):
        """The meta host every one of ``hosts`` (default: all meta hosts) names as leader, or None."""
        hosts = hosts or self.meta_hosts
        statuses = [self.metactl_status(host)[0] for host in hosts]
        leaders = {status.get("Leader") for status in statuses}
        if len(leaders) != 1 or None in leaders or [s.get("State") for s in statuses].count("Leader") != 1:
            return None
        leader = leaders.pop()
        return next((host for host in self.meta_hosts if "raft=%s:%d " % (host.hostname, META_RAFT_PORT) in leader + " "), None)

    def wait_meta(self, hosts=None, timeout=60):
        """Setup helper: every host's metactl status shows the same leader and all of ``hosts`` as voters."""
        hosts = hosts or self.meta_hosts

        def probe():
            statuses = {host.hostname: self.metactl_status(host)[0] for host in hosts}
            ready = self.leader_host(hosts) is not None and all(
                len(status["Voters"]) == len(hosts) for status in statuses.values())
            return ready, {name: (s.get("State"), s.get("Leader"), s["Voters"]) for name, s in statuses.items()}
        return poll("meta cluster %s to have a leader and %d voters" % (self.cluster.name, len(hosts)), probe, timeout)

    def cluster_list(self, host):
        """(HTTP status, body) of the query admin API /v1/cluster/list on ``host``."""
        return http_json(self.query_url(host, "/v1/cluster/list", QUERY_ADMIN_PORT))

    def registered_query_hosts(self, host):
        """Query hosts listed in ``host``'s /v1/cluster/list (by flight address), or None when it fails."""
        status, body = self.cluster_list(host)
        if status != 200:
            return None
        listed = {node["flight_address"] for node in body}
        return [query for query in self.query_hosts if self.query_flight_address(query) in listed]

    def wait_query(self, timeout=60):
        """Setup helper: every query node's /v1/cluster/list lists every query node."""
        def probe():
            seen = {}
            for host in self.query_hosts:
                try:
                    listed = self.registered_query_hosts(host)
                except OSError as error:
                    listed = str(error)
                seen[host.hostname] = [h.hostname for h in listed] if isinstance(listed, list) else listed
            return all(names == [h.hostname for h in self.query_hosts] for names in seen.values()), seen
        return poll("query nodes of %s to list each other" % self.cluster.name, probe, timeout)

    def sql(self, host, statement):
        """The JSON response of the HTTP query API (POST /v1/query) on ``host``."""
        return http_json(self.query_url(host, "/v1/query"), {"sql": statement})[1]
