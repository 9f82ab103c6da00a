"""The podman test hosts behave like real hosts: systemd, SSH, names, fixed MAC across reboots, shared dir, Ansible."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.testbed.hostlab import (Lab, LabError, deb822_entries, mac_for_ip, one_line_entries, read_apt_sources,
                                   subnet_index_for)
pytest_plugins = ["tests.testbed.pytest_plugin"]

HTTP_PORT = 8000


@pytest.fixture(scope="module")
def cluster(hostlab):
    started = time.monotonic()
    with hostlab.up("tb%d-module" % os.getpid(), 3, lb=True) as lab_cluster:
        print("\n3 nodes + lb up (warm image) in %.1f s" % (time.monotonic() - started))
        yield lab_cluster
        started = time.monotonic()
    print("\ndown in %.1f s" % (time.monotonic() - started))


def podman_names(lab, kind, name_prefix):
    listing = ["ps", "-a", "--format", "{{.Names}}"] if kind == "container" else ["network", "ls", "--format", "{{.Name}}"]
    return [name for name in lab.podman(*listing).stdout.split() if name.startswith(name_prefix)]


def assert_nothing_left(lab, cluster):
    assert podman_names(lab, "container", cluster.name) == []
    assert podman_names(lab, "network", cluster.name) == []
    assert not os.path.exists(cluster.dir)
    assert not os.path.exists("/sys/class/net/dtb%d" % cluster.subnet_index)


@pytest.fixture
def made_clusters_are_gone_afterwards(hostlab):
    """Listed before make_cluster, so its check runs after make_cluster's teardown."""
    made = []
    yield made
    for cluster in made:
        assert_nothing_left(hostlab, cluster)


def test_hosts_have_fixed_addresses_and_names(cluster):
    hosts = {host.hostname: host for host in cluster.hosts}
    assert sorted(hosts) == ["lb", "node1", "node2", "node3"]
    prefix = "10.89.%d." % cluster.subnet_index
    assert [hosts[name].ip for name in ("lb", "node1", "node2", "node3")] == [prefix + octet for octet in ("10", "11", "12", "13")]
    for host in cluster.hosts:
        assert host.name == "%s-%s" % (cluster.name, host.hostname)
        assert host.exec(["hostname"]).stdout.strip() == host.hostname
        assert host.exec(["cat", "/sys/class/net/eth0/address"]).stdout.strip() == host.mac == mac_for_ip(host.ip)


