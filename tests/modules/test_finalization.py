"""finalization run through Ansible against a fake CLI: query, hold per version, release, finalize and its wait."""
from conftest import fixture_text

TAG = fixture_text("cockroach/set_cluster_setting_tag_exact.txt")
AUTO = "cluster.auto_upgrade.enabled"
PRESERVE = "cluster.preserve_downgrade_option"
NODES_24_1 = "cockroach/node_status_all_csv_v24.1.3_constructed.txt"
NODES_MIXED = "cockroach/node_status_all_csv_mixed_v23.2.9_v24.1.3_constructed.txt"
NODES_23_2 = "cockroach/node_status_all_csv_v23.2.9_constructed.txt"
JOBS_NONE = "cockroach/show_jobs_csv_v24.1_empty_constructed.txt"
JOBS_RUNNING = "cockroach/show_jobs_csv_v24.1_running_constructed.txt"


def base_args(fake_cli, **extra):
    args = {"engine": "cockroachdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True}
    args.update(extra)
    return args


def show(name, value):
    return "%s\n%s\n" % (name, value)


def cluster(fake_cli, versions, nodes=NODES_24_1, jobs=JOBS_NONE, auto=("true",), preserve=("",)):
    fake_cli.respond("sql: SHOW CLUSTER SETTING version", *[show("version", value) for value in versions])
    fake_cli.respond("sql: SHOW JOBS", fixture_text(jobs))
    fake_cli.respond("node status", fixture_text(nodes))
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + AUTO, *[show(AUTO, value) for value in auto])
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + PRESERVE, *[show(PRESERVE, value) for value in preserve])


def changes_run(fake_cli):
    return [call[3] for call in fake_cli.calls() if call[0] == "sql" and call[3].startswith(("SET", "RESET"))]


def test_query_reports_versions_nodes_holds_and_running_jobs(fake_cli, module_runner):
    cluster(fake_cli, ["23.2-upgrading-to-24.1-step-010"], jobs=JOBS_RUNNING, auto=("false",))
    result = module_runner("finalization", base_args(fake_cli))
    assert result["changed"] is False
    assert result["cluster_version"] == "23.2-upgrading-to-24.1-step-010"
    assert (result["active"], result["upgrading_to"], result["finalized"]) == ("23.2", "24.1", False)
    assert result["node_series"] == ["24.1"]
    assert result["nodes"] == [{"id": 1, "build": "v24.1.3", "series": "24.1", "is_live": True},
                               {"id": 2, "build": "v24.1.3", "series": "24.1", "is_live": True},
                               {"id": 3, "build": "v24.1.3", "series": "24.1", "is_live": True}]
    assert result["held"] is True and result["hold"] == {"setting": AUTO, "value": "false"}
    assert result["migrations_running"] is True
    assert result["jobs_running"] == [
        {"job_id": 1001234567890123501, "job_type": "MIGRATION", "status": "running",
         "description": 'Upgrade to 23.2-upgrading-to-24.1-step-010: "migrate old-style PTS records to the new style"',
         "created": "2024-06-13 10:05:01+00"},
        {"job_id": 1001234567890123488, "job_type": "NEW SCHEMA CHANGE", "status": "running",
         "description": "CREATE INDEX ON defaultdb.public.kv (v)", "created": "2024-06-13 10:04:50+00"}]
    assert changes_run(fake_cli) == []


def test_query_of_a_mixed_cluster_lists_both_series(fake_cli, module_runner):
    cluster(fake_cli, ["23.2"], nodes=NODES_MIXED)
    result = module_runner("finalization", base_args(fake_cli), check_mode=True)
    assert result["node_series"] == ["23.2", "24.1"] and result["finalized"] is True and result["held"] is False


