"""`python -m tests.testbed up --engine kwdb` on podman hosts, one cluster per topology (deploy.sh --multi-replica,
--single-replica, --single): the inventory contract with the KWDB values, the release mirror serving every package
(downloaded and hashed on a node over SSH, like Ansible), the nodes running the release, the workload through haproxy,
and the requests refused before any host starts.
"""
import json
import os

# testbed: the fixture of test_upgrade_lab.py (runs `python -m tests.testbed ...`, removes the clusters it named)
from test_upgrade_lab import CONTRACT_VARS, assert_workload_through_lb, on, ssh, testbed, up  # noqa: F401  pylint: disable=unused-import

from tests.testbed.provision_kwdb import kwdb_packages

pytest_plugins = ["tests.testbed.pytest_plugin"]

KWDB_VARS = ["distsql_group", "distsql_node_address", "distsql_kwdb_install_dir", "distsql_kwdb_deploy_mode"]
SIM = ["--sim", "liveness_ttl=3", "--sim", "catchup_seconds=2"]
INSTALL_DIR = "/root/kwdb_install"


def contract(secure=False):
    """The all.vars names in order: the cockroach contract with the certs dir when secure, KWDB's own after the data
    dir."""
    names = CONTRACT_VARS[:10] + ["distsql_certs_dir"] * secure + CONTRACT_VARS[10:13] + KWDB_VARS
    return names + CONTRACT_VARS[13:]


def kwbase_status(hostlab, inventory, node="node1"):
    """`kwbase node status` rows (csv) as dicts, run over SSH on ``node`` with the inventory's client flags."""
    variables = inventory["vars"]
    security = "--certs-dir=%s" % variables["distsql_certs_dir"] if not variables["distsql_insecure"] else "--insecure"
    proc = ssh(hostlab, inventory, node, "%s node status --format=csv %s --host=127.0.0.1:%d"
               % (variables["distsql_binary"], security, variables["distsql_sql_port"]))
    assert proc.returncode == 0, proc.stderr
    header, *rows = [line.split(",") for line in proc.stdout.splitlines()]
    return [dict(zip(header, row)) for row in rows]


def assert_nodes_run(hostlab, inventory, version, start_mode, install_mode):
    """Every node: the service active, its binary at ``version``, deploy.sh's layout as the inventory says; and the
    cluster's node status: every node live and available in ``start_mode``."""
    variables = inventory["vars"]
    nodes = list(inventory["children"]["kwdb"]["hosts"])
    for node in nodes:
        state = ssh(hostlab, inventory, node, "systemctl is-active %s && %s version | head -1 && sed -n '1p;2p;4p' "
                    "/etc/kaiwudb/info/MODE && cat %s/packages/.version && test -x %s/deploy.sh"
                    % (variables["distsql_service"], variables["distsql_binary"],
                       variables["distsql_kwdb_install_dir"], variables["distsql_kwdb_install_dir"]))
        assert state.stdout == "active\nKaiwuDB Version:  %s\n%s\n%s\n%s\n%s\n" % (
            version, variables["distsql_kwdb_deploy_mode"], install_mode, variables["distsql_data_dir"],
            kwdb_packages.basic_version(version)), state.stderr
    rows = kwbase_status(hostlab, inventory)
    assert [(row["build"], row["start_mode"], row["is_available"], row["is_live"]) for row in rows] == [
        (version, start_mode, "true", "true")] * len(nodes)
    addresses = sorted(row["sql_address"] for row in rows)
    assert addresses == sorted("%s:26257" % inventory["hosts"][node]["ansible_host"] for node in nodes)


