"""killed_then_resumed: ansible-playbook SIGKILLed right after node1 is verified; the re-run resumes."""
from tests.molecule_support import checks

TARGET = "v23.2.12"
FROM = "v23.2.9"


def test_the_run_was_killed_right_after_node1_was_verified(recorded, show):
    checks.assert_killed_right_after(recorded("killed_run"), "node1", show)


def test_the_killed_run_upgraded_node1_only(recorded):
    before, after = recorded("before"), recorded("after_kill")
    assert checks.builds_of(after) == {"node1": TARGET, "node2": FROM, "node3": FROM}, checks.builds_of(after)
    for name in ("node2", "node3"):
        checks.assert_not_restarted(before, after, name)
    # The temporary setting the killed run raised is still raised: only its ledger knows to revert it.
    assert checks.settings_of(after)["server.time_until_store_dead"] == "00:15:00", checks.settings_of(after)


def test_rerun_did_not_drain_or_restart_node1(recorded, now_state, run_reports):
    checks.assert_rerun_left_alone(recorded("after_kill"), now_state, run_reports[-1], "node1")


def test_rerun_finished_the_others(inventory, run_reports):
    checks.assert_every_node_on(inventory, TARGET)
    rerun = run_reports[-1]
    assert rerun["outcome"] == "succeeded", rerun
    assert rerun["plan"]["resuming"] is True, rerun["plan"]
    checks.assert_report_phases(rerun, ["node2", "node3"], [TARGET], checks.ROLLING_PHASES)


def test_no_temporary_setting_left(inventory, run_reports):
    checks.assert_settings(inventory, checks.default_settings("23.2"))
    assert not checks.ledger_open(run_reports[-1]), checks.ledger_open(run_reports[-1])


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
