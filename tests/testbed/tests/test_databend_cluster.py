"""Behaviour of the simulated Databend cluster: Raft-like leadership, quorum, compatibility, data versions."""
import json
import os
import re
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.databend.testing import LocalDatabend, http_json, wait_until  # noqa: E402

V = "1.2.680-nightly"
META_HOSTS = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
QUERY_HOST = "127.0.0.25"
QUERY_API = "http://%s:8000/v1/query" % QUERY_HOST
QUERY_ADMIN = "http://%s:8080" % QUERY_HOST


@pytest.fixture
def bend(tmp_path):
    cluster = LocalDatabend(str(tmp_path))
    yield cluster
    cluster.cleanup()


def statuses(metas):
    return [http_json(meta.admin + "/v1/cluster/status")[1] for meta in metas]


def one_leader(metas):
    """The leader id when every node agrees on exactly one leader, else None."""
    found = statuses(metas)
    leaders = {s["id"] for s in found if s["state"] == "Leader"}
    agreed = {s["leader"]["name"] if s["leader"] else None for s in found}
    if len(leaders) == 1 and agreed == {str(next(iter(leaders)))}:
        return next(iter(leaders))
    return None


def start_cluster(bend, version=V):
    metas = [bend.start_meta(0, version, META_HOSTS[0])]
    wait_until(lambda: "Databend Metasrv started" in metas[0].stdout(), what="first meta node")
    for node_id, host in enumerate(META_HOSTS[1:], start=1):
        metas.append(bend.start_meta(node_id, version, host, peers=[META_HOSTS[0]]))
    wait_until(lambda: one_leader(metas) is not None, what="one leader")
    return metas


def sql(statement):
    return http_json(QUERY_API, {"sql": statement})[1]


def test_three_nodes_elect_one_leader_and_reelect_when_it_stops(bend):
    metas = start_cluster(bend)
    leader = one_leader(metas)
    assert leader == 0
    assert [s["state"] for s in statuses(metas)].count("Follower") == 2
    term = statuses(metas)[0]["current_term"]
    assert LocalDatabend.stop(metas[leader]) == 0
    assert metas[leader].stdout().endswith("Databend Metasrv shutdown\n")
    rest = [m for i, m in enumerate(metas) if i != leader]
    new_leader = wait_until(lambda: one_leader(rest) is not None and one_leader(rest), what="new leader")
    assert new_leader in (1, 2)
    assert statuses(rest)[0]["current_term"] > term


def test_transfer_leader_moves_leadership(bend):
    metas = start_cluster(bend)
    status, body = http_json(metas[0].admin + "/v1/ctrl/trigger_transfer_leader?to=2")
    assert (status, body) == (200, {"from": 0, "to": 2, "voter_ids": [0, 1, 2]})
    wait_until(lambda: one_leader(metas) == 2, what="leader 2")


def accepts(host, port):
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def test_query_registers_before_its_listeners_open(bend):
    """"has been registered" comes before "Ready for connections": the first client a load balancer sends to a node
    that just started finds it in the cluster, never "not connected to meta service"."""
    start_cluster(bend)
    bend.start_query(V, QUERY_HOST, META_HOSTS)
    wait_until(lambda: accepts(QUERY_HOST, 8000), what="the HTTP handler to accept", interval=0.01)
    assert sql("select 1")["state"] == "Succeeded"


def test_writes_ride_through_a_leader_transfer_and_a_meta_restart(bend):
    """The meta client retries retryable errors (CanNotForward while there is no leader, a node down), so a
    leader change or one meta node restarting reaches no SQL client."""
    metas = start_cluster(bend)
    bend.start_query(V, QUERY_HOST, META_HOSTS)
    wait_until(lambda: sql("select 1")["state"] == "Succeeded", what="query ready")
    assert sql("create table if not exists r (a int)")["state"] == "Succeeded"
    leader = one_leader(metas)
    status, _body = http_json(metas[leader].admin + "/v1/ctrl/trigger_transfer_leader?to=%d" % ((leader + 1) % 3))
    assert status == 200
    results = [sql("insert into r values (%d)" % n) for n in range(20)]
    assert [result["state"] for result in results] == ["Succeeded"] * 20, [r.get("error") for r in results]
    follower = [index for index in range(3) if index != one_leader(metas)][0]
    LocalDatabend.stop(metas[follower])
    results = [sql("insert into r values (%d)" % n) for n in range(20)]
    assert [result["state"] for result in results] == ["Succeeded"] * 20, [r.get("error") for r in results]
    assert sql("select count(*) from r")["data"] == [["40"]]


