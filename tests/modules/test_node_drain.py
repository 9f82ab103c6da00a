"""node_drain run through Ansible against a fake CLI that prints recorded drain and settings outputs."""
from conftest import fixture_text

HOST = ["--host=h:26257", "--insecure"]
TIMEOUT_STDERR = "cockroach/drain_timeout_stderr_constructed.txt"


def base_args(fake_cli, **extra):
    args = {"engine": "cockroachdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True}
    args.update(extra)
    return args


def drained():
    return {"stdout": fixture_text("cockroach/drain_docs_stdout.txt"), "stderr": fixture_text("cockroach/drain_docs_stderr.txt")}


def timed_out():
    return {"rc": 1, "stderr": fixture_text(TIMEOUT_STDERR)}


def respond_settings_24_1(fake_cli):
    fake_cli.respond("sql: SHOW CLUSTER SETTING version", fixture_text("cockroach/show_setting_version_24.1_inferred.txt"))
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.initial_wait", "server.shutdown.initial_wait\n00:00:08\n")
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.connections.timeout",
                     "server.shutdown.connections.timeout\n00:00:00\n")
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.transactions.timeout",
                     fixture_text("cockroach/show_setting_duration_constructed.txt"))
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.lease_transfer_iteration.timeout",
                     "server.shutdown.lease_transfer_iteration.timeout\n00:00:05\n")
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.jobs.timeout", "server.shutdown.jobs.timeout\n00:00:10\n")


def test_drains_the_connected_node_with_the_given_drain_wait(fake_cli, module_runner):
    fake_cli.respond("node drain", drained())
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="90s"))
    assert result["changed"] is True and result["drained"] is True and result["shutdown"] is False
    assert result["drain_wait"] == {"seconds": 90, "text": "90s"}
    assert result["settings"] is None and result["required_seconds"] is None
    assert result["progress"] == [50, 0] and result["remaining"] == 0
    assert [(r["drain_wait"], r["remaining"], r["timed_out"]) for r in result["rounds"]] == [("90s", 0, False)]
    assert fake_cli.calls() == [["node", "drain", "--self", "--drain-wait=90s"] + HOST]


def test_drain_timeout_is_run_again_until_drained(fake_cli, module_runner):
    fake_cli.respond("node drain", timed_out(), drained())
    result = module_runner("node_drain", base_args(fake_cli, node=3, drain_wait="20s", interval=0.1, timeout=120))
    assert result.get("failed") is not True
    assert result["drained"] is True and len(result["rounds"]) == 2
    assert [(r["drain_wait"], r["remaining"], r["timed_out"]) for r in result["rounds"]] == [
        ("20s", 12, True), ("20s", 0, False)]
    assert result["progress"] == [50, 12, 50, 0]
    assert fake_cli.calls() == [["node", "drain", "3", "--drain-wait=20s"] + HOST] * 2


def test_drain_wait_is_sized_from_the_shutdown_settings(fake_cli, module_runner):
    respond_settings_24_1(fake_cli)
    fake_cli.respond("node drain", drained())
    result = module_runner("node_drain", base_args(fake_cli))
    assert result["settings"] == {"server.shutdown.initial_wait": 8, "server.shutdown.connections.timeout": 0,
                                  "server.shutdown.transactions.timeout": 10,
                                  "server.shutdown.lease_transfer_iteration.timeout": 5,
                                  "server.shutdown.jobs.timeout": 10}
    assert result["required_seconds"] == 43
    assert result["drain_wait"] == {"seconds": 53, "text": "53s"}
    assert result["cluster_version"] == "24.1"
    assert fake_cli.calls()[-1] == ["node", "drain", "--self", "--drain-wait=53s"] + HOST
    assert [call[3] for call in fake_cli.calls()[:-1]] == [
        "SHOW CLUSTER SETTING version", "SHOW CLUSTER SETTING server.shutdown.initial_wait",
        "SHOW CLUSTER SETTING server.shutdown.connections.timeout",
        "SHOW CLUSTER SETTING server.shutdown.transactions.timeout",
        "SHOW CLUSTER SETTING server.shutdown.lease_transfer_iteration.timeout",
        "SHOW CLUSTER SETTING server.shutdown.jobs.timeout"]


def test_a_23_1_cluster_is_read_by_the_old_names(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW CLUSTER SETTING version", "version\n23.1\n")
    for name, value in (("drain_wait", "00:00:08"), ("connection_wait", "00:00:00"), ("query_wait", "00:00:10"),
                        ("lease_transfer_wait", "00:00:05")):
        fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown." + name, "server.shutdown.%s\n%s\n" % (name, value))
    fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown.jobs_wait",
                     {"rc": 1, "stderr": "ERROR: unknown cluster setting 'server.shutdown.jobs_wait'\nFailed running \"sql\"\n"})
    fake_cli.respond("node drain", drained())
    result = module_runner("node_drain", base_args(fake_cli))
    assert result["settings"] == {"server.shutdown.drain_wait": 8, "server.shutdown.connection_wait": 0,
                                  "server.shutdown.query_wait": 10, "server.shutdown.lease_transfer_wait": 5}
    assert result["required_seconds"] == 33 and result["drain_wait"] == {"seconds": 43, "text": "43s"}
    assert result["drained"] is True


