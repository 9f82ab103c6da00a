"""databend_rolling: 3 meta (1.2.680) + 2 query (1.2.770) behind haproxy to 1.2.828; the rule orders meta first, the
meta raft leader goes last, one meta node down at a time, then the query nodes; a workload through the lb."""
from tests.molecule_support import checks

TARGET = "1.2.828-nightly"


def test_the_plan_put_meta_first_and_the_leader_last(run_reports, recorded, show):
    plan = run_reports[-1]["plan"]
    show("order %s; states: %s" % (plan["order"], "; ".join(state["reason"] for state in plan["states"])))
    assert plan["order"] == "meta_first", plan["order"]
    assert [hop["component"] for hop in plan["hops"]] == ["meta", "query"], plan["hops"]
    leader = checks.meta_leader(recorded("before"))
    assert plan["hops"][0]["hosts"][-1] == leader, (plan["hops"][0]["hosts"], leader)


def test_the_leader_was_upgraded_last(run_reports, recorded, show):
    order = checks.meta_upgrade_order(run_reports[-1])
    leader = checks.meta_leader(recorded("before"))
    show("meta upgraded in the order %s; the leader before the run was %s" % (", ".join(order), leader))
    assert order[-1] == leader and sorted(order) == ["node1", "node2", "node3"], (order, leader)


def test_never_more_than_one_meta_node_down(run_reports, show):
    checks.assert_one_meta_down_at_a_time(run_reports[-1], show)


def test_every_component_runs_the_target_and_the_quorum_is_whole(inventory):
    checks.assert_databend_versions(inventory, meta=TARGET, query=TARGET)
    checks.assert_meta_quorum(inventory)


def test_the_run_succeeded_with_every_phase_timed(run_reports, inventory):
    report = run_reports[-1]
    assert report["outcome"] == "succeeded", report["message"]
    checks.assert_report_phases(report, inventory.names, [TARGET], checks.ROLLING_PHASES)
    assert report["ledger"] == [], report["ledger"]


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
