"""Install and run simulated Databend releases on lab hosts the way the vendor's packages lay them out.

Layout of the deb/rpm packages (scripts/distribution/): binaries in /usr/bin, configs in /etc/databend,
units in /lib/systemd/system, data in /var/lib/databend (0750) and logs in /var/log/databend, owned by the
system user `databend`. The release tarball (bin/, configs/, systemd/; the release mirror's copy, mirror.py
DATABEND_RELEASES) is copied to each host, checked with `sha256sum -c` and unpacked; the packaged TOML files are
rewritten per host: a meta cluster (raft id = place in meta_hosts from 1, advertise host, `single` on the first
node and `join` on the others) and query nodes whose meta endpoints list every meta node's gRPC address. Meta
starts first, then query.

    deployment = DatabendDeployment(lab, cluster, cluster.nodes, cluster.nodes[:2]).deploy("1.2.680-nightly", "1.2.680-nightly")
    deployment.upgrade_binary(cluster.nodes[0], "query", "1.2.770-nightly")
"""
import json
import os
import re
import shlex
import tarfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor

from .mirror import DATABEND_RELEASES, ReleaseCatalog
from .provision import SHARED_DIR, SIM_CONFIG_PATH, ProvisionError, release_dir  # also puts the simulator on sys.path
from sim import databend_releases  # noqa: E402  pylint: disable=wrong-import-position
from sim.databend.testing import http_json  # noqa: E402  pylint: disable=wrong-import-position

USER = "databend"
CONFIG_DIR = "/etc/databend"
DATA_DIR = "/var/lib/databend"
LOG_DIR = "/var/log/databend"
UNIT_DIR = "/lib/systemd/system"
UNITS = {"meta": "databend-meta", "query": "databend-query"}
META_ADMIN_PORT = 28002  # the packaged admin_api_address
META_GRPC_PORT = 9191
META_RAFT_PORT = 28004
QUERY_HTTP_PORT = 8000
QUERY_ADMIN_PORT = 8080
QUERY_FLIGHT_PORT = 9090
QUERY_SHUTDOWN_WAIT_DEFAULT_MS = 5000  # databend-query's clap default when the config leaves it out
QUERY_LOG = LOG_DIR + "/databend-query-default@default.log"  # <log.file.dir>/databend-query-<tenant>@<cluster>.log
STATUS_LIST_KEYS = ("RaftLog", "Replication", "Voters", "NonVoters")


def binary_path(component):
    return "/usr/bin/databend-" + component


def config_path(component):
    return "%s/databend-%s.toml" % (CONFIG_DIR, component)


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


def hosts_named(hosts):
    return [host.hostname for host in hosts]


def leader_of(statuses, meta_hosts):
    """The host all parsed metactl ``statuses`` name as leader (exactly one of them in State Leader), or None."""
    leaders = {status.get("Leader") for status in statuses}
    if len(leaders) != 1 or None in leaders or [status.get("State") for status in statuses].count("Leader") != 1:
        return None
    leader = leaders.pop() + " "
    return next((host for host in meta_hosts if " raft=%s:%d " % (host.hostname, META_RAFT_PORT) in leader), None)


def run_steps(host, steps):
    """Run argv lists one after another in one shell on the host (one round trip); stops at the first failure."""
    return host.exec(["sh", "-c", " && ".join(shlex.join(step) for step in steps)])


