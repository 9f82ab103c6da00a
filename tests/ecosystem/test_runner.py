"""ansible-runner smoke runs of the installed collection's entry points (by FQCN, as AWX and ansible-navigator run
them) on a 1-node CockroachDB testbed cluster: each run's status and rc, and the host-keyed results it publishes
with set_stats, read from the artifact_data of its last event (playbook_on_stats).

The tests run in file order on one cluster: refused precheck, precheck, upgrade (finalization held), refused
rollback, finalize. The cluster is removed at the end whatever happens.
"""
import json
import os
import shutil
import sys

import ansible_runner
import pytest
import yaml

from tests.testbed.provision import STANDALONE
from tests.testbed.pytest_plugin import open_lab
from tests.testbed.upgrade_lab import bring_up

FROM, TO = "v23.2.9", "v24.1.4"
PUBLISHED = {"distsql_result", "distsql_result_run"}
TOPOLOGY_REFUSAL = (
    "the multi_replica flow does not fit the 1 host(s) of group cockroach: standalone is one start-single-node host; a "
    "multi-replica rolling upgrade needs at least 3 nodes so that every range keeps a quorum while one node is down "
    "(upgrade-single-replica.yml does a full-stop upgrade); a standalone cluster (distsql_topology) is upgraded with "
    "standalone")


@pytest.fixture(scope="module")
def inventory():
    """A fresh standalone v23.2.9 cluster named eco<pid> (its inventory path), always removed afterwards."""
    lab = open_lab()
    name = "eco%d" % os.getpid()
    try:
        path = bring_up(lab, name, version=FROM, topology=STANDALONE, keep=False, catchup_seconds=1,
                        finalize_delay=1)[3]
        yield path
    finally:
        lab.down(name)


@pytest.fixture(scope="module")
def private_data_dir(inventory, collections_root, work_dir):
    """env/extravars (what every run shares), env/envvars, env/settings (timeouts), inventory/ = the testbed's."""
    pdd = os.path.join(work_dir, "runner-%d" % os.getpid())
    shutil.rmtree(pdd, ignore_errors=True)
    for sub in ("env", "inventory", "reports"):
        os.makedirs(os.path.join(pdd, sub))
    shutil.copy(inventory, os.path.join(pdd, "inventory", "testbed.yml"))
    files = {
        "extravars": {"distsql_target_version": TO, "distsql_report_dir": os.path.join(pdd, "reports"),
                      "distsql_backup_destination": "nodelocal://1/backups", "distsql_wait_timeout": 120,
                      "distsql_wait_interval": 1, "distsql_stable_checks": 2},
        "envvars": {"ANSIBLE_COLLECTIONS_PATH": collections_root, "ANSIBLE_NOCOLOR": "1",
                    "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")},
        # a run that hangs ends with status "timeout" instead of blocking the suite
        "settings": {"job_timeout": 900, "idle_timeout": 600},
    }
    for name, content in files.items():
        with open(os.path.join(pdd, "env", name), "w", encoding="utf-8") as out:
            yaml.safe_dump(content, out)
    yield pdd
    shutil.rmtree(pdd, ignore_errors=True)


class Run:
    """An ansible-runner run of a playbook of the installed collection and what it published."""

    def __init__(self, pdd, playbook, ident, **extravars):
        self.stdout_path = os.path.join(pdd, "artifacts", ident, "stdout")
        self.runner = ansible_runner.run(private_data_dir=pdd, playbook=playbook, ident=ident,
                                         extravars=extravars or None, quiet=True)
        self.events = list(self.runner.events)
        last = self.events[-1] if self.events else {}
        assert last.get("event") == "playbook_on_stats", self.stdout()
        self.artifacts = last["event_data"]["artifact_data"]

    def stdout(self):
        with open(self.stdout_path, encoding="utf-8") as source:
            return source.read()

    def assert_status(self, status, rc):
        assert (self.runner.status, self.runner.rc) == (status, rc), self.stdout()

    @property
    def hosts(self):
        return self.artifacts["distsql_result"]

    @property
    def run(self):
        return self.artifacts["distsql_result_run"]

    def report(self):
        """The JSON report the run wrote, at the path it published."""
        with open(self.run["report_path"], encoding="utf-8") as source:
            return json.load(source)


