"""kwdb_failed_install: the V3.1.0 server package fails to install on node1 (full disk); node1 is brought back on
V3.0.0 with data, certificates and configuration as they were, the others are not touched, nothing is left behind.
A re-run with the good V3.1.0 package (another sha256 for the same version) replaces the bad staged copy and
completes the upgrade."""
from tests.molecule_support import checks, hoststate

FROM = "V3.0.0"
TARGET = "V3.1.0"
FAILED_PREFIX = "upgrade of node1 to V3.1.0 failed at step activate: "
FAILED_SUFFIX = "; restored to V3.0.0, live and ready; the other nodes were not touched by this step"


def test_the_run_fails_naming_node1_the_step_and_deploy_sh_message(recorded, show):
    run = recorded("first_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    failure = run["failed"][-1]
    show("first run: rc %s; failed on %s: %s" % (run["rc"], failure["host"], failure["msg"]))
    assert failure["host"] == "node1", failure
    assert failure["msg"].startswith(FAILED_PREFIX) and failure["msg"].endswith(FAILED_SUFFIX), failure["msg"]
    assert "Pipe create failed" in failure["msg"] and "No space left on device" in failure["msg"], failure["msg"]


def test_after_the_failure_every_node_on_the_old_version_live_and_available(recorded):
    after = recorded("after_failure")
    assert checks.builds_of(after) == {name: FROM for name in ("node1", "node2", "node3")}, checks.builds_of(after)
    seen = [(row["id"], row["is_live"], row["is_available"]) for row in after["cluster"]["nodes"]]
    assert seen == [(str(n), "true", "true") for n in (1, 2, 3)], seen


def test_configuration_and_certificates_byte_for_byte(recorded):
    changed = hoststate.differences(recorded("before"), recorded("after_failure"), sections=("config_dir", "certs_dir"))
    assert changed == [], "\n".join(changed)


def test_data_kept_and_readable(inventory, state_dir, recorded):
    checks.assert_store_kept(recorded("before"), recorded("after_failure"))
    checks.assert_markers_readable(inventory, state_dir)


def test_node2_and_node3_untouched(recorded):
    before, after = recorded("before"), recorded("after_failure")
    for name in ("node2", "node3"):
        checks.assert_not_restarted(before, after, name)


def test_store_dead_back_to_its_value_before_the_run(recorded):
    before = checks.settings_of(recorded("before"))["server.time_until_store_dead"]
    assert checks.settings_of(recorded("after_failure"))["server.time_until_store_dead"] == before


def test_failed_run_report(run_reports):
    failed = [report for report in run_reports if report["outcome"] == "failed"]
    assert len(failed) == 1, [(report["_path"], report["outcome"]) for report in run_reports]
    entry = checks.node_entries(failed[0], "node1", "failed")
    assert entry and entry[-1]["step"] == "activate" and entry[-1]["restored_to"] == FROM, failed[0]["nodes"]["node1"]
    assert not checks.ledger_open(failed[0]), "ledger entries left open: %s" % checks.ledger_open(failed[0])


def test_rerun_replaced_the_bad_package_and_upgraded_every_node(inventory, recorded, now_state, run_reports):
    rerun = run_reports[-1]
    assert rerun["outcome"] == "succeeded", rerun["message"]
    assert [source["version"] for source in rerun["plan"]["sources"]] == [TARGET], rerun["plan"]["sources"]
    checks.assert_every_node_on(inventory, TARGET)
    checks.assert_kwdb_left_clean(inventory)
    checks.assert_store_kept(recorded("before"), now_state)
    assert not checks.ledger_open(rerun), "ledger entries left open: %s" % checks.ledger_open(rerun)
