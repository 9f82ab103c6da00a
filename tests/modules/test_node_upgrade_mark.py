"""node_upgrade_mark run through Ansible against a fake kwbase printing constructed node status outputs."""
from conftest import fixture_text

KWDB = "../plugins/module_utils/engines/kwdb/fixtures/"
READY = KWDB + "node_status_all_csv_ready_constructed.txt"
UPGRADING = KWDB + "node_status_all_csv_upgrading_constructed.txt"
STOPPED = KWDB + "node_status_all_csv_stopped_constructed.txt"
UPGRADE_3 = "node upgrade 3 --host=h:26257 --insecure"
STATUS_CALL = ["node", "status", "--all", "--format=csv", "--host=h:26257", "--insecure"]


def base_args(fake_cli, **extra):
    args = {"engine": "kwdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True, "node": 3,
            "interval": 0.1, "stable_checks": 2, "timeout": 30}
    args.update(extra)
    return args


def test_marks_a_ready_node_and_waits_for_the_mark(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(READY), fixture_text(UPGRADING))
    fake_cli.respond(UPGRADE_3, "")
    result = module_runner("node_upgrade_mark", base_args(fake_cli))
    assert result["changed"] is True and result["upgrading"] is True and result["state"] == "upgrading"
    assert result["node"]["is_live"] is True and result["node"]["is_available"] is False
    assert result["command"] == [fake_cli.path, "node", "upgrade", "3", "--host=h:26257", "--insecure"]
    assert result["checks"] == 2
    assert result["diff"] == {"before": {"node": 3, "upgrading": False}, "after": {"node": 3, "upgrading": True}}
    assert fake_cli.calls() == [STATUS_CALL, UPGRADE_3.split(), STATUS_CALL, STATUS_CALL]


def test_an_upgrading_node_is_no_change(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(UPGRADING))
    result = module_runner("node_upgrade_mark", base_args(fake_cli))
    assert result["changed"] is False and result["upgrading"] is True and result["command"] is None
    assert fake_cli.calls() == [STATUS_CALL]


def test_query_cannot_tell_for_a_stopped_node(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(STOPPED))
    result = module_runner("node_upgrade_mark", base_args(fake_cli, state="query"))
    assert result["changed"] is False and result["upgrading"] is None and result["state"] == "down"


def test_check_mode_reports_the_mark_it_would_make(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(READY))
    result = module_runner("node_upgrade_mark", base_args(fake_cli), check_mode=True)
    assert result["changed"] is True and result["upgrading"] is True and result["command"] is None
    assert fake_cli.calls() == [STATUS_CALL]


def test_the_server_refusal_fails_with_what_to_do(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(READY))
    fake_cli.respond(UPGRADE_3, {"rc": 1, "stderr": "ERROR: rpc error: code = Unknown desc = can not upgrade nodes when "
                                                    "cluster has node DEAD\nFailed running \"node upgrade\"\n"})
    result = module_runner("node_upgrade_mark", base_args(fake_cli))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == (
        "`kwbase node upgrade 3` refused: rpc error: code = Unknown desc = can not upgrade nodes when cluster has node "
        "DEAD -> every node of the cluster must be LIVE or DECOMMISSIONED and one is DEAD: bring it back (or finish the "
        "upgrade of a node still UPGRADING by starting it with --upgrade-complete), then mark again")
    assert (result["kind"], result["node_id"]) == ("cluster_not_ready", 3)


def test_a_mark_that_never_shows_times_out_with_the_last_state(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(READY))
    fake_cli.respond(UPGRADE_3, "")
    result = module_runner("node_upgrade_mark", base_args(fake_cli, timeout=0.5))
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("timed out after ")
    assert "waiting for node 3 to show UPGRADING in kwbase node status" in result["msg"]
    assert result["state"] == "ready"


def test_only_kwdb_offers_the_mark(fake_cli, module_runner):
    result = module_runner("node_upgrade_mark", base_args(fake_cli, engine="cockroachdb"))
    assert result["failed"] is True
    assert result["msg"] == "value of engine must be one of: kwdb, got: cockroachdb"
