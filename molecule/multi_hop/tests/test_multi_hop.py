"""multi_hop: v23.1.28 -> v24.1.4 in one run through the latest v23.2 patch of the mirror, finalized at the end."""
from tests.molecule_support import checks

TARGET = "v24.1.4"
HOPS = ["v23.2.12", "v24.1.4"]  # v23.2: the highest 23.2 release in distsql_releases (the testbed mirror)


def test_every_node_runs_the_target_finalized(inventory):
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_settings(inventory, checks.default_settings("24.1"))


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_report_has_both_hops_for_every_node(run_reports, inventory):
    report = run_reports[-1]
    assert report["plan"]["kind"] == "multi_major", report["plan"]
    assert [hop["version"] for hop in report["plan"]["hops"]] == HOPS, report["plan"]["hops"]
    checks.assert_report_phases(report, inventory.names, HOPS, checks.ROLLING_PHASES)
    assert not checks.ledger_open(report), "ledger entries left open: %s" % checks.ledger_open(report)
