"""kwdb_killed_then_resumed: ansible-playbook SIGKILLed right after node1 is verified; the re-run resumes."""
from tests.molecule_support import checks

TARGET = "V3.1.0"
FROM = "V3.0.0"


def test_the_run_was_killed_right_after_node1_was_verified(recorded, show):
    checks.assert_killed_right_after(recorded("killed_run"), "node1", show)


def test_the_killed_run_upgraded_node1_only(recorded):
    before, after = recorded("before"), recorded("after_kill")
    assert checks.builds_of(after) == {"node1": TARGET, "node2": FROM, "node3": FROM}, checks.builds_of(after)
    for name in ("node2", "node3"):
        checks.assert_not_restarted(before, after, name)


def test_rerun_did_not_drain_or_restart_node1(recorded, now_state, run_reports):
    checks.assert_rerun_left_alone(recorded("after_kill"), now_state, run_reports[-1], "node1")


def test_rerun_finished_the_others(inventory, run_reports):
    checks.assert_every_node_on(inventory, TARGET)
    rerun = run_reports[-1]
    assert rerun["outcome"] == "succeeded", rerun
    assert rerun["plan"]["resuming"] is True, rerun["plan"]
    checks.assert_report_phases(rerun, ["node2", "node3"], [TARGET], checks.ROLLING_PHASES)


def test_no_node_is_left_upgrading_or_with_the_flag(inventory):
    checks.assert_kwdb_left_clean(inventory)


def test_store_dead_back_to_its_value_before_the_run_and_ledger_closed(inventory, recorded, run_reports):
    before = checks.settings_of(recorded("before"))["server.time_until_store_dead"]
    checks.assert_settings(inventory, {"server.time_until_store_dead": before})
    assert not checks.ledger_open(run_reports[-1]), checks.ledger_open(run_reports[-1])


def test_report_records_the_leaseholder_spread_before_and_after(run_reports, show):
    ranges = run_reports[-1]["ranges"]
    for moment in ("at_start", "at_end"):
        spread = ranges[moment]["spread"]
        show("%s: %s" % (moment, ", ".join("n%s %s/%s" % (n["node_id"], n["leaseholders"], n["replicas"])
                                           for n in spread["nodes"])))
        assert [node["node_id"] for node in spread["nodes"]] == [1, 2, 3], spread
        assert sum(node["leaseholders"] for node in spread["nodes"]) == spread["ranges"], spread
        assert spread["without_leaseholder"] == [], spread
        assert all(node["replicas"] == spread["ranges"] for node in spread["nodes"]), spread


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_data_and_certificates_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)
