"""databend_full_stop: a full stop of 3 meta + 1 query to 1.2.828 whose node2 meta crashes on start: every node is
back on the release it ran, the meta quorum is whole, the rows are there, and the play failed naming the step."""
from tests.molecule_support import checks

FROM_META, FROM_QUERY = "1.2.680-nightly", "1.2.770-nightly"
RESTORED = {"node1": FROM_META, "node2": FROM_META, "node3": FROM_META, "node4": FROM_QUERY}


def test_the_plan_was_one_offline_step_on_every_host(run_reports):
    plan = run_reports[-1]["plan"]
    assert plan["order"] == "offline", plan["order"]
    assert [(hop["component"], hop["hosts"]) for hop in plan["hops"]] == [
        ("meta+query", ["node1", "node2", "node3", "node4"])], plan["hops"]


def test_the_run_failed_naming_the_step_and_the_restore(recorded, show):
    run = recorded("first_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    message = run["failed"][-1]["msg"]
    show("failed: %s" % message)
    assert message.startswith("full-stop upgrade to 1.2.828-nightly failed: "), message
    assert "node1 at start: " in message and "node4 at start: " in message, message
    assert message.endswith("every node restored to the release it ran"), message


def test_every_node_is_reported_failed_and_restored(run_reports):
    report = run_reports[-1]
    assert report["outcome"] == "failed", report["outcome"]
    restored = {name: [entry["restored_to"] for entry in entries if entry.get("outcome") == "failed"]
                for name, entries in report["nodes"].items()}
    assert restored == {name: [version] for name, version in RESTORED.items()}, restored
    assert not checks.ledger_open(report), checks.ledger_open(report)


def test_the_cluster_is_back_on_the_releases_it_ran(inventory):
    checks.assert_databend_versions(inventory, meta=FROM_META, query=FROM_QUERY)
    checks.assert_meta_quorum(inventory)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)