def test_multi_replica_behind_lb_serves_every_package(hostlab, testbed):
    name = "tb%d-kwm" % os.getpid()
    path, inventory = up(testbed, "--name", name, "--nodes", "3", "--lb", "--engine", "kwdb", "--version", "V3.0.0",
                         "--topology", "multi-replica", *SIM)
    variables = inventory["vars"]
    assert list(variables) == contract()
    mirror = "http://%s:8081" % inventory["hosts"]["lb"]["ansible_host"]
    assert {key: variables[key] for key in contract()[5:-3]} == {
        "distsql_engine": "kwdb", "distsql_topology": "multi_replica", "distsql_service": "kaiwudb",
        "distsql_binary": "/usr/local/kaiwudb/bin/kwbase", "distsql_insecure": True, "distsql_sql_port": 26257,
        "distsql_http_port": 8080, "distsql_data_dir": "/var/lib/kaiwudb", "distsql_group": "kwdb",
        "distsql_node_address": "{{ ansible_host }}", "distsql_kwdb_install_dir": INSTALL_DIR,
        "distsql_kwdb_deploy_mode": "bare", "distsql_release_mirror": mirror}
    template = mirror + "/KWDB-{version}-debian12-x86_64.tar.gz"
    assert (variables["distsql_release_url_template"], variables["distsql_release_checksum_url_template"]) == (
        template, template + ".sha256sum")
    catalog = variables["distsql_releases"]
    assert [entry["version"] for entry in catalog] == ["V2.2.0", "V2.2.1", "V2.2.2", "V3.0.0", "V3.1.0"]
    assert [entry["url"] for entry in catalog] == [
        "%s/KWDB-%s-debian12-x86_64.tar.gz" % (mirror, entry["version"][1:]) for entry in catalog]
    assert list(inventory["hosts"]) == ["node1", "node2", "node3", "lb"]
    assert inventory["children"] == {"kwdb": {"hosts": {"node1": {}, "node2": {}, "node3": {}}},
                                     "lb": {"hosts": {"lb": {}}}}
    with open(os.path.join(os.path.dirname(path), "inventory.ini"), encoding="utf-8") as ini:
        assert "[kwdb]\nnode1\nnode2\nnode3\n" in ini.read()
    with open(os.path.join(os.path.dirname(path), "inventory.json"), encoding="utf-8") as saved:
        assert json.load(saved)["all"] == inventory
    assert testbed("inventory", "--name", name).stdout == path + "\n"

    # every package from the mirror, hashed on a node over SSH; the installed one is the mirror's
    hashed = ssh(hostlab, inventory, "node2", "; ".join("curl -fsS %s | sha256sum" % entry["url"] for entry in catalog)
                 + "; sha256sum /root/KWDB-3.0.0-debian12-x86_64.tar.gz")
    assert hashed.stdout.splitlines() == ["%s  -" % entry["sha256"] for entry in catalog] + [
        "%s  /root/KWDB-3.0.0-debian12-x86_64.tar.gz" % catalog[3]["sha256"]], hashed.stderr
    # the URL templates answer for the tag (what the playbooks put in), the vendor's checksum file beside the package
    tagged = variables["distsql_release_url_template"].replace("{version}", "V3.1.0")
    fetched = ssh(hostlab, inventory, "node2", "cd /tmp && curl -fsSO %s && curl -fsSO %s && sha256sum -c %s && "
                  "curl -fsS %s.sha256sum" % (tagged, variables["distsql_release_checksum_url_template"].replace(
                      "{version}", "V3.1.0"), os.path.basename(tagged) + ".sha256sum", catalog[4]["url"]))
    assert fetched.stdout == "KWDB-V3.1.0-debian12-x86_64.tar.gz: OK\n%s  KWDB-3.1.0-debian12-x86_64.tar.gz\n" % (
        catalog[4]["sha256"]), fetched.stderr

    assert_nodes_run(hostlab, inventory, "V3.0.0", "start", "multi-replication")
    unit = on(testbed, name, "node2", "systemctl", "cat", variables["distsql_service"]).stdout
    assert ("\nExecStart=%s start $KAIWUDB_START_ARG --insecure --listen-addr=0.0.0.0:26257 --advertise-addr=%s:26257 "
            "--http-addr=0.0.0.0:8080 --brpc-addr=0.0.0.0:27257 --store=%s  --join %s:26257\n"
            % (variables["distsql_binary"], inventory["hosts"]["node2"]["ansible_host"], variables["distsql_data_dir"],
               inventory["hosts"]["node1"]["ansible_host"])) in unit
    haproxy = on(testbed, name, "lb", "cat", "/etc/haproxy/haproxy.cfg").stdout
    assert "    server node3 node3:26257 check port 8080 inter 2000 fall 3 rise 2\n" in haproxy
    assert_workload_through_lb(hostlab, testbed, name)

    assert testbed("down", "--name", name).stdout == name + "\n"
    assert name not in testbed("list").stdout


