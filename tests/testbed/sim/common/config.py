"""Simulator-only knobs (never part of a real binary's interface).

They come from a JSON file whose path is $TESTBED_SIM_CONFIG (default /etc/testbed/sim.json).
Faults for one host live in <shared_dir>/faults/<advertise host>.json.
"""
import json
import os

DEFAULT_PATH = "/etc/testbed/sim.json"
DEFAULTS = {
    "shared_dir": "/testbed/shared",
    "liveness_ttl": 4.5,
    "heartbeat_interval": 1.0,
    "catchup_seconds": 10,
    "ranges": 60,
    "finalize_delay": 2.0,
}


def _read_json(path):
    try:
        with open(path) as source:
            return json.load(source)
    except (OSError, ValueError):
        return {}


def load_config():
    """The merged simulator config (defaults overridden by the JSON file, if any)."""
    config = dict(DEFAULTS)
    config.update(_read_json(os.environ.get("TESTBED_SIM_CONFIG", DEFAULT_PATH)))
    return config


def select_faults(document, *tags):
    """The faults a build applies: the top-level keys, overlaid by the "versions" entry of each of its ``tags``.

    Format (tests/testbed/faults.py): {"never_ready": true, "versions": {"v24.1.4": {"crash_on_start": true}}}.
    """
    faults = {name: value for name, value in document.items() if name != "versions"}
    versions = document.get("versions") or {}
    for tag in tags:
        faults.update(versions.get(tag) or {})
    return faults


def load_faults(config, host, tag=None):
    """Faults injected for ``host`` and the build ``tag`` ({} when none): crash_on_start, never_ready,
    slow_catchup_seconds, hang_on_stop, slow_drain_seconds."""
    document = _read_json(os.path.join(config["shared_dir"], "faults", "%s.json" % host))
    return select_faults(document, *([tag] if tag else []))
