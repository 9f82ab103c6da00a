"""The simulated KWDB release packages and deploy.sh on podman hosts: install, refusals, online/offline upgrade.

Expected texts are the vendor's (KWDB/KWDB kaiwudb_install, see sim/kwdb_deploy/FIDELITY.md).
The tests of one module-scoped cluster run in file order; each states the state it leaves behind.
"""
import re
import threading
import time

import pytest

from tests.testbed.provision import ProvisionError
from tests.testbed.provision_kwdb import KwdbDeployment

pytest_plugins = ["tests.testbed.pytest_plugin"]

SIM_OPTIONS = {"liveness_ttl": 3.0, "catchup_seconds": 2.0, "ranges": 30}
UPGRADE_COMPLETED = "\x1b[1;32m[UPGRADE COMPLETED]:\x1b[0mLocal node upgrade successfully."
CONSOLE_ERROR = re.compile(r"\x1b\[31m \[ERROR\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*) \x1b\[0m")
LOG_ERROR = re.compile(r"^\[ERROR\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*)$", re.M)
KEPT_FILES = "find /var/lib/kaiwudb /etc/kaiwudb /etc/systemd/system/kaiwudb.service -type f ! -name '*.log' " \
             "! -path '*/logs/*' -print0 | sort -z | xargs -0 sha256sum"


def console_errors(proc):
    return CONSOLE_ERROR.findall(proc.stdout)


def log_errors(host, deploy_dir):
    return LOG_ERROR.findall(host.exec("cat %s/log/*" % deploy_dir).stdout)


def status_of(deployment, host):
    return [row for row in deployment.node_status() if row["sql_address"] == "%s:26257" % host.ip][0]


@pytest.fixture(scope="module")
def module_clusters(hostlab):
    from tests.testbed.pytest_plugin import ClusterFactory  # after pytest registered the plugin module
    factory = ClusterFactory(hostlab)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def multi(hostlab, module_clusters):
    """V3.0.0 on three nodes, multi-replica, tls (installed from node1 over SSH, started with cluster -i)."""
    return KwdbDeployment(hostlab, module_clusters(3), **SIM_OPTIONS).deploy("V3.0.0")


@pytest.fixture(scope="module")
def single_host(module_clusters):
    return module_clusters(1).nodes[0]


def test_install_lays_out_the_vendor_files(multi):
    node1, node2 = multi.nodes[0], multi.nodes[1]
    assert node2.read_file("/etc/kaiwudb/info/MODE") == (
        "bare\nmulti-replication\n/usr/local/kaiwudb\n/var/lib/kaiwudb\n26257\n8080\nkaiwudb\ntls\nfalse\n%s\n" % node2.ip)
    assert node2.read_file("/etc/kaiwudb/info/.version") == "3.0.0\n"
    assert node2.read_file("/etc/kaiwudb/script/kaiwudb_env") == 'KAIWUDB_START_ARG=""\n'
    unit = node2.read_file("/etc/systemd/system/kaiwudb.service")
    assert unit.startswith("\n[Unit]\nDescription=KaiwuDB Service\nAfter=network.target\nWants=network.target\n"
                           "[Service]\nUser=kaiwudb\nGroup=kaiwudb\nType=simple\nLimitMEMLOCK=infinity\n"
                           "LimitNOFILE=1048576\n\nWorkingDirectory=/usr/local/kaiwudb/bin\n")
    assert ("\nExecStart=/usr/local/kaiwudb/bin/kwbase start $KAIWUDB_START_ARG --certs-dir=/etc/kaiwudb/certs "
            "--listen-addr=0.0.0.0:26257 --advertise-addr=%s:26257 --http-addr=0.0.0.0:8080 --brpc-addr=0.0.0.0:27257 "
            "--store=/var/lib/kaiwudb  --join %s:26257\nExecStop=/bin/kill $MAINPID\n" % (node2.ip, node1.ip)) in unit
    assert "\nExecStartPre=/usr/bin/sudo /usr/sbin/sysctl -w vm.max_map_count=10000000\n" in unit
    packages = node2.exec(["dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n", "kaiwudb-*"]).stdout
    assert packages.splitlines() == ["kaiwudb-libcommon 3.0.0 install ok installed",
                                     "kaiwudb-server 3.0.0 install ok installed"]
    assert node2.exec(["readlink", "/usr/bin/kwbase"]).stdout == "/usr/local/kaiwudb/bin/kwbase\n"
    assert node2.read_file("/etc/ld.so.conf.d/kaiwudb.conf") == "/usr/local/kaiwudb/lib\n"
    assert node2.exec(["stat", "-c", "%U", "/var/lib/kaiwudb", "/etc/kaiwudb/certs/node.key"]).stdout == "kaiwudb\nkaiwudb\n"
    # kw-status.sh starts with a blank line before its #! (vendor heredoc): only a shell can run it
    assert "exec format error" in node2.exec(["kw-status"], check=False).stderr
    assert node2.exec("kw-status").stdout.splitlines()[0].split("\t")[7:] == ["start_mode", "is_available", "is_live"]
    assert [(r["build"], r["start_mode"], r["is_available"]) for r in multi.node_status()] == [("V3.0.0", "start", "true")] * 3


