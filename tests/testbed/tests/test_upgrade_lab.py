"""`python -m tests.testbed up --engine cockroachdb` on podman hosts, as the upgrade playbooks will use it: the
inventory contract, the release mirror (download and sha256 check from a node, over SSH like Ansible), a fault
limited to one release, jobs added from the controller, the workload through haproxy, and the standalone topology.
"""
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.testbed.provision import releases

pytest_plugins = ["tests.testbed.pytest_plugin"]

CONTRACT_VARS = ["ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args", "ansible_ssh_pipelining",
                 "ansible_python_interpreter", "distsql_engine", "distsql_topology", "distsql_service",
                 "distsql_binary", "distsql_insecure", "distsql_sql_port", "distsql_http_port", "distsql_data_dir",
                 "distsql_release_mirror", "distsql_release_url_template", "distsql_release_checksum_url_template",
                 "distsql_releases"]
REQUIRED_RELEASES = ("v23.1.28", "v23.2.5", "v23.2.9", "v23.2.12", "v24.1.4", "v24.1.6", "v24.2.3", "v24.3.2",
                     "v25.1.1", "v25.2.0")
SIM = ["--sim", "liveness_ttl=2", "--sim", "catchup_seconds=1"]


@pytest.fixture
def testbed(hostlab):
    """Runs `python -m tests.testbed ...` on the session's lab; removes every cluster it named afterwards."""
    names = []

    def run(*args, timeout=300):
        if "--name" in args:
            names.append(args[args.index("--name") + 1])
        return subprocess.run([sys.executable, "-m", "tests.testbed", "--work-dir", hostlab.work_dir] + list(args),
                              capture_output=True, text=True, timeout=timeout, check=False)
    yield run
    for name in names:
        hostlab.down(name)


def up(testbed, *args):
    started = testbed("up", *args)
    assert started.returncode == 0, started.stderr
    path = started.stdout.strip()
    assert started.stdout == path + "\n" and path.endswith("/inventory.yml")  # nothing else on stdout
    with open(path, encoding="utf-8") as source:
        return path, yaml.safe_load(source)["all"]


def on(testbed, name, node, *argv):
    return testbed("exec", "--name", name, "--node", node, "--", *argv)


def ssh(hostlab, inventory, node, command):
    """A command on a node over SSH with the inventory's key, the way Ansible runs it."""
    ip = inventory["hosts"][node]["ansible_host"]
    return subprocess.run(hostlab.ssh_argv(ip, command), capture_output=True, text=True, timeout=60, check=False)


def assert_workload_through_lb(hostlab, run, name, seconds=3, rate=20):
    """`python -m tests.testbed workload` through haproxy on the lb, without an error."""
    out = os.path.join(hostlab.work_dir, "%s-workload.json" % name)
    ran = run("workload", "--name", name, "--duration", str(seconds), "--rate", str(rate), "--out", out)
    assert ran.returncode == 0, ran.stderr
    with open(out, encoding="utf-8") as summary:
        result = json.load(summary)
    os.unlink(out)
    assert result["errors"] == 0 and result["ok"] >= 0.75 * seconds * rate, result