def test_single_replica_secure_behind_lb(hostlab, testbed):
    name = "tb%d-kws" % os.getpid()
    _path, inventory = up(testbed, "--name", name, "--nodes", "3", "--lb", "--secure", "--engine", "kwdb",
                          "--version", "V3.0.0", "--topology", "single-replica", *SIM)
    variables = inventory["vars"]
    assert list(variables) == contract(secure=True)
    assert (variables["distsql_topology"], variables["distsql_insecure"], variables["distsql_certs_dir"]) == (
        "single_replica", False, "/etc/kaiwudb/certs")
    assert_nodes_run(hostlab, inventory, "V3.0.0", "start-single-replica", "single-replication")
    assert_workload_through_lb(hostlab, testbed, name)


def test_standalone_serves_its_own_mirror_and_bad_requests_start_no_host(hostlab, testbed):
    def refused(name, *args):
        proc = testbed("up", "--name", name, *args)
        assert name not in hostlab.cluster_names() and not os.path.exists(hostlab.cluster_dir(name))
        return proc.returncode, proc.stdout, proc.stderr

    bad = "tb%d-kwbad" % os.getpid()
    for version in ("V9.9.9", "v23.2.9"):
        assert refused(bad, "--engine", "kwdb", "--version", version) == (
            1, "", "error: unsupported KWDB version '%s'\n" % version)
    assert refused(bad, "--engine", "kwdb", "--version", "V3.0.0", "--topology", "standalone", "--nodes", "3") == (
        1, "", "error: the standalone topology has one node, not 3\n")
    assert refused(bad, "--engine", "cockroachdb", "--version", "v23.2.9", "--topology", "single-replica") == (
        1, "", "error: cockroachdb has no single_replica topology (known: multi_replica, standalone)\n")
    # a failure after the hosts started removes the cluster again
    code, out, err = refused(bad, "--engine", "kwdb", "--version", "V3.0.0", "--sim", "bogus=1")
    assert "[hostlab] cluster %s up: 3 hosts" % bad in err and "[hostlab] cluster %s down" % bad in err, err
    assert (code, out) == (1, "") and err.endswith("error: unknown simulator option(s) bogus (known: liveness_ttl, "
                                                   "heartbeat_interval, catchup_seconds, ranges, finalize_delay, "
                                                   "schema_change_seconds)\n"), err

    name = "tb%d-kwsolo" % os.getpid()
    _path, inventory = up(testbed, "--name", name, "--engine", "kwdb", "--version", "V3.1.0", "--topology",
                          "standalone", *SIM)
    variables = inventory["vars"]
    node1 = inventory["hosts"]["node1"]["ansible_host"]
    assert list(variables) == contract()
    assert (variables["distsql_topology"], variables["distsql_release_mirror"]) == (
        "standalone", "http://%s:8081" % node1)
    assert list(inventory["hosts"]) == ["node1"] and inventory["children"] == {"kwdb": {"hosts": {"node1": {}}}}
    assert_nodes_run(hostlab, inventory, "V3.1.0", "start-single-node", "single")
    wanted = variables["distsql_releases"][0]
    fetched = ssh(hostlab, inventory, "node1", "curl -fsS %s | sha256sum" % variables[
        "distsql_release_url_template"].replace("{version}", wanted["version"]))
    assert fetched.stdout == "%s  -\n" % wanted["sha256"], fetched.stderr
