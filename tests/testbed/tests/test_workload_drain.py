"""What a node restart costs an application behind HAProxy: drained first (nothing) versus not drained (errors).

3 podman nodes running the simulated CockroachDB v23.2.9 behind HAProxy configured from `cockroach gen haproxy`,
and a pgwire workload of 50 ops/s through the LB. The workload pools 3 connections so that, with HAProxy's
roundrobin, one of them sits on node2 when node2 is restarted (the test checks this on node2 itself); three
also keep 50 ops/s although the simulator answers a statement in about 44 ms.
"""
import json
import os
import subprocess
import sys
import time

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


def test_restart_without_drain_fails_statements(crdb, capsys, tmp_path):
    def restart(node):
        node.systemctl("restart", COCKROACH_UNIT)

    summary = restart_under_load(crdb, restart, tmp_path / "not-drained.json")
    report(capsys, "restart node2 without drain", summary)

    assert summary["errors"] > 0
    # the session on node2 was cut without an answer: the application cannot know whether its statement ran
    assert summary["error_classes"].get("OperationalError", 0) >= 1, summary["error_samples"]
    assert any("server closed the connection unexpectedly" in sample for sample in summary["error_samples"])
    assert summary["ok"] >= RATE * summary["elapsed_s"] * 0.6


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
