"""databend_meta_crash: the 1.2.828 databend-meta crashes on start; the first meta node upgraded is restored to 1.2.680
and rejoins, the quorum is kept, the play fails naming the node, the component and the step; nothing else is touched."""
from tests.molecule_support import checks

FROM_META, FROM_QUERY = "1.2.680-nightly", "1.2.770-nightly"


def failed_node(run_reports):
    report = run_reports[-1]
    failed = [(name, entry) for name, entries in report["nodes"].items() for entry in entries
              if entry.get("outcome") == "failed"]
    assert len(failed) == 1, failed
    return failed[0]


def test_the_run_failed_naming_the_node_the_component_and_the_step(recorded, run_reports, show):
    run = recorded("first_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    name, entry = failed_node(run_reports)
    failure = run["failed"][-1]
    show("failed on %s: %s" % (failure["host"], failure["msg"]))
    assert failure["host"] == name and entry["component"] == "meta", (failure, entry)
    assert failure["msg"].startswith("upgrade of %s (meta) to 1.2.828-nightly failed at step ready: " % name), failure["msg"]
    assert failure["msg"].endswith("; restored to %s, live and ready; the other nodes were not touched by this step"
                                   % FROM_META), failure["msg"]
    assert entry["restored_to"] == FROM_META, entry


def test_the_failed_node_was_a_follower_and_is_back_on_the_old_build(recorded, run_reports, inventory):
    name, _entry = failed_node(run_reports)
    assert name != checks.meta_leader(recorded("before")), name
    checks.assert_databend_versions(inventory, meta=FROM_META, query=FROM_QUERY)
    checks.assert_meta_quorum(inventory)


def test_no_other_node_was_touched(recorded, now_state, run_reports):
    name, _entry = failed_node(run_reports)
    for other in ("node1", "node2", "node3", "node4", "node5"):
        if other != name:
            checks.assert_not_restarted(recorded("before"), now_state, other)


def test_never_more_than_one_meta_node_down(run_reports, show):
    checks.assert_one_meta_down_at_a_time(run_reports[-1], show)


def test_no_client_error(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)
