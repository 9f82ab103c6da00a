"""refusals: runs the collection must refuse on a v23.2.9 cluster, each asserting its exact message and that
every node is unchanged byte for byte (binary and build, unit and its process, data, ledger and releases
directories, cluster settings, node status started_at); and a --check run that plans and changes nothing.

The tests run in file order on one cluster; each one that changes the cluster (a job, a stopped node, a fault)
puts it back before the next.
"""
import os
import re

import pytest

from tests.molecule_support import checks, hoststate, refusal_lab

PLAYBOOK = "distsql.upgrade.upgrade_multi_replica"
FROM = "v23.2.9"


@pytest.fixture(scope="module")
def lab(inventory_dir, state_dir, report_dir, inventory):
    return refusal_lab.Lab(inventory_dir, state_dir, report_dir, inventory, PLAYBOOK)


def assert_refused_by_preflight(lab, message, reason):
    lab.assert_refused_by_preflight(message, reason)


assert_unchanged = refusal_lab.assert_unchanged


def test_check_mode_plans_the_skipped_major_through_v24_1_and_changes_nothing(lab, show):
    """v23.2.9 -> v24.3.2 skips no major by the rules (module_utils/engines/cockroachdb/upgrades.py): 23.2's only
    next major is 24.1, whose next are 24.2 (Innovation, may be skipped) and 24.3; so the plan is two hops."""
    before = lab.snapshot()
    record = lab.run("check_mode", {"distsql_target_version": "v24.3.2"}, check=True)
    after = lab.snapshot()
    output = "\n".join(record["tail"])
    assert record["rc"] == 0, "--check failed (rc %s):\n%s" % (record["rc"], output)
    assert_unchanged("--check", hoststate.differences(before, after))
    with open(record["log"], encoding="utf-8") as source:
        log = source.read()
    for line in ('"upgrade cockroachdb from v23.2.9 to v24.3.2 (multi_major, multi_replica flow)"',
                 '"hops: v24.1.6 -> v24.3.2"',
                 '"note: read the release notes of the skipped release(s) v24.2 too"'):
        assert line in log, "the plan printed by --check lacks %s:\n%s" % (line, log[-4000:])
    report = lab.latest_report()
    show("--check: %s, plan %s" % (report["message"], [hop["version"] for hop in report["plan"]["hops"]]))
    assert (report["outcome"], report["check_mode"], report["message"]) == ("planned", True, "check mode: nothing was changed")


def test_downgrade_is_refused(lab):
    message, _record, differences = lab.refused("downgrade", {"distsql_target_version": "v23.1.28"})
    assert_unchanged("the downgrade", differences)
    assert_refused_by_preflight(lab, message, "cannot roll back from v23.2.9 to v23.1.28: the cluster version is already "
                                              "finalized at 23.2; only a restore into 23.1 remains")


def test_skipped_major_without_a_release_of_the_series_between_is_refused(lab, contract):
    releases = [entry for entry in contract["distsql_releases"] if not entry["version"].startswith("v24.1.")]
    message, _record, differences = lab.refused("skipped_major", {"distsql_target_version": "v24.3.2",
                                                                  "distsql_releases": releases})
    assert_unchanged("the skipped major", differences)
    assert_refused_by_preflight(lab, message, "no release of series 24.1 is known for the hop from v23.2.9 to v24.3.2: add "
                                              "one to distsql_releases or distsql_hop_versions")


def test_running_schema_change_job_is_refused(lab, contract, project_dir):
    name = contract["molecule_testbed"]["name"]
    job_id = run_testbed(project_dir, "job", "--name", name, "--add", "NEW SCHEMA CHANGE").strip()
    try:
        message, _record, differences = lab.refused("running_job", None)
    finally:
        run_testbed(project_dir, "job", "--name", name, "--clear-added")
    assert_unchanged("the schema-change refusal", differences)
    assert_refused_by_preflight(lab, message, "1 gate(s) failed: no_running_jobs: NEW SCHEMA CHANGE job %s" % job_id)


