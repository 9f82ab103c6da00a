"""Process faults for the simulated databases on a lab cluster.

The simulators read `<shared dir>/faults/<host>.json` (sim/common/config.py `load_faults`, sim/databend/runtime.py
`faults`), where <host> is the node's advertised hostname (node1, node2, ...). The controller writes it through
`cluster.shared_dir`, which every host mounts at /testbed/shared.

    set_fault(cluster, "node2", never_ready=True)                       # merged into what is already set
    set_fault(cluster, "node2", version="v24.1.4", crash_on_start=True)  # only the v24.1.4 build crashes
    clear_faults(cluster, "node2", version="v24.1.4")                   # that version's faults only
    clear_faults(cluster, "node2")                                      # everything

File format (one JSON object per host; written atomically, mode 0644):

    {"never_ready": true,                                 <- applies to every build that runs on the host
     "versions": {"v24.1.4": {"crash_on_start": true}}}   <- applies only to the build whose tag is v24.1.4

A simulator takes the top-level keys, then overlays the entry of its own build tag (`cockroach version
--build-tag`; for Databend its version or tag) from "versions"; entries of other versions are ignored. So a
release with a bad build can crash on start while the previous build, restored on the same host, starts for real.

Keys (what the simulators do with them):
- crash_on_start: the process exits with a panic before it serves anything, so `systemctl start` fails.
- never_ready: the process never tells systemd READY=1 (a Type=notify start hangs until TimeoutStartSec),
  /health?ready=1 answers 503 and SQL clients get no session.
- slow_catchup_seconds: after (re)joining, the node's ranges stay under-replicated that long (CockroachDB).
- hang_on_stop: SIGTERM is ignored, so `systemctl stop` lasts until TimeoutStopSec and ends in SIGKILL.
- slow_drain_seconds: a drain's lease transfers take that long (CockroachDB), so `node drain` outlasts its
  --drain-wait and times out; the drain goes on in the server and a re-run finishes it.
crash_on_start, never_ready and slow_catchup_seconds are read when the process starts; hang_on_stop when the
signal arrives and slow_drain_seconds when a drain starts. Package-level faults (broken tarballs and the like)
are not handled here.
"""
import json
import os
import re

from .hostlab import LabError

FAULT_TYPES = {"crash_on_start": bool, "never_ready": bool, "slow_catchup_seconds": float, "hang_on_stop": bool,
               "slow_drain_seconds": float}
VERSIONS_KEY = "versions"
VERSION_RE = re.compile(r"^[vV]?\d+\.\d+\.\d+[0-9A-Za-z.+-]*$")
TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")


def _hostname(host):
    return host if isinstance(host, str) else host.hostname


def fault_path(cluster, host):
    return os.path.join(cluster.shared_dir, "faults", "%s.json" % _hostname(host))


def read_faults(cluster, host):
    """The fault document of ``host`` (a Host or hostname), version entries included; {} when none."""
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


def check_version(version):
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise LabError("fault version %r must be a release tag such as v24.1.4" % (version,))
    return version


def effective_faults(document, tag):
    """What a simulator whose build tag is ``tag`` applies (the rule of sim/common/config.py select_faults)."""
    faults = {name: value for name, value in document.items() if name != VERSIONS_KEY}
    faults.update(document.get(VERSIONS_KEY, {}).get(tag, {}))
    return faults


def _write(cluster, host, document):
    path = fault_path(cluster, host)
    if not document:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(document, out, sort_keys=True)
    os.chmod(path + ".tmp", 0o644)  # the database runs as its own user on the host
    os.replace(path + ".tmp", path)


def set_fault(cluster, host, version=None, **flags):
    """Merge ``flags`` into the host's fault file (written atomically); returns the whole document now set.

    With ``version`` the faults apply only to the build with that tag.
    """
    cluster.host(_hostname(host))  # unknown hosts fail here rather than write a file nobody reads
    document = read_faults(cluster, host)
    checked = validate(flags)
    if version is None:
        document.update(checked)
    else:
        versions = document.setdefault(VERSIONS_KEY, {})
        versions[check_version(version)] = dict(versions.get(version, {}), **checked)
    _write(cluster, host, document)
    return document


def clear_faults(cluster, host, version=None):
    """Remove every fault of ``host`` (with ``version``: only that version's); no error when none was set."""
    cluster.host(_hostname(host))
    if version is None:
        _write(cluster, host, {})
        return {}
    document = read_faults(cluster, host)
    versions = document.get(VERSIONS_KEY, {})
    versions.pop(check_version(version), None)
    if not versions:
        document.pop(VERSIONS_KEY, None)
    _write(cluster, host, document)
    return document


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