def _assert_common(run, playbook, flow, outcome):
    assert set(run.artifacts) == PUBLISHED
    assert sorted(run.hosts) == ["node1"]
    node = run.hosts["node1"]
    for key in ("run_id", "playbook", "flow", "outcome", "report_path"):
        assert node[key] == run.run[key], key
    expected = {"playbook": playbook, "engine": "cockroachdb", "flow": flow, "outcome": outcome}
    assert dict((key, run.run[key]) for key in expected) == expected
    assert node["engine"] == "cockroachdb"
    assert node["component"] is None
    assert run.run["hosts"] == ["node1"]
    assert run.run["check_mode"] is False
    assert run.run["report_path"] == os.path.join(os.path.dirname(run.run["report_path"]),
                                                  "distsql-upgrade-%s.json" % run.run["run_id"])
    report = run.report()
    assert (report["run_id"], report["outcome"], report["message"]) == (run.run["run_id"], outcome, run.run["message"])


def test_a_precheck_the_cluster_does_not_fit_is_refused_and_says_why(private_data_dir):
    run = Run(private_data_dir, "distsql.upgrade.precheck", "precheck-refused")
    run.assert_status("failed", 2)
    _assert_common(run, "precheck.yml", "multi_replica", "refused")
    assert run.run["message"] == TOPOLOGY_REFUSAL
    assert run.hosts["node1"] == dict(run.hosts["node1"], node_outcome=None, from_version=None, to_version=TO,
                                      end_version=None, failed_step=None, message=TOPOLOGY_REFUSAL)
    assert (run.run["from_version"], run.run["target_version"], run.run["failed_hosts"]) == (None, TO, [])
    assert (run.run["cluster_version"], run.run["finalization_held"]) == (None, None)


def test_precheck_publishes_the_plan_and_changes_nothing(private_data_dir):
    run = Run(private_data_dir, "distsql.upgrade.precheck", "precheck", distsql_precheck_flow="standalone")
    run.assert_status("successful", 0)
    _assert_common(run, "precheck.yml", "standalone", "planned")
    assert run.hosts["node1"] == dict(run.hosts["node1"], node_outcome=None, from_version=FROM, to_version=TO,
                                      end_version=FROM, failed_step=None, message="precheck: nothing was changed")
    assert (run.run["from_version"], run.run["target_version"], run.run["failed_hosts"]) == (FROM, TO, [])
    assert (run.run["cluster_version"], run.run["finalization_held"]) == ("23.2", False)


def test_the_upgrade_publishes_the_upgraded_node_and_the_held_finalization(private_data_dir):
    run = Run(private_data_dir, "distsql.upgrade.upgrade_standalone", "upgrade")
    run.assert_status("successful", 0)
    _assert_common(run, "upgrade-standalone.yml", "standalone", "succeeded")
    node = run.hosts["node1"]
    assert node == dict(node, node_outcome="upgraded", from_version=FROM, to_version=TO, end_version=TO, failed_step=None)
    assert node["message"].startswith("node1: %s -> %s upgraded in " % (FROM, TO)), node["message"]
    assert run.run["message"] == ("%s -> %s on 1 node(s); finalization held: run finalize.yml when satisfied, or "
                                  "rollback.yml" % (FROM, TO))
    assert (run.run["from_version"], run.run["target_version"], run.run["failed_hosts"]) == (FROM, TO, [])
    assert (run.run["cluster_version"], run.run["finalization_held"]) == ("23.2", True)
    last = [entry for entry in run.report()["nodes"]["node1"] if entry["hop"] is not None][-1]
    assert (last["from"], last["to"], last["outcome"]) == (FROM, TO, "upgraded")


def test_a_rollback_the_cluster_does_not_fit_is_refused_and_says_why(private_data_dir):
    run = Run(private_data_dir, "distsql.upgrade.rollback", "rollback-refused", distsql_target_version=FROM)
    run.assert_status("failed", 2)
    _assert_common(run, "rollback.yml", "multi_replica", "refused")
    assert run.run["message"] == TOPOLOGY_REFUSAL
    assert (run.run["target_version"], run.hosts["node1"]["to_version"]) == (FROM, FROM)


def test_finalize_publishes_the_finalized_cluster_version(private_data_dir):
    run = Run(private_data_dir, "distsql.upgrade.finalize", "finalize")
    run.assert_status("successful", 0)
    _assert_common(run, "finalize.yml", None, "succeeded")
    assert run.run["message"] == "cluster version 24.1"
    assert run.hosts["node1"] == dict(run.hosts["node1"], node_outcome=None, from_version=TO, to_version=TO,
                                      end_version=TO, failed_step=None, message="cluster version 24.1")
    assert (run.run["cluster_version"], run.run["finalization_held"], run.run["failed_hosts"]) == ("24.1", False, [])