def test_losing_quorum_loses_the_leader_and_writes_fail(bend):
    metas = start_cluster(bend)
    query = bend.start_query(V, QUERY_HOST, META_HOSTS)
    wait_until(lambda: sql("select 1")["state"] == "Succeeded", what="query ready")
    assert sql("create table if not exists t (a int)")["state"] == "Succeeded"
    assert sql("insert into t values (1), (2)")["stats"]["write_progress"]["rows"] == 2
    for meta in metas[:2]:
        LocalDatabend.stop(meta)
    survivor = metas[2]
    wait_until(lambda: statuses([survivor])[0]["state"] == "Candidate", what="no leader")
    assert statuses([survivor])[0]["leader"] is None
    failed = wait_until(lambda: sql("insert into t values (3)")["error"], what="insert to fail")
    assert failed["code"] == 2001
    assert "no leader" in failed["message"]
    metactl = bend.run("metactl", V, "status", "--grpc-api-address", survivor.grpc)
    assert "State: Candidate\n" in metactl.stdout and "Leader:" not in metactl.stdout
    metas[1] = bend.start_meta(1, V, META_HOSTS[1], peers=[META_HOSTS[2]])
    wait_until(lambda: one_leader(metas[1:]) is not None, what="quorum back")
    wait_until(lambda: sql("select count(*) from t")["data"] == [["2"]], what="count after recovery")
    assert LocalDatabend.stop(query) == 0


def listed_nodes(admin):
    """The query cluster list once the node has registered (until then the endpoint answers an error)."""
    status, body = http_json(admin + "/v1/cluster/list")
    return body if status == 200 and isinstance(body, list) and body else None


def test_query_works_with_compatible_meta_and_deregisters_on_stop(bend):
    meta = bend.start_meta(0, V, META_HOSTS[0])
    query = bend.start_query("1.2.770-nightly", QUERY_HOST, [META_HOSTS[0]])
    nodes = wait_until(lambda: listed_nodes(QUERY_ADMIN), what="registration")
    assert [n["http_address"] for n in nodes] == ["%s:8000" % QUERY_HOST]
    assert sql("SELECT VERSION()")["data"][0][0].startswith("DatabendQuery v1.2.770-nightly-")
    assert sql("select count(*) from missing")["error"] == {"code": 1025, "message": "Unknown table 'missing'"}
    assert sql("create table t (a int)")["state"] == "Succeeded"
    assert sql("create table t (a int)")["error"] == {"code": 2302, "message": "Table 't' already exists"}
    assert http_json(QUERY_ADMIN + "/v1/health") == (200, {"status": "pass"})
    assert LocalDatabend.stop(query) == 0
    status, body = http_json(meta.admin + "/v1/cluster/status")
    listed = bend.run("metactl", V, "status", "--grpc-api-address", meta.grpc)
    assert status == 200 and body["state"] == "Leader" and listed.returncode == 0
    query2 = bend.start_query(V, "127.0.0.26", [META_HOSTS[0]])
    remaining = wait_until(lambda: listed_nodes("http://127.0.0.26:8080"), what="second query")
    assert [n["http_address"] for n in remaining] == ["127.0.0.26:8000"]
    LocalDatabend.stop(query2)


def free_port():
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return sock.getsockname()[1]


