"""Run simulated Databend processes on loopback addresses for tests (not used inside the binaries)."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ..build import build_zipapp
from ..databend_releases import databend_buildinfo

QUERY_TOML = """[query]
flight_api_address = "{host}:9090"
admin_api_address = "{host}:8080"
metric_api_address = "{host}:7070"
mysql_handler_host = "{host}"
mysql_handler_port = 3307
http_handler_host = "{host}"
http_handler_port = 8000
flight_sql_handler_host = "{host}"
flight_sql_handler_port = 8900
tenant_id = "default"
cluster_id = "default"
shutdown_wait_timeout_ms = 5000
[log.file]
level = "INFO"
dir = "{log_dir}"
[meta]
endpoints = [{endpoints}]
username = "root"
password = "root"
[storage]
type = "fs"
[storage.fs]
data_path = "{data_dir}"
"""

META_TOML = """admin_api_address       = "{host}:28002"
grpc_api_address        = "{host}:9191"
grpc_api_advertise_host = "{host}"
[log.file]
dir = "{log_dir}"
[raft_config]
id            = {node_id}
raft_dir      = "{raft_dir}"
raft_api_port = 28004
raft_listen_host = "{host}"
raft_advertise_host = "{host}"
single        = {single}
join          = [{join}]
"""


def wait_until(predicate, timeout=10.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except OSError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def http_get(url, timeout=5.0):
    """(status, Content-Type, body text) of a GET, error statuses included (for the plain-text error bodies)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type"), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), exc.read().decode()


def http_json(url, body=None, timeout=5.0):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        raw = exc.read().decode()
        try:
            return exc.code, json.loads(raw)
        except ValueError:  # the plain-text error bodies of poem::Error::from_string
            return exc.code, raw


class Proc:
    def __init__(self, kind, host, popen, workdir, config_path):
        self.kind, self.host, self.popen, self.workdir, self.config_path = kind, host, popen, workdir, config_path

    @property
    def admin(self):
        return "http://%s:%s" % (self.host, 28002 if self.kind == "meta" else 8080)

    @property
    def grpc(self):
        return "%s:9191" % self.host

    def stdout(self):
        with open(os.path.join(self.workdir, "stdout")) as handle:
            return handle.read()

    def stderr(self):
        with open(os.path.join(self.workdir, "stderr")) as handle:
            return handle.read()

    def logs(self):
        log_dir = os.path.join(self.workdir, "log")
        text = ""
        for name in sorted(os.listdir(log_dir)) if os.path.isdir(log_dir) else []:
            with open(os.path.join(log_dir, name)) as handle:
                text += handle.read()
        return text


class LocalDatabend:
    """Builds simulated binaries into ``root`` and runs them with a private shared dir."""

    def __init__(self, root):
        self.root = root
        self.shared = os.path.join(root, "shared")
        os.makedirs(self.shared, exist_ok=True)
        self.settings = os.path.join(root, "sim.json")
        with open(self.settings, "w") as handle:
            json.dump({"shared_dir": self.shared}, handle)
        self.procs = []

    def binary(self, component, version):
        path = os.path.join(self.root, "bin", version, "databend-" + component)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            build_zipapp(databend_buildinfo(component, version), path)
        return path

    def run(self, component, version, *args):
        return subprocess.run([sys.executable, self.binary(component, version)] + list(args),
                              capture_output=True, text=True, timeout=20, env=self._env("cli"), check=False)

    def _env(self, host):
        env = dict(os.environ, TESTBED_SIM_CONFIG=self.settings, TESTBED_SIM_HOST=host)
        return env

    def _spawn(self, kind, version, host, config_text):
        workdir = os.path.join(self.root, "%s-%s" % (kind, host))
        os.makedirs(workdir, exist_ok=True)
        config_path = os.path.join(workdir, "databend-%s.toml" % kind)
        with open(config_path, "w") as handle:
            handle.write(config_text.replace("{workdir}", workdir))
        with open(os.path.join(workdir, "stdout"), "w") as out, open(os.path.join(workdir, "stderr"), "w") as err:
            popen = subprocess.Popen([sys.executable, self.binary(kind, version), "--config-file", config_path],
                                     stdout=out, stderr=err, env=self._env(host), start_new_session=True)
        proc = Proc(kind, host, popen, workdir, config_path)
        self.procs.append(proc)
        return proc

    def start_meta(self, node_id, version, host, peers=()):
        text = META_TOML.format(host=host, node_id=node_id, log_dir="{workdir}/log", raft_dir="{workdir}/raft",
                                single=str(not peers).lower(), join=", ".join('"%s:28004"' % p for p in peers))
        return self._spawn("meta", version, host, text)

    def start_query(self, version, host, meta_hosts, settings=None):
        """A query node on ``host``; ``settings`` {key: TOML value} replaces `key = value` lines of its config
        (keys of [query], and `level` of [log.file])."""
        text = QUERY_TOML.format(host=host, log_dir="{workdir}/log", data_dir="{workdir}/data",
                                 endpoints=", ".join('"%s:9191"' % m for m in meta_hosts))
        lines = text.splitlines(True)
        for key, value in (settings or {}).items():
            lines = ["%s = %s\n" % (key, value) if line.split(" = ")[0] == key else line for line in lines]
        return self._spawn("query", version, host, "".join(lines))

    def fault(self, host, **faults):
        path = os.path.join(self.shared, "faults", host + ".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            json.dump(faults, handle)

    @staticmethod
    def stop(proc, timeout=10):
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGTERM)
        return proc.popen.wait(timeout=timeout)

    def cleanup(self):
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(timeout=10)
