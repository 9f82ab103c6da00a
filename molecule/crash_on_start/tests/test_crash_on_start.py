"""crash_on_start: the v24.1.4 build crashes on start on node2; the run fails and restores node2, node3 is not
touched; with the fault cleared the re-run finishes."""
from tests.molecule_support import checks

TARGET = "v24.1.4"
FROM = "v23.2.9"
FAILED_PREFIX = "upgrade of node2 to v24.1.4 failed at step start: "
FAILED_SUFFIX = "; restored to v23.2.9, live and ready; the other nodes were not touched by this step"


def final_failure(run):
    assert run["failed"], "the first run failed no task (rc %s):\n%s" % (run["rc"], "\n".join(run["tail"]))
    return run["failed"][-1]


def test_first_run_fails_naming_node2_the_step_and_the_state(recorded, show):
    run = recorded("first_run")
    failure = final_failure(run)
    show("first run: rc %s; failed on %s: %s" % (run["rc"], failure["host"], failure["msg"]))
    assert run["rc"] not in (0, None) and not run["killed"], run
    assert failure["host"] == "node2", failure
    assert failure["msg"].startswith(FAILED_PREFIX), failure["msg"]
    assert failure["msg"].endswith(FAILED_SUFFIX), failure["msg"]
    assert failure["msg"][len(FAILED_PREFIX):].startswith("Unable to start service insecurecockroachdb: "), failure["msg"]
    assert "; observed unit insecurecockroachdb activating (auto-restart, result exit-code); journal: " in failure["msg"], \
        failure["msg"]


def test_node2_back_on_the_old_build_and_live(recorded):
    after = recorded("after_failure")
    assert after["nodes"]["node2"]["build_tag"] == FROM, after["nodes"]["node2"]["build_tag"]
    assert after["nodes"]["node2"]["unit"]["ActiveState"] == "active", after["nodes"]["node2"]["unit"]
    assert checks.cluster_view(after)["node2"] == (FROM, "true"), checks.cluster_view(after)


def test_node3_untouched_by_the_failed_run(recorded):
    before, after = recorded("before"), recorded("after_failure")
    assert after["nodes"]["node3"]["build_tag"] == FROM
    checks.assert_not_restarted(before, after, "node3")
    assert after["nodes"]["node3"]["binary"] == before["nodes"]["node3"]["binary"]


def test_node1_kept_the_new_build(recorded):
    after = recorded("after_failure")
    assert after["nodes"]["node1"]["build_tag"] == TARGET
    assert checks.cluster_view(after)["node1"] == (TARGET, "true"), checks.cluster_view(after)


def test_failed_run_report(run_reports):
    failed = [report for report in run_reports if report["outcome"] == "failed"]
    assert len(failed) == 1, [(report["_path"], report["outcome"]) for report in run_reports]
    entry = checks.node_entries(failed[0], "node2", "failed")
    assert entry and entry[-1]["step"] == "start" and entry[-1]["restored_to"] == FROM, failed[0]["nodes"]["node2"]
    # Every change of the run is reverted; the finalization hold stays (roles/ledger/README.md) so that the cluster
    # cannot finalize behind the operator's back.
    left = [(entry["setting"], entry["revert_on"]) for entry in checks.ledger_open(failed[0])]
    assert left == [("cluster.auto_upgrade.enabled", "finalize")], "ledger entries the failed run left open: %s" % left


def test_the_hold_stays_after_the_failure(recorded):
    assert checks.settings_of(recorded("after_failure")) == checks.held_settings("23.2")


def test_rerun_finishes(inventory, run_reports):
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_settings(inventory, checks.held_settings("23.2"))
    rerun = run_reports[-1]
    assert rerun["outcome"] == "succeeded", rerun
    assert [entry["outcome"] for entry in checks.node_entries(rerun, "node1") if entry.get("hop") is not None] == ["already_on_target"]
    checks.assert_report_phases(rerun, ["node2", "node3"], [TARGET], checks.ROLLING_PHASES)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
