"""node_status run through Ansible against a fake CLI that prints real captures."""
from conftest import fixture_text

LIVE_CSV = "cockroach/node_status_all_csv_v22.1.22.txt"
DEAD_CSV = "cockroach/node_status_all_csv_v22.1.22_dead.txt"


def base_args(fake_cli, **extra):
    args = {"engine": "cockroachdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True}
    args.update(extra)
    return args


def test_reads_real_capture_with_types_and_decommissioned_nodes(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(LIVE_CSV))
    result = module_runner("node_status", base_args(fake_cli))
    assert result["changed"] is False
    assert [node["id"] for node in result["nodes"]] == [1, 2, 3, 4, 6]
    first = result["nodes"][0]
    assert first["address"] == "[fd00:1122:3344:101::3]:32221"
    assert first["is_live"] is True and first["is_available"] is True
    assert first["ranges"] == 210 and first["ranges_underreplicated"] == 0
    assert first["started_at"] == "2025-05-30T21:10:26.237011+00:00"
    decommissioned = result["nodes"][2]
    assert decommissioned["membership"] == "decommissioned"
    assert decommissioned["address"] is None and decommissioned["build"] is None
    assert result["summary"]["decommissioned"] == 2
    assert result["summary"]["all_live"] is True
    assert result["summary"]["builds"] == ["v22.1.22-29-g865aff1595"]
    assert fake_cli.calls() == [["node", "status", "--all", "--format=csv", "--host=h:26257", "--insecure"]]


def test_dead_node_makes_all_live_false(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(DEAD_CSV))
    result = module_runner("node_status", base_args(fake_cli))
    dead = [node["id"] for node in result["nodes"] if node["is_live"] is False]
    assert dead == [1, 6, 8]
    assert result["summary"]["all_live"] is False
    assert result["summary"]["live"] == 1


def test_waits_until_node_turns_live(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(DEAD_CSV), fixture_text(DEAD_CSV), fixture_text(LIVE_CSV))
    result = module_runner("node_status", base_args(fake_cli, wait_for="all_live", interval=0.1,
                                                    stable_checks=2, timeout=30))
    assert result["summary"]["all_live"] is True
    assert result["checks"] == 4
    assert result.get("failed") is not True


def test_wait_timeout_reports_last_state(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(DEAD_CSV))
    result = module_runner("node_status", base_args(fake_cli, wait_for="node_live", node="6", interval=0.2,
                                                    timeout=1))
    assert result["failed"] is True
    assert result["msg"].startswith("timed out after ")
    assert "waiting for node_live of node 6" in result["msg"]
    assert result["summary"]["all_live"] is False
    assert [node["id"] for node in result["nodes"]] == [1, 2, 6, 8]


def test_cli_failure_is_a_clear_error(fake_cli, module_runner):
    fake_cli.respond("node status", {"rc": 1, "stderr": "ERROR: cannot dial server.\nIs the server running?\n"})
    result = module_runner("node_status", base_args(fake_cli))
    assert result["failed"] is True
    assert result["msg"] == "`%s node status` failed (rc=1): ERROR: cannot dial server. / Is the server running?" % fake_cli.path


def test_failed_reads_count_as_unhealthy_checks_while_waiting(fake_cli, module_runner):
    fake_cli.respond("node status", {"rc": 1, "stderr": "ERROR: cannot dial server.\n"}, fixture_text(LIVE_CSV))
    result = module_runner("node_status", base_args(fake_cli, wait_for="all_live", interval=0.1, stable_checks=1))
    assert result["summary"]["all_live"] is True
    assert result["checks"] == 2


def test_node_condition_requires_node(fake_cli, module_runner):
    result = module_runner("node_status", base_args(fake_cli, wait_for="node_ready"))
    assert result["failed"] is True
    assert result["msg"] == "wait_for is node_ready but all of the following are missing: node"


def test_host_and_url_are_exclusive(fake_cli, module_runner):
    result = module_runner("node_status", base_args(fake_cli, url="postgresql://root:secret@h:26257"))
    assert result["failed"] is True
    assert result["msg"] == "parameters are mutually exclusive: host|url"


def test_runs_in_check_mode(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(LIVE_CSV))
    result = module_runner("node_status", base_args(fake_cli), check_mode=True)
    assert result["changed"] is False
    assert len(result["nodes"]) == 5


def test_named_node_is_returned_on_its_own(fake_cli, module_runner):
    fake_cli.respond("node status", fixture_text(LIVE_CSV))
    result = module_runner("node_status", base_args(fake_cli, node="2"))
    assert result["node"]["id"] == 2 and result["node"] == result["nodes"][1]
    missing = module_runner("node_status", base_args(fake_cli, node="99"))
    assert missing["node"] is None
    assert "node" not in module_runner("node_status", base_args(fake_cli))
