"""The container lab on this machine's dockerd: images loaded from KaiwuDB.tar, a `run` lab and a `compose` lab
started the vendor's way, SQL through the published port with the simulated kwbase CLI, the docs' container upgrade
procedure (same docker run, new image) keeping the data, everything removed by down, and the podman testbed still
working while dockerd runs."""
import json
import os
import subprocess
import sys

import pytest

from tests.containers import images, lab
from tests.containers.docker import COMPOSE, DOCKER, LABEL, compose, docker

VERSION_LINE = "KaiwuDB Version:  %s"


def kwbase_version_in(container):
    return docker("exec", container, "./kwbase", "version").stdout


def forward_policy():
    rules = subprocess.run(["iptables", "-S", "FORWARD"], capture_output=True, text=True, check=True).stdout
    return rules.splitlines()[0]


def assert_sql_works(the_lab, node=0):
    """A cluster setting written through one node's published port and read back (as the testbed's KWDB tests do)."""
    the_lab.sql("SET CLUSTER SETTING server.time_until_store_dead = '7m'", node=node)
    assert the_lab.sql("SHOW CLUSTER SETTING server.time_until_store_dead", node=node).splitlines() == [
        "server.time_until_store_dead", "00:07:00"]


def assert_removed(the_lab):
    assert not docker("ps", "-aq", "--filter", "label=%s=%s" % (LABEL, the_lab.name)).stdout.strip()
    for node in the_lab.nodes:
        assert docker("inspect", node["container"], check=False).returncode != 0
    assert not os.path.exists(the_lab.dir)
    assert the_lab.name not in lab.lab_names()


def test_daemon_answers_and_left_forward_alone(daemon):
    assert daemon.startswith("20.10."), daemon
    info = json.loads(docker("info", "--format", "{{json .}}").stdout)
    assert info["DefaultRuntime"] == "runc-lab"
    assert forward_policy() == "-P FORWARD ACCEPT"   # --iptables=false: the podman bridges keep working
    assert subprocess.run([COMPOSE, "version", "--short"], capture_output=True, text=True,
                          check=True).stdout.startswith("1.29.")


@pytest.mark.parametrize("version", ["V3.0.0", "V3.1.0"])
def test_image_loads_from_kaiwudb_tar_in_the_vendor_layout(image_dir, version):
    path = images.image_file(image_dir, version)
    assert os.path.basename(path) == "KaiwuDB.tar"
    name = images.load(path)
    try:
        assert name == "kwdb/kwdb:%s" % version[1:]
        config = json.loads(docker("image", "inspect", name).stdout)[0]["Config"]
        assert config["WorkingDir"] == "/kaiwudb/bin"
        assert "LD_LIBRARY_PATH=/kaiwudb/lib" in config["Env"]
        assert config["Entrypoint"] is None and config["Cmd"] == ["/bin/bash"]
        listing = docker("run", "--rm", name, "bash", "-c", "ls /kaiwudb/bin/kwbase /kaiwudb/lib /kaiwudb/deploy && "
                         "./kwbase version").stdout
        assert "libcommon.so" in listing and "libkwdbts2.so" in listing
        assert VERSION_LINE % version in listing
    finally:
        docker("rmi", name, check=False)


def test_broken_image_answers_version_and_exits_at_start(image_dir):
    name = images.load(images.image_file(image_dir, "V3.1.0", broken=True))
    try:
        assert VERSION_LINE % "V3.1.0" in docker("run", "--rm", name, "./kwbase", "version").stdout
        started = docker("run", "--rm", name, "./kwbase", "start-single-node", "--insecure",
                         "--store=/kaiwudb/deploy/kwdb-container", check=False, timeout=60)
        assert started.returncode == 127
        assert started.stderr.strip() == ("./kwbase: error while loading shared libraries: libkwdbts2.so: cannot open "
                                          "shared object file: No such file or directory")
    finally:
        docker("rmi", name, check=False)