def test_query_advertises_its_own_address_for_unspecified_listen_addresses(bend):
    """register_to_metastore: 0.0.0.0 (or loopback) flight/HTTP/discovery addresses are registered with the local IP
    of the meta connection (on loopback test hosts the host's own 127.x address), with a warning in the log."""
    host, flight, http = "127.0.0.27", free_port(), free_port()
    bend.start_meta(0, V, META_HOSTS[0])
    query = bend.start_query(V, host, [META_HOSTS[0]], {"flight_api_address": '"0.0.0.0:%d"' % flight,
                                                        "http_handler_host": '"0.0.0.0"', "http_handler_port": str(http)})
    nodes = wait_until(lambda: listed_nodes("http://%s:8080" % host), what="registration")
    own = {"http_address": "%s:%d" % (host, http), "flight_address": "%s:%d" % (host, flight),
           "discovery_address": "%s:%d" % (host, http)}
    assert [{key: node[key] for key in own} for node in nodes] == [own]
    warnings = [line.split(" WARN databend_query: ", 1)[1] for line in query.logs().splitlines() if " WARN " in line]
    assert warnings == [
        'Detected loopback or unspecified address as %s endpoint. We rewrite it("0.0.0.0:%d" -> "%s") for advertising '
        "to other nodes. If there are proxies between nodes, you can specify endpoint with --%s." % (flag, port, address, flag)
        for flag, port, address in (("flight-api-address", flight, own["flight_address"]),
                                    ("discovery-address", http, own["discovery_address"]),
                                    ("http-address", http, own["http_address"]))]
    LocalDatabend.stop(query)


DATE = r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"
TONIC = ('tonic::status::Status: status: InvalidArgument, message: "%s", details: [], metadata: MetadataMap { headers: '
         '{"content-type": "application/grpc", "date": "<date>", "content-length": "0"} }')
REFUSED_BY_META = "meta-client protocol_version(1.2.200) < metasrv min-compatible(1.2.288)"
OLD_CLIENT_CAUSE = "metasrv protocol_version(1.2.200) < meta-client min-compatible(1.2.226)"
FEATURE_MSG = "Invalid: server protocol_version((1, 2, 600)) < client required((1, 2, 677)) for feature watch/initial_flush"


def _pattern(text):
    return re.escape(text).replace(re.escape("<date>"), DATE)


