"""Process faults for the simulated databases on a lab cluster.

The simulators read `<shared dir>/faults/<host>.json` (sim/common/config.py `load_faults`, sim/databend/runtime.py
`faults`), where <host> is the node's advertised hostname (node1, node2, ...). The controller writes it through
`cluster.shared_dir`, which every host mounts at /testbed/shared.

    set_fault(cluster, "node2", never_ready=True)    # merged into what is already set; returns all faults
    clear_faults(cluster, "node2")

Keys (what the simulators do with them):
- crash_on_start: the process exits with a panic before it serves anything, so `systemctl start` fails.
- never_ready: the process never tells systemd READY=1 (a Type=notify start hangs until TimeoutStartSec),
  /health?ready=1 answers 503 and SQL clients get no session.
- slow_catchup_seconds: after (re)joining, the node's ranges stay under-replicated that long (CockroachDB).
- hang_on_stop: SIGTERM is ignored, so `systemctl stop` lasts until TimeoutStopSec and ends in SIGKILL.
crash_on_start, never_ready and slow_catchup_seconds are read when the process starts; hang_on_stop is read
again when the signal arrives. Package-level faults (broken tarballs and the like) are not handled here.
"""
import json
import os

from .hostlab import LabError

FAULT_TYPES = {"crash_on_start": bool, "never_ready": bool, "slow_catchup_seconds": float, "hang_on_stop": bool}
TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")


def _hostname(host):
    return host if isinstance(host, str) else host.hostname


def fault_path(cluster, host):
    return os.path.join(cluster.shared_dir, "faults", "%s.json" % _hostname(host))


def read_faults(cluster, host):
    """The faults currently set for ``host`` (a Host or hostname); {} when none."""
    try:
        with open(fault_path(cluster, host), encoding="utf-8") as source:
            return json.load(source)
    except FileNotFoundError:
        return {}


def validate(flags):
    """Check names and value types; returns the flags with slow_catchup_seconds as float."""
    checked = {}
    for name, value in flags.items():
        kind = FAULT_TYPES.get(name)
        if kind is None:
            raise LabError("unknown fault %r (known: %s)" % (name, ", ".join(sorted(FAULT_TYPES))))
        if kind is bool and not isinstance(value, bool):
            raise LabError("fault %s needs true or false, got %r" % (name, value))
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise LabError("fault %s needs a positive number of seconds, got %r" % (name, value))
            value = float(value)
        checked[name] = value
    return checked


def set_fault(cluster, host, **flags):
    """Merge ``flags`` into the host's fault file (written atomically); returns the faults now set."""
    cluster.host(_hostname(host))  # unknown hosts fail here rather than write a file nobody reads
    faults = dict(read_faults(cluster, host), **validate(flags))
    path = fault_path(cluster, host)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(faults, out, sort_keys=True)
    os.chmod(path + ".tmp", 0o644)  # the database runs as its own user on the host
    os.replace(path + ".tmp", path)
    return faults


def clear_faults(cluster, host):
    """Remove every fault of ``host``; no error when none was set."""
    cluster.host(_hostname(host))
    try:
        os.unlink(fault_path(cluster, host))
    except FileNotFoundError:
        pass


def parse_assignment(text):
    """`never_ready=true` / `slow_catchup_seconds=20` -> (name, typed value) for the command line."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise LabError("fault assignment %r must look like NAME=VALUE" % text)
    kind = FAULT_TYPES.get(name)
    if kind is None:
        raise LabError("unknown fault %r (known: %s)" % (name, ", ".join(sorted(FAULT_TYPES))))
    if kind is bool:
        if raw.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise LabError("fault %s needs true or false, got %r" % (name, raw))
        return name, raw.lower() in TRUE_WORDS
    try:
        return name, float(raw)
    except ValueError:
        raise LabError("fault %s needs a positive number of seconds, got %r" % (name, raw)) from None
