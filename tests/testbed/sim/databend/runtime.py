"""Process plumbing shared by the simulated Databend servers: testbed config, faults, files, logs."""
import contextlib
import datetime
import fcntl
import json
import os
import signal
import socket
import threading
import time

DEFAULT_SIM_CONFIG = "/etc/testbed/sim.json"
DEFAULT_SHARED_DIR = "/testbed/shared"


def sim_settings():
    """The testbed's JSON settings (env TESTBED_SIM_CONFIG, default /etc/testbed/sim.json)."""
    path = os.environ.get("TESTBED_SIM_CONFIG", DEFAULT_SIM_CONFIG)
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def shared_dir():
    return sim_settings().get("shared_dir", DEFAULT_SHARED_DIR)


def host_name():
    return os.environ.get("TESTBED_SIM_HOST") or sim_settings().get("host") or socket.gethostname()


def faults(*tags):
    """Faults injected for this host: crash_on_start, never_ready, hang_on_stop (those limited to a version
    apply when it is one of ``tags``, the build's version and tag; format in tests/testbed/faults.py)."""
    path = os.path.join(shared_dir(), "faults", host_name() + ".json")
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}
    faults = {name: value for name, value in document.items() if name != "versions"}
    for tag in tags:
        faults.update((document.get("versions") or {}).get(tag) or {})
    return faults


def read_json(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return default


def write_json(path, data):
    """Atomic write: readers in other processes never see a half-written file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "w") as handle:
        json.dump(data, handle, sort_keys=True)
    os.replace(tmp, path)


@contextlib.contextmanager
def file_lock(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


LEVELS = {"TRACE": 0, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "OFF": 100}


class Logger:
    """Text log lines in the style of databend's file logger, appended to <dir>/<name>.log.

    Only lines at or above the configured ``level`` (`[log.file] level`, e.g. the packaged "WARN") are written, as
    the real file logger filters them; an unknown level string counts as INFO. The file is created when the logger
    starts, even if no line reaches it (INFERRED from the rolling appender opening its file at build time)."""

    def __init__(self, directory, name, target, level="INFO"):
        self.path = os.path.join(directory, name + ".log") if directory else None
        self.target = target
        self.threshold = LEVELS.get(str(level or "INFO").strip().upper(), LEVELS["INFO"])
        self._lock = threading.Lock()
        if self.path:
            os.makedirs(directory, exist_ok=True)
            with open(self.path, "a"):
                pass

    def log(self, level, message):
        if not self.path or LEVELS[level] < self.threshold:
            return
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock, open(self.path, "a") as handle:
            handle.write("%s %5s %s: %s\n" % (stamp, level, self.target, message))

    def info(self, message):
        self.log("INFO", message)

    def warn(self, message):
        self.log("WARN", message)

    def error(self, message):
        self.log("ERROR", message)


class Shutdown:
    """SIGTERM/SIGINT/SIGHUP are termination signals (databend `signal_stream()`, and the ctrlc "termination"
    feature of databend-meta), so `ExecReload=kill -HUP` stops the server. A second signal sets ``forced``: it skips
    the query's wait for sessions. With the hang_on_stop fault the process ignores every request."""

    def __init__(self, hang_on_stop=False):
        self.event = threading.Event()
        self.forced = threading.Event()
        self.count = 0
        self.hang_on_stop = hang_on_stop
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._handle)

    def _handle(self, _signum, _frame):
        if self.hang_on_stop:
            return
        self.count += 1
        if self.event.is_set():
            self.forced.set()
        self.event.set()

    def wait(self):
        while not self.event.is_set():
            self.event.wait(0.5)

    @property
    def requested(self):
        return self.event.is_set()


def now():
    return time.time()
