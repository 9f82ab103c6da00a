"""Fixtures for the simulated CockroachDB/KWDB binaries: built zipapps and loopback clusters."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

TESTBED = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTBED)

from sim import build, releases  # noqa: E402  (needs the path above)

CRDB_VERSIONS = ("v23.1.8", "v23.2.9", "v24.1.3", "v24.2.1", "v24.3.1", "v25.1.0", "v25.2.0", "v25.3.0")
KWDB_VERSIONS = ("V2.2.0", "V2.2.2", "V3.1.0")
FAST_CONFIG = {"liveness_ttl": 2.0, "heartbeat_interval": 0.25, "catchup_seconds": 3, "ranges": 30,
               "finalize_delay": 1.0}


def wait_until(predicate, timeout=15.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % what)


def free_port(host):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def crdb_binaries(tmp_path_factory):
    """{version: path} of simulated cockroach and kwbase executables."""
    root = tmp_path_factory.mktemp("crdb-bin")
    paths = {}
    for version in CRDB_VERSIONS:
        paths[version] = build.build_zipapp(releases.cockroach_buildinfo(version), str(root / ("cockroach-" + version)))
    for version in KWDB_VERSIONS:
        paths[version] = build.build_zipapp(releases.kwbase_buildinfo(version), str(root / ("kwbase-" + version)))
    return paths


class SimNode:
    def __init__(self, cluster, index):
        self.cluster, self.index = cluster, index
        self.host = "127.0.0.%d" % (11 + index)
        self.sql_port, self.http_port = free_port(self.host), free_port(self.host)
        self.addr = "%s:%d" % (self.host, self.sql_port)
        self.dir = os.path.join(cluster.root, "n%d" % (index + 1))
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def http(self, path):
        try:
            with urllib.request.urlopen("http://%s:%d%s" % (self.host, self.http_port, path), timeout=2) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return None, ""


class SimCluster:
    """Loopback cluster of simulated nodes (127.0.0.11, .12, ...) sharing one state directory."""

    def __init__(self, root, binaries, size=3, **config):
        self.root, self.binaries = str(root), binaries
        self.shared = os.path.join(self.root, "shared")
        os.makedirs(os.path.join(self.shared, "faults"), exist_ok=True)
        settings = dict(FAST_CONFIG, shared_dir=self.shared, **config)
        self.config_path = os.path.join(self.root, "sim.json")
        with open(self.config_path, "w") as out:
            json.dump(settings, out)
        self.env = dict(os.environ, TESTBED_SIM_CONFIG=self.config_path)
        self.env.pop("NOTIFY_SOCKET", None)
        self.nodes = [SimNode(self, i) for i in range(size)]
        self.procs = []
        self.security = ["--insecure"]

    def secure(self, version):
        """Certificates for every node and for root (`cert create-*`); nodes started from now on are secure."""
        certs, ca_key = os.path.join(self.root, "certs"), os.path.join(self.root, "ca.key")
        for args in (["create-ca"], ["create-node", "localhost"] + [n.host for n in self.nodes],
                     ["create-client", "root"]):
            made = self.cli(version, "cert", *args, "--certs-dir=" + certs, "--ca-key=" + ca_key)
            assert made.returncode == 0, made.stderr
        self.security = ["--certs-dir=" + certs]
        return certs

    def join_list(self):
        return ",".join(n.addr for n in self.nodes)

    def start(self, index, version, command="start", extra=(), wait=True):
        node = self.nodes[index]
        args = [self.binaries[version], command] + self.security + [
            "--listen-addr=" + node.addr, "--http-addr=%s:%d" % (node.host, node.http_port)]
        if command == "start" or command == "start-single-replica":
            args.append("--join=" + self.join_list())
        log = open(os.path.join(node.dir, "out.log"), "ab")
        node.proc = subprocess.Popen(args + list(extra), cwd=node.dir, env=self.env, stdout=log, stderr=log,
                                     start_new_session=True)
        self.procs.append(node.proc)
        if wait:
            wait_until(lambda: node.http("/health")[0] == 200 or node.proc.poll() is not None,
                       what="node %d to listen" % (index + 1))
        return node.proc

    def start_all(self, version, init=True):
        for index in range(len(self.nodes)):
            self.start(index, version)
        if init:
            result = self.cli(version, "init", *self.security, "--host=" + self.nodes[0].addr)
            assert result.stdout == "Cluster successfully initialized\n", result.stderr
            wait_until(lambda: self.all_live(version), what="all nodes live")

    def all_live(self, version):
        result = self.cli(version, "node", "status", "--format=csv", *self.security, "--host=" + self.nodes[0].addr)
        lines = result.stdout.splitlines()[1:]
        return result.returncode == 0 and len(lines) == len(self.nodes) and all(",true,true" in l for l in lines)

    def stop(self, index, sig=signal.SIGTERM, timeout=10):
        proc = self.nodes[index].proc
        os.killpg(proc.pid, sig)
        return proc.wait(timeout)

    def cli(self, version, *args, timeout=30):
        return subprocess.run([self.binaries[version]] + list(args), capture_output=True, text=True, check=False,
                              env=self.env, timeout=timeout)

    def sql(self, version, statement, node=0, fmt="tsv"):
        return self.cli(version, "sql", *self.security, "--host=" + self.nodes[node].addr, "--format=" + fmt,
                        "-e", statement)

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)


@pytest.fixture
def crdb_cluster_factory(tmp_path, crdb_binaries):
    """Build SimClusters in this test's tmp dir; every process is killed at teardown."""
    clusters = []

    def make(size=3, **config):
        cluster = SimCluster(tmp_path / ("c%d" % len(clusters)), crdb_binaries, size, **config)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()