def test_held_on_23_2_disables_auto_upgrade(fake_cli, module_runner):
    cluster(fake_cli, ["23.2"], nodes=NODES_23_2, auto=("true", "false"))
    fake_cli.respond("sql: SET CLUSTER SETTING %s = 'false'" % AUTO, TAG)
    result = module_runner("finalization", base_args(fake_cli, state="held"))
    assert result["changed"] is True
    assert result["changes"] == [{"setting": AUTO, "before": "true", "after": "false"}]
    assert result["hold"] == {"setting": AUTO, "value": "false"}
    assert changes_run(fake_cli) == ["SET CLUSTER SETTING cluster.auto_upgrade.enabled = 'false'"]


def test_held_on_23_1_preserves_the_cluster_version(fake_cli, module_runner):
    cluster(fake_cli, ["23.1"], preserve=("", "23.1"))
    fake_cli.respond("sql: SET CLUSTER SETTING %s = '23.1'" % PRESERVE, TAG)
    result = module_runner("finalization", base_args(fake_cli, state="held"))
    assert result["changes"] == [{"setting": PRESERVE, "before": "", "after": "23.1"}]
    assert result["hold"] == {"setting": PRESERVE, "value": "23.1"}
    assert changes_run(fake_cli) == ["SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'"]
    assert ["sql", "--format=csv", "-e", "SHOW CLUSTER SETTING " + AUTO] not in [c[:4] for c in fake_cli.calls()]


def test_held_again_is_no_change(fake_cli, module_runner):
    cluster(fake_cli, ["24.1"], auto=("false",))
    result = module_runner("finalization", base_args(fake_cli, state="held"))
    assert result["changed"] is False and result["changes"] == [] and result["held"] is True


def test_held_in_check_mode_with_diff(fake_cli, module_runner):
    cluster(fake_cli, ["24.1"])
    result = module_runner("finalization", base_args(fake_cli, state="held"), check_mode=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {AUTO: "true"}, "after": {AUTO: "false"}}
    assert changes_run(fake_cli) == []


def test_held_while_finalizing_is_refused(fake_cli, module_runner):
    cluster(fake_cli, ["23.2-upgrading-to-24.1-step-004"])
    result = module_runner("finalization", base_args(fake_cli, state="held"))
    assert result["failed"] is True
    assert result["msg"] == ("cannot hold the finalization: the cluster is already finalizing to 24.1 (cluster version "
                             "23.2-upgrading-to-24.1-step-004)")


def test_released_resets_every_hold(fake_cli, module_runner):
    cluster(fake_cli, ["24.1"], auto=("false", "true"), preserve=("24.1", ""))
    fake_cli.respond("sql: RESET CLUSTER SETTING " + AUTO, TAG)
    fake_cli.respond("sql: RESET CLUSTER SETTING " + PRESERVE, TAG)
    result = module_runner("finalization", base_args(fake_cli, state="released"))
    assert result["changes"] == [{"setting": AUTO, "before": "false", "after": "true"},
                                 {"setting": PRESERVE, "before": "24.1", "after": ""}]
    assert result["held"] is False and result["hold"] is None
    assert changes_run(fake_cli) == ["RESET CLUSTER SETTING " + AUTO, "RESET CLUSTER SETTING " + PRESERVE]


def test_finalized_waits_through_the_upgrade_steps(fake_cli, module_runner):
    cluster(fake_cli, ["23.2", "23.2", "23.2-upgrading-to-24.1-step-004", "23.2-upgrading-to-24.1-step-010", "24.1"],
            auto=("false", "true"))
    fake_cli.respond("sql: RESET CLUSTER SETTING " + AUTO, TAG)
    fake_cli.respond("sql: SET CLUSTER SETTING version = '24.1'", TAG)
    result = module_runner("finalization", base_args(fake_cli, state="finalized", interval=0.1, stable_checks=1,
                                                     timeout=60))
    assert result.get("failed") is not True
    assert result["changed"] is True and result["target"] == "24.1"
    assert result["changes"] == [{"setting": AUTO, "before": "false", "after": "true"},
                                 {"setting": "version", "before": "23.2", "after": "24.1"}]
    assert [entry["cluster_version"] for entry in result["trace"]] == [
        "23.2", "23.2-upgrading-to-24.1-step-004", "23.2-upgrading-to-24.1-step-010", "24.1"]
    assert result["checks"] == 4 and result["cluster_version"] == "24.1" and result["finalized"] is True
    assert result["held"] is False
    assert changes_run(fake_cli) == ["RESET CLUSTER SETTING " + AUTO, "SET CLUSTER SETTING version = '24.1'"]


