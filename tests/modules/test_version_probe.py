"""version_probe run through Ansible against fake binaries printing real version output."""
import os

from conftest import FakeCli, fixture_text

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


# KWDB in a container: kwbase runs through the fake docker CLI (tests/modules/fake_docker.py), whose images hold a
# fake kwbase printing the real version report at /kaiwudb/bin/kwbase


def kwdb_container(fake_docker, version="3.1.0"):
    image = fake_docker.image("kwdb/kwdb:%s" % version, version)
    fake_docker("load", "--input", fake_docker.archive("KaiwuDB.tar", image))
    fake_docker("run", "--detach", "--name", "kwdb", "--workdir", "/kaiwudb/bin", image["RepoTags"][0],
                "./kwbase", "start-single-node", "--insecure")
    return image


def container_probe(fake_docker, module_runner, **extra):
    args = {"engine": "kwdb", "binary": "/kaiwudb/bin/kwbase", "docker": fake_docker.path}
    args.update(extra)
    return module_runner("version_probe", args)


def kwbase_calls(image):
    return FakeCli(os.path.dirname(image["FakeFiles"]["/kaiwudb/bin/kwbase"])).calls()


def test_kwdb_version_read_inside_a_running_container(fake_docker, module_runner):
    image = kwdb_container(fake_docker)
    result = container_probe(fake_docker, module_runner, container="kwdb", target_version="V3.2.0")
    assert result.get("failed") is not True, result
    assert result["version"] == "V3.1.0" and result["parsed"]["minor"] == 1
    assert result["details"]["build_time"] == "2024/07/19 06:24:00"
    assert result["upgrade"]["allowed"] is True
    assert fake_docker.argvs()[-1] == ["exec", "kwdb", "/kaiwudb/bin/kwbase", "version"]
    assert kwbase_calls(image) == [["version"]]


def test_kwdb_version_read_from_an_image_in_a_throwaway_container(fake_docker, module_runner):
    image = kwdb_container(fake_docker, "3.0.0")
    fake_docker("stop", "--time", "60", "kwdb")
    result = container_probe(fake_docker, module_runner, image=image["Id"])
    assert result.get("failed") is not True, result
    assert result["version"] == "V3.0.0"
    assert fake_docker.argvs()[-1] == ["run", "--rm", "--entrypoint", "/kaiwudb/bin/kwbase", image["Id"], "version"]
    assert fake_docker.names() == ["kwdb"] and kwbase_calls(image) == [["version"]]


def test_a_binary_missing_in_the_container_is_the_containers_error_not_a_host_check(fake_docker, module_runner):
    kwdb_container(fake_docker)
    result = container_probe(fake_docker, module_runner, container="kwdb", binary="/kaiwudb/bin/nosuch")
    assert result["failed"] is True
    assert result["msg"] == ('`/kaiwudb/bin/nosuch version` failed (rc=126): OCI runtime exec failed: exec failed: '
                             'container_linux.go:380: starting container process caused: exec: "/kaiwudb/bin/nosuch": '
                             'stat /kaiwudb/bin/nosuch: no such file or directory: unknown')


def test_a_stopped_container_is_reported(fake_docker, module_runner):
    kwdb_container(fake_docker)
    fake_docker("stop", "--time", "60", "kwdb")
    result = container_probe(fake_docker, module_runner, container="kwdb")
    assert result["failed"] is True
    assert result["msg"] == ("`/kaiwudb/bin/kwbase version` failed (rc=1): Error response from daemon: Container %s is "
                             "not running" % fake_docker.inspect("kwdb")["Id"])


def test_container_and_image_are_exclusive(fake_docker, module_runner):
    result = container_probe(fake_docker, module_runner, container="kwdb", image="kwdb/kwdb:3.1.0")
    assert result["failed"] is True
    assert result["msg"] == "parameters are mutually exclusive: container|image"
