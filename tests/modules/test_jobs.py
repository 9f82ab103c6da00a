"""jobs run through Ansible against a fake CLI printing the recorded SHOW JOBS outputs."""
from conftest import fixture_text

RUNNING = fixture_text("cockroach/show_jobs_csv_v24.1_running_constructed.txt")


def args(fake_cli, engine="cockroachdb"):
    return {"engine": engine, "binary": fake_cli.path, "host": "node1:26257", "insecure": True}


def test_lists_the_jobs_that_have_not_ended(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW JOBS", RUNNING)
    result = module_runner("jobs", args(fake_cli))
    assert result.get("failed") is not True and result["changed"] is False
    assert [(job["job_id"], job["job_type"], job["status"]) for job in result["jobs_running"]] == [
        (1001234567890123501, "MIGRATION", "running"), (1001234567890123488, "NEW SCHEMA CHANGE", "running")]
    assert fake_cli.calls()[0][:4] == ["sql", "--format=csv", "-e", "SHOW JOBS"]


def test_a_failed_show_jobs_fails_with_the_cli_error(fake_cli, module_runner):
    fake_cli.respond("sql: SHOW JOBS", {"rc": 1, "stderr": "ERROR: cannot dial server.\nFailed running \"sql\"\n"})
    result = module_runner("jobs", args(fake_cli, engine="kwdb"))
    assert result["failed"] is True
    assert result["msg"] == "`SHOW JOBS` failed: cannot dial server."