def test_upgrade_refuses_an_older_package(multi):
    node2 = multi.nodes[1]
    deploy_dir = multi.stage(node2, "V2.2.2")
    proc = multi.deploy_sh(node2, deploy_dir, "upgrade", "-l")
    message = ("UPGRADE ERROR:The requested upgrade version is older than the current installed version."
               "(current:3.0.0 new_version:2.2.2)")
    assert (proc.returncode, console_errors(proc)) == (1, [message])
    assert log_errors(node2, deploy_dir) == [message]
    assert node2.read_file("/etc/kaiwudb/info/.version") == "3.0.0\n"
    assert status_of(multi, node2)["is_available"] == "true"


def test_upgrade_refuses_the_installed_version(multi):
    node2 = multi.nodes[1]
    proc = multi.deploy_sh(node2, multi.stage(node2, "V3.0.0"), "upgrade", "--local")
    assert (proc.returncode, console_errors(proc)) == (1, ["UPGRADE ERROR:The upgrade conditions are not met.( --> )"])


def test_corrupt_download_fails_its_checksum(multi):
    with pytest.raises(ProvisionError, match="KWDB-3.1.0-debian12-x86_64.tar.gz: FAILED"):
        multi.stage(multi.nodes[2], "V3.1.0", corrupt=True)


def test_a_container_package_is_refused_on_a_bare_metal_install(multi):
    node3 = multi.nodes[2]
    deploy_dir = multi.stage(node3, "V3.1.0", container=True)
    assert node3.exec(["ls", deploy_dir + "/packages"]).stdout == "KaiwuDB.tar\n"
    proc = multi.deploy_sh(node3, deploy_dir, "upgrade", "-l")
    assert (proc.returncode, console_errors(proc)) == (1, ["Current use bare, but the package is container."])
    assert node3.read_file("/etc/kaiwudb/info/.version") == "3.0.0\n"