def test_finalized_joins_a_finalization_that_runs_on_its_own(fake_cli, module_runner):
    cluster(fake_cli, ["23.2-upgrading-to-24.1-step-004", "23.2-upgrading-to-24.1-step-004",
                       "23.2-upgrading-to-24.1-step-016", "24.1"], jobs=JOBS_RUNNING)
    fake_cli.respond("sql: SHOW JOBS", fixture_text(JOBS_RUNNING), fixture_text(JOBS_RUNNING), fixture_text(JOBS_RUNNING),
                     fixture_text(JOBS_NONE))
    result = module_runner("finalization", base_args(fake_cli, state="finalized", interval=0.1, stable_checks=2))
    assert result.get("failed") is not True
    assert result["changed"] is False and result["changes"] == []
    assert [entry["cluster_version"] for entry in result["trace"]] == [
        "23.2-upgrading-to-24.1-step-004", "23.2-upgrading-to-24.1-step-016", "24.1", "24.1"]
    assert result["finalized"] is True and result["jobs_running"] == []
    assert changes_run(fake_cli) == []


def test_finalized_refuses_a_lagging_node(fake_cli, module_runner):
    cluster(fake_cli, ["23.2"], nodes=NODES_MIXED, auto=("false",))
    result = module_runner("finalization", base_args(fake_cli, state="finalized"))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "cannot finalize: node 3 runs v23.2.9 (23.2), the others 24.1"
    assert changes_run(fake_cli) == []


def test_finalized_again_is_no_change(fake_cli, module_runner):
    cluster(fake_cli, ["24.1"])
    result = module_runner("finalization", base_args(fake_cli, state="finalized", series="24.1"))
    assert result["changed"] is False and result["changes"] == [] and result["target"] == "24.1"


def test_finalized_in_check_mode_plans_release_and_version(fake_cli, module_runner):
    cluster(fake_cli, ["23.1"], nodes=NODES_23_2, preserve=("23.1",))
    result = module_runner("finalization", base_args(fake_cli, state="finalized"), check_mode=True)
    assert result["changed"] is True
    assert result["changes"] == [{"setting": PRESERVE, "before": "23.1", "after": ""},
                                 {"setting": "version", "before": "23.1", "after": "23.2"}]
    assert changes_run(fake_cli) == []


def test_finalized_timeout_reports_the_last_version_and_running_jobs(fake_cli, module_runner):
    cluster(fake_cli, ["23.2", "23.2-upgrading-to-24.1-step-010"], jobs=JOBS_RUNNING)
    fake_cli.respond("sql: SET CLUSTER SETTING version = '24.1'", TAG)
    result = module_runner("finalization", base_args(fake_cli, state="finalized", timeout=2, interval=0.5))
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("finalizing to 24.1: timed out after ")
    assert result["msg"].endswith(
        "last cluster version 23.2-upgrading-to-24.1-step-010; running jobs: 1001234567890123501 MIGRATION running "
        "(Upgrade to 23.2-upgrading-to-24.1-step-010: \"migrate old-style PTS records to the new style\"); "
        "1001234567890123488 NEW SCHEMA CHANGE running (CREATE INDEX ON defaultdb.public.kv (v))")
    assert result["cluster_version"] == "23.2-upgrading-to-24.1-step-010"
    assert result["changes"] == [{"setting": "version", "before": "23.2", "after": "24.1"}]
    assert result["trace"][-1]["cluster_version"] == "23.2-upgrading-to-24.1-step-010"


def test_series_applies_to_finalized_only(fake_cli, module_runner):
    result = module_runner("finalization", base_args(fake_cli, state="held", series="24.1"))
    assert result["failed"] is True
    assert result["msg"] == "series=24.1 applies to state=finalized only (state is held)"
