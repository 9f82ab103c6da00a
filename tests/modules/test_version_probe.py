"""version_probe run through Ansible against fake binaries printing real version output."""
from conftest import fixture_text

CRDB_V23_1_8 = fixture_text("cockroach/version_v23.1.8.txt")


def crdb_version_output(tag):
    return CRDB_V23_1_8.replace("v23.1.8", tag)


def test_reads_cockroach_version(fake_cli, module_runner):
    fake_cli.respond("version", CRDB_V23_1_8)
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": fake_cli.path})
    assert result["version"] == "v23.1.8"
    assert result["parsed"]["major"] == 23 and result["parsed"]["minor"] == 1 and result["parsed"]["patch"] == 8
    assert result["details"]["build_commit_id"] == "2c1d4afd2c2de091a00a4dba4392ceeaf8504a95"
    assert result["details"]["enabled_assertions"] is False
    assert "upgrade" not in result
    assert fake_cli.calls() == [["version"]]


def test_plans_multi_hop_to_target_version(fake_cli, module_runner):
    fake_cli.respond("version", CRDB_V23_1_8)
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": fake_cli.path,
                                             "target_version": "v24.3.5"})
    assert result["upgrade"]["allowed"] is True
    assert result["upgrade"]["kind"] == "multi_major"
    assert result["upgrade"]["hops"] == ["v23.2", "v24.1", "v24.3.5"]


def test_target_binary_is_read(make_fake_cli, module_runner):
    installed, target = make_fake_cli("installed"), make_fake_cli("target")
    installed.respond("version", crdb_version_output("v24.1.3"))
    target.respond("version", crdb_version_output("v24.1.7"))
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": installed.path,
                                             "target_binary": target.path})
    assert result["target"]["version"] == "v24.1.7"
    assert result["upgrade"]["kind"] == "patch"
    assert result["upgrade"]["hops"] == ["v24.1.7"]


def test_refuses_downgrade_after_finalization(fake_cli, module_runner):
    fake_cli.respond("version", crdb_version_output("v24.3.1"))
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": fake_cli.path,
                                             "target_version": "v24.1.5", "cluster_version": "24.3"})
    assert result["upgrade"]["allowed"] is False
    assert result["upgrade"]["kind"] == "rollback"
    assert result["upgrade"]["reason"] == ("cannot roll back from v24.3.1 to v24.1.5: the cluster version is already "
                                           "finalized at 24.3; only a restore into 24.1 remains")


def test_kwdb_refuses_2x_to_3x(fake_cli, module_runner):
    fake_cli.respond("version", fixture_text("kwdb/version_V2.0.3.2_RC3.txt").replace(
        "V2.0.3.2_RC3-3-gfe5eeb853e-dirty", "V2.2.2"))
    result = module_runner("version_probe", {"engine": "kwdb", "binary": fake_cli.path, "target_version": "V3.1.0"})
    assert result["version"] == "V2.2.2"
    assert result["upgrade"]["allowed"] is False
    assert result["upgrade"]["kind"] == "export_import"


def test_databend_query_reports_min_compatible_and_needs_peer(fake_cli, module_runner):
    fake_cli.respond("--cmd ver", fixture_text("databend/query_ver_0.7.61.txt"))
    result = module_runner("version_probe", {"engine": "databend_query", "binary": fake_cli.path})
    assert result["version"] == "0.7.61-nightly"
    assert result["min_compatible"] == {"metasrv": "0.7.59"}
    refused = module_runner("version_probe", {"engine": "databend_query", "binary": fake_cli.path,
                                              "target_binary": fake_cli.path})
    assert refused["failed"] is True
    assert refused["msg"] == ("a Databend upgrade plan needs both components: set peer_binary to the installed "
                              "databend-meta binary (and peer_target_binary if it is upgraded too)")


def test_databend_plan_with_peer(make_fake_cli, module_runner):
    query, query_new, meta = make_fake_cli("q"), make_fake_cli("q2"), make_fake_cli("m")
    query.respond("--cmd ver", "version: 1.2.600\nmin-compatible-metasrv-version: 1.2.258\n")
    query_new.respond("--cmd ver", "version: 1.2.700\nmin-compatible-metasrv-version: 1.2.258\n")
    meta.respond("--cmd ver", fixture_text("databend/meta_ver_data_version.txt"))
    result = module_runner("version_probe", {"engine": "databend_query", "binary": query.path,
                                             "target_binary": query_new.path, "peer_binary": meta.path})
    assert result["upgrade"]["allowed"] is True
    assert result["upgrade"]["order"] == "query_first"
    assert result["upgrade"]["hops"] == ["1.2.700"]


def test_databend_target_version_is_refused(fake_cli, module_runner):
    fake_cli.respond("--cmd ver", fixture_text("databend/query_ver_0.7.61.txt"))
    result = module_runner("version_probe", {"engine": "databend_query", "binary": fake_cli.path,
                                             "target_version": "1.2.700"})
    assert result["failed"] is True
    assert result["msg"] == ("target_version is not enough for Databend: compatibility depends on the target "
                             "binary's min-compatible versions, so give target_binary")


def test_unparseable_target_is_a_typed_error(fake_cli, module_runner):
    fake_cli.respond("version", CRDB_V23_1_8)
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": fake_cli.path,
                                             "target_version": "latest"})
    assert result["failed"] is True
    assert result["msg"] == "cannot parse cockroachdb version string 'latest'"


def test_target_binary_and_version_are_exclusive(fake_cli, module_runner):
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": fake_cli.path,
                                             "target_version": "v24.1.1", "target_binary": fake_cli.path})
    assert result["failed"] is True
    assert result["msg"] == "parameters are mutually exclusive: target_binary|target_version"


def test_missing_binary_is_reported_before_running(tmp_path, module_runner):
    result = module_runner("version_probe", {"engine": "cockroachdb", "binary": str(tmp_path / "cockroach")})
    assert result["failed"] is True
    assert result["msg"] == "cockroach binary %s does not exist or is not executable" % (tmp_path / "cockroach")
