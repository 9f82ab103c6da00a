"""Simulator faults set through faults.py change how the node's systemd unit and the cluster behave.

The first tests check the fault file handling on the controller; the others inject each fault into node3 of a
3-node simulated CockroachDB cluster on podman hosts and observe it through systemd and the cockroach CLI.
"""
import json
import os
import subprocess
import sys
import time

import pytest

from tests.testbed.faults import clear_faults, effective_faults, fault_path, parse_assignment, read_faults, set_fault
from tests.testbed.hostlab import LabError
from tests.testbed.provision import COCKROACH_BINARY, COCKROACH_UNIT, CockroachDeployment
from sim.common.config import load_faults, select_faults  # noqa: E402  (provision puts `sim` on sys.path)

pytest_plugins = ["tests.testbed.pytest_plugin"]

VERSION = "v23.2.9"
LIVENESS_TTL = 2.0
CATCHUP_SECONDS = 1.0
DROPIN = "/etc/systemd/system/%s.service.d/50-fault-test.conf" % COCKROACH_UNIT
NODE_LOG = "/var/lib/cockroach/cockroach-data/logs/cockroach.log"
RANGE_HEALTH_SQL = ("SELECT sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated "
                    "FROM crdb_internal.kv_store_status")


class StubCluster:
    """The two things faults.py uses from a lab Cluster."""

    def __init__(self, shared_dir, hostnames):
        self.shared_dir = shared_dir
        self.hostnames = hostnames

    def host(self, hostname):
        if hostname not in self.hostnames:
            raise LabError("cluster stub has no host %r" % hostname)
        return hostname


def test_set_fault_merges_into_the_file_the_simulator_reads(tmp_path):
    cluster = StubCluster(str(tmp_path), ["node1", "node2"])
    assert set_fault(cluster, "node2", never_ready=True) == {"never_ready": True}
    assert set_fault(cluster, "node2", slow_catchup_seconds=20) == {"never_ready": True, "slow_catchup_seconds": 20.0}
    path = fault_path(cluster, "node2")
    assert path == os.path.join(str(tmp_path), "faults", "node2.json")
    with open(path, encoding="utf-8") as written:
        assert json.load(written) == {"never_ready": True, "slow_catchup_seconds": 20.0}
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert read_faults(cluster, "node1") == {}
    clear_faults(cluster, "node2")
    assert not os.path.exists(path)
    clear_faults(cluster, "node2")  # nothing set: no error


@pytest.mark.parametrize("flags, message", [
    ({"bogus": True}, "unknown fault 'bogus' (known: crash_on_start, hang_on_stop, never_ready, slow_catchup_seconds, slow_drain_seconds)"),
    ({"never_ready": "yes"}, "fault never_ready needs true or false, got 'yes'"),
    ({"slow_catchup_seconds": 0}, "fault slow_catchup_seconds needs a positive number of seconds, got 0"),
    ({"slow_catchup_seconds": True}, "fault slow_catchup_seconds needs a positive number of seconds, got True"),
])
def test_set_fault_refuses_unknown_names_and_wrong_values(tmp_path, flags, message):
    cluster = StubCluster(str(tmp_path), ["node1"])
    with pytest.raises(LabError) as raised:
        set_fault(cluster, "node1", **flags)
    assert str(raised.value) == message
    assert not os.path.exists(fault_path(cluster, "node1"))


def test_faults_limited_to_a_version_sit_beside_the_others(tmp_path):
    cluster = StubCluster(str(tmp_path), ["node1", "node2"])
    set_fault(cluster, "node2", never_ready=True)
    assert set_fault(cluster, "node2", version="v24.1.4", crash_on_start=True) == {
        "never_ready": True, "versions": {"v24.1.4": {"crash_on_start": True}}}
    set_fault(cluster, "node2", version="v24.1.4", slow_drain_seconds=5)
    set_fault(cluster, "node2", version="v24.1.6", hang_on_stop=True)
    document = read_faults(cluster, "node2")
    assert document["versions"] == {"v24.1.4": {"crash_on_start": True, "slow_drain_seconds": 5.0},
                                    "v24.1.6": {"hang_on_stop": True}}
    # what each build applies: the simulators' rule (sim/common/config.py) and the controller's agree
    for tag, expected in (("v23.2.9", {"never_ready": True}),
                          ("v24.1.4", {"never_ready": True, "crash_on_start": True, "slow_drain_seconds": 5.0}),
                          ("v24.1.6", {"never_ready": True, "hang_on_stop": True})):
        assert effective_faults(document, tag) == expected
        assert select_faults(document, tag) == expected
        assert load_faults({"shared_dir": str(tmp_path)}, "node2", tag) == expected
    assert clear_faults(cluster, "node2", version="v24.1.4") == {"never_ready": True,
                                                                 "versions": {"v24.1.6": {"hang_on_stop": True}}}
    assert clear_faults(cluster, "node2", version="v24.1.6") == {"never_ready": True}
    clear_faults(cluster, "node2")
    assert not os.path.exists(fault_path(cluster, "node2"))
    with pytest.raises(LabError) as raised:
        set_fault(cluster, "node1", version="latest", crash_on_start=True)
    assert str(raised.value) == "fault version 'latest' must be a release tag such as v24.1.4"


