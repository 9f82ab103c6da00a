"""kwdb_rolling: KWDB V3.0.0 -> V3.1.0 node by node on 3 deploy.sh nodes behind haproxy, a workload through the lb."""
from tests.molecule_support import checks

TARGET = "V3.1.0"


def test_every_node_runs_the_target(inventory):
    checks.assert_every_node_on(inventory, TARGET)


def test_no_node_is_left_upgrading_or_with_the_flag(inventory):
    checks.assert_kwdb_left_clean(inventory)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_store_dead_back_to_its_value_before_the_run(inventory, recorded):
    before = checks.settings_of(recorded("before"))["server.time_until_store_dead"]
    checks.assert_settings(inventory, {"server.time_until_store_dead": before})


def test_report_times_every_phase_of_every_node(run_reports, inventory):
    report = run_reports[-1]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.ROLLING_PHASES)
    assert {entry["setting"] for entry in report["ledger"]} == {"server.time_until_store_dead"}, report["ledger"]
    assert not checks.ledger_open(report), "ledger entries left open: %s" % checks.ledger_open(report)


def test_data_and_certificates_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)