def _rust(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


@pytest.mark.parametrize("query_version, meta_version, message, debug", [
    # <= 1.2.722, refused by the server (meta 1.2.680 needs clients >= 1.2.288)
    ("1.2.200-nightly", "1.2.680-nightly",
     "failed to handshake with meta-service: handshake is refused, cause: " + TONIC % REFUSED_BY_META,
     'MetaHandshakeError { msg: "handshake is refused", source: AnyError { typ: Some("tonic::status::Status"), '
     'msg: "%s", source: None, context: [], backtrace: None } }' % _rust((TONIC % REFUSED_BY_META).split(": ", 1)[1])),
    # <= 1.2.722, refused by the client (query 1.2.300 needs meta >= 1.2.226)
    ("1.2.300-nightly", "1.2.200-nightly",
     "failed to handshake with meta-service: incompatible protocol version, cause: " + OLD_CLIENT_CAUSE,
     'MetaHandshakeError { msg: "incompatible protocol version", source: AnyError { typ: None, msg: "%s", '
     'source: None, context: [], backtrace: None } }' % OLD_CLIENT_CAUSE),
    # >= 1.2.726 per-feature check (1.2.726-1.2.822 list and the 1.2.823-1.2.834 one)
    ("1.2.770-nightly", "1.2.600-nightly", "HandshakeError with databend-meta: " + FEATURE_MSG,
     'MetaHandshakeError { msg: "%s", source: None }' % FEATURE_MSG),
    ("1.2.828-nightly", "1.2.600-nightly", "HandshakeError with databend-meta: " + FEATURE_MSG,
     'MetaHandshakeError { msg: "%s", source: None }' % FEATURE_MSG),
])
def test_query_exits_at_start_on_an_incompatible_meta(bend, query_version, meta_version, message, debug):
    """flow-surfaces-databend 5: main() prints the start failure on stderr and exits 2001 (a shell sees 209); no
    listener opens and no banner is printed; the log file has only the INFO handshake lines (at level INFO)."""
    meta = bend.start_meta(0, meta_version, META_HOSTS[0])
    wait_until(lambda: "Databend Metasrv started" in meta.stdout(), what="meta started")
    query = bend.start_query(query_version, QUERY_HOST, [META_HOSTS[0]])
    assert query.popen.wait(timeout=15) == 2001 & 0xFF == 209
    assert re.fullmatch(_pattern("Databend Query start failure, cause: MetaServiceError. Code: 2001, Text = %s.\n\n"
                                 "<Backtrace disabled by default. Please use RUST_BACKTRACE=1 to enable> \n" % message),
                        query.stderr()), query.stderr()
    assert query.stdout() == ""
    logged = [line.split(" INFO databend_query: ", 1)[1] for line in query.logs().splitlines()
              if not line.startswith(" ")][1:]  # after `Databend Query start with config: ...`
    assert len(logged) == 2
    assert logged[0] == "MetaChannelManager done building RealClient to 127.0.0.21:9191, start handshake"
    assert re.fullmatch(_pattern("MetaChannelManager done handshake to 127.0.0.21:9191, result.err(): Some(%s)" % debug),
                        logged[1]), logged[1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((QUERY_HOST, 8080), timeout=2).close()


def test_incompatible_query_writes_nothing_at_the_packaged_log_level(bend):
    """With `[log.file] level = "WARN"` (the packaged config) the INFO handshake lines never reach the log file:
    only stderr (the journal) tells why the query stopped."""
    bend.start_meta(0, "1.2.600-nightly", META_HOSTS[0])
    query = bend.start_query("1.2.770-nightly", QUERY_HOST, [META_HOSTS[0]], {"level": '"WARN"'})
    assert query.popen.wait(timeout=15) == 209
    assert "HandshakeError with databend-meta: " + FEATURE_MSG in query.stderr()
    assert query.logs() == "" and os.listdir(os.path.join(query.workdir, "log")) == ["databend-query-default@default.log"]


def test_meta_refuses_newer_on_disk_data_and_upgrades_older(bend):
    meta = bend.start_meta(0, "1.2.410-nightly", META_HOSTS[0])
    wait_until(lambda: "Databend Metasrv started" in meta.stdout(), what="V002 meta")
    LocalDatabend.stop(meta)
    header = Path(meta.workdir, "raft", "df_meta", "VERSION")
    assert json.loads(header.read_text())["version"] == "V002"
    upgraded = bend.start_meta(0, V, META_HOSTS[0])
    wait_until(lambda: "Databend Metasrv started" in upgraded.stdout(), what="V004 meta")
    assert "Disk  Data: V002(2023-07-22: Store snapshot in a file); Upgrading: None\n" in upgraded.stdout()
    assert "Upgrade ondisk data finished: header: Header { version: V004" in upgraded.stderr()
    assert json.loads(header.read_text()) == {"version": "V004", "upgrading": None, "cleaning": False}
    LocalDatabend.stop(upgraded)
    older = bend.start_meta(0, "1.2.600-nightly", META_HOSTS[0])
    assert older.popen.wait(timeout=10) == 1
    assert older.stderr().endswith(
        "Error: parsing version file %s: unknown variant `V004`, expected one of `V0`, `V001`, `V002`, `V003` "
        "at line 1 column 17\n" % header)


def test_faults_crash_on_start_and_never_ready(bend):
    bend.fault(META_HOSTS[0], crash_on_start=True)
    crashed = bend.start_meta(0, V, META_HOSTS[0])
    assert crashed.popen.wait(timeout=10) == 1
    assert crashed.stderr() == "Error: simulated fault crash_on_start on %s\n" % META_HOSTS[0]
    bend.fault(META_HOSTS[1], never_ready=True)
    stuck = bend.start_meta(1, V, META_HOSTS[1])
    wait_until(lambda: http_json(stuck.admin + "/v1/health")[0] == 200, what="admin API")
    assert http_json(stuck.admin + "/v1/cluster/status")[1]["state"] == "Candidate"
    assert "Databend Metasrv started" not in stuck.stdout()
