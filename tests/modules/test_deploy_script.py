"""deploy_script run through Ansible against a fake deploy.sh printing constructed deploy.sh outputs."""
import json
import os

from conftest import fixture_text

KWDB = "../plugins/module_utils/engines/kwdb/fixtures/"
BARE_PACKAGES = ("kaiwudb-libcommon_3.1.0_amd64.deb", "kaiwudb-server_3.1.0_amd64.deb")
MISMATCH = ("deploy.sh upgrade -l stopped at 'verify install type': Current use bare, but the package is container. -> "
            "this node is installed as bare metal but the package is for container: use the release package for bare "
            "metal (the kaiwudb-server and kaiwudb-libcommon .deb/.rpm packages)")


def run_of(name):
    """A constructed deploy.sh run (rc, stdout, stderr) as the fake answers it."""
    return json.loads(fixture_text(KWDB + name))


def release(make_fake_cli, tmp_path, packages=BARE_PACKAGES):
    """A kwdb_install dir whose deploy.sh is the fake CLI, packages/ with .version, and an installed bare node."""
    fake = make_fake_cli("kwdb_install")
    os.symlink(fake.path, os.path.join(fake.directory, "deploy.sh"))
    os.mkdir(os.path.join(fake.directory, "packages"))
    for name in packages:
        open(os.path.join(fake.directory, "packages", name), "w").close()
    with open(os.path.join(fake.directory, "packages", ".version"), "w") as handle:
        handle.write("3.1.0\n\n")
    (tmp_path / "etc" / "info").mkdir(parents=True)
    (tmp_path / "etc" / "info" / "MODE").write_text("bare\nmulti-replication\n/usr/local/kaiwudb\n")
    (tmp_path / "etc" / "info" / ".version").write_text("3.0.0\n")
    (tmp_path / "kaiwudb.service").write_text("\n[Unit]\n")
    args = {"package_dir": fake.directory, "config_dir": str(tmp_path / "etc"),
            "unit_file": str(tmp_path / "kaiwudb.service")}
    return fake, args


def test_an_offline_upgrade_completes(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    fake.respond("upgrade -l", run_of("deploy_offline_completed_constructed.json"))
    result = module_runner("deploy_script", args)
    assert result["changed"] is True and result["completed"] is True
    assert result["message"] == "Local node upgrade successfully."
    assert result["stages"][-2:] == ["upgrade", "upgrade complete"]
    assert result["command"] == [os.path.join(fake.directory, "deploy.sh"), "upgrade", "-l"]
    assert result["installed_version"] == {"version": "3.0.0", "extended": ""}
    assert result["package_version"] == {"version": "3.1.0", "extended": ""}
    assert result["diff"] == {"before": result["installed_version"], "after": result["package_version"]}
    assert fake.calls() == [["upgrade", "-l"]]


def test_bypass_version_check_is_passed_on(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    fake.respond("upgrade -l --bypass-version-check", run_of("deploy_online_completed_constructed.json"))
    result = module_runner("deploy_script", dict(args, bypass_version_check=True))
    assert result["completed"] is True and "restart KaiwuDB" in result["stages"]
    assert fake.calls() == [["upgrade", "-l", "--bypass-version-check"]]


def test_a_refusal_fails_with_what_to_do_and_no_change(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    fake.respond("upgrade -l", run_of("deploy_mode_mismatch_constructed.json"))
    result = module_runner("deploy_script", args)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == MISMATCH
    assert (result["kind"], result["stage"]) == ("deploy_mode_mismatch", "verify install type")


def test_a_failed_swap_after_the_mark_is_a_change(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    fake.respond("upgrade -l", run_of("deploy_swap_failed_online_constructed.json"))
    result = module_runner("deploy_script", args)
    assert result["failed"] is True and result["changed"] is True and result["kind"] == "step_failed"
    assert result["msg"].endswith(
        "-> the package swap failed after the node was marked UPGRADING (server.time_until_store_dead is 3h now): fix "
        "the cause shown and run the upgrade again, or restart the node with --upgrade-complete to clear the mark")


def test_exit_0_without_the_banner_fails(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    fake.respond("upgrade -l", "Usage:\n  deploy.sh upgrade [Options]\n")
    result = module_runner("deploy_script", args)
    assert result["failed"] is True
    assert result["msg"] == ("deploy.sh upgrade -l stopped before its first stage: exited 0 without the UPGRADE "
                             "COMPLETED banner -> its last lines: Usage: / deploy.sh upgrade [Options]")


def test_check_mode_makes_the_script_s_checks_without_running_it(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    result = module_runner("deploy_script", args, check_mode=True)
    assert result["changed"] is True and result["completed"] is False
    assert (result["installed_mode"], result["package_mode"]) == ("bare", "bare")
    assert result["packages"] == list(BARE_PACKAGES)
    assert result["command"] == [os.path.join(fake.directory, "deploy.sh"), "upgrade", "-l"]
    assert fake.calls() == []


def test_check_mode_refuses_a_container_package_on_bare_metal(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path, packages=("KaiwuDB.tar",))
    result = module_runner("deploy_script", args, check_mode=True)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == MISMATCH
    assert fake.calls() == []


def test_check_mode_refuses_a_node_without_kaiwudb(make_fake_cli, tmp_path, module_runner):
    fake, args = release(make_fake_cli, tmp_path)
    result = module_runner("deploy_script", dict(args, unit_file=str(tmp_path / "none.service")), check_mode=True)
    assert result["failed"] is True and result["kind"] == "not_installed"
    assert result["msg"] == (
        "deploy.sh upgrade -l stopped at 'install check': KaiwuDB does not exist. Please install KaiwuDB first. -> this "
        "node has no KaiwuDB installation (/etc/systemd/system/kaiwudb.service is missing): install KaiwuDB with "
        "deploy.sh install, or run the upgrade on a node that has it")


def test_a_missing_script_is_refused(tmp_path, module_runner):
    result = module_runner("deploy_script", {"package_dir": str(tmp_path)})
    assert result["failed"] is True
    assert result["msg"] == "deploy.sh binary %s/deploy.sh does not exist or is not executable" % tmp_path