def test_run_lab_starts_the_vendor_way_and_down_removes_it(make_lab):
    the_lab = make_lab("run", "V3.0.0")
    node = the_lab.nodes[0]
    assert VERSION_LINE % "V3.0.0" in kwbase_version_in(node["container"])
    assert_sql_works(the_lab)
    inspected = json.loads(lab.inspect(the_lab.name))[0]
    host = inspected["HostConfig"]
    assert host["Privileged"] is True and host["IpcMode"] == "shareable"
    assert host["RestartPolicy"]["Name"] == "on-failure"
    assert {u["Name"]: u["Hard"] for u in host["Ulimits"]} == {"memlock": -1, "nofile": 1048576}
    assert "%s:/kaiwudb/deploy/kwdb-container" % node["data_dir"] in host["Binds"]
    assert host["PortBindings"]["26257/tcp"] == [{"HostIp": "", "HostPort": str(node["sql_port"])}]
    assert inspected["Config"]["WorkingDir"] == "/kaiwudb/bin"
    assert inspected["Config"]["Cmd"][:2] == ["./kwbase", "start-single-node"]
    assert "--insecure" in inspected["Config"]["Cmd"]
    inventory = the_lab.inventory()["all"]
    assert inventory["vars"]["distsql_kwdb_deploy_mode"] == "container"
    assert inventory["vars"]["distsql_kwdb_container_mode"] == "run"
    assert set(inventory["vars"]["distsql_kwdb_container_image_files"]) == {"V3.0.0", "V3.1.0"}
    assert set(inventory["vars"]["distsql_kwdb_container_broken_image_files"]) == {"V3.1.0"}
    assert inventory["hosts"][node["host"]]["ansible_connection"] == "local"
    lab.down(the_lab.name)
    assert_removed(the_lab)


def test_run_lab_upgraded_by_the_docs_procedure_keeps_its_data(make_lab):
    """docker stop / rm / load < KaiwuDB.tar / the same docker run with only the image changed (db-upgrade.md)."""
    the_lab = make_lab("run", "V3.0.0", secure=True)
    node = the_lab.nodes[0]
    assert_sql_works(the_lab)
    docker("stop", node["container"], timeout=60)
    docker("rm", node["container"])
    new_image = images.load(the_lab.state["image_files"]["V3.1.0"])
    assert new_image == "kwdb/kwdb:3.1.0"
    docker("run", *node["run_options"], new_image, *node["command"])
    assert "--certs-dir=/kaiwudb/certs" in node["command"]
    rows = the_lab.wait_live()
    assert [row["build"] for row in rows] == ["V3.1.0"]
    assert VERSION_LINE % "V3.1.0" in kwbase_version_in(node["container"])
    assert the_lab.sql("SHOW CLUSTER SETTING server.time_until_store_dead").splitlines()[1] == "00:07:00"


def test_run_lab_of_three_nodes_joins_and_answers_on_every_port(make_lab):
    the_lab = make_lab("run", "V3.0.0", nodes=3)
    rows = the_lab.wait_live()
    assert sorted(row["address"] for row in rows) == sorted(
        "%s:%d" % (the_lab.state["address"], node["sql_port"]) for node in the_lab.nodes)
    assert {row["start_mode"] for row in rows} == {"start"}
    assert_sql_works(the_lab, node=2)
    assert the_lab.sql("SHOW CLUSTER SETTING server.time_until_store_dead", node=1).splitlines()[1] == "00:07:00"


def test_compose_lab_from_the_deploy_template_and_down_removes_it(make_lab):
    the_lab = make_lab("compose", "V3.1.0", secure=True)
    script_dir = compose_host(the_lab)["distsql_kwdb_container_compose_dir"]
    info_dir = compose_host(the_lab)["distsql_kwdb_container_info_dir"]
    with open(os.path.join(info_dir, "MODE"), encoding="utf-8") as mode:
        lines = mode.read().splitlines()
    assert lines[:3] == ["container", "single", "kwdb/kwdb:3.1.0"] and lines[7] == "tls"
    with open(os.path.join(script_dir, "docker-compose.yml"), encoding="utf-8") as source:
        text = source.read()
    assert "/kaiwudb/bin/kwbase  start-single-node $KAIWUDB_START_ARG --certs-dir=/kaiwudb/certs" in text
    assert "env_file:" in text
    ps = compose(script_dir, "ps").stdout
    assert "kaiwudb-container" in ps and "Up" in ps
    assert VERSION_LINE % "V3.1.0" in kwbase_version_in("kaiwudb-container")
    assert_sql_works(the_lab)
    project_network = docker("inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}",
                             "kaiwudb-container").stdout.strip()
    assert project_network == "script_default"   # docker-compose's project: the directory, /etc/kaiwudb/script
    lab.down(the_lab.name)
    assert_removed(the_lab)
    assert docker("network", "inspect", project_network, check=False).returncode != 0