def test_check_mode_reports_the_drain_wait_and_drains_nothing(fake_cli, module_runner):
    respond_settings_24_1(fake_cli)
    result = module_runner("node_drain", base_args(fake_cli), check_mode=True)
    assert result["changed"] is False and result["drained"] is False and result["rounds"] == []
    assert result["drain_wait"] == {"seconds": 53, "text": "53s"}
    assert not [call for call in fake_cli.calls() if call[:2] == ["node", "drain"]]


def test_rounds_stop_when_no_further_round_fits_the_timeout(fake_cli, module_runner):
    fake_cli.respond("node drain", timed_out())
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="10s", timeout=12, interval=3))
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == ("draining the node at h:26257: not drained within the 12s timeout; 1 round(s) ended in a "
                             "drain timeout (ERROR: drain timeout, consider adjusting --drain-wait) and the time left "
                             "allows no further round of at least 10s; last progress: remaining 12")
    assert len(result["rounds"]) == 1 and result["remaining"] == 12 and result["drained"] is False


def test_another_cli_error_fails_with_the_cli_message(fake_cli, module_runner):
    fake_cli.respond("node drain", {"rc": 1, "stderr": "node is draining... \nERROR: node cannot be drained before it "
                                                       "has been initialized\nFailed running \"node drain\"\n"})
    result = module_runner("node_drain", base_args(fake_cli, node=4, drain_wait="30s"))
    assert result["failed"] is True
    assert result["msg"] == ("draining node 4 failed in round 1: node cannot be drained before it has been initialized "
                             "(rc=1); last progress: no progress reported")
    assert len(fake_cli.calls()) == 1


def test_shutdown_is_refused_with_a_client_older_than_24_2(fake_cli, module_runner):
    fake_cli.respond("version", fixture_text("cockroach/version_v23.1.8.txt"))
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="30s", shutdown=True))
    assert result["failed"] is True
    assert result["msg"] == ("shutdown=true needs `cockroach node drain --shutdown`, which exists from v24.2; the client "
                             "binary %s is v23.1.8" % fake_cli.path)
    assert fake_cli.calls() == [["version"]]


def test_shutdown_with_a_24_2_client(fake_cli, module_runner):
    fake_cli.respond("version", fixture_text("cockroach/version_v24.3.0-alpha.2.txt"))
    fake_cli.respond("node drain", {"stdout": fixture_text("cockroach/drain_shutdown_stdout_v24.2_inferred.txt"),
                                    "stderr": fixture_text("cockroach/drain_docs_stderr.txt")})
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="30s", shutdown=True))
    assert result["drained"] is True and result["shutdown"] is True
    assert fake_cli.calls()[-1] == ["node", "drain", "--self", "--drain-wait=30s", "--shutdown"] + HOST


def test_cli_warnings_become_ansible_warnings(fake_cli, module_runner):
    fake_cli.respond("node drain", {"stdout": "drain ok\n",
                                    "stderr": fixture_text("cockroach/drain_warning_stderr_constructed.txt")})
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="10s"))
    assert result["drained"] is True
    assert result["warnings"] == [
        "warning: --drain-wait is 10s, but the server.shutdown.{drain,query,jobs,connection,lease_transfer}_wait cluster "
        "settings require a value of at least 35s; using the larger value"]


def test_a_bad_drain_wait_is_refused(fake_cli, module_runner):
    result = module_runner("node_drain", base_args(fake_cli, drain_wait="00:10:00"))
    assert result["failed"] is True
    assert result["msg"] == "drain_wait '00:10:00' is not a duration such as 10m, 90s or 1m30s"
    assert fake_cli.calls() == []


def test_kwdb_drains_the_node_it_connects_to_without_self(fake_cli, module_runner):
    for name, value in (("drain_wait", "00:00:08"), ("query_wait", "00:00:10"), ("lease_transfer_wait", "00:00:05")):
        fake_cli.respond("sql: SHOW CLUSTER SETTING server.shutdown." + name,
                         "server.shutdown.%s\n%s\n" % (name, value))
    fake_cli.respond("node drain", {"stdout": "ok\n", "stderr": "node is draining... remaining: 0 (complete)\n"})
    result = module_runner("node_drain", base_args(fake_cli, engine="kwdb"))
    assert result.get("failed") is not True and result["drained"] is True
    assert result["drain_wait"] == {"seconds": 43, "text": "43s"}
    assert fake_cli.calls()[-1] == ["node", "drain", "--drain-wait=43s", "--host=h:26257", "--insecure"]


def test_only_engines_with_a_drain_are_accepted(fake_cli, module_runner):
    result = module_runner("node_drain", base_args(fake_cli, engine="databend"))
    assert result["failed"] is True
    assert result["msg"] == "value of engine must be one of: cockroachdb, kwdb, got: databend"
