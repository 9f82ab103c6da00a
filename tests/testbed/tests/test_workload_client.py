"""The workload's accounting, rate loop, target check and Databend HTTP client, on loopback only."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.testbed.workload import (DatabendWorkload, OperationFailed, RateLoop, Recorder, Workload, WorkloadError,
                                    check_target, percentile, summary_line)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_recorder_counts_per_second_with_latencies_classes_and_the_longest_gap():
    clock = FakeClock()
    recorder = Recorder(clock)
    recorder.success(100.2, 0.010)
    recorder.success(100.5, 0.030)
    recorder.retry(101.1, OperationFailed("AdminShutdown", "server is shutting down"))
    recorder.failure(101.2, ConnectionError("reset\nby peer"))
    recorder.failure(101.3, ConnectionError("again"))
    recorder.success(102.9, 0.020)
    clock.now = 103.5
    recorder.finish()

    summary = recorder.summary()

    assert (summary["ok"], summary["errors"], summary["retries"]) == (3, 2, 1)
    assert summary["max_gap_s"] == 2.4  # 100.5 -> 102.9
    assert summary["elapsed_s"] == 3.5
    assert (summary["p50_ms"], summary["p99_ms"]) == (20.0, 30.0)
    assert summary["error_classes"] == {"ConnectionError": 2}
    assert summary["retry_classes"] == {"AdminShutdown": 1}
    assert summary["error_samples"] == ["ConnectionError: reset | by peer", "ConnectionError: again"]
    assert [(s["second"], s["ok"], s["errors"], s["retries"]) for s in summary["seconds"]] == [
        (0, 2, 0, 0), (1, 0, 2, 1), (2, 1, 0, 0), (3, 0, 0, 0)]
    assert summary["seconds"][0]["p50_ms"] == 10.0 and summary["seconds"][1]["p50_ms"] is None
    assert summary_line(summary, "t") == ("t: 3 ok, 2 errors {'ConnectionError': 2}, 1 retries {'AdminShutdown': 1}, "
                                          "max gap 2.40 s, p50 20.0 ms, p99 30.0 ms, 3.5 s")


def test_recorder_counts_the_time_after_the_last_success_as_a_gap():
    clock = FakeClock()
    recorder = Recorder(clock)
    recorder.success(100.1, 0.001)
    clock.now = 105.1
    recorder.finish()
    assert recorder.summary()["max_gap_s"] == 5.0


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.99), percentile([7], 0.99), percentile([], 0.5)) == (50, 99, 7, None)


@pytest.mark.parametrize("host", ["127.0.0.1", "10.89.150.10", "localhost"])
def test_check_target_accepts_loopback_and_lab_subnets(host):
    assert check_target(host)


@pytest.mark.parametrize("host, address", [("192.0.2.7", "192.0.2.7"), ("10.90.0.1", "10.90.0.1")])
def test_check_target_refuses_other_addresses(host, address):
    with pytest.raises(WorkloadError) as raised:
        check_target(host)
    assert str(raised.value) == ("workload target %r resolves to %s, outside loopback and the lab subnets 10.89.0.0/16"
                                 % (host, address))


def test_pgwire_workload_refuses_a_target_outside_the_lab():
    with pytest.raises(WorkloadError) as raised:
        Workload("host=192.0.2.7 port=26257 user=root sslmode=disable", 10)
    assert str(raised.value) == ("workload target '192.0.2.7' resolves to 192.0.2.7, outside loopback and the lab "
                                 "subnets 10.89.0.0/16")


def test_pgwire_workload_setup_failure_names_the_target():
    with pytest.raises(WorkloadError) as raised:
        Workload("host=127.0.0.1 port=9 user=root sslmode=disable", 10).start()
    assert str(raised.value).startswith("workload setup on 127.0.0.1:9 failed: connection failed: ")


class ScriptedLoop(RateLoop):
    """Operations succeed, fail or block as the test says."""

    kind = "scripted"

    def __init__(self, outcome, **options):
        self.outcome = outcome
        self.unblock = None
        super().__init__(**options)

    def setup(self):
        return None

    def operation(self, worker, index):
        if self.outcome == "block":
            self.unblock = threading.Event()
            self.unblock.wait()
            raise ConnectionError("aborted")
        if self.outcome == "fail" and index % 2:
            raise OperationFailed("Scripted", "odd operation %d" % index)

    def abort(self, worker):
        if self.unblock is not None:
            self.unblock.set()


def test_rate_loop_keeps_the_rate_across_workers_and_ends_after_its_duration():
    loop = ScriptedLoop("ok", rate=40, workers=2, duration=1.0).start()
    assert loop.wait(5)
    summary = loop.stop()
    assert 38 <= summary["ok"] <= 42
    assert summary["errors"] == 0 and summary["hard_stopped"] is False
    assert 0.95 <= summary["elapsed_s"] < 1.5


def test_rate_loop_records_failures_by_class():
    loop = ScriptedLoop("fail", rate=20, duration=1.0).start()
    loop.wait(5)
    summary = loop.stop()
    assert summary["ok"] == 10 and summary["errors"] == 10
    assert summary["error_classes"] == {"Scripted": 10}


def test_a_blocked_operation_is_aborted_at_op_timeout():
    loop = ScriptedLoop("block", rate=10, duration=1.0, op_timeout=0.3).start()
    loop.wait(5)
    summary = loop.stop()
    assert summary["errors"] >= 2 and summary["ok"] == 0
    assert summary["error_classes"] == {"OpTimeout": summary["errors"]}
    assert summary["error_samples"][0] == "OpTimeout: no answer within 0.3 s (aborted)"


def test_stop_is_a_hard_stop_after_the_grace_period():
    loop = ScriptedLoop("block", rate=10, op_timeout=60).start()
    time.sleep(0.2)
    started = time.monotonic()
    summary = loop.stop(grace=0.5)
    assert time.monotonic() - started < 2
    assert summary["hard_stopped"] is True
    assert summary["error_classes"] == {"ConnectionError": 1}


class DatabendStub(BaseHTTPRequestHandler):
    """POST /v1/query the way databend-query answers it; server.mode picks success, SQL error or HTTP 503."""

    def do_POST(self):  # noqa: N802 (http.server naming)
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.seen.append((self.path, self.headers["Authorization"], body["sql"]))
        if server.mode == "unavailable":
            self._send(503, b"service unavailable")
            return
        state, error, data = "Succeeded", None, []
        if server.mode == "sql-error":
            state, error = "Failed", {"code": 2001, "message": "MetaServiceError: not connected to meta service"}
        elif body["sql"].startswith("INSERT"):
            server.rows += 1
        elif body["sql"].startswith("SELECT count(*)"):
            data = [[str(server.rows)]]
        self._send(200, json.dumps({"id": "q1", "state": state, "error": error, "data": data,
                                    "next_uri": "/v1/query/q1/final"}).encode())

    def _send(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        return None


@pytest.fixture
def databend_stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), DatabendStub)
    server.mode, server.rows, server.seen = "ok", 0, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_databend_workload_inserts_and_counts_through_the_http_handler(databend_stub, tmp_path):
    url = "http://127.0.0.1:%d" % databend_stub.server_address[1]
    out = tmp_path / "databend.json"
    workload = DatabendWorkload(url, rate=20, duration=1.0, out_path=str(out)).start()
    workload.wait(5)
    summary = workload.stop()

    assert (summary["ok"], summary["errors"]) == (20, 0)
    assert summary["kind"] == "databend-http" and summary["target"] == url
    assert databend_stub.seen[0] == ("/v1/query", "Basic cm9vdDo=", "CREATE TABLE IF NOT EXISTS workload_kv (k INT)")
    assert databend_stub.seen[1][2] == "INSERT INTO workload_kv VALUES (0)"
    assert databend_stub.seen[2][2] == "SELECT count(*) FROM workload_kv"
    assert databend_stub.rows == 10
    assert json.loads(out.read_text()) == summary


@pytest.mark.parametrize("mode, kind, sample", [
    ("sql-error", "DatabendError2001", "DatabendError2001: MetaServiceError: not connected to meta service"),
    ("unavailable", "HTTP503", "HTTP503: service unavailable"),
])
def test_databend_workload_counts_failed_queries_by_class(databend_stub, mode, kind, sample):
    url = "http://127.0.0.1:%d" % databend_stub.server_address[1]
    workload = DatabendWorkload(url, rate=20, duration=1.0).start()
    databend_stub.mode = mode
    workload.wait(5)
    summary = workload.stop()
    assert summary["errors"] >= 15
    assert set(summary["error_classes"]) == {kind}
    assert summary["error_samples"][0] == sample


def test_databend_workload_refuses_a_target_outside_the_lab():
    with pytest.raises(WorkloadError) as raised:
        DatabendWorkload("http://192.0.2.7:8000", 10)
    assert str(raised.value) == ("workload target '192.0.2.7' resolves to 192.0.2.7, outside loopback and the lab "
                                 "subnets 10.89.0.0/16")


def test_databend_setup_failure_names_the_target():
    with pytest.raises(WorkloadError) as raised:
        DatabendWorkload("http://127.0.0.1:9", 10).start()
    assert str(raised.value) == "workload setup on http://127.0.0.1:9 failed: [Errno 111] Connection refused"