def test_online_upgrade_of_one_node(multi):
    """node2 -> V3.1.0 while running: UPGRADING mark, package swap, restart with --upgrade-complete, flag removed."""
    node1, node2 = multi.nodes[0], multi.nodes[1]
    dead_before = multi.sql(node1, "SHOW CLUSTER SETTING server.time_until_store_dead")
    deploy_dir = multi.stage(node2, "V3.1.0")
    seen = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            rows = multi.node_status(node1, check=False) or []
            seen.extend((r["is_available"], r["is_live"]) for r in rows if r["sql_address"].startswith(node2.ip + ":"))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        proc = multi.deploy_sh(node2, deploy_dir, "upgrade", "-l")
    finally:
        done.set()
        watcher.join()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith("\n" + UPGRADE_COMPLETED + "\n")
    assert ("false", "true") in seen, "node2 never showed the UPGRADING mark (available false, live true)"
    row = status_of(multi, node2)
    assert (row["build"], row["is_available"], row["is_live"]) == ("V3.1.0", "true", "true")
    assert node2.read_file("/etc/kaiwudb/info/.version") == "3.1.0\n"
    # the vendor's sed adds "--upgrade-complete " and removes "--upgrade-complete": one space stays
    assert node2.read_file("/etc/kaiwudb/script/kaiwudb_env") == 'KAIWUDB_START_ARG=" "\n'
    # `sed -iq` is in-place editing with the backup suffix "q"
    assert node2.exec(["ls", "/etc/kaiwudb/script/kaiwudb_envq", "/etc/systemd/system/kaiwudb.serviceq"]).returncode == 0
    main_pid = node2.systemctl("show", "--property", "MainPID", "--value", "kaiwudb").stdout.strip()
    assert "--upgrade-complete" in node2.read_file("/proc/%s/cmdline" % main_pid).split("\0")
    assert multi.sql(node1, "SHOW CLUSTER SETTING server.time_until_store_dead") == dead_before
    assert node2.exec(["dpkg-query", "-W", "-f", "${Version}", "kaiwudb-server"]).stdout == "3.1.0"


def test_full_disk_keeps_data_certs_and_config_but_not_the_old_server_package(multi):
    """node3, online: node marked UPGRADING, old packages removed, new server package fails in preinst."""
    node3 = multi.nodes[2]
    kept_before = node3.exec(KEPT_FILES).stdout
    deploy_dir = multi.stage(node3, "V3.1.0", full_disk=True)
    proc = multi.deploy_sh(node3, deploy_dir, "upgrade", "-l")
    errors = console_errors(proc)
    assert proc.returncode == 1 and len(errors) == 1, proc.stdout + proc.stderr
    assert errors[0].startswith("KaiwuDB upgrade failed: ")
    assert "failed to write (No space left on device)" in errors[0]
    assert "new kaiwudb-server package pre-installation script subprocess returned error exit status 1" in errors[0]
    assert node3.exec(KEPT_FILES).stdout == kept_before  # data dir, certs, MODE/.version/env and unit untouched
    assert node3.exec(["test", "-e", "/usr/local/kaiwudb/bin/kwbase"], check=False).returncode == 1
    packages = node3.exec(["dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n", "kaiwudb-*"]).stdout
    assert packages.splitlines() == ["kaiwudb-libcommon 3.1.0 install ok installed",
                                     "kaiwudb-server  install ok not-installed"]
    row = status_of(multi, node3)  # the old process still runs, marked UPGRADING: the caller must recover it
    assert (row["build"], row["is_available"], row["is_live"]) == ("V3.0.0", "false", "true")
    assert multi.sql(multi.nodes[0], "SHOW CLUSTER SETTING server.time_until_store_dead").splitlines()[1] == "03:00:00"


def test_upgrade_without_an_installation(multi, single_host):
    deploy_dir = multi.stage(single_host, "V3.1.0")
    proc = multi.deploy_sh(single_host, deploy_dir, "upgrade", "-l")
    assert (proc.returncode, console_errors(proc)) == (1, ["KaiwuDB does not exist. Please install KaiwuDB first."])