def in_parallel(function, hosts):
    """function(host) for every host at once; returns the results in order and re-raises the first error."""
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        return list(pool.map(function, hosts))


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
        self._tarballs = {}

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
        """What /v1/cluster/list reports as a node's flight_address: the packaged 0.0.0.0, resolved by the node."""
        return "%s:%d" % (host.ip, QUERY_FLIGHT_PORT)

    # -- install -----------------------------------------------------------------------------------
    def release(self, version):
        """(tarball, checksum file) of ``version`` on the controller: the release mirror's copy when the catalog
        has it (so the installed tarball is the one the mirror serves), else built once per deployment."""
        if version not in self._tarballs:
            tarball = ReleaseCatalog.ensure(self.lab, DATABEND_RELEASES).path(version)
            if tarball is None:
                tarball = databend_releases.build_databend_tarball(version, release_dir(self.lab))[0]
            self._tarballs[version] = (tarball, tarball + ".sha256sum")
        return self._tarballs[version]

    def packaged_file(self, version, member):
        with tarfile.open(self.release(version)[0]) as archive:
            return archive.extractfile(member).read().decode()

    def stage_steps(self, host, version):
        """Copy the release tarball to the host; return the steps that verify and unpack it, and its directory."""
        tarball, checksum = self.release(version)
        remote = "/tmp/" + os.path.basename(tarball)
        unpacked = remote[:-len(".tar.gz")]
        host.put(tarball, remote)
        host.put(checksum, remote + ".sha256sum")
        steps = [["cd", "/tmp"], ["sha256sum", "--check", "--quiet", remote + ".sha256sum"],
                 ["mkdir", "-p", unpacked], ["tar", "-xzf", remote, "-C", unpacked]]
        return steps, unpacked

    def install_steps(self, host, binaries):
        """Steps that install ``binaries`` {component: version} (and the units of the services) on the host."""
        steps = []
        for version in sorted(set(binaries.values())):
            stage, unpacked = self.stage_steps(host, version)
            steps += stage
            for component in sorted(c for c, v in binaries.items() if v == version):
                steps.append(["install", "-m", "0755", "%s/bin/databend-%s" % (unpacked, component), binary_path(component)])
                if component in UNITS:
                    steps.append(["install", "-m", "0644", "%s/systemd/%s.service" % (unpacked, UNITS[component]), UNIT_DIR])
        return steps

    def meta_id(self, host):
        """The raft node id of a meta host: its place in ``meta_hosts``, from 1."""
        return self.meta_hosts.index(host) + 1

    def meta_settings(self, host):
        node_id = self.meta_id(host)
        settings = {"grpc_api_advertise_host": host.hostname, "id": node_id, "raft_advertise_host": host.hostname,
                    "single": node_id == 1}
        if node_id > 1:
            settings["join"] = ["%s:%d" % (peer.hostname, META_RAFT_PORT) for peer in self.meta_hosts if peer is not host]
        return settings

    def query_settings(self, host):
        return {"endpoints": [self.meta_grpc_address(meta) for meta in self.meta_hosts]}

    def install_host(self, host, versions):
        """Vendor layout on one host: user, directories, binaries, units, and its configs rewritten for it."""
        binaries = {component: versions[component] for component in self.components(host)}
        if "meta" in binaries:
            binaries["metactl"] = versions["meta"]
        run_steps(host, [["sh", "-c", "id %s >/dev/null 2>&1 || useradd --system --shell /sbin/nologin --home-dir %s "
                                      "--user-group %s" % (USER, DATA_DIR, USER)],
                         ["install", "-d", "-o", USER, "-g", USER, "-m", "0750", DATA_DIR],
                         ["install", "-d", "-o", USER, "-g", USER, "-m", "0755", LOG_DIR],
                         ["install", "-d", "-m", "0755", CONFIG_DIR, os.path.dirname(SIM_CONFIG_PATH)]]
                  + self.install_steps(host, binaries) + [["systemctl", "daemon-reload"]])
        host.write_file(SIM_CONFIG_PATH, json.dumps({"shared_dir": SHARED_DIR, "host": host.hostname}, indent=1) + "\n")
        for component in self.components(host):
            settings = self.meta_settings(host) if component == "meta" else self.query_settings(host)
            packaged = self.packaged_file(versions[component], "configs/databend-%s.toml" % component)
            host.write_file(config_path(component), set_toml_keys(packaged, settings))

    def deploy(self, query_version, meta_version):
        """Install both components, start meta then query, and wait until both clusters are complete."""
        os.makedirs(self.cluster.shared_dir, exist_ok=True)
        os.chmod(self.cluster.shared_dir, 0o1777)  # the services run as `databend` on every host
        versions = {"meta": meta_version, "query": query_version}
        for version in set(versions.values()):
            self.release(version)
        in_parallel(lambda host: self.install_host(host, versions), self.hosts)
        self.start(self.meta_hosts[0], "meta")
        self.wait_meta(self.meta_hosts[:1])
        in_parallel(lambda host: self.start(host, "meta"), self.meta_hosts[1:])
        self.wait_meta()
        in_parallel(lambda host: self.start(host, "query"), self.query_hosts)
        self.wait_query()
        return self

    def upgrade_binary(self, host, component, version):
        """Stop the component's service, swap its binary for the one of ``version``'s tarball, start it again."""
        unit = UNITS.get(component)
        if unit:
            host.systemctl("stop", unit)
        run_steps(host, self.install_steps(host, {component: version}))
        if unit:
            host.systemctl("start", unit)

    def query_config(self, host):
        """The databend-query config deployed on ``host``, parsed."""
        return tomllib.loads(host.read_file(config_path("query")))

    def query_shutdown_wait_timeout_ms(self, host):
        """`[query] shutdown_wait_timeout_ms` as the config deployed on ``host`` sets it (or the binary's default)."""
        return self.query_config(host)["query"].get("shutdown_wait_timeout_ms", QUERY_SHUTDOWN_WAIT_DEFAULT_MS)

    # -- service control and probes ------------------------------------------------------------------
    def start(self, host, component):
        host.systemctl("enable", "--now", UNITS[component])

    def stop(self, host, component):
        host.systemctl("stop", UNITS[component])

    def metactl_status(self, host):
        """(parsed, raw text) of `databend-metactl status` against the host's own meta node; a metactl older than
        the sub-commands (it refuses `status`) is asked with `--status`."""
        address = ["--grpc-api-address", "127.0.0.1:%d" % META_GRPC_PORT]
        proc = host.exec([binary_path("metactl"), "status"] + address, check=False, timeout=30)
        if proc.returncode == 2 and "unexpected argument 'status'" in proc.stderr:
            proc = host.exec([binary_path("metactl"), "--status"] + address, check=False, timeout=30)
        return parse_metactl_status(proc.stdout), proc.stdout + proc.stderr

    def leader_host(self, hosts=None):
        """The meta host that every one of ``hosts`` (default: all meta hosts) names as leader, or None."""
        return leader_of(in_parallel(lambda host: self.metactl_status(host)[0], hosts or self.meta_hosts), self.meta_hosts)

    def wait_meta(self, hosts=None, voters=None, timeout=60):
        """Setup helper: ``hosts`` agree on one leader and list ``voters`` (default: all of them); returns the leader."""
        hosts = hosts or self.meta_hosts
        voters = voters or len(hosts)

        def probe():
            statuses = in_parallel(lambda host: self.metactl_status(host)[0], hosts)
            leader = leader_of(statuses, self.meta_hosts)
            ready = leader is not None and all(len(status["Voters"]) == voters for status in statuses)
            return ready, leader if ready else [(s.get("State"), s.get("Leader"), s["Voters"]) for s in statuses]
        return poll("meta nodes %s to agree on a leader with %d voters" % (hosts_named(hosts), voters), probe, timeout)

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
                seen[host.hostname] = hosts_named(listed) if isinstance(listed, list) else listed
            return all(names == hosts_named(self.query_hosts) for names in seen.values()), seen
        return poll("query nodes of %s to list each other" % self.cluster.name, probe, timeout)

    def sql(self, host, statement):
        """The JSON response of the HTTP query API (POST /v1/query) on ``host``."""
        return http_json(self.query_url(host, "/v1/query"), {"sql": statement})[1]
