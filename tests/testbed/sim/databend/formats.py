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
