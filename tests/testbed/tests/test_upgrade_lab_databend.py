"""`python -m tests.testbed up --engine databend` on podman hosts: 3 meta + 2 query hosts behind haproxy (the inventory
contract with Databend's values, Ansible over it, the release mirror, the meta raft cluster, the workload through the
lb while a query node stops) and the standalone host; and, without podman, the requests refused before any host
starts.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

# testbed: the fixture of test_upgrade_lab.py (runs `python -m tests.testbed ...`, removes the clusters it named)
from test_upgrade_lab import assert_workload_through_lb, on, ssh, testbed, up  # noqa: F401  pylint: disable=unused-import

from tests.testbed import cli
from tests.testbed.hostlab import Cluster, Lab
from tests.testbed.loadbalancer import backend_states, wait_backend
from tests.testbed.upgrade_lab import ini_text
from sim.databend_releases import DATABEND_RELEASES  # pylint: disable=wrong-import-order

pytest_plugins = ["tests.testbed.pytest_plugin"]

VERSION = "1.2.680-nightly"
TARBALL = "databend-v%s-x86_64-unknown-linux-gnu.tar.gz"
CONNECTION_VARS = ["ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args", "ansible_ssh_pipelining",
                   "ansible_python_interpreter"]
DATABEND_VARS = {
    "distsql_engine": "databend", "distsql_topology": "multi_replica", "distsql_group": "databend",
    "distsql_node_address": "{{ ansible_host }}", "distsql_data_dir": "/var/lib/databend",
    "distsql_databend_meta_service": "databend-meta", "distsql_databend_query_service": "databend-query",
    "distsql_databend_meta_binary": "/usr/bin/databend-meta",
    "distsql_databend_metactl_binary": "/usr/bin/databend-metactl",
    "distsql_databend_query_binary": "/usr/bin/databend-query",
    "distsql_databend_meta_config": "/etc/databend/databend-meta.toml",
    "distsql_databend_query_config": "/etc/databend/databend-query.toml",
    "distsql_databend_meta_admin_port": 28002, "distsql_databend_meta_grpc_port": 9191,
    "distsql_databend_query_http_port": 8000, "distsql_databend_query_admin_port": 8080,
    "distsql_databend_query_log": "/var/log/databend/databend-query-default@default.log",
    "distsql_databend_shutdown_wait_timeout_ms": 5000,
}
MIRROR_VARS = ["distsql_release_mirror", "distsql_release_url_template", "distsql_release_checksum_url_template",
               "distsql_releases"]
HAPROXY_LINES = ["    mode                http\n", "    retries             3\n", "    option              redispatch\n",
                 "    retry-on            conn-failure empty-response response-timeout\n", "    bind :8000\n",
                 "    option httpchk GET /v1/health\n",
                 "    server node4 node4:8000 check port 8080 inter 2000 fall 3 rise 2\n",
                 "    server node5 node5:8000 check port 8080 inter 2000 fall 3 rise 2\n"]


def http_json(url, payload=None):
    """GET (or POST ``payload`` as JSON) to a lab host; returns the decoded answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310 (lab hosts only)
        return json.loads(response.read().decode())


