"""A simulated Databend cluster installed like the vendor's packages on podman hosts: meta on 3 hosts, query on 2."""
import re

import pytest

from tests.testbed.provision_databend import DatabendDeployment, hosts_named, poll

pytest_plugins = ["tests.testbed.pytest_plugin"]

# Version table (sim/databend/FIDELITY.md): query 1.2.680 needs meta >= 1.2.259 and meta 1.2.680 accepts
# clients >= 1.2.288, so the pair works; meta 1.2.680 refuses a 1.2.200 query (older than its min client), and the
# query exits at start with the handshake error on stderr (flow-surfaces-databend.md section 5).
BASE = "1.2.680-nightly"
REFUSED_QUERY = "1.2.200-nightly"
START_FAILURE = "Databend Query start failure, cause: MetaServiceError. Code: 2001, Text = "
NO_QUORUM_ERROR = "MetaServiceError: MetaNetworkError: no leader: 1 of 3 voters are live, quorum is 2"
STATUS_FORMAT = re.compile(
    r"BinaryVersion: v1\.2\.680-nightly-[0-9a-f]{10}-simd\(.+\)\n"
    r"DataVersion: V004\n"
    r"RaftLogSize: \d+\n"
    r"RaftLog:\n(  - \w+: \d+\n){7}  - WALClosedChunkSizes:\n"
    r"SnapshotKeyCount: \d+\n"
    r"Node: id=(?P<id>[123]) raft=node(?P=id):28004\n"
    r"State: (?P<state>Leader|Follower)\n"
    r"Leader: id=(?P<leader>[123]) raft=node(?P=leader):28004 grpc=node(?P=leader):9191\n"
    r"CurrentTerm: \d+\nLastSeq: \d+\nLastLogIndex: \d+\nLastApplied: T\d+-N\d+\.\d+\n"
    r"(Replication:\n(  - \[[123]\] T\d+-N\d+\.\d+( \*)?\n){3})?"
    r"Voters:\n  - id=1 raft=node1:28004 grpc=node1:9191\n  - id=2 raft=node2:28004 grpc=node2:9191\n"
    r"  - id=3 raft=node3:28004 grpc=node3:9191\n\Z")


@pytest.fixture
def databend(make_cluster, hostlab):
    cluster = make_cluster(3)
    return DatabendDeployment(hostlab, cluster, meta_hosts=cluster.nodes, query_hosts=cluster.nodes[:2]).deploy(BASE, BASE)


def succeeds(databend, host, statement):
    """Poll until the statement succeeds (query nodes re-register with meta once a second)."""
    def probe():
        response = databend.sql(host, statement)
        return response["state"] == "Succeeded", response
    return poll("%r to succeed on %s" % (statement, host.hostname), probe, timeout=15)


def test_packaged_layout_and_a_compatible_pair_serves_sql(databend):
    node1, node2, node3 = databend.meta_hosts
    for host in databend.meta_hosts:
        assert host.exec(["getent", "passwd", "databend"]).stdout.split(":")[5:] == ["/var/lib/databend", "/sbin/nologin\n"]
        assert host.exec(["stat", "-c", "%U:%G %a", "/var/lib/databend", "/var/log/databend"]).stdout == \
            "databend:databend 750\ndatabend:databend 755\n"
        assert host.read_file("/lib/systemd/system/databend-meta.service").startswith("[Unit]\nDescription=Databend Meta\n")
        assert host.exec(["/usr/bin/databend-meta", "--cmd", "ver"]).stdout.splitlines()[0] == "version: " + BASE
    assert node3.systemctl("is-active", "databend-query", check=False).stdout == "inactive\n"  # meta only
    meta_config = node2.read_file("/etc/databend/databend-meta.toml")
    for line in ('grpc_api_advertise_host = "node2"', 'id            = 2', 'raft_advertise_host = "node2"',
                 'single        = false', 'join          = ["node1:28004", "node3:28004"]'):
        assert "\n%s\n" % line in meta_config
    assert 'endpoints = ["node1:9191", "node2:9191", "node3:9191"]\n' in node1.read_file("/etc/databend/databend-query.toml")

    response = databend.sql(node1, "select 1")
    assert (response["state"], response["schema"], response["data"], response["error"]) == \
        ("Succeeded", [{"name": "1", "type": "UInt8"}], [["1"]], None)
    assert databend.sql(node2, "SELECT VERSION()")["data"][0][0].startswith("DatabendQuery v%s-" % BASE)
    assert hosts_named(databend.registered_query_hosts(node1)) == ["node1", "node2"]

    states = {}
    for host in databend.meta_hosts:
        status, raw = databend.metactl_status(host)
        match = STATUS_FORMAT.match(raw)
        assert match, raw
        assert match.group("id") == host.hostname[-1]
        states[host.hostname] = (match.group("state"), match.group("leader"))
        assert ("Replication" in raw) == (status["State"] == "Leader")
    assert sorted(state for state, _leader in states.values()) == ["Follower", "Follower", "Leader"]
    assert {leader for _state, leader in states.values()} == {databend.leader_host().hostname[-1]}