def test_systemd_is_running_without_failed_units(cluster):
    for host in cluster.hosts:
        assert host.system_state() == "running"
        assert host.systemctl("list-units", "--failed", "--no-legend").stdout.strip() == ""
        assert host.exec(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"


def test_ssh_from_controller_to_every_host_by_ip(cluster):
    for host in cluster.hosts:
        assert host.ssh(["hostname"]).stdout.strip() == host.hostname


def test_nodes_reach_each_other_by_hostname(cluster):
    node1, node2 = cluster.nodes[:2]
    assert node1.exec(["getent", "hosts", "node2"]).stdout.split() == [node2.ip, "node2"]
    node2.write_file("/srv/marker.txt", "served by node2\n")
    node2.exec(["systemd-run", "--unit=testbed-http", "--property=WorkingDirectory=/srv",
                "/usr/bin/python3", "-m", "http.server", str(HTTP_PORT), "--bind", node2.ip])
    try:
        fetched = node1.exec(["curl", "--silent", "--show-error", "--retry", "20", "--retry-connrefused", "--retry-delay", "0",
                              "--max-time", "10", "http://node2:%d/marker.txt" % HTTP_PORT])
        assert fetched.stdout == "served by node2\n"
    finally:
        node2.systemctl("stop", "testbed-http")


def test_fixed_mac_survives_restart_and_ssh_answers_at_once(cluster):
    node = cluster.nodes[2]
    cluster.nodes[0].ssh(["true"])
    seconds = node.restart_container()
    print("\nrestart of %s until SSH answered: %.2f s" % (node.name, seconds))
    assert node.exec(["cat", "/sys/class/net/eth0/address"]).stdout.strip() == node.mac
    neighbour = subprocess.run(["ip", "neigh", "show", node.ip], capture_output=True, text=True, check=True).stdout.split()
    assert neighbour[neighbour.index("lladdr") + 1] == node.mac
    # With a new random MAC the controller's stale ARP entry kept the IP unreachable for about 8 s.
    assert seconds < 5
    assert node.ssh(["hostname"]).stdout.strip() == "node3"


def test_shared_dir_is_shared_by_all_nodes_and_the_controller(cluster):
    cluster.nodes[0].write_file("/testbed/shared/from-node1", "hello\n")
    assert cluster.nodes[2].read_file("/testbed/shared/from-node1") == "hello\n"
    with open(os.path.join(cluster.shared_dir, "from-node1"), encoding="utf-8") as shared:
        assert shared.read() == "hello\n"


def test_put_copies_a_file_with_mode(cluster, tmp_path):
    local = tmp_path / "script.sh"
    local.write_text("#!/bin/sh\necho put-ok\n")
    node = cluster.nodes[0]
    node.put(str(local), "/usr/local/bin/put-check", mode=0o750)
    assert node.exec(["stat", "-c", "%a", "/usr/local/bin/put-check"]).stdout.strip() == "750"
    assert node.exec(["/usr/local/bin/put-check"]).stdout == "put-ok\n"


def test_lb_has_haproxy_installed_but_disabled(cluster):
    assert cluster.lb.exec(["haproxy", "-v"]).stdout.startswith("HAProxy version 2.6")
    assert cluster.lb.systemctl("is-enabled", "haproxy", check=False).stdout.strip() == "disabled"
    assert cluster.lb.systemctl("is-active", "haproxy", check=False).stdout.strip() == "inactive"


def test_haproxy_unit_starts_in_the_container(cluster):
    """Debian's unit needs a private /dev/log mount the containers refuse (226/NAMESPACE); the image resets it."""
    lb = cluster.lb
    assert lb.read_file("/etc/systemd/system/haproxy.service.d/10-testbed.conf") == "[Service]\nBindReadOnlyPaths=\n"
    try:
        started = lb.systemctl("start", "haproxy", check=False)
        assert started.returncode == 0, started.stderr
        assert lb.systemctl("is-active", "haproxy", check=False).stdout.strip() == "active"
    finally:
        lb.systemctl("stop", "haproxy", check=False)


def test_ansible_ping_over_ssh(cluster):
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PIPELINING="1")
    result = subprocess.run([ansible, "-i", cluster.inventory_path, "all", "-m", "ansible.builtin.ping", "--one-line"],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    pongs = sorted(line.split()[0] for line in result.stdout.splitlines() if '"ping": "pong"' in line)
    assert pongs == ["lb", "node1", "node2", "node3"]


def test_inventory_groups_per_role(cluster, tmp_path):
    path = tmp_path / "hosts.ini"
    assert cluster.write_inventory(str(path), groups={"cockroach": ["node1", "node2", "node3"], "lb": ["lb"]}) == str(path)
    text = path.read_text()
    assert "[cockroach]\nnode1\nnode2\nnode3\n" in text
    assert "node2 ansible_host=%s\n" % cluster.nodes[1].ip in text
    assert "ansible_ssh_common_args=-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=60s\n" in text
    inventory = cluster.inventory_dict()["all"]
    assert inventory["children"] == {"nodes": {"hosts": {"node1": {}, "node2": {}, "node3": {}}}, "lb": {"hosts": {"lb": {}}}}
    assert inventory["vars"]["ansible_ssh_private_key_file"] == cluster.lab.key_path


def test_inventory_rejects_unknown_hosts(cluster):
    with pytest.raises(LabError) as error:
        cluster.inventory_dict(groups={"cockroach": ["node1", "node9"]})
    assert str(error.value) == "inventory group cockroach names hosts not in cluster %s: node9" % cluster.name


def test_cli_inventory_and_exec(cluster):
    env = dict(os.environ, TESTBED_WORK=cluster.lab.work_dir)
    cli = [sys.executable, "-m", "tests.testbed"]
    listed = subprocess.run(cli + ["inventory", "--name", cluster.name, "--json"], capture_output=True, text=True, env=env, check=True)
    assert json.loads(listed.stdout)["all"]["hosts"]["node1"] == {"ansible_host": cluster.nodes[0].ip}
    executed = subprocess.run(cli + ["exec", "--name", cluster.name, "--node", "node2", "--", "sh", "-c", "hostname; exit 3"],
                              capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    assert (executed.returncode, executed.stdout) == (3, "node2\n")


def test_down_leaves_no_containers_networks_or_files(hostlab):
    cluster = hostlab.up("tb%d-down" % os.getpid(), 2)
    assert sorted(podman_names(hostlab, "container", cluster.name + "-")) == [cluster.name + "-node1", cluster.name + "-node2"]
    started = time.monotonic()
    cluster.down()
    print("\n2-node down in %.1f s" % (time.monotonic() - started))
    assert_nothing_left(hostlab, cluster)
    cluster.down()
    hostlab.down(cluster.name)


def test_make_cluster_fixture_starts_and_removes_clusters(made_clusters_are_gone_afterwards, make_cluster):
    cluster = make_cluster(1)
    made_clusters_are_gone_afterwards.append(cluster)
    assert [host.hostname for host in cluster.hosts] == ["node1"]
    assert cluster.nodes[0].ssh(["systemctl", "is-system-running"]).stdout.strip() == "running"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_tears_down_the_clusters_of_the_process(hostlab, signum):
    script = textwrap.dedent("""
        import sys, time
        from tests.testbed.hostlab import Lab
        cluster = Lab(sys.argv[1]).up(sys.argv[2], 1)
        print(cluster.dir, flush=True)
        time.sleep(120)
    """)
    name = "tb%d-%s" % (os.getpid(), signal.Signals(signum).name.lower())
    with subprocess.Popen([sys.executable, "-c", script, hostlab.work_dir, name], stdout=subprocess.PIPE, text=True) as owner:
        cluster_dir = owner.stdout.readline().strip()
        assert cluster_dir == hostlab.cluster_dir(name)
        assert podman_names(hostlab, "container", name) == [name + "-node1"]
        owner.send_signal(signum)
        assert owner.wait(timeout=60) == -signum
    assert podman_names(hostlab, "container", name) == []
    assert podman_names(hostlab, "network", name) == []
    assert not os.path.exists(cluster_dir)


def test_down_all_removes_clusters_by_prefix(hostlab):
    prefix = "tb%d-all-" % os.getpid()
    clusters = [hostlab.up(prefix + suffix, 1, keep=True) for suffix in ("a", "b")]
    assert hostlab.down_all(prefix) == [prefix + "a", prefix + "b"]
    for cluster in clusters:
        assert_nothing_left(hostlab, cluster)
    assert hostlab.down_all(prefix) == []


def test_missing_tools_fail_the_fixture_instead_of_skipping(request, tmp_path, monkeypatch):
    plugin = request.config.pluginmanager.get_plugin("tests.testbed.pytest_plugin")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception) as failure:
        plugin.open_lab(str(tmp_path / "lab"))
    assert str(failure.value) == "the podman testbed is unusable: ssh-keygen is not installed (run tests/testbed/setup-host.sh)"


def test_missing_podman_is_reported(tmp_path):
    lab = Lab(str(tmp_path / "lab"))
    lab.env["PATH"] = str(tmp_path)
    with pytest.raises(LabError) as error:
        lab.info()
    assert str(error.value) == "podman is not installed (run tests/testbed/setup-host.sh)"


def test_up_rejects_bad_names(hostlab):
    with pytest.raises(LabError) as error:
        hostlab.up("Bad_Name", 1)
    assert str(error.value) == "cluster name 'Bad_Name' must match ^[a-z0-9][a-z0-9-]{0,39}$"


def test_mac_is_derived_from_ip():
    assert mac_for_ip("10.89.150.11") == "02:00:0a:59:96:0b"


def test_subnet_index_is_stable_and_in_range():
    assert subnet_index_for("demo") == subnet_index_for("demo")
    assert all(100 <= subnet_index_for("c%d" % number) <= 199 for number in range(200))


def test_apt_sources_from_deb822(tmp_path):
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
                       "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                       "Types: deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n")
    assert deb822_entries(str(sources))[0]["suites"] == ["bookworm", "bookworm-updates"]
    assert read_apt_sources(deb822_path=str(sources), list_path=str(tmp_path / "missing")) == [
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm-updates main",
    ]


def test_apt_sources_from_one_line_list(tmp_path):
    listing = tmp_path / "sources.list"
    listing.write_text("# comment\ndeb http://mirror.example/debian bookworm main contrib\ndeb http://mirror.example/debian trixie main\n")
    assert one_line_entries(str(listing))[1]["suites"] == ["trixie"]
    assert read_apt_sources(deb822_path=str(tmp_path / "missing"), list_path=str(listing)) == ["deb http://mirror.example/debian bookworm main contrib"]


def test_apt_sources_missing_suite_is_an_error(tmp_path):
    listing = tmp_path / "sources.list"
    listing.write_text("deb http://mirror.example/debian trixie main\n")
    with pytest.raises(LabError) as error:
        read_apt_sources(deb822_path=str(tmp_path / "missing"), list_path=str(listing))
    assert str(error.value) == "no apt source for bookworm in %s or %s" % (tmp_path / "missing", listing)
