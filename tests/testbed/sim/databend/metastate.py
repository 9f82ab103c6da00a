"""The replicated state of a simulated databend-meta cluster, kept in the testbed's shared directory.

Every meta process heartbeats into <shared>/databend-meta/<cluster>/nodes/<id>.json. Under one file
lock, any live node may (re)elect a leader: a leader exists only while a majority of the voters is
live; a new leader means a new term and a blank log entry, as in Raft. Writes (query registration,
DDL, inserts) append a log entry and fail when there is no leader. Followers apply up to the leader's
log on each heartbeat; a stopped node keeps the log id it had, so a restarted node visibly catches up.
"""
import os

from . import runtime

HEARTBEAT_INTERVAL = 0.2
# A stopped node marks itself stopped at once; the timeout only catches crashed ones. It is generous
# because a loaded 2-core CI machine can delay a heartbeat well past a few intervals.
LIVE_TIMEOUT = 3.0


class NoLeader(Exception):
    """No quorum of live voters, so no leader and no writes."""


class MetaCluster:
    def __init__(self, base_dir, cluster_name):
        self.root = os.path.join(base_dir, "databend-meta", cluster_name)
        self.lock_path = os.path.join(self.root, "lock")
        self.state_path = os.path.join(self.root, "state.json")
        self.nodes_dir = os.path.join(self.root, "nodes")

    # -- storage ---------------------------------------------------------------------------------
    def _state(self):
        return runtime.read_json(self.state_path) or {
            "term": 0, "leader": None, "log": {"term": 0, "node": 0, "index": 0}, "seq": 0,
            "tables": {}, "queries": {}, "kv": {}}

    def _node_path(self, node_id):
        return os.path.join(self.nodes_dir, "%d.json" % node_id)

    def nodes(self):
        found = {}
        if os.path.isdir(self.nodes_dir):
            for name in os.listdir(self.nodes_dir):
                if name.endswith(".json"):
                    node = runtime.read_json(os.path.join(self.nodes_dir, name))
                    if node:
                        found[node["id"]] = node
        return dict(sorted(found.items()))

    @staticmethod
    def is_live(node):
        return not node.get("stopped") and runtime.now() - node.get("hb", 0) < LIVE_TIMEOUT

    # -- election ----------------------------------------------------------------------------------
    def _elect(self, state, nodes, prefer=None):
        live = [node_id for node_id, node in nodes.items() if self.is_live(node)]
        quorum = len(nodes) // 2 + 1
        leader = state["leader"]
        if len(live) < quorum:
            state["leader"] = None
            return state
        if leader in live and prefer is None:
            return state
        candidates = [prefer] if prefer in live else sorted(live)
        state["leader"] = candidates[0]
        state["term"] += 1
        self._append(state, state["leader"])
        return state

    @staticmethod
    def _append(state, leader):
        state["log"] = {"term": state["term"], "node": leader, "index": state["log"]["index"] + 1}

    def _save(self, state):
        runtime.write_json(self.state_path, state)

    # -- node lifecycle ----------------------------------------------------------------------------
    def heartbeat(self, node_info):
        """Mark this node live, re-elect if needed, apply the committed log. Returns the state."""
        with runtime.file_lock(self.lock_path):
            nodes = self.nodes()
            node = dict(nodes.get(node_info["id"], {}), **node_info)
            node.update(hb=runtime.now(), stopped=False)
            nodes[node["id"]] = node
            state = self._elect(self._state(), nodes)
            if state["leader"] is not None:
                node["applied"] = dict(state["log"])
            runtime.write_json(self._node_path(node["id"]), node)
            self._save(state)
            return state

    def stop(self, node_id):
        """Graceful stop: the node leaves the live set; if it led, the others elect at once."""
        with runtime.file_lock(self.lock_path):
            nodes = self.nodes()
            if node_id in nodes:
                nodes[node_id]["stopped"] = True
                runtime.write_json(self._node_path(node_id), nodes[node_id])
            state = self._state()
            if state["leader"] == node_id:
                state["leader"] = None
            self._save(self._elect(state, nodes))

    def transfer_leader(self, from_id, to):
        """openraft transfer_leader on the leader ``from_id``: a live voter ``to`` takes over with a new term.
        Otherwise (``to`` down, not a voter, this node itself, or leadership already moved) nothing changes: the
        request was accepted, the transfer just does not happen (INFERRED)."""
        with runtime.file_lock(self.lock_path):
            nodes = self.nodes()
            state = self._state()
            live = [node_id for node_id, node in nodes.items() if self.is_live(node)]
            if state["leader"] != from_id or to == from_id or to not in live:
                return False
            self._save(self._elect(state, nodes, prefer=to))
            return True

    # -- reads and writes --------------------------------------------------------------------------
    def snapshot(self):
        return self._state(), self.nodes()

    def write(self, apply):
        """Run apply(state) as one committed log entry; raises NoLeader without a live quorum."""
        with runtime.file_lock(self.lock_path):
            nodes = self.nodes()
            state = self._elect(self._state(), nodes)
            if state["leader"] is None:
                self._save(state)
                raise NoLeader("no leader: %d of %d voters are live, quorum is %d" % (
                    sum(1 for node in nodes.values() if self.is_live(node)), len(nodes), len(nodes) // 2 + 1))
            result = apply(state)
            state["seq"] += 1
            self._append(state, state["leader"])
            self._save(state)
            return result