def test_up_writes_the_inventory_contract_serves_the_mirror_and_limits_a_fault_to_one_release(hostlab, testbed):
    name = "tb%d-upg" % os.getpid()
    path, inventory = up(testbed, "--name", name, "--nodes", "3", "--lb", "--engine", "cockroachdb",
                         "--version", "v23.2.9", *SIM)
    variables = inventory["vars"]
    assert list(variables) == CONTRACT_VARS
    lb_ip = inventory["hosts"]["lb"]["ansible_host"]
    mirror = "http://%s:8081" % lb_ip
    assert {key: variables[key] for key in CONTRACT_VARS[:14]} == {
        "ansible_user": "root", "ansible_ssh_private_key_file": hostlab.key_path,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                   "-o ControlMaster=auto -o ControlPersist=60s",
        "ansible_ssh_pipelining": True, "ansible_python_interpreter": "/usr/bin/python3",
        "distsql_engine": "cockroachdb", "distsql_topology": "multi_replica", "distsql_service": "insecurecockroachdb",
        "distsql_binary": "/usr/local/bin/cockroach", "distsql_insecure": True, "distsql_sql_port": 26257,
        "distsql_http_port": 8080, "distsql_data_dir": "/var/lib/cockroach", "distsql_release_mirror": mirror}
    assert variables["distsql_release_url_template"] == mirror + "/cockroach-{version}.linux-amd64.tgz"
    assert variables["distsql_release_checksum_url_template"] == mirror + "/cockroach-{version}.linux-amd64.tgz.sha256sum"
    catalog = variables["distsql_releases"]
    assert [entry["version"] for entry in catalog] == releases.cockroach_catalog()
    assert set(REQUIRED_RELEASES) <= set(entry["version"] for entry in catalog)
    assert all(set(entry) == {"version", "url", "sha256"} and len(entry["sha256"]) == 64 for entry in catalog)
    assert list(inventory["hosts"]) == ["node1", "node2", "node3", "lb"]
    assert inventory["children"] == {"cockroach": {"hosts": {"node1": {}, "node2": {}, "node3": {}}},
                                     "lb": {"hosts": {"lb": {}}}}
    with open(os.path.join(os.path.dirname(path), "inventory.ini"), encoding="utf-8") as ini:
        assert "[cockroach]\nnode1\nnode2\nnode3\n" in ini.read()
    listed = testbed("inventory", "--name", name)
    assert listed.stdout == path + "\n"

    unit = on(testbed, name, "node1", "systemctl", "cat", variables["distsql_service"]).stdout
    assert ("ExecStart=%s start --insecure --advertise-addr=node1 --join=node1,node2,node3 --cache=.25 "
            "--max-sql-memory=.25\n" % variables["distsql_binary"]) in unit

    # the mirror, from a node over SSH: download, checksum file, and the sha256 the inventory gives
    wanted = [entry for entry in catalog if entry["version"] == "v24.1.4"][0]
    url = variables["distsql_release_url_template"].replace("{version}", "v24.1.4")
    assert url == wanted["url"]
    fetched = ssh(hostlab, inventory, "node2",
                  "cd /tmp && curl -fsSO %s && curl -fsSO %s && sha256sum -c %s && sha256sum %s"
                  % (url, variables["distsql_release_checksum_url_template"].replace("{version}", "v24.1.4"),
                     os.path.basename(url) + ".sha256sum", os.path.basename(url)))
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == "%s: OK\n%s  %s\n" % (os.path.basename(url), wanted["sha256"], os.path.basename(url))

    # a fault limited to v24.1.4: that build crashes on node2, the restored v23.2.9 starts for real
    faulted = testbed("fault", "--name", name, "--node", "node2", "--set", "crash_on_start=true", "--version", "v24.1.4")
    assert (faulted.returncode, faulted.stdout) == (0, '{"versions": {"v24.1.4": {"crash_on_start": true}}}\n')
    service = variables["distsql_service"]
    swapped = ssh(hostlab, inventory, "node2",
                  "set -e; cd /tmp && tar -xzf %s && cp %s /tmp/cockroach.old && install -m 0755 "
                  "cockroach-v24.1.4.linux-amd64/cockroach %s && systemctl restart %s"
                  % (os.path.basename(url), variables["distsql_binary"], variables["distsql_binary"], service))
    assert swapped.returncode != 0
    journal = on(testbed, name, "node2", "journalctl", "-u", service, "--no-pager", "-n", "20").stdout
    assert "panic: testbed fault crash_on_start for node2" in journal
    restored = ssh(hostlab, inventory, "node2", "install -m 0755 /tmp/cockroach.old %s && systemctl reset-failed %s "
                   "&& systemctl restart %s && %s version --build-tag"
                   % (variables["distsql_binary"], service, service, variables["distsql_binary"]))
    assert (restored.returncode, restored.stdout) == (0, "v23.2.9\n"), restored.stderr
    cleared = testbed("fault", "--name", name, "--clear")
    assert json.loads(cleared.stdout) == {"node1": {}, "node2": {}, "node3": {}}

    # jobs on demand, visible through SQL on every node
    added = testbed("job", "--name", name, "--add", "NEW SCHEMA CHANGE", "--description", "ALTER TABLE kv ADD COLUMN x INT8")
    assert added.returncode == 0, added.stderr
    shown = on(testbed, name, "node3", "cockroach", "sql", "--insecure", "--host=node3:26257", "--format=csv",
               "-e", "SHOW JOBS").stdout.splitlines()
    assert shown[1].startswith("%s,NEW SCHEMA CHANGE,ALTER TABLE kv ADD COLUMN x INT8,ALTER TABLE kv ADD COLUMN x INT8,"
                               "root,running," % added.stdout.strip())
    assert testbed("job", "--name", name, "--clear-added").stdout == added.stdout
    owner = on(testbed, name, "node1", "stat", "-c", "%U", "/testbed/shared/cluster.json").stdout
    assert owner == "cockroach\n"  # the nodes can still replace the state file the controller rewrote

    assert_workload_through_lb(hostlab, testbed, name, seconds=2)

    assert testbed("down", "--name", name).stdout == name + "\n"
    assert name not in testbed("list").stdout