def test_unspecified_listen_addresses_are_advertised_with_the_host_address(databend):
    """The packaged 0.0.0.0 addresses are registered with the address the host reaches meta from: its own."""
    node1, node2 = databend.query_hosts
    config = "/etc/databend/databend-query.toml"
    for host in (node1, node2):
        assert 'flight_api_address = "0.0.0.0:9090"' in host.read_file(config)

    def listed():
        status, body = databend.cluster_list(node1)
        nodes = sorted((node["flight_address"], node["http_address"], node["discovery_address"]) for node in body) \
            if status == 200 else body
        return nodes == sorted(("%s:9090" % h.ip, "%s:8000" % h.ip, "%s:8000" % h.ip) for h in (node1, node2)), nodes
    poll("both query nodes listed with their own addresses", listed, timeout=20)


def test_query_exits_at_start_on_an_incompatible_meta(databend):
    node1, node2 = databend.query_hosts
    assert node1.exec(["/usr/bin/databend-meta", "--cmd", "ver"]).stdout.splitlines()[0] == "version: " + BASE
    databend.upgrade_binary(node1, "query", REFUSED_QUERY)
    poll("node1's databend-query to fail at start", lambda: (
        node1.systemctl("is-active", "databend-query", check=False).stdout == "failed\n", None), timeout=30)
    status = node1.systemctl("show", "databend-query", "--property=ExecMainStatus", check=False).stdout
    assert status == "ExecMainStatus=209\n", status
    journal = node1.exec(["journalctl", "--unit", "databend-query", "--no-pager", "--output", "cat"]).stdout
    assert [line for line in journal.splitlines() if line.startswith(START_FAILURE)], journal[-2000:]
    assert "InvalidArgument" in journal, journal[-2000:]
    poll("node1 to drop out of the cluster list", lambda: (
        hosts_named(databend.registered_query_hosts(node2) or []) == ["node2"], databend.cluster_list(node2)), timeout=20)
    assert databend.sql(node2, "select 1")["data"] == [["1"]]


def test_meta_keeps_a_raft_quorum_with_one_node_down(databend):
    query = databend.query_hosts[0]
    survivor = databend.meta_hosts[-1]  # the last meta endpoint, so the query's last error is the quorum one
    leader = databend.leader_host()
    others = [host for host in databend.meta_hosts if host is not survivor]
    first, second = sorted(others, key=lambda host: host is not leader)
    assert databend.sql(query, "create table t (a int)")["state"] == "Succeeded"
    assert databend.sql(query, "insert into t values (1), (2)")["stats"]["write_progress"]["rows"] == 2

    databend.stop(first, "meta")
    remaining = [host for host in databend.meta_hosts if host is not first]
    new_leader = databend.wait_meta(remaining, voters=3, timeout=20)
    assert new_leader in remaining
    assert len(databend.metactl_status(survivor)[0]["Voters"]) == 3
    assert succeeds(databend, query, "insert into t values (3)")["stats"]["write_progress"]["rows"] == 1

    databend.stop(second, "meta")
    status, raw = databend.metactl_status(survivor)
    assert (status["State"], "Leader" in status) == ("Candidate", False), raw
    failed = databend.sql(query, "insert into t values (4)")
    assert (failed["state"], failed["error"]) == ("Failed", {"code": 2001, "message": NO_QUORUM_ERROR})

    databend.start(second, "meta")
    databend.start(first, "meta")
    databend.wait_meta()
    assert succeeds(databend, query, "insert into t values (5)")["stats"]["write_progress"]["rows"] == 1
    assert databend.sql(query, "select count(*) from t")["data"] == [["4"]]
