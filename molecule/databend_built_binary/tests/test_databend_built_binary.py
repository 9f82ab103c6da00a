"""databend_built_binary: Databend 1.2.770 (meta and query from the release tarball, one host) -> 1.2.828 with the
binaries the operator built (a directory of databend-meta and databend-query)."""
import hashlib
import json
import os

from tests.molecule_support import checks, hoststate

FROM, TARGET = "1.2.770-nightly", "1.2.828-nightly"
STORE = "/opt/distsql-upgrade/releases"
DIRECTORY_FORM = ("for Databend, binary names the directory holding the built databend-meta and databend-query (cargo's "
                  "target/release, or the bin/ of an unpacked tarball)")
MISLABELLED = ("staging on node1 failed, no node was touched: databend-meta in "
               "%s/downloads/1.2.828-nightly-databend-meta reports 1.2.770-nightly, expected 1.2.828-nightly" % STORE)
BRANCH = ("staging on node1 failed, no node was touched: databend-query 1.2.828-nightly staged on node1 prints "
          "min-compatible-metasrv-version 1.2.800, not 1.2.770 as Databend's published table gives it, on which the order "
          "of the run was decided; nothing was stopped: build the release as published, or plan the compatibility of this "
          "build by hand")
CRASH_PREFIX = "upgrade of node1 (meta+query) to 1.2.828-nightly failed at step start: "
CRASH_SUFFIX = "; restored to 1.2.770-nightly, live and ready; the other nodes were not touched by this step"


def built(ephemeral_dir, name):
    return os.path.join(ephemeral_dir, "built", name)


def sha256_of(path):
    with open(path, "rb") as source:
        return hashlib.sha256(source.read()).hexdigest()


