"""full_stop: upgrade_single_replica.yml on 3 nodes, v23.2.9 -> v24.1.4, finalization held."""
from tests.molecule_support import checks

TARGET = "v24.1.4"


def test_every_node_runs_the_target_held(inventory):
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_settings(inventory, checks.held_settings("23.2"))


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_report(run_reports, inventory):
    report = run_reports[-1]
    assert report["flow"] == "single_replica", report["flow"]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.FULL_STOP_PHASES)