def test_set_fault_refuses_a_host_outside_the_cluster(tmp_path):
    with pytest.raises(LabError) as raised:
        set_fault(StubCluster(str(tmp_path), ["node1"]), "node7", crash_on_start=True)
    assert str(raised.value) == "cluster stub has no host 'node7'"


@pytest.mark.parametrize("text, parsed", [
    ("never_ready=true", ("never_ready", True)),
    ("hang_on_stop=False", ("hang_on_stop", False)),
    ("slow_catchup_seconds=12.5", ("slow_catchup_seconds", 12.5)),
    ("slow_drain_seconds=3", ("slow_drain_seconds", 3.0)),
])
def test_parse_assignment(text, parsed):
    assert parse_assignment(text) == parsed


@pytest.mark.parametrize("text, message", [
    ("never_ready", "fault assignment 'never_ready' must look like NAME=VALUE"),
    ("crash_on_start=maybe", "fault crash_on_start needs true or false, got 'maybe'"),
    ("slow_catchup_seconds=soon", "fault slow_catchup_seconds needs a positive number of seconds, got 'soon'"),
])
def test_parse_assignment_errors(text, message):
    with pytest.raises(LabError) as raised:
        parse_assignment(text)
    assert str(raised.value) == message


# ---------------------------------------------------------------- on podman hosts

@pytest.fixture(scope="module")
def crdb(hostlab):
    with hostlab.up("tb%d-faults" % os.getpid(), 3) as cluster:
        deployment = CockroachDeployment(hostlab, cluster, liveness_ttl=LIVENESS_TTL,
                                         catchup_seconds=CATCHUP_SECONDS).deploy(VERSION)
        yield cluster, deployment


@pytest.fixture
def node3(crdb):
    """node3, restored afterwards: no faults, no unit drop-in, service running and the cluster live."""
    cluster, deployment = crdb
    node = cluster.host("node3")
    yield node
    clear_faults(cluster, node)
    node.exec(["rm", "-f", DROPIN])
    node.systemctl("daemon-reload")
    node.systemctl("reset-failed", COCKROACH_UNIT, check=False)
    node.systemctl("restart", COCKROACH_UNIT)
    deployment.wait_all_live()


def set_unit_timeouts(node, **timeouts):
    node.exec(["mkdir", "-p", os.path.dirname(DROPIN)])
    node.write_file(DROPIN, "[Service]\n" + "".join("%s=%s\n" % item for item in timeouts.items()))
    node.systemctl("daemon-reload")


def unit_properties(node, *names):
    shown = node.exec(["systemctl", "show", "-p", ",".join(names), COCKROACH_UNIT]).stdout
    return dict(line.split("=", 1) for line in shown.splitlines())


def node_status(deployment):
    """`cockroach node status --all` rows by node id (a dead node's address reads NULL, so ids identify nodes)."""
    lines = deployment.node_status_csv().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    return {row["id"]: row for row in rows}


def node_id(deployment, hostname):
    for row in node_status(deployment).values():
        if row["address"] == "%s:26257" % hostname:
            return row["id"]
    raise AssertionError("no live node %s in node status" % hostname)


def underreplicated_ranges(deployment):
    out = deployment.cli(deployment.nodes[0], "sql", "--insecure", "--host=node1:26257", "--format=csv",
                         "-e", RANGE_HEALTH_SQL).stdout
    return int(out.splitlines()[1])