def test_a_directory_without_databend_meta_is_refused_before_any_host_is_contacted(recorded, ephemeral_dir, show):
    run = recorded("incomplete_run")
    failure = run["failed"][-1]
    show("incomplete run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert run["rc"] not in (0, None) and failure["host"] == "node1", run
    assert failure["msg"] == ("preflight refused the upgrade, nothing was changed: distsql_releases entry "
                              "1.2.828-nightly: %s/databend-meta is not a file on the controller; %s"
                              % (built(ephemeral_dir, "incomplete"), DIRECTORY_FORM)), failure["msg"]


def test_binaries_that_report_another_version_are_refused_before_anything_is_touched(recorded, show):
    run = recorded("mislabelled_run")
    failure = run["failed"][-1]
    show("mislabelled run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert run["rc"] not in (0, None) and failure["msg"] == MISLABELLED, failure
    before, after = recorded("before"), recorded("after_refusals")
    checks.assert_not_restarted(before, after, "node1")
    assert after["nodes"]["node1"]["binary"] == before["nodes"]["node1"]["binary"], after["nodes"]["node1"]["binary"]
    assert checks.databend_versions(after) == {"node1": {"meta": FROM, "query": FROM}}
    # nothing of the mislabelled build was put in a store and nothing was adopted: the stores hold no release
    releases = [entry["path"] for entry in checks.tree_entries(after, "node1", "releases_dir").values()
                if entry["path"].startswith(("databend_meta/", "databend_query/"))]
    assert releases == [], releases


def test_a_build_whose_min_compatible_version_is_not_the_published_one_is_refused_before_any_node_stops(recorded, show):
    run = recorded("branch_run")
    failure = run["failed"][-1]
    show("branch run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert run["rc"] not in (0, None) and failure["msg"] == BRANCH, failure
    before, after = recorded("after_refusals"), recorded("after_branch")
    checks.assert_not_restarted(before, after, "node1")
    assert after["nodes"]["node1"]["binary"] == before["nodes"]["node1"]["binary"], after["nodes"]["node1"]["binary"]
    assert checks.databend_versions(after) == {"node1": {"meta": FROM, "query": FROM}}


def test_a_built_release_that_crashes_at_start_puts_the_binaries_it_ran_back(recorded, show):
    run = recorded("crashing_run")
    failure = run["failed"][-1]
    show("crashing run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert failure["msg"].startswith(CRASH_PREFIX) and failure["msg"].endswith(CRASH_SUFFIX), failure["msg"]
    before, after = recorded("before"), recorded("after_failure")
    assert checks.databend_versions(after) == {"node1": {"meta": FROM, "query": FROM}}
    for component in ("meta", "query"):
        was, now = before["nodes"]["node1"]["binary"][component], after["nodes"]["node1"]["binary"][component]
        assert now["sha256"] == was["sha256"], (component, was, now)
        assert now["path"] == "/usr/bin/databend-%s" % component, now
        assert now["resolved"] == "%s/databend_%s/%s/databend-%s" % (STORE, component, FROM, component), now
        assert after["nodes"]["node1"]["unit"][component]["ActiveState"] == "active", after["nodes"]["node1"]["unit"]


def test_both_components_run_the_built_target_through_the_managed_binaries(inventory, now_state, ephemeral_dir):
    checks.assert_databend_versions(inventory, meta=TARGET, query=TARGET)
    checks.assert_meta_quorum(inventory)
    for component in ("meta", "query"):
        binary = now_state["nodes"]["node1"]["binary"][component]
        assert binary["path"] == "/usr/bin/databend-%s" % component, binary
        assert binary["resolved"] == "%s/databend_%s/%s/databend-%s" % (STORE, component, TARGET, component), binary
        assert binary["sha256"] == sha256_of(os.path.join(built(ephemeral_dir, TARGET), "databend-" + component)), binary


def test_the_units_their_start_commands_and_environment_files_are_unchanged(inventory, recorded, now_state, state_dir):
    with open(os.path.join(state_dir, "units_before.json"), encoding="utf-8") as source:
        before_run = json.load(source)
    host = inventory.host("node1")
    units = host.run("systemctl cat databend-meta databend-query")
    assert units.rc == 0 and units.stdout.rstrip("\n") == before_run["units"].rstrip("\n"), units.stdout
    assert "\nExecStart=/usr/bin/databend-meta --config-file /etc/databend/databend-meta.toml\n" in units.stdout
    assert "\nExecStart=/usr/bin/databend-query --config-file /etc/databend/databend-query.toml\n" in units.stdout
    env_files = [host.file("/etc/default/" + name) for name in ("databend-meta", "databend-query")]
    assert [item.sha256sum if item.exists else None for item in env_files] == before_run["env_files"], before_run
    before = recorded("before")
    for component in ("meta", "query"):
        was, now = before["nodes"]["node1"]["unit"][component], now_state["nodes"]["node1"]["unit"][component]
        assert now["fragment_sha256"] == was["fragment_sha256"] and now["FragmentPath"] == was["FragmentPath"], (was, now)
    changed = hoststate.differences(before, now_state, sections=("config_dir", "data_version"))
    assert changed == [], "\n".join(changed)


def test_rows_written_before_are_readable(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)


def test_report(run_reports, ephemeral_dir):
    outcomes = [report["outcome"] for report in run_reports]
    assert outcomes == ["refused", "failed", "failed", "failed", "succeeded"], outcomes
    final = run_reports[-1]
    # the built directory is planned again although the failed run staged it: only running it counts
    assert final["plan"]["sources"] == [{"version": TARGET, "url": None, "src": None, "binary": built(ephemeral_dir, TARGET),
                                         "binary_on": "controller", "sha256": None, "checksum_url": None}]
    checks.assert_report_phases(final, ["node1"], [TARGET], checks.STANDALONE_PHASES)
    entry = checks.node_entries(final, "node1", "upgraded")[0]
    assert entry["from"] == FROM, entry["from"]
    failed = checks.node_entries(run_reports[3], "node1", "failed")
    assert failed and failed[-1]["restored_to"] == FROM, run_reports[3]["nodes"]["node1"]