def compose_host(the_lab):
    return the_lab.inventory()["all"]["hosts"]["kaiwudb-container"]


def test_mixed_lab_is_a_cluster_of_run_nodes_and_one_compose_node_joined_to_node_1(make_lab):
    the_lab = make_lab("mixed", "V3.0.0", nodes=2)
    rows = the_lab.wait_live()
    assert sorted(row["address"] for row in rows) == sorted(
        "%s:%d" % (the_lab.state["address"], node["sql_port"]) for node in the_lab.nodes)
    hosts = the_lab.inventory()["all"]["hosts"]
    assert sorted(hosts) == [the_lab.name + "-kwdb1", "kaiwudb-container"]
    assert hosts["kaiwudb-container"]["distsql_kwdb_container_mode"] == "compose"
    assert "distsql_kwdb_container_mode" not in hosts[the_lab.name + "-kwdb1"]
    with open(os.path.join(hosts["kaiwudb-container"]["distsql_kwdb_container_info_dir"], "MODE"), encoding="utf-8") as mode:
        assert mode.read().splitlines()[1] == "multi-replication"
    with open(os.path.join(hosts["kaiwudb-container"]["distsql_kwdb_container_compose_dir"], "docker-compose.yml"),
              encoding="utf-8") as source:
        text = source.read()
    assert "/kaiwudb/bin/kwbase  start --insecure" in text
    assert text.rstrip("\n").endswith("--join %s:%d" % (the_lab.state["address"], the_lab.nodes[0]["sql_port"]))
    assert_sql_works(the_lab, node=1)


def test_compose_template_of_v3_0_0_has_no_start_arg(make_lab):
    the_lab = make_lab("compose", "V3.0.0")
    script_dir = compose_host(the_lab)["distsql_kwdb_container_compose_dir"]
    with open(os.path.join(script_dir, "docker-compose.yml"), encoding="utf-8") as source:
        text = source.read()
    assert "$KAIWUDB_START_ARG" not in text and "env_file:" not in text
    assert "/kaiwudb/bin/kwbase  start-single-node --insecure --listen-addr=0.0.0.0:26257" in text
    assert VERSION_LINE % "V3.0.0" in kwbase_version_in("kaiwudb-container")


def test_podman_testbed_works_while_dockerd_runs(make_lab):
    """A docker lab running, then a KWDB testbed cluster on podman: deploy.sh over SSH between the hosts, the
    nodes live, the mirror reachable from the controller."""
    make_lab("run", "V3.0.0")
    name = "ctr%d" % os.getpid()
    testbed = [sys.executable, "-m", "tests.testbed"]
    try:
        up = subprocess.run(testbed + ["up", "--name", name, "--engine", "kwdb", "--version", "V3.0.0", "--nodes", "3"],
                            capture_output=True, text=True, timeout=900, check=False)
        assert up.returncode == 0, up.stderr[-3000:]
        status = subprocess.run(testbed + ["exec", "--name", name, "--node", "node2", "--",
                                           "/usr/local/kaiwudb/bin/kwbase", "node", "status", "--format=csv",
                                           "--insecure", "--host=127.0.0.1:26257"],
                                capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
        assert len(status) == 4 and all(line.endswith(",true,true") for line in status[1:]), status
        assert forward_policy() == "-P FORWARD ACCEPT"
    finally:
        subprocess.run(testbed + ["down", "--name", name], capture_output=True, timeout=300, check=False)
    assert name not in subprocess.run(testbed + ["list"], capture_output=True, text=True, check=True).stdout.split()


def test_docker_client_is_debians(daemon):
    assert DOCKER == "/usr/bin/docker"
    client = docker("version", "--format", "{{.Client.Version}}").stdout.strip()
    assert client.startswith("20.10."), client
