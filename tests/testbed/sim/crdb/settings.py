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
    "server.shutdown.jobs.timeout": ("duration", "10s"),
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
    "server.shutdown.jobs_wait": "server.shutdown.jobs.timeout",
}
CRDB_ONLY_SINCE = {"cluster.auto_upgrade.enabled": (23, 2), "server.shutdown.jobs.timeout": (24, 1)}
VALIDATION_HINT = ("check the binary versions of all running SQL server instances to ensure that they are "
                   "compatible with the attempted upgrade version")
SERIES_RE = re.compile(r"^(\d+)\.(\d+)$")
DURATION_PART_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|\u00b5s|ns|h|m|s)")
DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "ns": 1e-9}


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
    """A duration setting's value (time.ParseDuration forms: 10s, 1m30s, 500ms, 1.5h, 0) in seconds."""
    cleaned = text.strip().lower()
    if cleaned in ("0", "+0"):
        return 0.0
    parts = DURATION_PART_RE.findall(cleaned)
    if not parts or "".join(number + unit for number, unit in parts) != cleaned.lstrip("+"):
        raise PgError("22023", 'invalid duration: "%s"' % text)
    return sum(float(number) * DURATION_UNITS[unit] for number, unit in parts)


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


def assign(st, name, raw, now, node, user="root"):
    """SET CLUSTER SETTING name = raw (validated like the real server).

    Returns the cluster version to wait for when the statement started (or joined) a finalization: the real
    statement returns only once every upgrade has run.
    """
    value = _unquote(raw)
    if name == "version":
        return _finalize_manually(st, value, now, node, user)
    name = ALIASES.get(name, name)
    kind = _known(name, node)[0]
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            raise PgError("22023", "could not parse %s as type bool" % raw.strip())
        value = value.lower()
    elif kind == "duration":
        duration_seconds(value)
    if name == "cluster.preserve_downgrade_option" and not node.profile.kwdb and value:
        active = model.version_text(st, now, node.config)
        if value != active:
            raise PgError("XXUUU", "cannot set cluster.preserve_downgrade_option to %s (cluster version is %s)"
                          % (value, active))
    if name == "cluster.preserve_downgrade_option" and not value:
        st.setdefault("settings", {}).pop(name, None)
        return None
    st.setdefault("settings", {})[name] = value
    return None


def reset(st, name, node):
    if name != "version":
        _known(name, node)
    st.setdefault("settings", {}).pop(ALIASES.get(name, name), None)


def seconds(st, name):
    """The value of the duration setting ``name`` in seconds (its default when unset)."""
    name = ALIASES.get(name, name)
    return duration_seconds(st.get("settings", {}).get(name, KNOWN[name][1]))


def go_duration(value):
    """time.Duration.String(): 0s, 1.5s, 45s, 1m30s, 10m0s, 1h0m0s."""
    if value == 0:
        return "0s"
    sign, value = ("-" if value < 0 else ""), abs(value)
    hours, rest = divmod(value, 3600)
    minutes, secs = divmod(rest, 60)
    secs_text = ("%.9f" % secs).rstrip("0").rstrip(".") + "s"
    if hours >= 1:
        return "%s%dh%dm%s" % (sign, hours, minutes, secs_text)
    if minutes >= 1:
        return "%s%dm%s" % (sign, minutes, secs_text)
    if secs < 1:
        milli = secs * 1000
        return sign + (("%.6f" % milli).rstrip("0").rstrip(".") + "ms")
    return sign + secs_text


def raw_value(st, name):
    """A setting's value as the Settings RPC returns it (durations as Go durations)."""
    canonical = ALIASES.get(name, name)
    kind, default = KNOWN[canonical]
    value = st.get("settings", {}).get(canonical, default)
    return go_duration(duration_seconds(value)) if kind == "duration" else value


def _series(text):
    match = SERIES_RE.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _finalize_manually(st, target, now, node, user):
    """SET CLUSTER SETTING version = 'X': the checks of clusterversion/setting.go and the upgrade manager
    (upgrademanager/manager.go, upgradecluster/nodes.go) in their order; no job is made when one fails."""
    parsed = _series(target)
    if parsed is None:
        raise PgError("XXUUU", "invalid version %s" % target)
    fin = st.get("finalizing")
    current = st.get("cluster_version")
    if fin and fin["to"] == target:
        return target
    if target == current:
        return None
    if parsed < _series(current):
        raise PgError("XXUUU", "versions cannot be downgraded (attempting to downgrade from %s to %s)"
                      % (current, target))
    preserved = st.get("settings", {}).get("cluster.preserve_downgrade_option", "")
    if preserved:
        raise PgError("XXUUU", "cannot upgrade to %s: cluster.preserve_downgrade_option is set to %s"
                      % (target, preserved))
    if parsed > versions.parse_series(node.profile.series):
        raise PgError("XXUUU", "cannot upgrade to %s: node running %s" % (target, node.profile.series))
    members = model.active_nodes(st)
    for record in members:
        if not model.is_live(record, now):
            raise PgError("XXUUU", "n%d required, but unavailable" % record["node_id"])
    for record in members:
        binary = record["binary_version"]
        if versions.parse_series(binary) < parsed:
            inner = "binary version %s less than target cluster version %s" % (binary, target)
            if versions.parse_series(node.profile.series) >= (24, 1):
                raise PgError("XXUUU", "error validating the version of one or more SQL server instances: "
                              + inner, hint=VALIDATION_HINT)
            raise PgError("XXUUU", inner)
    if fin:
        raise PgError("XXUUU", "cannot upgrade to %s: the cluster is upgrading to %s" % (target, fin["to"]))
    model.start_finalization(st, target, now, node.config, user=user)
    return target
