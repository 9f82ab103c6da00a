"""databend-metactl: `status` (and the legacy `--status`), `transfer-leader` (metactl/main.rs)."""
import json
import sys
import urllib.error
import urllib.request

from . import netutil, versions

DEFAULT_GRPC = "127.0.0.1:9191"
DEFAULT_ADMIN = "127.0.0.1:28002"


def clap_error(argument, usage):
    sys.stderr.write("error: unexpected argument '%s' found\n\nUsage: databend-metactl %s\n\n"
                     "For more information, try '--help'.\n" % (argument, usage))
    return 2


def _option(args, name, default):
    if name in args:
        index = args.index(name)
        if index + 1 < len(args):
            return args[index + 1]
    return default


def main(args, buildinfo):
    version = buildinfo["version"]
    triple = versions.parse(version)
    if args and args[0] in ("-V", "--version"):
        print("databend-metactl %s" % versions.metasrv_commit_version(version))
        return 0
    subcommands = triple >= versions.METACTL_SUBCOMMAND_SINCE
    usage = "[OPTIONS] [COMMAND]" if subcommands else "[OPTIONS]"
    if args and args[0] == "status":
        if not subcommands:
            return clap_error("status", usage)
        return show_status(_option(args, "--grpc-api-address", DEFAULT_GRPC), version)
    if "--status" in args:
        if triple >= versions.METACTL_LEGACY_FLAG_UNTIL:
            return clap_error("--status", usage)
        return show_status(_option(args, "--grpc-api-address", DEFAULT_GRPC), version)
    if args and args[0] == "transfer-leader" and subcommands:
        return transfer_leader(_option(args, "--admin-api-address", DEFAULT_ADMIN), _option(args, "--to", None))
    if args:
        return clap_error(args[0], usage)
    print("Usage: databend-metactl %s" % usage)
    return 0


def show_status(address, version):
    try:
        reply = netutil.rpc_call(address, {"op": "cluster_status"})
    except OSError as exc:
        sys.stderr.write("Error: MetaNetworkError: ConnectionError: failed to connect to %s: %s\n" % (address, exc))
        return 1
    sys.stdout.write(render_status(reply["status"], version))
    return 0


def render_status(res, metactl_version):
    """show_status() of this metactl version over the ClusterStatus strings the server sent."""
    lines = ["BinaryVersion: %s" % res["binary_version"], "DataVersion: %s" % res["data_version"]]
    triple = versions.parse(metactl_version)
    if triple >= versions.RAFT_LOG_SIZE_SINCE:
        lines.append("RaftLogSize: %s" % res["raft_log_size"])
        log = res.get("raft_log_status") if triple >= versions.RAFT_LOG_OBJECT_SINCE else None
        if log:
            lines += ["RaftLog:", "  - CacheItems: %s" % log["cache_items"], "  - CacheUsedSize: %s" % log["cache_used_size"],
                      "  - WALTotalSize: %s" % log["wal_total_size"], "  - WALOpenChunkSize: %s" % log["wal_open_chunk_size"],
                      "  - WALOffset: %s" % log["wal_offset"], "  - WALClosedChunkCount: %s" % log["wal_closed_chunk_count"],
                      "  - WALClosedChunkTotalSize: %s" % log["wal_closed_chunk_total_size"], "  - WALClosedChunkSizes:"]
            lines += ["    - %s: %s" % item for item in sorted(log["wal_closed_chunk_sizes"].items())]
        lines.append("SnapshotKeyCount: %s" % res["snapshot_key_count"])
    else:
        lines.append("DBSize: %s" % res["db_size"])
        if triple >= versions.KEY_NUM_SINCE:
            lines.append("KeyNumber: %s" % res.get("key_num", 0))
    lines += ["Node: id=%s raft=%s" % (res["id"], res["endpoint"]), "State: %s" % res["state"]]
    if res.get("leader"):
        lines.append("Leader: %s" % res["leader"])
    lines += ["CurrentTerm: %s" % res["current_term"], "LastSeq: %s" % res["last_seq"],
              "LastLogIndex: %s" % res["last_log_index"], "LastApplied: %s" % res["last_applied"]]
    if res.get("snapshot_last_log_id"):
        lines.append("SnapshotLastLogID: %s" % res["snapshot_last_log_id"])
    if res.get("purged"):
        lines.append("Purged: %s" % res["purged"])
    if res["replication"]:
        lines.append("Replication:")
        for node_id, log_id in res["replication"]:
            suffix = "" if log_id == res["last_applied"] else " *"
            lines.append("  - [%s] %s%s" % (node_id, log_id, suffix))
    if res["voters"]:
        lines += ["Voters:"] + ["  - %s" % voter for voter in res["voters"]]
    if res["non_voters"]:
        lines += ["NonVoters:"] + ["  - %s" % node for node in res["non_voters"]]
    return "\n".join(lines) + "\n"


def transfer_leader(admin_address, to):
    """MetaAdminClient::transfer_leader: GET /v1/ctrl/trigger_transfer_leader[?to=N] over plain HTTP. A non-2xx answer
    is `status code: {status}, msg: {body}`, printed by main as `Error: ...` with exit 1 (INFERRED)."""
    url = "http://%s/v1/ctrl/trigger_transfer_leader" % admin_address + ("?to=%s" % to if to is not None else "")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        sys.stderr.write("Error: status code: %s %s, msg: %s\n" % (exc.code, exc.reason, exc.read().decode(errors="replace")))
        return 1
    except (OSError, urllib.error.URLError) as exc:
        sys.stderr.write("Error: %s\n" % exc)
        return 1
    try:
        result = json.loads(raw)
        line = "triggered leader transfer from %s to %s." % (result["from"], result["to"])
        voters = "voter ids: [%s]" % ", ".join(str(v) for v in result["voter_ids"])
    except (ValueError, TypeError, KeyError):  # e.g. the `null` of a 1.2.599-1.2.600 server
        sys.stderr.write("Error: error decoding response body\n")
        return 1
    print(line)
    print(voters)
    return 0
