"""patch_rolling: v23.2.9 -> v23.2.12 rolling on 3 nodes behind haproxy, a workload through the lb throughout."""
from tests.molecule_support import checks

TARGET = "v23.2.12"


def test_every_node_runs_the_target(inventory):
    checks.assert_every_node_on(inventory, TARGET)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_no_temporary_setting_left(inventory):
    checks.assert_settings(inventory, checks.default_settings("23.2"))


def test_report_times_every_phase_of_every_node(run_reports, inventory):
    report = run_reports[-1]
    assert report["plan"]["kind"] == "patch", report["plan"]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.ROLLING_PHASES)
    assert [entry["setting"] for entry in report["ledger"]] == ["server.time_until_store_dead"], report["ledger"]
    assert not checks.ledger_open(report), "ledger entries left open: %s" % checks.ledger_open(report)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)
