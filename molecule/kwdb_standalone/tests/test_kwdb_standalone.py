"""kwdb_standalone: upgrade_standalone.yml on one start-single-node KWDB, V3.0.0 -> V3.1.0."""
from tests.molecule_support import checks

TARGET = "V3.1.0"


def test_the_node_runs_the_target(inventory):
    checks.assert_every_node_on(inventory, TARGET)


def test_not_left_upgrading_or_with_the_flag(inventory):
    checks.assert_kwdb_left_clean(inventory)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_data_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_report_and_outage_window(run_reports, inventory, show):
    report = run_reports[-1]
    assert report["flow"] == "standalone", report["flow"]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.STANDALONE_PHASES)
    assert checks.outage_seconds(report, show, first="drain") > 0
