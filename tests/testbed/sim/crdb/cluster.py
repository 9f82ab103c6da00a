"""The simulated cluster: shared state (one JSON document per cluster) and pure functions over it.

Every node process heartbeats into ``<shared_dir>/cluster.json``: its liveness expiration, its store
metrics, and the cluster-wide progress it observes (replica catch-up, version finalization).
Everything shown to clients is computed from that document and the current time, so all nodes
agree without talking to each other.

Layout of the document:
    initialized, cluster_id, next_node_id, replication_factor, cluster_version,
    nodes: {id: node record}, ranges: [[replica node ids], ...],
    catchup: {id: {start, duration, ranges}}, finalizing: {from, to, start} | None,
    settings: {name: value}, jobs: [job records]
"""
import math
import os
import random
import re
import uuid

from ..common import state as shared_state
from . import jobs as job_records
from . import versions

METRIC_KEYS = ("replicas.leaders", "replicas.leaseholders", "replicas", "ranges.unavailable",
               "ranges.underreplicated", "livebytes", "keybytes", "valbytes", "rangekeybytes",
               "rangevalbytes", "intentbytes", "sysbytes")
FINALIZE_STEPS = 10


class ClusterStore:
    """Access to one cluster's shared documents."""

    def __init__(self, shared_dir):
        self.shared_dir = shared_dir
        self.path = os.path.join(shared_dir, "cluster.json")
        self.kv_path = os.path.join(shared_dir, "kv.json")

    def read(self):
        return shared_state.read_json(self.path)

    def update(self):
        return shared_state.locked_json(self.path)

    def update_kv(self):
        return shared_state.locked_json(self.kv_path)

    def read_kv(self):
        return shared_state.read_json(self.kv_path)


# ---------------------------------------------------------------- liveness and membership

def node(st, node_id):
    return st.get("nodes", {}).get(str(node_id))


def all_nodes(st):
    return [st["nodes"][key] for key in sorted(st.get("nodes", {}), key=int)]


def is_live(record, now):
    return record is not None and record.get("expiration", 0) > now


def active_nodes(st):
    return [n for n in all_nodes(st) if n.get("membership", "active") != "decommissioned"]


# ---------------------------------------------------------------- bootstrap / join

def new_node_record(node_id, info, now, ttl):
    record = dict(info)
    record.update({"node_id": node_id, "started_at": now, "updated_at": now, "expiration": now + ttl,
                   "epoch": 1, "draining": False, "membership": "active", "upgrading": False,
                   "running": True, "drain_request": None, "metrics": {}})
    return record


def bootstrap(st, info, now, config, replication_factor):
    """Initialize a new cluster with ``info`` as node 1 (the node that received `init`)."""
    st.clear()
    st.update({"initialized": True, "cluster_id": str(uuid.uuid4()), "next_node_id": 2,
               "replication_factor": replication_factor, "cluster_version": info["binary_version"],
               "nodes": {"1": new_node_record(1, info, now, config["liveness_ttl"])},
               "ranges": [[1] for _range in range(int(config["ranges"]))],
               "catchup": {}, "finalizing": None, "settings": {}, "jobs": []})
    if re.match(r"^\d+\.\d+$", info["binary_version"]):  # CockroachDB (KWDB's series reads 20.1-3)
        job_records.bootstrap_jobs(st, now, info["binary_version"])
    return 1


def join(st, info, now, config, catchup_seconds):
    """Add a brand-new node; it receives replicas (up-replication) and catches up on them."""
    node_id = st["next_node_id"]
    st["next_node_id"] = node_id + 1
    st["nodes"][str(node_id)] = new_node_record(node_id, info, now, config["liveness_ttl"])
    added = _place_replicas(st, node_id)
    _start_catchup(st, node_id, added, now, catchup_seconds)
    return node_id


def rejoin(st, node_id, info, now, config, catchup_seconds):
    """A known node restarted: refresh its record and let its replicas catch up again."""
    record = st["nodes"][str(node_id)]
    record.update(info)
    record.update({"started_at": now, "updated_at": now, "expiration": now + config["liveness_ttl"],
                   "epoch": record.get("epoch", 0) + 1, "draining": False, "running": True,
                   "drain_request": None, "lease_release_at": None})
    mine = [index for index, replicas in enumerate(st["ranges"]) if node_id in replicas]
    _start_catchup(st, node_id, mine, now, catchup_seconds)


def _start_catchup(st, node_id, ranges, now, duration):
    if ranges and duration > 0:
        st["catchup"][str(node_id)] = {"start": now, "duration": duration, "ranges": sorted(ranges)}


def _replica_targets(st):
    return [n["node_id"] for n in all_nodes(st) if n.get("membership", "active") == "active"]


def _place_replicas(st, node_id):
    """Give ``node_id`` replicas: first ranges below the replication factor, then a fair share."""
    factor = st["replication_factor"]
    added = []
    for index, replicas in enumerate(st["ranges"]):
        if len(replicas) < factor and node_id not in replicas:
            replicas.append(node_id)
            added.append(index)
    targets = _replica_targets(st)
    fair_share = sum(len(r) for r in st["ranges"]) // max(len(targets), 1)
    counts = {t: sum(t in r for r in st["ranges"]) for t in targets}
    for index, replicas in enumerate(st["ranges"]):
        if counts[node_id] >= fair_share:
            break
        if node_id in replicas:
            continue
        donor = max(replicas, key=lambda r: counts.get(r, 0))
        if counts.get(donor, 0) > fair_share:
            replicas[replicas.index(donor)] = node_id
            counts[donor] -= 1
            counts[node_id] += 1
            added.append(index)
    return added


