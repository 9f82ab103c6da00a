"""standalone: one start-single-node host, v23.2.9 -> v24.1.4 with upgrade_standalone.yml, finalized; v24.1.4 is a
cockroach binary the operator built."""
import json
import os

from tests.molecule_support import checks

TARGET = "v24.1.4"


def test_the_node_runs_the_target_finalized(inventory):
    assert inventory.names == ["node1"], inventory.names
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_settings(inventory, checks.default_settings("24.1"))


def test_unit_runs_start_single_node(inventory, contract):
    unit = inventory.host("node1").file("/etc/systemd/system/%s.service" % contract["distsql_service"])
    assert "start-single-node" in unit.content_string, unit.content_string


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_markers_readable(inventory, state_dir)


def test_store_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_report(run_reports, inventory):
    report = run_reports[-1]
    assert report["flow"] == "standalone", report["flow"]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.STANDALONE_PHASES)
    assert not checks.ledger_open(report), checks.ledger_open(report)


def test_the_node_runs_the_built_binary_through_the_managed_link(now_state, recorded, state_dir):
    with open(os.path.join(state_dir, "built.json"), encoding="utf-8") as source:
        built = json.load(source)
    binary = now_state["nodes"]["node1"]["binary"]
    assert binary["resolved"].endswith("/v24.1.4/cockroach") and binary["sha256"] == built["sha256"], (binary, built)
    before = recorded("before")["nodes"]["node1"]["unit"]
    assert now_state["nodes"]["node1"]["unit"]["fragment_sha256"] == before["fragment_sha256"]


def test_the_plan_took_the_built_binary(run_reports):
    sources = run_reports[-1]["plan"]["sources"]
    assert [(source["version"], source["binary"].rsplit("/", 1)[-1]) for source in sources] == [
        ("v24.1.4", "cockroach-v24.1.4")], sources
