"""kwdb_source_built: KWDB V3.0.0 -> V3.1.0 with kwbase binaries the operator built (distsql_kwdb_deploy_mode source)."""
from tests.molecule_support import checks, hoststate

TARGET = "V3.1.0"
REFUSED = ("staging on node1 failed, no node was touched: kwbase in "
           "/opt/distsql-upgrade/releases/downloads/V3.1.0-kwbase-mislabelled reports V3.0.0, expected V3.1.0")
CRASH_PREFIX = "upgrade of node1 to V3.1.0 failed at step ready: timed out after "
CRASH_SUFFIX = "; restored to V3.0.0, live and ready; the other nodes were not touched by this step"


def test_a_binary_that_reports_another_version_is_refused_before_anything_is_touched(recorded, show):
    run = recorded("mislabelled_run")
    failure = run["failed"][-1]
    show("mislabelled run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert run["rc"] not in (0, None) and failure["msg"] == REFUSED, failure
    before, after = recorded("before"), recorded("after_refusal")
    checks.assert_not_restarted(before, after, "node1")
    assert after["nodes"]["node1"]["binary"] == before["nodes"]["node1"]["binary"], after["nodes"]["node1"]["binary"]


def test_a_crash_at_start_puts_the_binary_it_ran_back(recorded, show):
    run = recorded("crashing_run")
    failure = run["failed"][-1]
    show("crashing run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert failure["msg"].startswith(CRASH_PREFIX) and failure["msg"].endswith(CRASH_SUFFIX), failure["msg"]
    assert "; observed unit kaiwudb " in failure["msg"], failure["msg"]
    after = recorded("after_failure")
    assert checks.builds_of(after) == {"node1": "V3.0.0"}, checks.builds_of(after)
    assert after["nodes"]["node1"]["binary"]["sha256"] == recorded("before")["nodes"]["node1"]["binary"]["sha256"]


def test_the_node_runs_the_built_target_through_the_managed_binary(inventory, now_state, state_dir):
    checks.assert_every_node_on(inventory, TARGET)
    binary = now_state["nodes"]["node1"]["binary"]
    assert binary["resolved"] == "/opt/distsql-upgrade/releases/kwdb/V3.1.0/kwbase", binary
    checks.assert_markers_readable(inventory, state_dir)


def test_the_unit_its_start_command_and_the_configuration_are_unchanged(inventory, recorded, now_state):
    before = recorded("before")
    assert now_state["nodes"]["node1"]["unit"]["fragment_sha256"] == before["nodes"]["node1"]["unit"]["fragment_sha256"]
    changed = hoststate.differences(before, now_state, sections=("config_dir", "certs_dir"))
    assert changed == [], "\n".join(changed)
    checks.assert_kwdb_left_clean(inventory)


def test_data_kept(recorded, now_state):
    checks.assert_store_kept(recorded("before"), now_state)


def test_report(run_reports):
    outcomes = [report["outcome"] for report in run_reports]
    assert outcomes == ["failed", "failed", "succeeded"], outcomes
    checks.assert_report_phases(run_reports[-1], ["node1"], [TARGET], checks.STANDALONE_PHASES)
    entry = checks.node_entries(run_reports[1], "node1", "failed")
    assert entry and entry[-1]["restored_to"] == "V3.0.0", run_reports[1]["nodes"]["node1"]
