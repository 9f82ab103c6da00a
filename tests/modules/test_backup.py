"""backup run through Ansible against a fake CLI that prints the recorded BACKUP / SHOW BACKUPS outputs."""
from conftest import fixture_text

BLOCKING = fixture_text("cockroach/backup_csv_inferred.txt")
DETACHED = fixture_text("cockroach/backup_detached_csv_inferred.txt")
SHOW_BACKUPS = fixture_text("cockroach/show_backups_csv_inferred.txt")
DESTINATION = "nodelocal://1/backups"
CONNECTION = ["--host=h:26257", "--insecure"]


def base_args(fake_cli, **extra):
    args = {"engine": "cockroachdb", "binary": fake_cli.path, "host": "h:26257", "insecure": True,
            "destination": DESTINATION}
    args.update(extra)
    return args


def sql(statement):
    return ["sql", "--format=csv", "-e", statement] + CONNECTION


def test_blocking_backup_returns_the_job_and_the_newest_path(fake_cli, module_runner):
    fake_cli.respond("sql", BLOCKING, SHOW_BACKUPS)
    result = module_runner("backup", base_args(fake_cli))
    assert result.get("failed") is not True and result["changed"] is True
    assert (result["job_id"], result["status"], result["fraction_completed"]) == (652471804772712449, "succeeded", 1.0)
    assert (result["rows"], result["index_entries"], result["bytes"]) == (50, 0, 4911)
    assert result["path"] == "/2022/04/13-202413.70"
    assert result["backups"] == ["/2022/04/13-202334.48", "/2022/04/13-202413.70"]
    assert result["detached"] is False
    assert fake_cli.calls() == [sql("BACKUP INTO 'nodelocal://1/backups'"),
                                sql("SHOW BACKUPS IN 'nodelocal://1/backups'")]


def test_detached_backup_returns_the_job_id_only(fake_cli, module_runner):
    fake_cli.respond("sql", DETACHED)
    result = module_runner("backup", base_args(fake_cli, detached=True))
    assert result["changed"] is True and result["job_id"] == 592786066399264769
    assert result["status"] is None and result["bytes"] is None and result["path"] is None
    assert fake_cli.calls() == [sql("BACKUP INTO 'nodelocal://1/backups' WITH detached")]


def test_destination_is_one_argv_element_with_quotes_doubled(fake_cli, module_runner):
    fake_cli.respond("sql", BLOCKING, SHOW_BACKUPS)
    module_runner("backup", base_args(fake_cli, destination="nodelocal://1/o'brien; rm -rf /"))
    assert fake_cli.calls()[0] == sql("BACKUP INTO 'nodelocal://1/o''brien; rm -rf /'")
    assert fake_cli.calls()[1] == sql("SHOW BACKUPS IN 'nodelocal://1/o''brien; rm -rf /'")


def test_check_mode_runs_nothing_and_predicts_a_change(fake_cli, module_runner):
    fake_cli.respond("sql", BLOCKING)
    result = module_runner("backup", base_args(fake_cli), check_mode=True)
    assert result["changed"] is True and result["job_id"] is None and result["path"] is None
    assert fake_cli.calls() == []


def test_failed_backup_names_the_error_and_masks_the_destination(fake_cli, module_runner):
    fake_cli.respond("sql", {"rc": 1, "stderr": "ERROR: nodelocal://1/backups: permission denied\n"
                                                "Failed running \"sql\"\n"})
    result = module_runner("backup", base_args(fake_cli))
    assert result["failed"] is True
    assert result["msg"] == ("BACKUP INTO '********' failed: `%s sql` failed (rc=1): ERROR: ********: permission denied "
                             "/ Failed running \"sql\"" % fake_cli.path)


def test_destination_with_quotes_is_masked_in_its_sql_spelling_too(fake_cli, module_runner):
    secret = "s3://b/x?AWS_SECRET_ACCESS_KEY=it's-secret"
    fake_cli.respond("sql", {"rc": 1, "stderr": "ERROR: unsupported statement: BACKUP INTO 's3://b/x?AWS_SECRET_ACCESS_KEY"
                                                "=it''s-secret'\n"})
    result = module_runner("backup", base_args(fake_cli, destination=secret))
    assert result["failed"] is True
    assert "secret" not in result["msg"]
    assert result["msg"] == ("BACKUP INTO '********' failed: `%s sql` failed (rc=1): ERROR: unsupported statement: "
                             "BACKUP INTO '********'" % fake_cli.path)


def test_status_other_than_succeeded_fails_with_status_and_error(fake_cli, module_runner):
    failed = "job_id,status,fraction_completed,rows,index_entries,bytes\n77,failed,0.25,0,0,0\n"
    job = "job_id,job_type,status,error\n77,BACKUP,failed,external storage quota exceeded\n"
    fake_cli.respond("sql", failed, job)
    result = module_runner("backup", base_args(fake_cli))
    assert result["failed"] is True
    assert result["msg"] == ("BACKUP INTO '********' ended with job 77 in status failed, not succeeded: external "
                             "storage quota exceeded")
    assert fake_cli.calls()[1] == sql("SHOW JOB 77")


def test_verified_finds_the_path(fake_cli, module_runner):
    fake_cli.respond("sql", SHOW_BACKUPS)
    result = module_runner("backup", base_args(fake_cli, state="verified", path="2022/04/13-202334.48"))
    assert result.get("failed") is not True and result["changed"] is False
    assert result["path"] == "/2022/04/13-202334.48"
    assert fake_cli.calls() == [sql("SHOW BACKUPS IN 'nodelocal://1/backups'")]


def test_verified_runs_in_check_mode(fake_cli, module_runner):
    fake_cli.respond("sql", SHOW_BACKUPS)
    result = module_runner("backup", base_args(fake_cli, state="verified", path="/2022/04/13-202413.70"),
                           check_mode=True)
    assert result["changed"] is False and result["path"] == "/2022/04/13-202413.70"


def test_verified_fails_when_the_path_is_not_listed(fake_cli, module_runner):
    fake_cli.respond("sql", SHOW_BACKUPS)
    result = module_runner("backup", base_args(fake_cli, state="verified", path="/2024/01/01-000000.00"))
    assert result["failed"] is True
    assert result["msg"] == ("SHOW BACKUPS IN the destination does not list /2024/01/01-000000.00; it lists "
                             "/2022/04/13-202334.48, /2022/04/13-202413.70")


def test_verified_needs_a_path(fake_cli, module_runner):
    result = module_runner("backup", base_args(fake_cli, state="verified"))
    assert result["failed"] is True
    assert result["msg"] == "state is verified but all of the following are missing: path"


def test_only_engines_with_a_backup_capability(fake_cli, module_runner):
    result = module_runner("backup", base_args(fake_cli, engine="kwdb"))
    assert result["failed"] is True
    assert result["msg"] == "value of engine must be one of: cockroachdb, got: kwdb"