def test_wrong_sha256_is_refused_before_anything_runs_from_the_release(lab, contract):
    good = next(entry for entry in contract["distsql_releases"] if entry["version"] == "v23.2.12")
    releases = [dict(entry, sha256="0" * 64) if entry is good else entry for entry in contract["distsql_releases"]]
    sections = ("build_tag", "binary", "unit", "data_dir", "certs_dir", "ledger_dir", "settings", "started_at")
    before = lab.snapshot()
    message, record, differences = lab.refused("wrong_sha256", {"distsql_releases": releases}, sections=sections)
    # get_url's own message (the temporary file it downloaded to is the only part not known in advance), on every node.
    pattern = (r"staging on (node[123]) failed, no node was touched: The checksum for (\S+) did not match %s; it was %s\."
               % ("0" * 64, good["sha256"]))
    last = {failure["host"]: failure["msg"] for failure in record["failed"]}
    hosts = {host: re.fullmatch(pattern, msg or "") for host, msg in last.items()}
    assert sorted(last) == ["node1", "node2", "node3"] and all(
        found and found.group(1) == host for host, found in hosts.items()), "failures %s do not match %r" % (last, pattern)
    assert re.fullmatch(pattern, message), message
    report = lab.latest_report()
    assert report["outcome"] == "failed" and re.fullmatch(pattern, report["message"]), (report["outcome"], report["message"])
    assert_unchanged("the wrong sha256", differences)
    after = lab.snapshot()
    for node in after["nodes"]:
        staged = [item["path"] for item in checks.tree_entries(after, node, "releases_dir").values()
                  if "v23.2.12" in item["path"] and item["path"] not in checks.tree_entries(before, node, "releases_dir")]
        assert not staged, "%s: something of v23.2.12 was left in the releases directory: %s" % (node, staged)


def test_node_down_is_refused(lab, contract):
    message, differences = lab.refused_while_down("node3", contract["distsql_service"])
    assert_unchanged("the node-down refusal", differences)
    # A node stopped with SIGTERM drained first: node status keeps showing it draining (is_draining) while it is down.
    node_id = lab.node_id("node3")
    assert_refused_by_preflight(lab, message, "3 gate(s) failed: nodes_live: 2 of 3 nodes live (inventory 3); not live: n%s; "
                                              "not available: n%s; no_draining: draining: n%s; decommissioning: none; "
                                              "ranges_healthy: 0 unavailable, 60 under-replicated ranges"
                                              % (node_id, node_id, node_id))


def test_under_replicated_ranges_are_refused(lab, contract, project_dir):
    """node3 restarted with a slow catch-up: its 60 ranges stay under-replicated (the count falls over 36000 s)."""
    name, unit = contract["molecule_testbed"]["name"], contract["distsql_service"]
    run_testbed(project_dir, "fault", "--name", name, "--node", "node3", "--set", "slow_catchup_seconds=36000")
    try:
        lab.node("node3", "systemctl", "restart", unit)
        lab.node_live("node3", True)
        message, _record, differences = lab.refused("under_replicated", None)
    finally:
        run_testbed(project_dir, "fault", "--name", name, "--node", "node3", "--clear")
        lab.node("node3", "systemctl", "restart", unit)
        lab.node_live("node3", True)
        lab.ranges_healthy()
    assert_unchanged("the under-replication refusal", differences)
    assert_refused_by_preflight(lab, message, "1 gate(s) failed: ranges_healthy: 0 unavailable, 60 under-replicated ranges")


def test_cluster_as_it_was(inventory, recorded):
    checks.assert_every_node_on(inventory, FROM)
    checks.assert_settings(inventory, checks.default_settings("23.2"))
    assert checks.settings_of(recorded("before")) == checks.default_settings("23.2")


@pytest.fixture(scope="module")
def project_dir():
    return os.environ["MOLECULE_PROJECT_DIRECTORY"]


def run_testbed(project_dir, *argv):
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel
    proc = subprocess.run([sys.executable, "-m", "tests.testbed"] + list(argv), cwd=project_dir, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, "python -m tests.testbed %s failed: %s" % (" ".join(argv), proc.stderr)
    return proc.stdout
