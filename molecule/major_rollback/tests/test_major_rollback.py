"""major_rollback: v23.2.9 -> v24.1.4 held, then rollback.yml back to v23.2.9."""
from tests.molecule_support import checks

TARGET = "v24.1.4"
BACK = "v23.2.9"


def test_the_upgrade_left_the_finalization_held(recorded):
    held = recorded("held")
    assert checks.builds_of(held) == {name: TARGET for name in held["nodes"]}, checks.builds_of(held)
    assert checks.settings_of(held) == checks.held_settings("23.2"), checks.settings_of(held)


def test_old_build_everywhere_and_hold_released(inventory):
    checks.assert_every_node_on(inventory, BACK)
    checks.assert_settings(inventory, checks.default_settings("23.2"))


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_reports(run_reports, inventory):
    upgrade, rollback = run_reports[-2], run_reports[-1]
    checks.assert_report_phases(upgrade, inventory.names, [TARGET], checks.ROLLING_PHASES)
    assert rollback["plan"]["kind"] == "rollback", rollback["plan"]
    checks.assert_report_phases(rollback, inventory.names, [BACK], checks.ROLLING_PHASES)
    assert rollback["message"] == "rolled back from %s to %s; cluster version 23.2" % (TARGET, BACK), rollback["message"]
    assert not checks.ledger_open(rollback), "ledger entries left open after rollback.yml: %s" % checks.ledger_open(rollback)
