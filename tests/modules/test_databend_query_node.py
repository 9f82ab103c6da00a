"""databend_query_node run through Ansible against fake databend-query admin APIs on 127.0.0.1 and a log file.

/v1/cluster/list bodies follow the NodeInfo field set of flow-surfaces-databend.md section 4.3 (fixture
tests/unit/fixtures/databend/query_cluster_list_v1.2.709_constructed.json); the log lines are those of section 5.
"""
import json
import os
import random
import socket
import string
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import fixture_text

ENTRY = json.loads(fixture_text("databend/query_cluster_list_v1.2.709_constructed.json"))[0]
NEW = "v1.2.770-nightly-5c1d9e7a02(rust-1.85.0-nightly-2025-02-14T11:57:01.874747910Z)"
OLD = ENTRY["binary_version"]
ADDRESS = "10.89.0.21"
HANDSHAKE = fixture_text("databend/query_log_handshake_v1.2.726_constructed.log")
STARTED = fixture_text("databend/query_log_started_constructed.log")
HANDSHAKE_LINE = HANDSHAKE.splitlines()[2]


def closed_port_url():
    """The URL of a port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:%d" % port


def node_id():
    """A fresh 22-character base62 id, as every start of databend-query makes one."""
    return "".join(random.choice(string.ascii_letters + string.digits) for _position in range(22))


def entry(address=ADDRESS, version=NEW, ident=None):
    item = dict(ENTRY, id=ident or node_id(), binary_version=version, http_address="%s:8000" % address,
                flight_address="%s:9090" % address, discovery_address="%s:8000" % address)
    return item


class FakeQuery:
    """Answers /v1/health and /v1/cluster/list; ``lists`` is a list of callables (call number -> entries), the last
    one repeating."""

    def __init__(self):
        self.lists = [lambda _n: []]
        self.health = (200, '{"status":"pass"}')
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                return None

            def do_GET(self):  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                fake.requests.append(path)
                if path == "/v1/health":
                    status, body = fake.health
                elif path == "/v1/cluster/list":
                    calls = fake.requests.count(path)
                    answer = fake.lists[min(calls, len(fake.lists)) - 1](calls)
                    status, body = (200, json.dumps(answer)) if isinstance(answer, list) else answer
                else:
                    status, body = 404, '{"error":{"code":404,"message":"not found"}}'
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def query():
    node = FakeQuery()
    yield node
    node.close()


@pytest.fixture
def peer():
    node = FakeQuery()
    yield node
    node.close()


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "databend-query-default.log"
    path.write_text(STARTED)
    return path


def args(query, log_file, **extra):
    base = {"admin_url": query.url, "address": ADDRESS, "log_file": str(log_file), "expected_version": "1.2.770-nightly",
            "interval": 0.1, "timeout": 20, "stable_checks": 2}
    base.update(extra)
    return dict((key, value) for key, value in base.items() if value is not None)


def test_ready_after_the_node_registers(query, peer, log_file, module_runner):
    ident = node_id()
    query.lists = [lambda _n: [], lambda _n: [], lambda _n: [entry(ident=ident), entry("10.89.0.22")]]
    peer.lists = [lambda _n: [entry("10.89.0.22"), entry(ident=ident)]]
    offset = log_file.stat().st_size
    with open(str(log_file), "a") as handle:
        handle.write(STARTED)
    result = module_runner("databend_query_node", args(query, log_file, cluster_admin_urls=[peer.url],
                                                       log_offset=offset))
    assert result.get("failed") is not True and result["changed"] is False
    assert result["healthy"] is True and result["reason"] is None
    assert result["node_id"] == ident and result["version"] == NEW
    assert result["http_address"] == "10.89.0.21:8000" and result["flight_address"] == "10.89.0.21:9090"
    assert result["registered_via"] == [query.url, peer.url]
    assert result["log_errors"] == [] and result["log_size"] == 2 * len(STARTED.encode())
    assert result["log_rotated"] is False
    assert result["checks"] == 4  # two before the node is listed, then two in a row
    assert result["trace"][0] == {"elapsed": result["trace"][0]["elapsed"], "healthy": False,
                                  "reason": "%s/v1/cluster/list lists no node at %s" % (query.url, ADDRESS)}
    assert result["trace"][-1]["node_id"] == ident


def test_address_matching_ignores_the_random_id(query, log_file, module_runner):
    # every answer carries another id, and the ghost of the previous start (old version, same address) is listed too
    query.lists = [lambda _n: [entry(version=OLD, ident="GhostOfThePreviousStart"), entry()]]
    result = module_runner("databend_query_node", args(query, log_file, stable_checks=3))
    assert result.get("failed") is not True and result["healthy"] is True and result["checks"] == 3
    assert len(set(entry_["node_id"] for entry_ in result["trace"])) == 3
    assert result["node_id"] == result["trace"][-1]["node_id"] != "GhostOfThePreviousStart"


def test_a_handshake_line_in_the_log_fails_at_once_quoting_it(query, log_file, module_runner):
    offset = log_file.stat().st_size
    with open(str(log_file), "a") as handle:
        handle.write(HANDSHAKE)
    result = module_runner("databend_query_node", args(query, log_file, log_offset=offset, timeout=60))
    assert result["failed"] is True
    assert result["msg"] == ("databend-query at %s cannot work with its meta service, which waiting will not change: "
                             "%s has, since offset %d: %s (and 1 more such lines)"
                             % (query.url, log_file, offset, HANDSHAKE_LINE))
    assert result["log_errors"] == HANDSHAKE.splitlines()[2:]
    assert result["checks"] == 1 and result["elapsed"] < 30
    assert result["healthy"] is False


def test_a_handshake_line_before_the_offset_is_not_read(query, log_file, module_runner):
    log_file.write_text(HANDSHAKE)
    query.lists = [lambda _n: [entry()]]
    result = module_runner("databend_query_node", args(query, log_file, log_offset=len(HANDSHAKE.encode())))
    assert result.get("failed") is not True and result["healthy"] is True and result["log_errors"] == []


def test_a_rotated_log_is_read_from_its_start(query, log_file, module_runner):
    log_file.write_text(HANDSHAKE)
    result = module_runner("databend_query_node", args(query, log_file, log_offset=10 ** 7, wait_for="none"))
    assert result.get("failed") is not True
    assert result["log_rotated"] is True and len(result["log_errors"]) == 2 and result["healthy"] is False


def test_read_once_before_a_start_records_the_log_size(log_file, module_runner):
    down = closed_port_url()
    result = module_runner("databend_query_node", {"admin_url": down, "address": ADDRESS, "log_file": str(log_file),
                                                   "wait_for": "none"})
    assert result.get("failed") is not True and result["checks"] == 1
    assert result["log_size"] == len(STARTED.encode()) and result["healthy"] is False
    assert result["reason"].startswith("GET %s/v1/health failed: " % down)
    assert "trace" not in result


def test_timeout_names_the_wrong_version(query, log_file, module_runner):
    query.lists = [lambda _n: [entry(version=OLD)]]
    result = module_runner("databend_query_node", args(query, log_file, timeout=0.3, interval=0.2))
    assert result["failed"] is True
    assert result["msg"].startswith("timed out after ")
    assert "waiting for databend-query at %s to be ready (" % query.url in result["msg"]
    assert result["msg"].endswith("): %s/v1/cluster/list lists the node at %s with binary_version %s, expected "
                                  "v1.2.770-nightly" % (query.url, ADDRESS, OLD))
    assert result["version"] == OLD and result["registered_via"] == []


def test_a_peer_that_does_not_list_the_node(query, peer, log_file, module_runner):
    query.lists = [lambda _n: [entry()]]
    peer.lists = [lambda _n: [entry("10.89.0.22")]]
    result = module_runner("databend_query_node", args(query, log_file, cluster_admin_urls=[peer.url],
                                                       wait_for="none"))
    assert result["healthy"] is False and result["registered_via"] == [query.url]
    assert result["reason"] == "%s/v1/cluster/list lists no node at %s" % (peer.url, ADDRESS)


def test_a_failing_health_is_waited_for(query, log_file, module_runner):
    query.health = (500, "Internal Server Error")
    query.lists = [lambda _n: [entry()]]
    result = module_runner("databend_query_node", args(query, log_file, timeout=0.3, interval=0.2))
    assert result["failed"] is True
    assert result["msg"].endswith("): GET %s/v1/health answered HTTP 500: Internal Server Error" % query.url)


def test_a_url_that_is_no_query_admin_api_fails_at_once(query, log_file, module_runner):
    result = module_runner("databend_query_node", args(query, log_file, admin_url=query.url + "/x"))
    assert result["failed"] is True
    assert result["msg"] == ('GET %s/x/v1/health answered HTTP 404: {"error":{"code":404,"message":"not found"}}; '
                             'expected the databend-query admin API (admin_api_address, port 8080 by default)'
                             % query.url)


def test_query_node_in_check_mode(query, log_file, module_runner):
    query.lists = [lambda _n: [entry()]]
    result = module_runner("databend_query_node", args(query, log_file), check_mode=True)
    assert result.get("failed") is not True and result["healthy"] is True and result["changed"] is False


def fake_systemctl(directory, properties):
    """A systemctl on PATH whose `show` prints ``properties`` (the unit of a process that exited)."""
    script = directory / "systemctl"
    script.write_text("#!/bin/sh\nprintf '%s\\n'\n" % "\\n".join("%s=%s" % item for item in properties.items()))
    script.chmod(0o755)
    return str(directory)


def test_a_query_process_that_exited_fails_at_once_with_its_unit_state(query, log_file, module_runner, tmp_path,
                                                                       monkeypatch):
    query.health = (503, "")
    exited = {"ActiveState": "failed", "SubState": "failed", "Result": "exit-code", "ExecMainStatus": "209"}
    monkeypatch.setenv("PATH", fake_systemctl(tmp_path, exited) + ":" + os.environ["PATH"])
    result = module_runner("databend_query_node", args(query, log_file, service="databend-query", timeout=60))
    assert result["failed"] is True
    assert result["msg"] == ("databend-query at %s is not running, which waiting will not change: databend-query "
                             "unit failed (failed, result exit-code, exit status 209)" % query.url)
    assert result["checks"] == 1 and result["elapsed"] < 30


def test_a_running_unit_is_waited_for(query, log_file, module_runner, tmp_path, monkeypatch):
    query.lists = [lambda _n: [entry()]]
    running = {"ActiveState": "active", "SubState": "running", "Result": "success", "ExecMainStatus": "0"}
    monkeypatch.setenv("PATH", fake_systemctl(tmp_path, running) + ":" + os.environ["PATH"])
    result = module_runner("databend_query_node", args(query, log_file, service="databend-query"))
    assert result.get("failed") is not True and result["healthy"] is True and result["exited"] is None
