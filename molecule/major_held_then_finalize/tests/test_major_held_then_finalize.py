"""major_held_then_finalize: v23.2.9 -> v24.1.4 on a secure cluster, held, then finalize.yml."""
from tests.molecule_support import checks

TARGET = "v24.1.4"


def test_the_upgrade_left_the_finalization_held(recorded):
    held = recorded("held")
    assert checks.builds_of(held) == {name: TARGET for name in held["nodes"]}, checks.builds_of(held)
    assert checks.cluster_view(held) == {name: (TARGET, "true") for name in held["nodes"]}, checks.cluster_view(held)
    assert checks.settings_of(held) == checks.held_settings("23.2"), checks.settings_of(held)


def test_finalized(inventory):
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_settings(inventory, checks.default_settings("24.1"))


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_certificates_unchanged(recorded, now_state):
    checks.assert_certificates_unchanged(recorded("before"), now_state)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_reports(run_reports, inventory):
    upgrade, finalize = run_reports[-2], run_reports[-1]
    assert upgrade["plan"]["kind"] == "major", upgrade["plan"]
    checks.assert_report_phases(upgrade, inventory.names, [TARGET], checks.ROLLING_PHASES)
    assert upgrade["finalization"]["held"] is True, upgrade["finalization"]
    assert [entry["setting"] for entry in checks.ledger_open(upgrade)] == ["cluster.auto_upgrade.enabled"], upgrade["ledger"]
    assert finalize["outcome"] == "succeeded", finalize
    assert finalize["message"] == "cluster version 24.1", finalize["message"]
    assert not checks.ledger_open(finalize), "ledger entries left open after finalize.yml: %s" % checks.ledger_open(finalize)
