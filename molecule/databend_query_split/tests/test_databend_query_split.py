"""databend_query_split: the two query nodes 1.2.600 -> 1.2.680 one by one (meta 1.2.680 untouched); 1.2.680
registers under another cluster key, so the plan notes the split and the report measures it."""
from tests.molecule_support import checks

TARGET = "1.2.680-nightly"


def test_the_plan_says_the_query_cluster_splits(run_reports, show):
    plan = run_reports[-1]["plan"]
    show("notes: %s" % plan["notes"])
    assert [split["release"] for split in plan["query_splits"]] == ["1.2.671"], plan["query_splits"]
    assert any("changed the cluster registration key" in note for note in plan["notes"]), plan["notes"]


def test_the_report_measured_the_split(run_reports, show):
    report = run_reports[-1]
    splits = report["query_splits"]
    show("query cluster split: %s" % splits)
    assert len(splits) == 1 and splits[0]["release"] == "1.2.671", splits
    upgraded = [checks.node_entries(report, name, "upgraded") for name in ("node2", "node3")]
    assert all(upgraded), report["nodes"]
    assert (splits[0]["first_on_new"], splits[0]["last_on_old"]) == ("node2", "node3"), splits
    assert splits[0]["seconds"] > 0, splits


def test_the_query_nodes_run_the_target(inventory):
    checks.assert_databend_versions(inventory, meta=TARGET, query=TARGET)
    checks.assert_meta_quorum(inventory)


def test_the_run_succeeded_with_every_phase_timed(run_reports):
    checks.assert_report_phases(run_reports[-1], ["node2", "node3"], [TARGET], checks.ROLLING_PHASES)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)


def test_client_errors_printed(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
