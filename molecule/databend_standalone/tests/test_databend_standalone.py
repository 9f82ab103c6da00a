"""databend_standalone: one host with databend-meta 1.2.680 and databend-query 1.2.770, both to 1.2.828 offline in
one step with upgrade_standalone.yml; a second run leaves the host alone."""
from tests.molecule_support import checks, hoststate

TARGET = "1.2.828-nightly"


def test_the_plan_is_one_offline_step_for_both_components(run_reports, show):
    plan = run_reports[0]["plan"]
    hops = [(hop["component"], hop["version"]) for hop in plan["hops"]]
    show("order %s; hops %s; clients: %s" % (plan["order"], hops, plan["client_impact"]))
    assert plan["order"] == "offline", plan["order"]
    assert [(hop["component"], hop["version"], hop["hosts"]) for hop in plan["hops"]] == [
        ("meta+query", TARGET, ["node1"])], plan["hops"]


def test_both_components_run_the_target(inventory):
    assert inventory.names == ["node1"], inventory.names
    checks.assert_databend_versions(inventory, meta=TARGET, query=TARGET)
    checks.assert_meta_quorum(inventory)


def test_the_first_run_upgraded_both_with_every_phase_timed(run_reports, show):
    report = run_reports[0]
    assert report["flow"] == "standalone", report["flow"]
    checks.assert_report_phases(report, ["node1"], [TARGET], checks.STANDALONE_PHASES)
    entry = checks.node_entries(report, "node1", "upgraded")[0]
    assert entry["from"] == "meta 1.2.680-nightly, query 1.2.770-nightly", entry["from"]
    checks.outage_seconds(report, show)
    assert not checks.ledger_open(report), checks.ledger_open(report)


def test_the_second_run_left_the_host_alone(run_reports, recorded, now_state):
    report = run_reports[-1]
    assert len(run_reports) == 2 and report["outcome"] == "succeeded", (len(run_reports), report["message"])
    assert report["plan"]["hops"] == [], report["plan"]["hops"]
    assert checks.node_entries(report, "node1", "upgraded") == [], report["nodes"]["node1"]
    checks.assert_not_restarted(recorded("after_first"), now_state, "node1")


def test_configuration_and_meta_data_kept(recorded, now_state):
    lines = hoststate.differences(recorded("before"), now_state, sections=("config_dir", "data_version"))
    assert lines == [], "\n".join(lines)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)