def test_single_mode_refuses_online_upgrade_then_upgrades_offline(hostlab, module_clusters, single_host):
    lab_cluster = [c for c in module_clusters.clusters if single_host in c.nodes][0]
    single = KwdbDeployment(hostlab, lab_cluster, **SIM_OPTIONS).deploy("V3.0.0", mode="single")
    deploy_dir = single.stage(single_host, "V3.1.0")
    running = single.deploy_sh(single_host, deploy_dir, "upgrade", "-l")
    assert (running.returncode, console_errors(running)) == (
        1, ["Current local node is not support online upgrade! Please stop KaiwuDB then try again."])

    single_host.exec(["sed", "-i", "1s/bare/container/", "/etc/kaiwudb/info/MODE"])
    mismatch = single.deploy_sh(single_host, deploy_dir, "upgrade", "-l")
    single_host.exec(["sed", "-i", "1s/container/bare/", "/etc/kaiwudb/info/MODE"])
    assert (mismatch.returncode, console_errors(mismatch)) == (1, ["Current use container, but the package is bare."])

    stop = single.deploy_sh(single_host, deploy_dir, "stop")
    assert stop.stdout == "\x1b[1;32m[STOP COMPLETED]:\x1b[0mKaiwuDB stop successfully.\n"
    offline = single.deploy_sh(single_host, deploy_dir, "upgrade", "-l")
    assert offline.returncode == 0 and offline.stdout.endswith("\n" + UPGRADE_COMPLETED + "\n"), offline.stdout
    assert single_host.read_file("/etc/kaiwudb/script/kaiwudb_env") == 'KAIWUDB_START_ARG=""\n'
    assert single.deploy_sh(single_host, deploy_dir, "start").returncode == 0
    rows = single.wait_all_live()
    assert [(r["build"], r["start_mode"]) for r in rows] == [("V3.1.0", "start-single-node")]


VERSION_RULES = [
    # (installed basic, installed extended, package basic, package extended, exit status, message)
    ("2.2.2", "", "3.0.0", "", 0, ""),  # 2.x -> 3.x passes the script's check (the docs require export/import)
    ("3.0.0", "", "3.1.0", "", 0, ""),
    ("3.1.0", "", "3.0.0", "", 1, "UPGRADE ERROR:The requested upgrade version is older than the current "
                                  "installed version.(current:3.1.0 new_version:3.0.0)"),
    ("3.0.0", "", "3.0.0", "beta1", 1, "UPGRADE ERROR:Official version can not upgrade to beta1."),
    ("3.0.0", "beta1", "3.0.0", "alpha1", 1, "UPGRADE ERROR:The upgrade conditions are not met.(beta1 --> alpha1)"),
    ("3.0.0", "hotfix1beta1", "3.0.0", "hotfix1alpha1", 1,
     "UPGRADE ERROR:The upgrade conditions are not met.(hotfix1beta1 --> hotfix1alpha1)"),
    ("3.0.0", "", "3.0.0", "hotfix1", 0, ""),
    ("3.0.0", "hotfix1", "3.0.0", "hotfix2", 1, "WARNING:This version upgrade is not supported, and if you continue "
     "to upgrade, you can use the --bypass-version-check option to re-execute the upgrade command to skip the version "
     "comparison check."),
    ("3.0.0", "patch1", "3.0.0", "patch2", 0, ""),
]


def test_version_rules_of_the_upgrade_check(multi, single_host):
    """version_compare of the shipped utils against /etc/kaiwudb/info/.version (a scratch copy of the rules)."""
    deploy_dir = multi.stage(single_host, "V3.1.0")
    script = ('source %s/utils/kaiwudb_install.sh; source %s/utils/kaiwudb_upgrade.sh; g_deploy_path=$1; '
              'printf "%%s\\n" "$2" "$3" > /etc/kaiwudb/info/.version; printf "%%s\\n" "$4" "$5" > $1/packages/.version; '
              'version_compare' % (deploy_dir, deploy_dir))
    saved = single_host.read_file("/etc/kaiwudb/info/.version")
    try:
        for old_basic, old_ext, new_basic, new_ext, status, message in VERSION_RULES:
            proc = single_host.exec(["bash", "-c", script, "rules", deploy_dir, old_basic, old_ext, new_basic, new_ext],
                                    check=False)
            assert (proc.returncode, proc.stdout.strip()) == (status, message), (old_ext, new_ext)
    finally:
        single_host.write_file("/etc/kaiwudb/info/.version", saved)
