"""cluster_setting run through Ansible against a fake CLI that prints recorded SHOW / SET outputs and errors."""
from conftest import fixture_text

HOST = ["--host=h:26257", "--insecure"]
TAG = fixture_text("cockroach/set_cluster_setting_tag_exact.txt")
TXN = "server.shutdown.transactions.timeout"
PRESERVE = "cluster.preserve_downgrade_option"


def base_args(fake_cli, **extra):
    args = {"engine": "cockroachdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True}
    args.update(extra)
    return args


def statements(fake_cli):
    return [call[3] for call in fake_cli.calls()]


def test_reads_a_setting_without_changing_it(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING version", fixture_text("cockroach/show_setting_version_24.1_inferred.txt"))
    result = module_runner("cluster_setting", base_args(fake_cli, name="version"))
    assert result["changed"] is False
    assert (result["name"], result["value"], result["previous"]) == ("version", "24.1", "24.1")
    assert fake_cli.calls() == [["sql", "--format=csv", "-e", "SHOW CLUSTER SETTING version"] + HOST]


def test_the_same_duration_in_another_form_is_no_change(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + TXN, fixture_text("cockroach/show_setting_duration_constructed.txt"))
    for value in ("10s", "00:00:10", "0h0m10s"):
        result = module_runner("cluster_setting", base_args(fake_cli, name=TXN, value=value))
        assert result["changed"] is False and result["value"] == "00:00:10"
    assert statements(fake_cli) == ["SHOW CLUSTER SETTING " + TXN] * 3


def test_sets_a_different_value_and_reads_it_back(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + TXN, fixture_text("cockroach/show_setting_duration_constructed.txt"),
                     TXN + "\n00:00:30\n")
    fake_cli.respond("sql: SET CLUSTER SETTING %s = '30s'" % TXN, TAG)
    result = module_runner("cluster_setting", base_args(fake_cli, name=TXN, value="30s"))
    assert result["changed"] is True
    assert (result["value"], result["previous"]) == ("00:00:30", "00:00:10")
    assert result["diff"] == {"before": {TXN: "00:00:10"}, "after": {TXN: "00:00:30"}}
    assert statements(fake_cli) == ["SHOW CLUSTER SETTING " + TXN, "SET CLUSTER SETTING %s = '30s'" % TXN,
                                    "SHOW CLUSTER SETTING " + TXN]


def test_booleans_compare_case_insensitively(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING cluster.auto_upgrade.enabled",
                     fixture_text("cockroach/show_setting_auto_upgrade_enabled_inferred.txt"))
    result = module_runner("cluster_setting", base_args(fake_cli, name="cluster.auto_upgrade.enabled", value="True"))
    assert result["changed"] is False


def test_check_mode_reports_the_change_with_a_diff(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING cluster.auto_upgrade.enabled",
                     fixture_text("cockroach/show_setting_auto_upgrade_enabled_inferred.txt"))
    result = module_runner("cluster_setting", base_args(fake_cli, name="cluster.auto_upgrade.enabled", value="false"),
                           check_mode=True)
    assert result["changed"] is True and result["value"] == "false" and result["previous"] == "true"
    assert result["diff"] == {"before": {"cluster.auto_upgrade.enabled": "true"},
                              "after": {"cluster.auto_upgrade.enabled": "false"}}
    assert statements(fake_cli) == ["SHOW CLUSTER SETTING cluster.auto_upgrade.enabled"]


def test_absent_resets_to_the_default(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + PRESERVE, PRESERVE + "\n24.1\n",
                     fixture_text("cockroach/show_setting_preserve_downgrade_unset_inferred.txt"))
    fake_cli.respond("sql: RESET CLUSTER SETTING " + PRESERVE, TAG)
    result = module_runner("cluster_setting", base_args(fake_cli, name=PRESERVE, state="absent"))
    assert result["changed"] is True and (result["value"], result["previous"]) == ("", "24.1")
    assert statements(fake_cli) == ["SHOW CLUSTER SETTING " + PRESERVE, "RESET CLUSTER SETTING " + PRESERVE,
                                    "SHOW CLUSTER SETTING " + PRESERVE]


def test_absent_at_the_default_is_no_change(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + PRESERVE,
                     fixture_text("cockroach/show_setting_preserve_downgrade_unset_inferred.txt"))
    result = module_runner("cluster_setting", base_args(fake_cli, name=PRESERVE, state="absent"))
    assert result["changed"] is False and result["value"] == ""
    assert statements(fake_cli) == ["SHOW CLUSTER SETTING " + PRESERVE]


def test_a_refused_value_fails_with_the_server_message(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING " + PRESERVE,
                     fixture_text("cockroach/show_setting_preserve_downgrade_unset_inferred.txt"))
    fake_cli.respond("sql: SET CLUSTER SETTING %s = '23.2'" % PRESERVE,
                     {"rc": 1, "stderr": fixture_text("cockroach/sql_error_preserve_downgrade_inferred.txt")})
    result = module_runner("cluster_setting", base_args(fake_cli, name=PRESERVE, value="23.2"))
    assert result["failed"] is True
    assert result["msg"] == ("`SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'` failed: cannot set "
                             "cluster.preserve_downgrade_option to 23.2 (cluster version is 24.1)")
    assert result["previous"] == "" and result["sqlstate"] is None


def test_an_unknown_setting_fails_with_its_sqlstate(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING cluster.auto_upgrade.enabled",
                     {"rc": 1, "stderr": fixture_text("cockroach/sql_error_unknown_setting_sqlstate_constructed.txt")})
    result = module_runner("cluster_setting", base_args(fake_cli, name="cluster.auto_upgrade.enabled", value="false"))
    assert result["failed"] is True
    assert result["msg"] == ("`SHOW CLUSTER SETTING cluster.auto_upgrade.enabled` failed: unknown cluster setting "
                             "'cluster.auto_upgrade.enabled' (SQLSTATE 42704)")
    assert result["sqlstate"] == "42704"


def test_setting_the_version_points_to_finalization(fake_cli, module_runner):
    result = module_runner("cluster_setting", base_args(fake_cli, name="version", value="24.1"))
    assert result["failed"] is True
    assert result["msg"] == (
        "cluster_setting does not change the cluster version: setting `version` finalizes a major upgrade and cannot be "
        "undone; use distsql.upgrade.finalization (state=finalized), which checks that every node runs the new release "
        "and waits until the upgrade jobs are done")
    assert fake_cli.calls() == []


def test_a_value_with_absent_is_refused(fake_cli, module_runner):
    result = module_runner("cluster_setting", base_args(fake_cli, name=TXN, value="10s", state="absent"))
    assert result["failed"] is True
    assert result["msg"] == ("value=10s and state=absent contradict each other: absent resets "
                             "server.shutdown.transactions.timeout to its default")
