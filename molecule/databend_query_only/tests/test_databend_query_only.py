"""databend_query_only: meta already on 1.2.828, the two query nodes 1.2.770 -> 1.2.828 one by one; no meta node is
touched; a workload through the lb."""
from tests.molecule_support import checks

TARGET = "1.2.828-nightly"


def test_the_plan_has_only_the_query_hop(run_reports, show):
    plan = run_reports[-1]["plan"]
    show("hops: %s; states: %s" % ([(hop["component"], hop["hosts"]) for hop in plan["hops"]],
                                   "; ".join(state["reason"] for state in plan["states"])))
    assert [(hop["component"], hop["hosts"]) for hop in plan["hops"]] == [("query", ["node4", "node5"])], plan["hops"]
    assert all(state["compatible"] for state in plan["states"]), plan["states"]


def test_the_query_nodes_run_the_target(inventory):
    checks.assert_databend_versions(inventory, meta=TARGET, query=TARGET)
    checks.assert_meta_quorum(inventory)


def test_no_meta_node_was_restarted(recorded, now_state):
    for name in ("node1", "node2", "node3"):
        checks.assert_not_restarted(recorded("before"), now_state, name)


def test_the_run_succeeded_with_every_phase_timed(run_reports):
    report = run_reports[-1]
    checks.assert_report_phases(report, ["node4", "node5"], [TARGET], checks.ROLLING_PHASES)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
