"""Cluster settings the simulator knows: SHOW / SET / RESET CLUSTER SETTING semantics."""
import re

from ..common.pgwire import OID_BOOL, OID_TEXT, OID_INTERVAL, PgError
from . import cluster as model
from . import versions

# name -> (type, default)
KNOWN = {
    "cluster.preserve_downgrade_option": ("string", ""),
    "cluster.auto_upgrade.enabled": ("bool", "true"),
    "server.time_until_store_dead": ("duration", "5m0s"),
    "server.shutdown.initial_wait": ("duration", "0s"),
    "server.shutdown.connections.timeout": ("duration", "0s"),
    "server.shutdown.transactions.timeout": ("duration", "10s"),
    "server.shutdown.lease_transfer_iteration.timeout": ("duration", "5s"),
    "diagnostics.reporting.enabled": ("bool", "true"),
    "kv.snapshot_rebalance.max_rate": ("string", "32 MiB"),
    "ts.raft_log.sync_period": ("duration", "0s"),
}
# older names that still work (anchors.md section 5): both names read and write one value
ALIASES = {
    "server.shutdown.drain_wait": "server.shutdown.initial_wait",
    "server.shutdown.connection_wait": "server.shutdown.connections.timeout",
    "server.shutdown.query_wait": "server.shutdown.transactions.timeout",
    "server.shutdown.lease_transfer_wait": "server.shutdown.lease_transfer_iteration.timeout",
}
CRDB_ONLY_SINCE = {"cluster.auto_upgrade.enabled": (23, 2)}
DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def _unknown(name):
    return PgError("42704", "unknown cluster setting '%s'" % name)


def _known(name, node):
    name = ALIASES.get(name, name)
    if name not in KNOWN:
        raise _unknown(name)
    since = CRDB_ONLY_SINCE.get(name)
    if since and (node.profile.kwdb or versions.parse_series(node.profile.series) < since):
        raise _unknown(name)
    return KNOWN[name]


def duration_seconds(text):
    match = DURATION_RE.match(text.strip().lower())
    if not match or not text.strip():
        raise PgError("22023", 'invalid duration: "%s"' % text)
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _interval_text(seconds):
    seconds = int(seconds)
    return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def show(st, name, now, node):
    """(column name, oid, value) of SHOW CLUSTER SETTING name."""
    if name == "version":
        return "version", OID_TEXT, model.version_text(st, now, node.config)
    kind, default = _known(name, node)
    value = st.get("settings", {}).get(ALIASES.get(name, name), default)
    if kind == "bool":
        return name, OID_BOOL, value == "true"
    if kind == "duration":
        return name, OID_INTERVAL, _interval_text(duration_seconds(value))
    return name, OID_TEXT, value


def _unquote(raw):
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def assign(st, name, raw, now, node):
    """SET CLUSTER SETTING name = raw (validated like the real server)."""
    value = _unquote(raw)
    if name == "version":
        _finalize_manually(st, value, now, node)
        return
    kind = _known(name, node)[0]
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            raise PgError("22023", "could not parse %s as type bool" % raw.strip())
        value = value.lower()
    elif kind == "duration":
        duration_seconds(value)
    if name == "cluster.preserve_downgrade_option" and not node.profile.kwdb:
        active = model.version_text(st, now, node.config)
        if value != active:
            raise PgError("XXUUU", "cannot set cluster.preserve_downgrade_option to %s (cluster version is %s)"
                          % (value, active))
    st.setdefault("settings", {})[ALIASES.get(name, name)] = value


def reset(st, name, node):
    if name != "version":
        _known(name, node)
    st.setdefault("settings", {}).pop(ALIASES.get(name, name), None)


def seconds(st, name):
    """The value of the duration setting ``name`` in seconds (its default when unset)."""
    return duration_seconds(st.get("settings", {}).get(name, KNOWN[name][1]))


def _finalize_manually(st, target, now, node):
    current = st.get("cluster_version")
    if target == current or (st.get("finalizing") or {}).get("to") == target:
        return
    preserved = st.get("settings", {}).get("cluster.preserve_downgrade_option", "")
    if preserved:
        raise PgError("XXUUU", "cannot upgrade to %s: cluster.preserve_downgrade_option is set to %s"
                      % (target, preserved))
    if model.finalization_target(st, now) != target:
        raise PgError("XXUUU", "cannot upgrade to %s: not all nodes are live and running a %s binary"
                      % (target, target))
    model.start_finalization(st, target, now)