def wait_for(what, predicate, timeout, interval=0.2):
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(interval)
    return time.monotonic() - started


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_crash_on_start_fails_the_start_and_the_node_stays_down(crdb, node3):
    cluster, deployment = crdb
    node3_id = node_id(deployment, "node3")
    set_fault(cluster, node3, crash_on_start=True)

    started = node3.systemctl("restart", COCKROACH_UNIT, check=False)

    assert started.returncode != 0
    assert unit_properties(node3, "ExecMainStatus")["ExecMainStatus"] == "2"
    journal = node3.exec(["journalctl", "-u", COCKROACH_UNIT, "--no-pager"]).stdout
    assert "panic: testbed fault crash_on_start for node3" in journal
    wait_for("node3 to lose liveness", lambda: node_status(deployment)[node3_id]["is_live"] == "false", LIVENESS_TTL + 10)
    assert node3.exec(["systemctl", "is-active", COCKROACH_UNIT], check=False).stdout.strip() != "active"


def test_never_ready_start_times_out_in_systemd(crdb, node3):
    cluster, _deployment = crdb
    set_unit_timeouts(node3, TimeoutStartSec=4)
    set_fault(cluster, node3, never_ready=True)

    started, seconds = timed(lambda: node3.systemctl("restart", COCKROACH_UNIT, check=False))

    assert started.returncode != 0
    assert 3.5 <= seconds < 15
    assert unit_properties(node3, "Result")["Result"] == "timeout"
    assert "Job for %s.service failed" % COCKROACH_UNIT in started.stderr


def test_slow_catchup_keeps_ranges_underreplicated_longer(crdb, node3):
    cluster, deployment = crdb

    def catchup_seconds():
        wait_for("healthy ranges before the restart", lambda: underreplicated_ranges(deployment) == 0, 30)
        node3.systemctl("restart", COCKROACH_UNIT)
        return wait_for("healthy ranges after the restart", lambda: underreplicated_ranges(deployment) == 0, 60)

    normal = catchup_seconds()
    set_fault(cluster, node3, slow_catchup_seconds=6)
    slow = catchup_seconds()

    print("catch-up after restart: %.1f s normally, %.1f s with slow_catchup_seconds=6" % (normal, slow))
    assert normal < 4
    assert 5 <= slow < 12


def test_hang_on_stop_holds_systemctl_stop_until_timeout_stop_sec(crdb, node3):
    cluster, _deployment = crdb
    set_unit_timeouts(node3, TimeoutStopSec=3)
    node3.systemctl("restart", COCKROACH_UNIT)
    normal = timed(lambda: node3.systemctl("stop", COCKROACH_UNIT))[1]
    node3.systemctl("start", COCKROACH_UNIT)
    set_fault(cluster, node3, hang_on_stop=True)  # read when the signal arrives: no restart needed

    hanging = timed(lambda: node3.systemctl("stop", COCKROACH_UNIT, check=False))[1]

    print("systemctl stop: %.1f s normally, %.1f s with hang_on_stop (TimeoutStopSec=3)" % (normal, hanging))
    assert normal < 2
    assert 3 <= hanging < 8
    assert unit_properties(node3, "Result", "ActiveState") == {"Result": "timeout", "ActiveState": "failed"}
    assert "testbed fault hang_on_stop: ignoring" in node3.read_file(NODE_LOG)
    assert node3.exec(["pgrep", "-f", COCKROACH_BINARY], check=False).returncode == 1


def test_fault_command_line_sets_and_clears(crdb):
    cluster, _deployment = crdb
    cli = [sys.executable, "-m", "tests.testbed", "fault", "--name", cluster.name, "--node", "node2"]

    set_both = subprocess.run(cli + ["--set", "never_ready=true", "--set", "slow_catchup_seconds=20"],
                              capture_output=True, text=True, check=False)
    assert (set_both.returncode, set_both.stdout) == (0, '{"never_ready": true, "slow_catchup_seconds": 20.0}\n')
    assert read_faults(cluster, "node2") == {"never_ready": True, "slow_catchup_seconds": 20.0}

    cleared = subprocess.run(cli + ["--clear"], capture_output=True, text=True, check=False)
    assert (cleared.returncode, cleared.stdout) == (0, "{}\n")
    assert not os.path.exists(fault_path(cluster, "node2"))

    refused = subprocess.run(cli + ["--set", "bogus=1"], capture_output=True, text=True, check=False)
    assert (refused.returncode, refused.stderr) == (
        1, "error: unknown fault 'bogus' (known: crash_on_start, hang_on_stop, never_ready, slow_catchup_seconds, slow_drain_seconds)\n")