def ansible_command(inventory_path, pattern, command, home):
    """`ansible -i inventory PATTERN -m ansible.builtin.command -a COMMAND --one-line`: {host: output}."""
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    env = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1")
    ran = subprocess.run([ansible, "-i", inventory_path, pattern, "-m", "ansible.builtin.command", "-a", command,
                          "--one-line"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    answers = {}
    for line in ran.stdout.splitlines():  # node1 | CHANGED | rc=0 | (stdout) version: ...\nmin-...
        host, _sep, rest = line.partition(" | ")
        answers[host] = rest.partition("(stdout) ")[2].replace("\\n", "\n")
    return answers


def workload_ctl(hostlab, *args):
    env = dict(os.environ, TESTBED_WORK=hostlab.work_dir)
    ran = subprocess.run([sys.executable, "-m", "tests.molecule_support.workload_ctl"] + list(args), env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout


def assert_mirror_serves_releases(hostlab, inventory):
    """Every release at the tag's download path, its sha256 the inventory's, the installed tarball the mirror's."""
    variables = inventory["vars"]
    catalog = variables["distsql_releases"]
    mirror = variables["distsql_release_mirror"]
    assert [entry["version"] for entry in catalog] == DATABEND_RELEASES
    assert [entry["url"] for entry in catalog] == [
        "%s/v%s/%s" % (mirror, entry["version"], TARBALL % entry["version"]) for entry in catalog]
    template = "%s/v{version}/%s" % (mirror, TARBALL % "{version}")
    assert (variables["distsql_release_url_template"], variables["distsql_release_checksum_url_template"]) == (
        template, template + ".sha256sum")
    wanted = catalog[DATABEND_RELEASES.index("1.2.770-nightly")]
    url = template.replace("{version}", wanted["version"])
    commands = "cd /tmp && curl -fsSO %s && curl -fsSO %s.sha256sum && sha256sum -c %s.sha256sum && sha256sum /tmp/%s"
    fetched = ssh(hostlab, inventory, "node2", commands % (url, url, os.path.basename(url), TARBALL % VERSION))
    installed = catalog[DATABEND_RELEASES.index(VERSION)]["sha256"]
    assert fetched.stdout == "%s: OK\n%s  /tmp/%s\n" % (os.path.basename(url), installed, TARBALL % VERSION), \
        fetched.stderr
    hashed = ssh(hostlab, inventory, "node2", "curl -fsS %s | sha256sum" % url)
    assert hashed.stdout == "%s  -\n" % wanted["sha256"], hashed.stderr


def assert_meta_cluster(inventory):
    """/v1/cluster/status of node1's meta admin API: the three meta hosts are voters and one of them leads."""
    variables = inventory["vars"]
    status = http_json("http://%s:%d/v1/cluster/status" % (
        inventory["hosts"]["node1"]["ansible_host"], variables["distsql_databend_meta_admin_port"]))
    assert sorted(voter["name"] for voter in status["voters"]) == ["1", "2", "3"], status
    assert status["leader"]["name"] in ("1", "2", "3") and status["non_voters"] == [], status


def assert_query_stop_is_invisible_through_lb(hostlab, inventory, name, state_dir):
    """The workload through haproxy (workload_ctl, as molecule starts it) while node4's databend-query stops and
    starts again: no client error, haproxy marked node4 DOWN and UP again."""
    cluster = hostlab.cluster(name)
    service = inventory["vars"]["distsql_databend_query_service"]
    started = workload_ctl(hostlab, "start", "--name", name, "--dir", state_dir, "--rate", "20", "--connections", "2")
    assert started.startswith("workload started:"), started
    time.sleep(2)  # workload time on both nodes before the stop: the summary's rate check covers the whole run
    assert ssh(hostlab, inventory, "node4", "systemctl stop %s" % service).returncode == 0
    wait_backend(cluster, "node4", "DOWN", timeout=15)
    assert ssh(hostlab, inventory, "node4", "systemctl start %s" % service).returncode == 0
    wait_backend(cluster, "node4", "UP", timeout=20)
    time.sleep(1)  # requests reach the restarted node too
    counts = workload_ctl(hostlab, "stop", "--dir", state_dir)
    with open(os.path.join(state_dir, "workload.json"), encoding="utf-8") as source:
        summary = json.load(source)
    assert (summary["kind"], summary["target"]) == ("databend-http", "http://%s:8000" % cluster.lb.ip), summary
    assert summary["errors"] == 0 and summary["ok"] >= 0.7 * 20 * summary["elapsed_s"], counts


def test_three_meta_two_query_behind_lb(hostlab, testbed, tmp_path):
    name = "tb%d-dbm" % os.getpid()
    path, inventory = up(testbed, "--name", name, "--engine", "databend", "--version", VERSION, "--meta", "3",
                         "--query", "2", "--lb")
    variables = inventory["vars"]
    assert list(variables) == CONNECTION_VARS + list(DATABEND_VARS) + MIRROR_VARS
    assert {key: variables[key] for key in DATABEND_VARS} == DATABEND_VARS
    assert variables["distsql_release_mirror"] == "http://%s:8081" % inventory["hosts"]["lb"]["ansible_host"]
    assert list(inventory["hosts"]) == ["node1", "node2", "node3", "node4", "node5", "lb"]
    assert {host: hostvars.get("distsql_databend_meta_id") for host, hostvars in inventory["hosts"].items()} == {
        "node1": 1, "node2": 2, "node3": 3, "node4": None, "node5": None, "lb": None}
    assert {group: list(members["hosts"]) for group, members in inventory["children"].items()} == {
        "databend": ["node1", "node2", "node3", "node4", "node5"], "databend_meta": ["node1", "node2", "node3"],
        "databend_query": ["node4", "node5"], "lb": ["lb"]}
    with open(os.path.join(os.path.dirname(path), "inventory.ini"), encoding="utf-8") as ini:
        text = ini.read()
    assert "\nnode3 ansible_host=%s distsql_databend_meta_id=3\n" % inventory["hosts"]["node3"]["ansible_host"] in text
    assert "\n[databend_meta]\nnode1\nnode2\nnode3\n\n[databend_query]\nnode4\nnode5\n" in text

    answers = ansible_command(path, "databend_meta", "databend-meta --cmd ver", tmp_path / "ansible")
    assert {host: answer.splitlines()[0] for host, answer in answers.items()} == {
        "node1": "version: " + VERSION, "node2": "version: " + VERSION, "node3": "version: " + VERSION}, answers
    assert_mirror_serves_releases(hostlab, inventory)
    assert_meta_cluster(inventory)

    haproxy = on(testbed, name, "lb", "cat", "/etc/haproxy/haproxy.cfg").stdout
    assert [line for line in HAPROXY_LINES if line not in haproxy] == [], haproxy
    assert backend_states(hostlab.cluster(name)) == {"node4": "UP", "node5": "UP"}
    assert_workload_through_lb(hostlab, testbed, name)  # `workload --name`: Databend's HTTP handler on lb:8000
    assert_query_stop_is_invisible_through_lb(hostlab, inventory, name, str(tmp_path / "state"))


def test_standalone_runs_both_components_on_one_host(hostlab, testbed):
    name = "tb%d-dbsolo" % os.getpid()
    _path, inventory = up(testbed, "--name", name, "--engine", "databend", "--version", VERSION, "--topology",
                          "standalone")
    variables = inventory["vars"]
    node1 = inventory["hosts"]["node1"]["ansible_host"]
    assert (variables["distsql_topology"], variables["distsql_release_mirror"]) == ("standalone", "http://%s:8081" % node1)
    assert inventory["hosts"] == {"node1": {"ansible_host": node1, "distsql_databend_meta_id": 1}}
    assert inventory["children"] == {group: {"hosts": {"node1": {}}}
                                     for group in ("databend", "databend_meta", "databend_query")}
    active = ssh(hostlab, inventory, "node1", "systemctl is-active %s %s" % (
        variables["distsql_databend_meta_service"], variables["distsql_databend_query_service"]))
    assert active.stdout == "active\nactive\n", active.stderr
    answer = http_json("http://%s:%d/v1/query" % (node1, variables["distsql_databend_query_http_port"]),
                       {"sql": "SELECT 1"})
    assert (answer["state"], answer["data"], answer["error"]) == ("Succeeded", [["1"]], None), answer


# -- refused before any host starts (no podman) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("refusals"))


REFUSALS = [
    (["--meta", "0"], "databend needs at least one meta node, not 0"),
    (["--query", "0"], "databend needs at least one query node, not 0"),
    (["--nodes", "5", "--meta", "3"], "databend takes --meta and --query, not --nodes with them"),
    (["--nodes", "4"], "databend runs on 3 meta + 2 query hosts, not --nodes 4"),
    (["--topology", "standalone", "--query", "1"], "the standalone topology runs one databend-meta and one "
                                                   "databend-query on one host: no --meta or --query"),
    (["--topology", "standalone", "--nodes", "2"], "the standalone topology has one node, not 2"),
    (["--topology", "single-replica"], "databend has no single_replica topology (known: multi_replica, standalone)"),
    (["--secure"], "databend has no --secure: the Databend simulator serves plain HTTP and gRPC only"),
    (["--sim", "liveness_ttl=2"], "databend takes no --sim options (got liveness_ttl): the Databend simulator has no "
                                  "timing knobs"),
]


@pytest.mark.parametrize("args, message", REFUSALS, ids=[" ".join(args) for args, _message in REFUSALS])
def test_refused_databend_requests(work_dir, capsys, args, message):
    argv = ["--work-dir", work_dir, "up", "--name", "refused", "--engine", "databend", "--version", VERSION] + args
    assert cli.main(argv) == 1
    assert capsys.readouterr() == ("", "error: %s\n" % message)
    assert os.listdir(os.path.join(work_dir, "clusters")) == []


@pytest.mark.parametrize("version", ["1.2.999-nightly", "v1.2.680-nightly", "1.2.680"])
def test_unknown_databend_release_is_refused(work_dir, capsys, version):
    assert cli.main(["--work-dir", work_dir, "up", "--name", "refused", "--engine", "databend", "--version",
                     version]) == 1
    assert capsys.readouterr().err == "error: unknown Databend release %r (known: %s)\n" % (
        version, ", ".join(DATABEND_RELEASES))
    assert cli.main(["--work-dir", work_dir, "up", "--name", "refused", "--engine", "databend", "--version", VERSION,
                     "--query-version", version]) == 1
    assert capsys.readouterr().err == "error: unknown Databend release %r (known: %s)\n" % (
        version, ", ".join(DATABEND_RELEASES))


def test_meta_and_query_belong_to_databend(work_dir, capsys):
    assert cli.main(["--work-dir", work_dir, "up", "--name", "refused", "--engine", "cockroachdb", "--version",
                     "v23.2.9", "--query", "2"]) == 1
    assert capsys.readouterr().err == ("error: --meta, --query and --query-version are for --engine databend, not "
                                       "cockroachdb\n")
    with pytest.raises(SystemExit, match=r"^--topology, --secure, --sim, --meta, --query and --query-version need "
                                         r"--engine$"):
        cli.main(["--work-dir", work_dir, "up", "--name", "refused", "--meta", "3"])


def test_ini_inventory_of_a_sql_engine_is_what_hostlab_writes(work_dir, tmp_path):
    """The INI writer that carries host variables writes the CockroachDB/KWDB inventories as before."""
    cluster = Cluster.plan(Lab(work_dir), "plan", 3, True, 200)
    groups = {"cockroach": ["node1", "node2", "node3"], "lb": ["lb"]}
    extra = {"distsql_engine": "cockroachdb", "distsql_insecure": True, "distsql_releases": [{"version": "v1"}]}
    written = cluster.write_inventory(str(tmp_path / "inventory.ini"), groups=groups, extra_vars=extra)
    with open(written, encoding="utf-8") as source:
        assert ini_text(cluster.inventory_dict(groups, extra)["all"]) == source.read()