def move_replicas_off(st, node_id):
    """Decommissioning: move each replica of ``node_id`` to an active node that lacks one."""
    targets = [t for t in _replica_targets(st) if t != node_id]
    for replicas in st["ranges"]:
        if node_id not in replicas:
            continue
        free = [t for t in targets if t not in replicas]
        if free:
            target = min(free, key=lambda t: sum(t in r for r in st["ranges"]))
            replicas[replicas.index(node_id)] = target


# ---------------------------------------------------------------- range health

def behind_ranges(st, node_id, now):
    """Ranges whose replica on ``node_id`` is still catching up (the count falls step by step)."""
    entry = st.get("catchup", {}).get(str(node_id))
    if not entry:
        return set()
    remaining = 1.0 - (now - entry["start"]) / entry["duration"]
    if remaining <= 0:
        return set()
    count = int(math.ceil(len(entry["ranges"]) * remaining))
    return set(entry["ranges"][:count])


def range_health(st, now):
    """One dict per range: replicas, live, available, underreplicated, leaseholder, counter."""
    records = {int(k): v for k, v in st.get("nodes", {}).items()}
    behind = {nid: behind_ranges(st, nid, now) for nid in records}
    factor = st.get("replication_factor", 3)
    health = []
    for index, replicas in enumerate(st.get("ranges", [])):
        live = [r for r in replicas if is_live(records.get(r), now)]
        available = 2 * len(live) > len(replicas)
        leaseholder = None
        if available:
            serving = [r for r in live if not records[r].get("draining")
                       or (records[r].get("lease_release_at") or 0) > now] or live
            leaseholder = serving[index % len(serving)]
        lagging = any(index in behind[r] for r in replicas if r in behind)
        health.append({
            "replicas": replicas, "live": live, "available": available, "leaseholder": leaseholder,
            "underreplicated": available and (len(replicas) < factor or len(live) < len(replicas) or lagging),
            "counter": leaseholder if available else (live[0] if live else None),
        })
    return health


def leases_held(st, node_id, now):
    return sum(1 for h in range_health(st, now) if h["leaseholder"] == node_id)


def fresh_metrics(st, node_id, now, health=None):
    """Store metrics of ``node_id`` as its store would report them right now."""
    health = range_health(st, now) if health is None else health
    rng = random.Random(node_id)
    replicas = sum(1 for h in health if node_id in h["replicas"])
    leases = sum(1 for h in health if h["leaseholder"] == node_id)
    keybytes = replicas * (2048 + rng.randint(0, 512))
    valbytes = replicas * (61440 + rng.randint(0, 4096))
    return {
        "replicas.leaders": leases, "replicas.leaseholders": leases, "replicas": replicas,
        "ranges.unavailable": sum(1 for h in health if not h["available"] and h["counter"] == node_id),
        "ranges.underreplicated": sum(1 for h in health if h["underreplicated"] and h["counter"] == node_id),
        "livebytes": keybytes + valbytes, "keybytes": keybytes, "valbytes": valbytes,
        "rangekeybytes": 0, "rangevalbytes": 0, "intentbytes": 0, "sysbytes": replicas * 1830 + 5213,
    }


def kv_store_status(st, now):
    """(node_id, metrics) per store: live stores report fresh numbers, dead ones their last ones."""
    health = range_health(st, now)
    rows = []
    for record in active_nodes(st):
        if is_live(record, now):
            metrics = fresh_metrics(st, record["node_id"], now, health)
        else:
            metrics = record.get("metrics") or {}
        if metrics:
            rows.append((record["node_id"], metrics))
    return rows


# ---------------------------------------------------------------- cluster version

def version_text(st, now, config):
    """What SHOW CLUSTER SETTING version prints right now."""
    fin = st.get("finalizing")
    if not fin:
        return st.get("cluster_version", "")
    progress = (now - fin["start"]) / max(config["finalize_delay"], 0.001)
    step = 2 * min(FINALIZE_STEPS, 1 + int(progress * FINALIZE_STEPS))
    return versions.upgrading_version(fin["from"], fin["to"], step)


def auto_upgrade_enabled(st):
    return str(st.get("settings", {}).get("cluster.auto_upgrade.enabled", "true")).lower() == "true"


def finalization_target(st, now):
    """The series every non-decommissioned node runs, when it is newer and all of them are live."""
    members = active_nodes(st)
    if not members or not all(is_live(n, now) for n in members):
        return None
    series = {n["binary_version"] for n in members}
    if len(series) != 1:
        return None
    target = series.pop()
    current = st.get("cluster_version")
    return target if current and versions.newer(target, current) else None


def advance_finalization(st, now, config, kwdb=False):
    """Start or complete auto-finalization; return True when the document changed."""
    fin = st.get("finalizing")
    if fin:
        if now - fin["start"] < config["finalize_delay"]:
            return False
        st["cluster_version"] = fin["to"]
        st["finalizing"] = None
        job_records.finish_running(st, now, "MIGRATION")
        return True
    if kwdb:
        return False
    target = finalization_target(st, now)
    preserved = st.get("settings", {}).get("cluster.preserve_downgrade_option", "")
    if target is None or not auto_upgrade_enabled(st) or preserved == st.get("cluster_version"):
        return False
    start_finalization(st, target, now, config)
    return True


def start_finalization(st, target, now, config, user="node"):
    """Begin finalizing to ``target``: the version steps through the upgrades over ``finalize_delay`` and each
    upgrade step with a job shows as a MIGRATION job (run by ``user``: `node` when automatic, the session's user
    for `SET CLUSTER SETTING version`)."""
    st["finalizing"] = {"from": st["cluster_version"], "to": target, "start": now}
    job_records.plan_upgrade_jobs(st, st["cluster_version"], target, now, config["finalize_delay"], user)
