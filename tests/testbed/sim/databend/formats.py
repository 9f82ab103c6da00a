"""Text and JSON shapes of databend-meta: Node, LogId, DataVersion headers (see FIDELITY.md)."""
from . import versions


def node_json(node):
    """serde of databend-meta Node: name, endpoint{addr,port}, grpc_api_advertise_address."""
    return {"name": str(node["id"]), "endpoint": dict(node["raft_endpoint"]),
            "grpc_api_advertise_address": node.get("grpc_advertise")}


def node_display(node):
    """Display of Node: id=<name> raft=<addr:port> grpc=<advertise or empty>."""
    endpoint = node["raft_endpoint"]
    return "id=%s raft=%s:%s grpc=%s" % (node["id"], endpoint["addr"], endpoint["port"], node.get("grpc_advertise") or "")


def log_id_json(log_id):
    if not log_id:
        return None
    return {"leader_id": {"term": log_id["term"], "node_id": log_id["node"]}, "index": log_id["index"]}


def log_id_display(log_id, server_version):
    """openraft LogId Display: `1-0-8160` before the V004 era, `T1-N0.8160` since."""
    if not log_id:
        return "None"
    if versions.parse(server_version) >= versions.RAFT_LOG_FORMAT_SINCE:
        return "T%d-N%d.%d" % (log_id["term"], log_id["node"], log_id["index"])
    return "%d-%d-%d" % (log_id["term"], log_id["node"], log_id["index"])


def header_json(data_version, upgrading=None):
    return {"version": data_version, "upgrading": upgrading, "cleaning": False}


def header_debug(header):
    upgrading = header.get("upgrading")
    upgrading = "Some(%s)" % versions.data_version_debug(upgrading) if upgrading else "None"
    return "Header { version: %s, upgrading: %s, cleaning: false }" % (
        versions.data_version_debug(header["version"]), upgrading)


# -- databend-query shapes -------------------------------------------------------------------------
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
BACKTRACE_DISABLED = "\n\n<Backtrace disabled by default. Please use RUST_BACKTRACE=1 to enable> "


def uniq_name(value):
    """GlobalUniqName::unique() of a u128 (common/base): its base62 digits, least significant first, with digits
    0-9, a-z, A-Z. A uuid v4 gives 22 characters, or fewer when its high digits are 0 (about 1 in 8)."""
    digits = []
    while True:
        value, digit = divmod(value, 62)
        digits.append(BASE62[digit])
        if value == 0:
            return "".join(digits)


def error_code_display(name, code, message):
    """ErrorCode Display (common/exception): `{name}. Code: {code}, Text = {message}.`."""
    return "%s. Code: %d, Text = %s." % (name, code, message)


def error_code_debug(name, code, message):
    """ErrorCode Debug: the Display text plus the note printed when no backtrace was captured."""
    return error_code_display(name, code, message) + BACKTRACE_DISABLED


def rust_duration(ms):
    """`{:?}` of std::time::Duration::from_millis(ms): 5s, 1.5s, 500ms, 0ns."""
    if ms <= 0:
        return "0ns"
    if ms < 1000:
        return "%dms" % ms
    seconds, rest = divmod(ms, 1000)
    return ("%d.%03d" % (seconds, rest)).rstrip("0").rstrip(".") + "s"
