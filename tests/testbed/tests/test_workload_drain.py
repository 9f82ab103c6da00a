"""What a node restart costs an application behind HAProxy: drained (nothing) versus hard-killed (errors).

3 podman nodes running the simulated CockroachDB v23.2.9 behind HAProxy configured from `cockroach gen haproxy`,
and a pgwire workload of 50 ops/s through the LB. The workload pools 3 connections so that, with HAProxy's
roundrobin, one of them sits on node2 when node2 is restarted (the test checks this on node2 itself).
A plain `systemctl restart` sends SIGTERM, and a node drains on SIGTERM as it does for `node drain`; only a
hard kill (SIGKILL) cuts sessions without an answer.
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psycopg
import pytest

from tests.testbed.loadbalancer import configure_haproxy, min_drain_wait, wait_backend, wait_backends
from tests.testbed.provision import COCKROACH_UNIT, CockroachDeployment
from tests.testbed.workload import Workload, summary_line

pytest_plugins = ["tests.testbed.pytest_plugin"]

VERSION = "v23.2.9"
RATE = 50
CONNECTIONS = 3
SETTLE_SECONDS = 1.5


@pytest.fixture(scope="module")
def crdb(hostlab):
    with hostlab.up("tb%d-drain" % os.getpid(), 3, lb=True) as cluster:
        deployment = CockroachDeployment(hostlab, cluster, liveness_ttl=3.0, catchup_seconds=2.0).deploy(VERSION)
        configure_haproxy(cluster, cluster.nodes)
        yield cluster, deployment


def lb_sessions(node, lb):
    """Established SQL connections from the lb host on the node (what HAProxy forwards there)."""
    listing = node.exec(["ss", "-Htn", "state", "established", "( sport = :26257 )"]).stdout
    return sum(1 for line in listing.splitlines() if line.split()[-1].startswith(lb.ip + ":"))


def wait_for_session(node, lb, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lb_sessions(node, lb):
            return
        time.sleep(0.2)
    raise AssertionError("no workload session reached %s through the lb within %s s" % (node.hostname, timeout))


def restart_under_load(crdb, restart, out_path, **workload_options):
    """Run the workload, call restart(node2) once a session sits on node2, wait until all is healthy again."""
    cluster, deployment = crdb
    node2 = cluster.host("node2")
    deployment.wait_all_live()
    wait_backends(cluster, {node.hostname: "UP" for node in cluster.nodes})
    dsn = "host=%s port=26257 user=root dbname=defaultdb sslmode=disable" % cluster.lb.ip
    workload = Workload(dsn, RATE, connections=CONNECTIONS, out_path=str(out_path), **workload_options).start()
    wait_for_session(node2, cluster.lb)
    time.sleep(SETTLE_SECONDS)
    restart(node2)
    deployment.wait_all_live()
    wait_backend(cluster, "node2", "UP")
    time.sleep(SETTLE_SECONDS)
    summary = workload.stop()
    with open(str(out_path), encoding="utf-8") as written:
        assert json.load(written) == summary
    return summary


def report(capsys, label, summary):
    """Print the numbers even without -s, so CI logs show them."""
    with capsys.disabled():
        print("\n" + summary_line(summary, label))
        for sample in summary["error_samples"] + summary["retry_samples"]:
            print("    " + sample)


def drain_stop_start(crdb, lb_marked_down):
    """The documented sequence: `node drain --self`, then stop, then start (seconds until the LB saw it appended)."""
    cluster, deployment = crdb

    def restart(node):
        drain = deployment.cli(node, "node", "drain", "--self", "--insecure", "--host=%s:26257" % node.hostname)
        assert drain.stdout == "ok\n"
        assert drain.stderr.endswith("node is draining... remaining: 0 (complete)\n")
        # What server.shutdown.initial_wait must cover: HAProxy needs `fall` failed checks to stop routing.
        lb_marked_down.append(wait_backend(cluster, node.hostname, "DOWN", timeout=min_drain_wait() + 5))
        node.systemctl("stop", COCKROACH_UNIT)
        node.systemctl("start", COCKROACH_UNIT)
    return restart


def test_drained_restart_costs_the_application_nothing(crdb, capsys, tmp_path):
    lb_marked_down = []
    summary = restart_under_load(crdb, drain_stop_start(crdb, lb_marked_down), tmp_path / "drained.json")
    report(capsys, "drain+stop+start node2 (lb marked it DOWN %.1f s after the drain)" % lb_marked_down[0], summary)

    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["ok"] >= RATE * summary["elapsed_s"] * 0.6
    # the drain ended a live session; the client moved to another node without an error
    assert summary["retry_classes"].get("AdminShutdown", 0) >= 1, summary["retry_samples"]
    assert summary["hard_stopped"] is False


def test_hard_kill_fails_statements(crdb, capsys, tmp_path):
    def kill_and_start(node):
        node.systemctl("kill", "-s", "KILL", COCKROACH_UNIT)
        wait_until_inactive(node)
        node.systemctl("start", COCKROACH_UNIT)

    summary = restart_under_load(crdb, kill_and_start, tmp_path / "killed.json")
    report(capsys, "systemctl kill -s KILL + start node2 (no drain)", summary)

    assert summary["errors"] > 0
    # the session on node2 was cut without an answer: the application cannot know whether its statement ran
    assert summary["error_classes"].get("OperationalError", 0) >= 1, summary["error_samples"]
    assert any("server closed the connection unexpectedly" in sample for sample in summary["error_samples"])
    assert summary["ok"] >= RATE * summary["elapsed_s"] * 0.6


def test_plain_restart_drains_on_sigterm(crdb, capsys, tmp_path):
    """`systemctl restart` = SIGTERM: the node drains with the current settings before it exits."""
    summary = restart_under_load(crdb, lambda node: node.systemctl("restart", COCKROACH_UNIT),
                                 tmp_path / "restarted.json")
    report(capsys, "systemctl restart node2 (SIGTERM drains)", summary)

    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["retry_classes"].get("AdminShutdown", 0) >= 1, summary["retry_samples"]
    assert summary["ok"] >= RATE * summary["elapsed_s"] * 0.6


def test_initial_wait_covering_the_lb_check_leaves_only_the_ended_session(crdb, capsys, tmp_path):
    """server.shutdown.initial_wait >= inter x (fall + 1): HAProxy stops routing to the node before it refuses
    new sessions, so no connection attempt fails; only the open session is ended (57P01) and retried."""
    cluster, deployment = crdb
    wait = "%ds" % min_drain_wait()
    served_while_unready = []

    def restart(node):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            drained = pool.submit(drain_stop_start(crdb, []), node)
            wait_for(lambda: ready_status(node) == 503, "node2's readiness check to fail", 5)
            with psycopg.connect(host=node.ip, port=26257, user="root", dbname="defaultdb", sslmode="disable",
                                 autocommit=True, connect_timeout=2) as direct:  # a new session, not through the LB
                served_while_unready.append(direct.execute("SELECT 1").fetchone())
            drained.result()

    run_sql(deployment, cluster, "SET CLUSTER SETTING server.shutdown.initial_wait = '%s'" % wait, "SET CLUSTER SETTING")
    try:
        summary = restart_under_load(crdb, restart, tmp_path / "initial-wait.json")
    finally:
        run_sql(deployment, cluster, "RESET CLUSTER SETTING server.shutdown.initial_wait", "SET CLUSTER SETTING")  # RESET's tag (FS 3)
    report(capsys, "drain (initial_wait %s)+stop+start node2" % wait, summary)

    assert served_while_unready == [(1,)]
    assert summary["errors"] == 0, summary["error_samples"]
    assert set(summary["retry_classes"]) == {"AdminShutdown"}, summary["retry_samples"]


def ready_status(node):
    try:
        with urllib.request.urlopen("http://%s:8080/health?ready=1" % node.ip, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(predicate, what, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.1)


def run_sql(deployment, cluster, statement, tag):
    done = deployment.cli(cluster.host("node1"), "sql", "--insecure", "--host=node1:26257", "-e", statement)
    assert done.stdout == tag + "\n", done.stderr


def wait_until_inactive(node, timeout=30.0):
    """`systemctl kill` only sends the signal: wait until systemd has seen the process die."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.exec(["systemctl", "is-active", COCKROACH_UNIT], check=False).stdout.strip() != "active":
            return
        time.sleep(0.1)
    raise AssertionError("%s still active %s s after SIGKILL" % (COCKROACH_UNIT, timeout))


def test_drained_restart_without_client_retry_shows_the_refused_statement(crdb, capsys, tmp_path):
    """What the retry above absorbed: the drain answers the session's next statement with 57P01 instead of running it."""
    summary = restart_under_load(crdb, drain_stop_start(crdb, []), tmp_path / "drained-no-retry.json",
                                 retry_admin_shutdown=False)
    report(capsys, "drain+stop+start node2, client without 57P01 retry", summary)

    assert summary["errors"] >= 1
    assert set(summary["error_classes"]) == {"AdminShutdown"}, summary["error_samples"]
    assert summary["error_samples"][0] == "AdminShutdown: server is shutting down"


def test_workload_command_line_writes_its_summary(crdb, tmp_path):
    cluster, _deployment = crdb
    out = tmp_path / "cli.json"
    run = subprocess.run([sys.executable, "-m", "tests.testbed", "workload", "--name", cluster.name, "--duration", "2",
                          "--rate", "20", "--out", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    assert run.stdout.startswith("workload: %d ok, 0 errors" % summary["ok"])
    assert summary["target"] == "%s:26257" % cluster.lb.ip
    assert 30 <= summary["ok"] <= 42 and summary["errors"] == 0
