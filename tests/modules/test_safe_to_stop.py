"""safe_to_stop run through Ansible against a tiny HTTP server on 127.0.0.1 that answers with the recorded bodies."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import fixture_text

HEALTHY = fixture_text("cockroach/critical_nodes_healthy_docs.json")
CRITICAL = fixture_text("cockroach/critical_nodes_critical_node_constructed.json")
UNDER = fixture_text("cockroach/critical_nodes_underreplicated_constructed.json")
CRITICAL_NODE = "127.0.0.1:26359"  # address of node 3 in the NodeDescriptor sample


class FakeNode:
    """Answers POST /_status/critical_nodes with the queued (status, body) pairs, the last one repeating."""

    def __init__(self):
        self.answers = [(200, HEALTHY)]
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                return None

            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                fake.requests.append({"method": method, "path": self.path, "body": body,
                                      "content_type": self.headers.get("Content-Type"),
                                      "cookie": self.headers.get("Cookie")})
                status, text = fake.answers[min(len(fake.requests) - 1, len(fake.answers) - 1)]
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._answer("POST")

            def do_GET(self):
                self._answer("GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *answers):
        self.answers = [answer if isinstance(answer, tuple) else (200, answer) for answer in answers]


@pytest.fixture
def fake_node():
    node = FakeNode()
    yield node
    node.server.shutdown()
    node.server.server_close()


def args(fake_node, **extra):
    base = {"engine": "cockroachdb", "url": fake_node.url, "node": CRITICAL_NODE, "interval": 0.1, "timeout": 30,
            "stable_checks": 2}
    base.update(extra)
    return dict((key, value) for key, value in base.items() if value is not None)


def test_waits_while_the_node_is_critical_then_succeeds(fake_node, module_runner):
    fake_node.answer(CRITICAL, CRITICAL, HEALTHY)
    result = module_runner("safe_to_stop", args(fake_node))
    assert result.get("failed") is not True and result["changed"] is False
    assert result["safe"] is True and result["reason"] is None
    assert result["checks"] == 4  # two critical answers, then two healthy ones in a row
    assert result["node"] == {"name": CRITICAL_NODE, "node_id": None, "address": None, "critical": False}
    assert result["critical_nodes"] == [] and result["underreplicated_ranges"] == []
    assert result["unavailable_ranges"] == [] and result["unavailable_node_ids"] == []
    assert [request["method"] for request in fake_node.requests] == ["POST"] * 4
    assert fake_node.requests[0] == {"method": "POST", "path": "/_status/critical_nodes", "body": "{}",
                                     "content_type": "application/json", "cookie": None}


def test_timeout_names_why_the_node_is_not_safe(fake_node, module_runner):
    fake_node.answer(CRITICAL)
    result = module_runner("safe_to_stop", args(fake_node, node=None, node_id=3, timeout=0.5, interval=0.2))
    assert result["failed"] is True
    assert result["msg"].startswith("timed out after ")
    assert "waiting for node n3 to be safe to stop (" in result["msg"]
    assert result["msg"].endswith("): node 127.0.0.1 (n3) is critical: ranges on it would lose quorum (the report "
                                  "names none of them)")
    assert result["safe"] is False
    assert result["node"] == {"name": "127.0.0.1", "node_id": 3, "address": CRITICAL_NODE, "critical": True}
    assert result["critical_nodes"] == [{"node_id": 3, "address": CRITICAL_NODE, "sql_address": "127.0.0.1:26259",
                                         "build_tag": "v23.2.0-rc.2"}]


def test_reads_once_without_failing(fake_node, module_runner):
    fake_node.answer(UNDER)
    result = module_runner("safe_to_stop", args(fake_node, node="node2", wait_for="none"))
    assert result.get("failed") is not True
    assert result["safe"] is False and result["checks"] == 1
    assert result["reason"] == "1 range is under-replicated: r71"
    assert result["underreplicated_ranges"] == [71]


def test_allow_underreplicated(fake_node, module_runner):
    fake_node.answer(UNDER)
    result = module_runner("safe_to_stop", args(fake_node, node="node2", allow_underreplicated=True, stable_checks=1))
    assert result["safe"] is True and result["underreplicated_ranges"] == [71]


def test_an_answer_waiting_cannot_change_fails_at_once(fake_node, module_runner):
    fake_node.answer((405, ""))
    result = module_runner("safe_to_stop", args(fake_node, timeout=60))
    assert result["failed"] is True
    assert result["msg"] == ("POST %s/_status/critical_nodes answered HTTP 405 with an empty body; the route is POST "
                             "/_status/critical_nodes, served from CockroachDB v23.1 on; check that url is the node's "
                             "HTTP address (port 8080 by default, not the SQL port)" % fake_node.url)
    assert len(fake_node.requests) == 1


def test_a_body_that_is_not_json_fails_clearly(fake_node, module_runner):
    fake_node.answer("<html>login</html>")
    result = module_runner("safe_to_stop", args(fake_node, wait_for="none"))
    assert result["failed"] is True
    assert result["msg"] == ("POST %s/_status/critical_nodes: cannot parse POST /_status/critical_nodes response: the "
                             "body is not JSON: '<html>login</html>'" % fake_node.url)


def test_server_errors_count_as_failed_checks(fake_node, module_runner):
    fake_node.answer((503, '{"error": "node is shutting down"}'), HEALTHY)
    result = module_runner("safe_to_stop", args(fake_node, stable_checks=1))
    assert result["safe"] is True and result["checks"] == 2


def test_session_cookie_is_sent_and_never_shown(fake_node, module_runner):
    fake_node.answer(HEALTHY)
    secret = "AVGQ2l0c2VjcmV0c2Vzc2lvbg=="
    result = module_runner("safe_to_stop", args(fake_node, session_cookie="session=%s; Path=/; HttpOnly" % secret,
                                                stable_checks=1))
    assert result["safe"] is True
    assert fake_node.requests[0]["cookie"] == "session=%s" % secret
    assert secret not in json.dumps(result)


def test_runs_in_check_mode(fake_node, module_runner):
    fake_node.answer(HEALTHY)
    result = module_runner("safe_to_stop", args(fake_node, stable_checks=1), check_mode=True)
    assert result["safe"] is True and result["changed"] is False


def test_node_and_node_id_are_exclusive(fake_node, module_runner):
    result = module_runner("safe_to_stop", args(fake_node, node_id=3))
    assert result["failed"] is True
    assert result["msg"] == "parameters are mutually exclusive: node|node_id"
    result = module_runner("safe_to_stop", args(fake_node, node=None))
    assert result["msg"] == "one of the following is required: node, node_id"


def test_url_must_be_an_http_base_url(fake_node, module_runner):
    result = module_runner("safe_to_stop", args(fake_node, url="127.0.0.1:8080"))
    assert result["failed"] is True
    assert result["msg"] == ("url must be the base URL of a node's HTTP API, such as http://node2:8080 or "
                             "https://node2:8080; got '127.0.0.1:8080'")
    assert fake_node.requests == []


LOGIN_ARGV = "auth-session login root --only-cookie --expire-after=330s --host=node1:26257 --certs-dir=/certs"
SESSION = "CAESEHRlc3Qtc2VjcmV0LTEyMzQ="


def test_login_gets_a_session_once_and_sends_it_without_showing_it(fake_node, fake_cli, module_runner):
    fake_cli.respond(LOGIN_ARGV, "session=%s; Path=/; HttpOnly\n" % SESSION)
    fake_node.answer(CRITICAL, HEALTHY)
    login = {"binary": fake_cli.path, "host": "node1:26257", "certs_dir": "/certs"}
    result = module_runner("safe_to_stop", args(fake_node, login=login, stable_checks=1))
    assert result.get("failed") is not True and result["safe"] is True and result["checks"] == 2
    assert [request["cookie"] for request in fake_node.requests] == ["session=%s" % SESSION] * 2
    assert fake_cli.calls() == [LOGIN_ARGV.split()]
    assert SESSION not in json.dumps(result)


def test_a_failed_login_fails_before_any_request(fake_node, fake_cli, module_runner):
    fake_cli.respond(LOGIN_ARGV, {"rc": 1, "stderr": "ERROR: cannot load certificates.\nFailed running "
                                                     "\"auth-session login\"\n"})
    login = {"binary": fake_cli.path, "host": "node1:26257", "certs_dir": "/certs"}
    result = module_runner("safe_to_stop", args(fake_node, login=login))
    assert result["failed"] is True
    assert result["msg"] == ("%s auth-session login root failed: ERROR: cannot load certificates. Failed running "
                             "\"auth-session login\"" % fake_cli.path)
    assert fake_node.requests == []


def test_a_secure_node_without_a_session_fails_at_once_naming_login(fake_node, module_runner):
    fake_node.answer((401, "a valid authentication cookie is required\n"))
    result = module_runner("safe_to_stop", args(fake_node, timeout=60))
    assert result["failed"] is True
    assert result["msg"] == ("POST %s/_status/critical_nodes answered HTTP 401: a valid authentication cookie is "
                             "required; a secure cluster needs a session: give login (or session_cookie from "
                             "cockroach auth-session login)" % fake_node.url)
    assert len(fake_node.requests) == 1


def test_session_cookie_and_login_are_exclusive(fake_node, module_runner):
    result = module_runner("safe_to_stop", args(fake_node, session_cookie="session=tok42",
                                                login={"host": "node1:26257", "certs_dir": "/certs"}))
    assert result["msg"] == "parameters are mutually exclusive: session_cookie|login"
