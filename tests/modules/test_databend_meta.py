"""databend_meta_status and databend_meta_leader run through Ansible against fake databend-meta admin APIs on 127.0.0.1.

Every fake node answers GET /v1/cluster/status with the field order of the constructed fixture
(tests/unit/fixtures/databend/meta_cluster_status_constructed.json, from flow-surfaces-databend.md section 1.2) and
GET /v1/ctrl/trigger_transfer_leader as section 1.1 documents it per version.
"""
import json
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import fixture_text

from tests.support.ansible_cli import run_playbook

TEMPLATE = fixture_text("databend/meta_cluster_status_constructed.json")
LEGACY_TEMPLATE = fixture_text("databend/meta_cluster_status_v1.2.636_follower_constructed.json")
VERSION = "v1.2.770-nightly-3b0d1a2c4e-simd(1.85.0-nightly-2025-02-14T11:57:01.874747910Z)"
TRANSFER = "/v1/ctrl/trigger_transfer_leader"


def closed_port_url():
    """The URL of a port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:%d" % port


class FakeMetaCluster:
    """Three (or more) fake meta nodes sharing one raft state that a test scripts.

    ``script(cluster, round)`` runs before the first node answers its status: once per check of the module, since
    the module reads the nodes in order. ``transfer_mode``: 'modern' (1.2.601+), 'null' (1.2.599/600), 'missing'
    (before 1.2.599). After an accepted transfer the nodes show no leader for ``election_reads`` status reads, then
    the new one.
    """

    def __init__(self, size=3):
        self.lock = threading.Lock()
        self.leader = 1
        self.term = 3
        self.applied = dict((node_id, 812) for node_id in range(1, size + 1))
        self.voters = list(range(1, size + 1))
        self.state_override = {}
        self.versions = dict((node_id, VERSION) for node_id in self.voters)
        self.template = TEMPLATE
        self.script = None
        self.round = 0
        self.requests = []
        self.transfer_mode = "modern"
        self.transfer_answers = []  # queued (status, body) answers before the mode's own
        self.transfer_effects = []  # queued callables run with the queued answers
        self.election_reads = 2
        self.pending = None  # (reads left, new leader)
        self.servers = []
        self.urls = []
        for node_id in self.voters:
            server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(node_id))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            self.urls.append("http://127.0.0.1:%d" % server.server_address[1])

    def close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def url(self, node_id):
        return self.urls[node_id - 1]

    def transfers(self):
        return [(node_id, query) for node_id, path, query in self.requests if path == TRANSFER]

    # -- answers -------------------------------------------------------------------------------------------------
    def _handler(self, node_id):
        cluster = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                return None

            def do_GET(self):  # noqa: N802
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                with cluster.lock:
                    cluster.requests.append((node_id, parsed.path, query))
                    status, content_type, body = cluster.answer(node_id, parsed.path, query)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, node_id, path, query):
        if path == "/v1/cluster/status":
            if node_id == 1:
                self.round += 1
                if self.script:
                    self.script(self, self.round)
            return 200, "application/json", self.status_body(node_id)
        if path == TRANSFER:
            return self.transfer(node_id, query)
        return 404, "text/plain", ""

    def current_leader(self):
        if self.pending is not None:
            reads, new_leader = self.pending
            if reads > 0:
                self.pending = (reads - 1, new_leader)
                return None
            self.leader, self.term, self.pending = new_leader, self.term + 1, None
        return self.leader

    def status_body(self, node_id):
        leader = self.current_leader()
        state = self.state_override.get(node_id) or ("Leader" if leader == node_id else
                                                     ("Follower" if leader is not None else "Candidate"))
        data = json.loads(self.template)
        data.update(id=node_id, binary_version=self.versions[node_id], state=state, is_leader=state == "Leader",
                    current_term=self.term, last_log_index=self.applied[node_id],
                    last_applied={"leader_id": {"term": self.term, "node_id": leader or self.leader},
                                  "index": self.applied[node_id]},
                    leader=self.node_json(leader) if leader is not None and state != "Candidate" else None,
                    voters=[self.node_json(voter) for voter in self.voters])
        if "endpoint" in data:
            data["endpoint"] = "127.0.0.1:%d" % (28003 + node_id)
        if state == "Leader":
            data["replication"] = dict((str(voter), {"leader_id": {"term": self.term, "node_id": node_id},
                                                     "index": self.applied[voter]}) for voter in self.voters)
        else:
            data["replication"] = None
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def node_json(node_id):
        return {"name": str(node_id), "endpoint": {"addr": "127.0.0.1", "port": 28003 + node_id},
                "grpc_api_advertise_address": "127.0.0.1:%d" % (9190 + node_id)}

    def not_leader_body(self, node_id):
        leader = "Some(%d)" % self.leader if self.leader is not None else "None"
        return ("This node is not leader, can not transfer leadership;\nid=%d\ncurrent_leader=%s\nvoter_ids=[%s]"
                % (node_id, leader, ", ".join(str(voter) for voter in self.voters)))

    def transfer(self, node_id, query):
        if self.transfer_answers:
            effect = self.transfer_effects.pop(0) if self.transfer_effects else None
            status, body = self.transfer_answers.pop(0)
            if effect:
                effect(self)
            return status, "text/plain", body(self, node_id) if callable(body) else body
        if self.transfer_mode == "missing":
            return 404, "text/plain", ""
        if self.leader != node_id or self.pending is not None:
            return 404, "text/plain", self.not_leader_body(node_id)
        to = int(query["to"]) if query.get("to", "").isdigit() else None
        if to is None:
            if self.transfer_mode == "null":
                return 400, "text/plain", "missing query to=<node_id_to_transfer_leader_to>"
            position = self.voters.index(node_id)
            to = self.voters[(position + 1) % len(self.voters)]
        self.pending = (self.election_reads, to)
        if self.transfer_mode == "null":
            return 200, "application/json", "null"
        return 200, "application/json", json.dumps({"from": node_id, "to": to, "voter_ids": self.voters})


@pytest.fixture
def meta():
    cluster = FakeMetaCluster()
    yield cluster
    cluster.close()


def status_args(meta, **extra):
    base = {"admin_urls": meta.urls, "interval": 0.1, "timeout": 20, "stable_checks": 2}
    base.update(extra)
    return dict((key, value) for key, value in base.items() if value is not None)


# -- databend_meta_status -----------------------------------------------------------------------------------------


def test_quorum_is_reached_after_a_leader_appears(meta, module_runner):
    def script(cluster, round_):
        cluster.leader = None if round_ <= 3 else 1
    meta.script = script
    result = module_runner("databend_meta_status", status_args(meta, wait_for="quorum"))
    assert result.get("failed") is not True and result["changed"] is False
    assert result["healthy"] is True and result["quorum"] is True and result["reason"] is None
    assert result["leader"] == 1 and result["leader_url"] == meta.url(1) and result["voters"] == [1, 2, 3]
    assert result["checks"] == 5  # three without a leader, then two in a row with one
    assert [entry["healthy"] for entry in result["trace"]] == [False, False, False, True, True]
    assert result["trace"][0]["reason"] == "no leader" and result["trace"][0]["leader"] is None
    assert result["down"] == []
    assert result["nodes"][1] == {"url": meta.url(2), "id": 2, "state": "Follower", "is_leader": False, "leader": 1,
                                  "last_applied_index": 812, "binary_version": VERSION}
    assert "lag" not in result


def test_timeout_names_the_node_that_stays_candidate(meta, module_runner):
    meta.state_override[2] = "Candidate"
    result = module_runner("databend_meta_status", status_args(meta, wait_for="caught_up", node=meta.url(2),
                                                               timeout=0.6, interval=0.2))
    assert result["failed"] is True
    assert result["msg"].startswith("timed out after ")
    assert ("waiting for meta node %s to catch up with the leader (" % meta.url(2)) in result["msg"]
    assert result["msg"].endswith("): the nodes do not agree on a leader (n1: n1, n2: none, n3: n1); node n2 is "
                                  "Candidate")
    assert result["healthy"] is False and result["caught_up"] is False and result["leader"] is None
    assert result["nodes"][1]["state"] == "Candidate" and result["trace"][-1]["healthy"] is False
    assert "caught_up_reasons" not in result and "quorum_reasons" not in result


def test_caught_up_waits_for_the_lag_to_close(meta, module_runner):
    meta.applied[2] = 200

    def script(cluster, _round):
        cluster.applied[1] += 2  # the leader keeps applying
        cluster.applied[3] = cluster.applied[1]
        cluster.applied[2] = min(cluster.applied[1] - 4, cluster.applied[2] + 300)
    meta.script = script
    result = module_runner("databend_meta_status", status_args(meta, wait_for="caught_up", node=meta.url(2),
                                                               max_lag=10))
    assert result.get("failed") is not True
    assert result["caught_up"] is True and result["lag"] == 4 and result["node_id"] == 2
    lags = [entry["lag"] for entry in result["trace"]]
    assert lags == [314, 16, 4, 4]
    assert result["trace"][0]["reason"] == "node n2 lags 314 behind the leader (max_lag 10)"


def test_timeout_names_the_lag(meta, module_runner):
    meta.applied[2] = 659
    result = module_runner("databend_meta_status", status_args(meta, wait_for="caught_up", node=meta.url(2),
                                                               timeout=0.3, interval=0.2))
    assert result["failed"] is True
    assert result["msg"].endswith("): node n2 lags 153 behind the leader (max_lag 10)")
    assert result["lag"] == 153


def test_a_read_once_reports_a_node_that_is_down(meta, module_runner):
    down = closed_port_url()
    result = module_runner("databend_meta_status", {"admin_urls": meta.urls[:2] + [down], "request_timeout": 2})
    assert result.get("failed") is not True and result["checks"] == 1 and "trace" not in result
    assert result["healthy"] is True and result["down"] == [down]
    assert result["nodes"][2]["url"] == down and "Connection refused" in result["nodes"][2]["error"]
    assert result["nodes"][2]["error"].startswith("GET %s/v1/cluster/status failed: " % down)


def test_voters_missing_from_the_cluster(meta, module_runner):
    result = module_runner("databend_meta_status", status_args(meta, expected_voters=5, wait_for="none"))
    assert result["healthy"] is False and result["reason"] == "voters 3 of 5"


def test_the_legacy_status_layout_is_read(meta, module_runner):
    meta.template = LEGACY_TEMPLATE  # db_size, key_num (up to 1.2.657)
    result = module_runner("databend_meta_status", status_args(meta, node=meta.url(3), wait_for="caught_up"))
    assert result.get("failed") is not True and result["caught_up"] is True and result["lag"] == 0


def test_a_url_that_is_no_meta_admin_api_fails_at_once(meta, module_runner):
    wrong = meta.urls[0] + "/prefix"
    result = module_runner("databend_meta_status", status_args(meta, admin_urls=[wrong], wait_for="quorum"))
    assert result["failed"] is True
    assert result["msg"] == ("GET %s/v1/cluster/status answered HTTP 404 with an empty body; expected the "
                             "databend-meta admin API (admin_api_address, port 28002 by default)" % wrong)
    assert len(meta.requests) == 1


def test_caught_up_needs_a_node(meta, module_runner):
    result = module_runner("databend_meta_status", status_args(meta, wait_for="caught_up"))
    assert result["failed"] is True
    assert result["msg"] == "wait_for is caught_up but all of the following are missing: node"


def test_node_must_be_one_of_the_admin_urls(meta, module_runner):
    result = module_runner("databend_meta_status", status_args(meta, node="http://127.0.0.1:1/"))
    assert result["failed"] is True
    assert result["msg"] == "node http://127.0.0.1:1 is not one of admin_urls (%s)" % ", ".join(meta.urls)
    assert meta.requests == []


def test_status_in_check_mode(meta, module_runner):
    result = module_runner("databend_meta_status", status_args(meta, wait_for="quorum"), check_mode=True)
    assert result.get("failed") is not True and result["healthy"] is True and result["changed"] is False


# -- databend_meta_leader -----------------------------------------------------------------------------------------


def leader_args(meta, **extra):
    base = {"admin_urls": meta.urls, "away_from": meta.url(1), "interval": 0.1, "timeout": 20, "stable_checks": 2}
    base.update(extra)
    return dict((key, value) for key, value in base.items() if value is not None)


def test_transfer_from_the_leader_waits_until_the_new_leader_is_seen(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result.get("failed") is not True
    assert result["changed"] is True and result["retried"] is False
    assert (result["from"], result["to"], result["leader"]) == (1, 2, 2)
    assert result["leader_url"] == meta.url(2) and result["voters"] == [1, 2, 3]
    assert meta.transfers() == [(1, {"to": "2"})]
    phases = [(entry["phase"], entry["leader"]) for entry in result["trace"]]
    # one read before; the election (no leader on the first reads), then the new leader twice in a row
    assert phases[0] == ("before", 1) and phases[-2:] == [("after", 2), ("after", 2)]
    assert ("after", None) in phases
    assert result["trace"][0]["action"] == "transfer"
    assert result["checks"] == len(result["trace"])
    assert [entry["elapsed"] for entry in result["trace"]] == sorted(entry["elapsed"] for entry in result["trace"])


def test_away_from_a_follower_changes_nothing(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta, away_from=meta.url(2)))
    assert result.get("failed") is not True
    assert result["changed"] is False and result["from"] is None and result["to"] is None
    assert result["leader"] == 1 and result["leader_url"] == meta.url(1)
    assert meta.transfers() == [] and result["checks"] == 1


def test_a_leader_older_than_the_route_is_refused_before_any_call(meta, module_runner):
    meta.versions[1] = "v1.2.547-nightly-af63a77b73-simd(1.78.0-nightly-2024-06-27T00:00:00.000000000Z)"
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == (
        "cannot move leadership away from %s (n1): it runs databend-meta 1.2.547, which has no "
        "/v1/ctrl/trigger_transfer_leader (added in 1.2.599); upgrade it with a restart while it leads, which costs "
        "one leader election (no meta writes until the other voters elect a new leader)" % meta.url(1))
    assert meta.transfers() == []


def test_a_not_leader_answer_is_retried_once_after_a_new_read(meta, module_runner):
    meta.transfer_answers = [(404, lambda cluster, node_id: cluster.not_leader_body(node_id).replace(
        "Some(1)", "Some(3)"))]
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result.get("failed") is not True
    assert result["changed"] is True and result["retried"] is True and result["leader"] == 2
    assert meta.transfers() == [(1, {"to": "2"}), (1, {"to": "2"})]
    assert [entry["phase"] for entry in result["trace"]][:2] == ["before", "before"]


def test_a_not_leader_answer_after_the_leader_moved_on_its_own(meta, module_runner):
    def moved(cluster):
        cluster.leader = 3
    meta.transfer_answers = [(404, lambda cluster, node_id: cluster.not_leader_body(node_id))]
    meta.transfer_effects = [moved]
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result.get("failed") is not True
    assert result["changed"] is False and result["retried"] is True
    assert result["leader"] == 3 and result["from"] is None
    assert meta.transfers() == [(1, {"to": "2"})]


def test_a_second_not_leader_answer_fails(meta, module_runner):
    def body(cluster, node_id):
        return cluster.not_leader_body(node_id).replace("Some(1)", "Some(2)")
    meta.transfer_answers = [(404, body), (404, body)]
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == ("moving leadership away from %s failed: %s is not the leader (it names n2), again after "
                             "reading the statuses anew; leadership is changing on its own, check the meta cluster "
                             "and run again" % (meta.url(1), meta.url(1)))


def test_the_first_versions_of_the_route_get_to_and_answer_null(meta, module_runner):
    meta.transfer_mode = "null"
    meta.versions[1] = "v1.2.600-nightly-9df7fb272e-simd(1.78.0-nightly-2024-08-20T00:00:00.000000000Z)"
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result.get("failed") is not True
    assert (result["changed"], result["from"], result["to"], result["leader"]) == (True, 1, 2, 2)
    assert meta.transfers() == [(1, {"to": "2"})]


def test_a_lagging_follower_is_passed_over(meta, module_runner):
    meta.applied[2] = 500
    result = module_runner("databend_meta_leader", leader_args(meta))
    assert result["changed"] is True and result["to"] == 3 and result["leader"] == 3
    assert meta.transfers() == [(1, {"to": "3"})]


def test_the_given_to(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta, to=3))
    assert result["to"] == 3 and result["leader"] == 3 and meta.transfers() == [(1, {"to": "3"})]


def test_a_to_that_is_no_voter_is_refused(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta, to=9))
    assert result["failed"] is True
    assert result["msg"] == "to=9 is not a voter of the meta cluster (voters: 1, 2, 3)"
    assert meta.transfers() == []


def test_timeout_when_the_leader_stays(meta, module_runner):
    meta.election_reads = 10 ** 6  # the cluster never settles: no leader after the transfer
    result = module_runner("databend_meta_leader", leader_args(meta, timeout=1.0, interval=0.2))
    assert result["failed"] is True and result["changed"] is True
    assert (result["from"], result["to"]) == (1, 2)
    assert result["msg"].startswith("timed out after ")
    assert "waiting for leadership to move away from %s (n1) (" % meta.url(1) in result["msg"]
    assert result["msg"].endswith("): no leader")
    assert result["leader"] is None and result["trace"][-1] == dict(result["trace"][-1], phase="after", healthy=False)


def test_leader_check_mode_reports_and_does_not_call(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta), check_mode=True)
    assert result.get("failed") is not True
    assert result["changed"] is True and (result["from"], result["to"]) == (1, 2) and result["leader"] == 1
    assert meta.transfers() == []


def test_away_from_must_be_one_of_the_admin_urls(meta, module_runner):
    result = module_runner("databend_meta_leader", leader_args(meta, away_from="http://127.0.0.1:1"))
    assert result["failed"] is True
    assert result["msg"] == "away_from http://127.0.0.1:1 is not one of admin_urls (%s)" % ", ".join(meta.urls)


def test_module_defaults_give_admin_urls_to_both_meta_modules(meta, tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/distsql.upgrade.databend_meta": {"admin_urls": meta.urls},
                            "group/distsql.upgrade.databend": {"request_timeout": 3, "interval": 0.1}},
        "tasks": [
            {"name": "status", "distsql.upgrade.databend_meta_status": {"wait_for": "quorum", "stable_checks": 1}},
            {"name": "leader", "distsql.upgrade.databend_meta_leader": {"away_from": meta.url(2)}},
        ]}]))
    inventory = tmp_path / "hosts"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    records, _proc = run_playbook(str(playbook), str(inventory))
    results = [record["result"] for record in records]
    assert len(results) == 2 and not any(result.get("failed") for result in results)
    assert results[0]["healthy"] is True and results[1]["changed"] is False and results[1]["leader"] == 1