def test_standalone_secure_cluster_serves_its_own_mirror(hostlab, testbed):
    refused = testbed("up", "--name", "tb%d-bad" % os.getpid(), "--topology", "standalone", "--nodes", "3",
                      "--engine", "cockroachdb", "--version", "v24.1.4")
    assert (refused.returncode, refused.stdout, refused.stderr) == (
        1, "", "error: the standalone topology has one node, not 3\n")
    name = "tb%d-solo" % os.getpid()
    _path, inventory = up(testbed, "--name", name, "--topology", "standalone", "--secure", "--engine", "cockroachdb",
                          "--version", "v24.1.4", *SIM)
    variables = inventory["vars"]
    node1 = inventory["hosts"]["node1"]["ansible_host"]
    assert list(variables) == CONTRACT_VARS[:10] + ["distsql_certs_dir"] + CONTRACT_VARS[10:]
    assert (variables["distsql_topology"], variables["distsql_service"], variables["distsql_insecure"],
            variables["distsql_certs_dir"], variables["distsql_release_mirror"]) == (
        "standalone", "securecockroachdb", False, "/var/lib/cockroach/certs", "http://%s:8081" % node1)
    assert list(inventory["hosts"]) == ["node1"] and inventory["children"] == {"cockroach": {"hosts": {"node1": {}}}}
    unit = on(testbed, name, "node1", "systemctl", "cat", "securecockroachdb").stdout
    assert ("ExecStart=/usr/local/bin/cockroach start-single-node --certs-dir=certs --advertise-addr=node1 --cache=.25 "
            "--max-sql-memory=.25\n") in unit
    status = ssh(hostlab, inventory, "node1", "cockroach node status --format=csv --certs-dir=%s --host=node1:26257"
                 % variables["distsql_certs_dir"])
    assert status.stdout.splitlines()[1].startswith("1,node1:26257,node1:26257,v24.1.4,"), status.stderr
    assert status.stdout.splitlines()[1].endswith(",true,true") and len(status.stdout.splitlines()) == 2
    wanted = variables["distsql_releases"][-1]
    fetched = ssh(hostlab, inventory, "node1", "curl -fsS %s | sha256sum" % wanted["url"])
    assert fetched.stdout == "%s  -\n" % wanted["sha256"]
    # the status API of a secure node: TLS verified against the cluster CA, a session from auth-session login
    certs = variables["distsql_certs_dir"]

    def post(cookie=""):
        return ssh(hostlab, inventory, "node1", "curl -sS -o /dev/null -w '%%{http_code}' -X POST --cacert %s/ca.crt "
                   "%s https://node1:8080/_status/critical_nodes" % (certs, cookie)).stdout

    assert post() == "401"
    login = "cockroach auth-session login root --only-cookie --certs-dir=%s --host=node1:26257" % certs
    assert post('--cookie "$(%s)"' % login) == "200"
