"""Fidelity of the Databend simulator on what an upgrade flow drives (flow-surfaces-databend.md 1, 2, 4 and 5):
leader transfer by version, /v1/cluster/status layouts, plain-text admin errors, the handshake eras, the cluster key
prefix by query version, node ids and the graceful stop of databend-query."""
import json
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.databend import formats, metaclient, metactl, metasrv, query, versions  # noqa: E402
from sim.databend.testing import LocalDatabend, http_get, http_json, wait_until  # noqa: E402

V = "1.2.680-nightly"
TEXT = "text/plain; charset=utf-8"
META_HOSTS = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
DATE = r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"
BASE62_ID = re.compile(r"[0-9a-zA-Z]{1,22}")
TAIL = [r"state", "is_leader", "current_term", "last_log_index", "last_applied", "snapshot_last_log_id", "purged",
        "leader", "replication", "voters", "non_voters", "last_seq"]
HEAD = ["id", "binary_version", "data_version", "endpoint"]


@pytest.fixture
def root(tmp_path):
    """LocalDatabend instances under one directory (one per meta cluster: each has its own shared dir)."""
    made = []

    def make(name="bend"):
        made.append(LocalDatabend(str(tmp_path / name)))
        return made[-1]
    yield make
    for bend in made:
        bend.cleanup()


def statuses(metas):
    return [http_json(meta.admin + "/v1/cluster/status")[1] for meta in metas]


def leader_of(metas):
    """The leader id every live node agrees on, else None."""
    found = statuses(metas)
    leaders = {s["id"] for s in found if s["state"] == "Leader"}
    agreed = {s["leader"]["name"] if s["leader"] else None for s in found}
    if len(leaders) == 1 and agreed == {str(next(iter(leaders)))}:
        return next(iter(leaders))
    return None


def start_cluster(bend, version, hosts):
    metas = [bend.start_meta(0, version, hosts[0])]
    wait_until(lambda: "Databend Metasrv started" in metas[0].stdout(), what="first meta node")
    for node_id, host in enumerate(hosts[1:], start=1):
        metas.append(bend.start_meta(node_id, version, host, peers=[hosts[0]]))
    wait_until(lambda: leader_of(metas) is not None, what="one leader")
    return metas


def meta_keys(bend):
    state = json.loads(Path(bend.shared, "databend-meta", "foo_cluster", "state.json").read_text())
    return sorted(state["kv"])


def listed(admin):
    status, body = http_json(admin + "/v1/cluster/list")
    return body if status == 200 and isinstance(body, list) and body else None


def sql(host, statement, timeout=5.0):
    return http_json("http://%s:8000/v1/query" % host, {"sql": statement}, timeout=timeout)[1]


def info_lines(proc, since=None):
    """The messages of the INFO lines of a query log (optionally from the line ``since`` on)."""
    lines = [line.split(" INFO databend_query: ", 1)[1] for line in proc.logs().splitlines()
             if " INFO databend_query: " in line]
    return lines[lines.index(since):] if since else lines


# -- 1.1 /v1/ctrl/trigger_transfer_leader ------------------------------------------------------------------------
NOT_LEADER = ("This node is not leader, can not transfer leadership;\nid=2\ncurrent_leader=Some(0)\n"
              "voter_ids=[0, 1, 2]")


def test_transfer_leader_from_1_2_601(root):
    bend = root()
    metas = start_cluster(bend, V, META_HOSTS)
    assert leader_of(metas) == 0
    url = "/v1/ctrl/trigger_transfer_leader"
    # a node that is not the leader: 404 with the plain-text format string, nothing changes
    assert http_get(metas[2].admin + url + "?to=1") == (404, TEXT, NOT_LEADER)
    refused = bend.run("metactl", V, "transfer-leader", "--admin-api-address", "%s:28002" % META_HOSTS[2])
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "Error: status code: 404 Not Found, msg: %s\n" % NOT_LEADER
    term = statuses(metas)[0]["current_term"]
    assert leader_of(metas) == 0
    assert "WARN databend_meta: id=2 This node is not leader, can not transfer leadership; Current leader is: " \
           "Some(0) voter_ids=[0, 1, 2]\n" in metas[2].logs()
    # without `to` (or a `to` that is not a u64): the voter after this node, whether it is up or not
    LocalDatabend.stop(metas[1])
    for suffix in ("", "?to=abc"):
        assert http_json(metas[0].admin + url + suffix) == (200, {"from": 0, "to": 1, "voter_ids": [0, 1, 2]})
    time.sleep(0.6)
    assert leader_of([metas[0], metas[2]]) == 0 and statuses(metas[:1])[0]["current_term"] == term
    # with `to` through metactl, then the default target wraps around to the first voter
    moved = bend.run("metactl", V, "transfer-leader", "--admin-api-address", "%s:28002" % META_HOSTS[0], "--to", "2")
    assert (moved.returncode, moved.stdout, moved.stderr) == (
        0, "triggered leader transfer from 0 to 2.\nvoter ids: [0, 1, 2]\n", "")
    wait_until(lambda: leader_of([metas[0], metas[2]]) == 2, what="leader 2")
    assert http_json(metas[2].admin + url) == (200, {"from": 2, "to": 0, "voter_ids": [0, 1, 2]})
    wait_until(lambda: leader_of([metas[0], metas[2]]) == 0, what="leader 0 again")
    log = metas[0].logs()
    assert "INFO databend_meta: id=0 Received trigger_transfer_leader request: Some(Query(TransferLeaderQuery { " \
           "to: Some(2) })), this node: current_leader=Some(0) voter_ids=[0, 1, 2]\n" in log
    assert "INFO databend_meta: id=0 Begin to transfer leadership to node: 2\n" in log
    # poem's routing errors are plain text too
    assert http_get(metas[0].admin + "/v1/no/such/route") == (404, TEXT, "not found")
    request = urllib.request.Request(metas[0].admin + url, data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(request, timeout=5)
    assert (posted.value.code, posted.value.read()) == (405, b"method not allowed")


def test_transfer_leader_before_1_2_601(root):
    old = root("old").start_meta(0, "1.2.410-nightly", "127.0.0.31")
    wait_until(lambda: "Databend Metasrv started" in old.stdout(), what="1.2.410 meta")
    assert http_get(old.admin + "/v1/ctrl/trigger_transfer_leader?to=0") == (404, TEXT, "not found")  # no route
    bend = root("v600")
    metas = start_cluster(bend, "1.2.600-nightly", META_HOSTS[:2])
    url = "/v1/ctrl/trigger_transfer_leader"
    for suffix in ("", "?to=", "?to=x"):  # `to` is required in 1.2.599-1.2.600
        assert http_get(metas[0].admin + url + suffix) == (400, TEXT, "missing query to=<node_id_to_transfer_leader_to>")
    assert http_get(metas[0].admin + url + "?to=1") == (200, "application/json", "null")
    wait_until(lambda: leader_of(metas) == 1, what="leader 1")
    # no leader check before 1.2.601: a follower accepts the request and nothing happens (INFERRED)
    assert http_get(metas[0].admin + url + "?to=0") == (200, "application/json", "null")
    time.sleep(0.6)
    assert leader_of(metas) == 1


# -- 1.2 /v1/cluster/status and 2.1 metactl status -------------------------------------------------------------------
def test_cluster_status_layout_by_meta_version(root):
    expected = {"1.2.410-nightly": ["db_size"], "1.2.600-nightly": ["db_size", "key_num"],
                "1.2.680-nightly": ["raft_log", "snapshot_key_count"], "1.2.828-nightly": ["raft_log", "snapshot_key_count"]}
    metas = {}
    for number, version in enumerate(expected):
        metas[version] = root(version).start_meta(0, version, "127.0.0.%d" % (31 + number))
    for version, meta in metas.items():
        wait_until(lambda m=meta: "Databend Metasrv started" in m.stdout(), what="meta %s" % version)
        status = http_json(meta.admin + "/v1/cluster/status")[1]
        assert list(status) == HEAD + expected[version] + TAIL, version
        assert status["endpoint"] == "%s:28004" % meta.host
    assert list(http_json(metas["1.2.680-nightly"].admin + "/v1/cluster/status")[1]["raft_log"]) == [
        "cache_items", "cache_used_size", "wal_total_size", "wal_open_chunk_size", "wal_offset",
        "wal_closed_chunk_count", "wal_closed_chunk_total_size", "wal_closed_chunk_sizes"]
    # metactl status of each era reads what its server sends
    old = root("v600").run("metactl", "1.2.600-nightly", "--status", "--grpc-api-address", metas["1.2.600-nightly"].grpc)
    assert re.search(r"\nDBSize: \d+\nKeyNumber: \d+\nNode: id=0 ", old.stdout), old.stdout


@pytest.mark.parametrize("version, fields", [
    ("1.2.499", ["db_size"]), ("1.2.500", ["db_size", "key_num"]), ("1.2.657", ["db_size", "key_num"]),
    ("1.2.658", ["raft_log_size", "snapshot_key_count"]), ("1.2.662", ["raft_log_size", "snapshot_key_count"]),
    ("1.2.663", ["raft_log", "snapshot_key_count"]), ("1.2.828", ["raft_log", "snapshot_key_count"]),
])
def test_status_size_fields_boundaries(version, fields):
    assert list(metasrv.status_size_fields(version, 3, 7)) == fields


def test_status_endpoint_is_optional_from_1_2_819():
    assert metasrv.status_endpoint("1.2.818", False, "h:28004") == "h:28004"
    assert metasrv.status_endpoint("1.2.819", False, "h:28004") is None
    assert metasrv.status_endpoint("1.2.828", True, "h:28004") == "h:28004"


GRPC_STATUS = {"binary_version": "v1.2.660-nightly-0123456789-simd(x)", "data_version": "V004", "id": 1,
               "endpoint": "h:28004", "state": "Leader", "db_size": 0, "key_num": 0, "raft_log_size": 512,
               "raft_log_status": None, "snapshot_key_count": 4, "leader": "id=1 raft=h:28004 grpc=h:9191",
               "current_term": 1, "last_seq": 2, "last_log_index": 2, "last_applied": "T1-N1.2",
               "snapshot_last_log_id": None, "purged": None, "replication": [], "voters": [], "non_voters": []}


@pytest.mark.parametrize("metactl_version, lines", [
    ("1.2.410", ["DBSize: 0"]), ("1.2.600", ["DBSize: 0", "KeyNumber: 0"]),
    ("1.2.660", ["RaftLogSize: 512", "SnapshotKeyCount: 4"]),
    ("1.2.680", ["RaftLogSize: 512", "SnapshotKeyCount: 4"]),  # no RaftLog block: the server sent no raft_log_status
])
def test_metactl_status_size_lines_by_era(metactl_version, lines):
    text = metactl.render_status(GRPC_STATUS, metactl_version).splitlines()
    assert text[2:2 + len(lines)] == lines and text[2 + len(lines)].startswith("Node: ")


# -- 5 handshake eras ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("client, min_metasrv, server, message", [
    ("1.2.722-nightly", "1.2.259", (1, 2, 200), "failed to handshake with meta-service: incompatible protocol version, "
                                                "cause: metasrv protocol_version(1.2.200) < meta-client min-compatible(1.2.259)"),
    ("1.2.723-nightly", "1.2.259", (1, 2, 200), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                                "(1, 2, 200)) < client required((1, 2, 259))"),
    ("1.2.725-nightly", "1.2.259", (1, 2, 600), None),  # no per-feature check in the 1.2.725 nightly
    ("1.2.725", "1.2.677", (1, 2, 600), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                        "(1, 2, 600)) < client required((1, 2, 677)) for feature watch/initial_flush"),
    ("1.2.726-nightly", "1.2.677", (1, 2, 676), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                                "(1, 2, 676)) < client required((1, 2, 677)) for feature watch/initial_flush"),
    ("1.2.822-nightly", "1.2.677", (1, 2, 258), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                                "(1, 2, 258)) < client required((1, 2, 259)) for feature kv_api"),
    ("1.2.823-nightly", "1.2.770", (1, 2, 258), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                                "(1, 2, 258)) < client required((1, 2, 259)) for feature kv_read_v1"),
    ("1.2.828-nightly", "1.2.770", (1, 2, 680), None),  # MIN_METASRV 1.2.770 is only printed by `ver`
    ("1.2.835-nightly", "1.2.770", (1, 2, 680), "HandshakeError with databend-meta: Invalid: server protocol_version("
                                                "(1, 2, 680)) < client required((1, 2, 756)) for feature put_response/current"),
])
def test_query_side_handshake_text_by_era(client, min_metasrv, server, message):
    error = metaclient.client_check(client, min_metasrv, server)
    assert (str(error) if error else None) == message


@pytest.mark.parametrize("client, prefix", [
    ("1.2.722-nightly", "failed to handshake with meta-service: handshake is refused, cause: "),
    ("1.2.723-nightly", "HandshakeError with databend-meta: Connection Failure; cause: "),
])
def test_server_refusal_text_by_era(client, prefix):
    text = str(metaclient.refusal_error(client, "InvalidArgument", "meta-client protocol_version(1.2.287) < "
                                                                   "metasrv min-compatible(1.2.288)"))
    assert re.fullmatch(re.escape(prefix + 'tonic::status::Status: status: InvalidArgument, message: "meta-client '
                                  'protocol_version(1.2.287) < metasrv min-compatible(1.2.288)", details: [], metadata: '
                                  'MetadataMap { headers: {"content-type": "application/grpc", "date": "') + DATE +
                        re.escape('", "content-length": "0"} }'), text), text


# -- 4.2 registration: key prefix by query version, node ids -------------------------------------------------------
def test_uniq_names_are_base62_like_global_uniq_name():
    assert [formats.uniq_name(n) for n in (0, 9, 10, 35, 36, 61, 62, 62 * 62 - 1)] == [
        "0", "9", "a", "z", "A", "Z", "01", "ZZ"]
    assert formats.uniq_name(2 ** 128 - 1) == "7CHf7TM8N9KLFt5mgd24N7"
    names = [query.new_uniq_name() for _attempt in range(400)]
    assert all(BASE62_ID.fullmatch(name) for name in names)
    assert sum(len(name) == 22 for name in names) > 300 and any(re.search("[A-Z]", name) for name in names)


def test_registration_prefix_follows_the_query_version(root):
    bend = root()
    meta = bend.start_meta(0, V, META_HOSTS[0])
    wait_until(lambda: "Databend Metasrv started" in meta.stdout(), what="meta")
    hosts = {"1.2.600-nightly": "127.0.0.41", "1.2.680-nightly": "127.0.0.42", "1.2.770-nightly": "127.0.0.43",
             "1.2.828-nightly": "127.0.0.44"}
    procs = {version: bend.start_query(version, host, [META_HOSTS[0]]) for version, host in hosts.items()}
    ids = {}
    for version, host in hosts.items():
        own = wait_until(lambda h=host: [n for n in listed("http://%s:8080" % h) or [] if n["http_address"] == h + ":8000"],
                         what="%s registered" % version)[0]
        ids[version] = own["id"]
        assert BASE62_ID.fullmatch(own["id"]) and BASE62_ID.fullmatch(own["secret"])
    wait_until(lambda: len(listed("http://%s:8080" % hosts["1.2.770-nightly"]) or []) == 2, what="v6 pair")
    for version, seen in (("1.2.600-nightly", ["1.2.600-nightly"]), ("1.2.680-nightly", ["1.2.680-nightly"]),
                          ("1.2.770-nightly", ["1.2.770-nightly", "1.2.828-nightly"]),
                          ("1.2.828-nightly", ["1.2.770-nightly", "1.2.828-nightly"])):
        assert sorted(n["id"] for n in listed("http://%s:8080" % hosts[version])) == sorted(ids[v] for v in seen)
    assert meta_keys(bend) == sorted([
        "__fd_clusters_v2/default/default/databend_query/" + ids["1.2.600-nightly"],
        "__fd_clusters_v5/default/default/databend_query/" + ids["1.2.680-nightly"]] + [
        key % ids[v] for v in ("1.2.770-nightly", "1.2.828-nightly")
        for key in ("__fd_clusters_v6/default/online_nodes/%s", "__fd_clusters_v6/default/online_clusters/default/default/%s")])
    # system.clusters: the same split; `cluster` is warehouse_id/cluster_id from 1.2.684, the cluster_id before
    rows = sql(hosts["1.2.828-nightly"], "SELECT * FROM system.clusters")
    assert rows["schema"] == [{"name": "name", "type": "String"}, {"name": "cluster", "type": "String"},
                              {"name": "host", "type": "String"}, {"name": "port", "type": "UInt16"},
                              {"name": "version", "type": "String"}]
    assert sorted(rows["data"]) == sorted([ids[v], "default/default", hosts[v], "9090",
                                           versions.databend_commit_version(v)] for v in ("1.2.770-nightly", "1.2.828-nightly"))
    assert sql(hosts["1.2.680-nightly"], "select name, cluster, host, port, version from system.clusters")["data"] == [
        [ids["1.2.680-nightly"], "default", hosts["1.2.680-nightly"], "9090", versions.databend_commit_version(V)]]
    for proc in procs.values():
        assert LocalDatabend.stop(proc) == 0
    assert meta_keys(bend) == []


# -- 4.3 /v1/cluster/list error, and a stop while meta is down ----------------------------------------------------------
def test_cluster_list_error_is_plain_text_and_a_stop_without_meta_warns(root):
    bend = root()
    meta = bend.start_meta(0, V, META_HOSTS[0])
    query_proc = bend.start_query(V, "127.0.0.45", [META_HOSTS[0]])
    wait_until(lambda: listed("http://127.0.0.45:8080"), what="registration")
    LocalDatabend.stop(meta)
    cause = "MetaNetworkError: ConnectionError: failed to connect to 127.0.0.21:9191: [Errno 111] Connection refused"
    assert http_get("http://127.0.0.45:8080/v1/cluster/list") == (
        500, TEXT, "Failed to fetch cluster nodes list. cause: MetaServiceError. Code: 2001, Text = %s." % cause)
    assert LocalDatabend.stop(query_proc) == 0
    assert (" WARN databend_query: Cannot drop cluster node(while shutdown), cause MetaServiceError. Code: 2001, "
            "Text = %s.\n\n<Backtrace disabled by default. Please use RUST_BACKTRACE=1 to enable> \n" % cause) in query_proc.logs()


# -- 4.1 graceful stop of databend-query ---------------------------------------------------------------------------
PHASE = ["Stopping %s service" % name for name in query.SERVICES] + ["Stopped %s service" % name for name in query.SERVICES]


def test_idle_query_stops_at_once_with_the_logged_sequence(root):
    bend = root()
    bend.start_meta(0, V, META_HOSTS[0])
    proc = bend.start_query(V, "127.0.0.46", [META_HOSTS[0]])
    wait_until(lambda: listed("http://127.0.0.46:8080"), what="registration")
    assert sql("127.0.0.46", "select 1")["state"] == "Succeeded"  # a finished query leaves an idle session only
    started = time.monotonic()
    assert LocalDatabend.stop(proc) == 0
    assert time.monotonic() - started < 2.0  # nothing running: no wait for shutdown_wait_timeout_ms (5000)
    assert info_lines(proc, "Received termination signal.") == (
        ["Received termination signal."] + PHASE
        + ["Waiting 5s for connections to close. You can press Ctrl + C again to force shutdown."] + PHASE
        + ["Shutdown server."])
    assert meta_keys(bend) == []


def _query_in_background(host, statement):
    outcome = {}

    def run():
        try:
            outcome["answer"] = sql(host, statement, timeout=30)
        except (OSError, urllib.error.URLError) as exc:  # http.client.RemoteDisconnected is an OSError
            outcome["error"] = exc
        outcome["at"] = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _running(host):
    return http_json("http://%s:8080/v1/status" % host)[1]["running_queries_count"] == 1


def _refused(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_stop_waits_for_a_running_query_at_the_packaged_log_level(root):
    """Listeners close first; the in-flight request gets 1 s; the node leaves meta; the stop then waits while the
    query's session runs (checked once a second), and exits 0 when it ends. Level WARN: no INFO line in the log."""
    bend = root()
    bend.start_meta(0, V, META_HOSTS[0])
    host = "127.0.0.47"
    proc = bend.start_query(V, host, [META_HOSTS[0]], {"level": '"WARN"', "shutdown_wait_timeout_ms": "5000"})
    wait_until(lambda: listed("http://%s:8080" % host), what="registration")
    thread, outcome = _query_in_background(host, "select sleep(2.5)")
    wait_until(lambda: _running(host), what="the query running")
    query_started = time.monotonic()
    proc.popen.send_signal(signal.SIGTERM)
    stop_sent = time.monotonic()
    wait_until(lambda: _refused(host, 8000), timeout=3, interval=0.05, what="port 8000 refusing")
    refused_at = time.monotonic()
    wait_until(lambda: meta_keys(bend) == [], timeout=3, interval=0.05, what="unregistered")
    assert proc.popen.poll() is None  # still waiting for the session
    thread.join(timeout=5)
    assert "error" in outcome and outcome["at"] - stop_sent >= 0.9  # dropped after the 1000 ms grace
    assert refused_at < outcome["at"]  # new connections were refused while the request still had its grace
    assert proc.popen.wait(timeout=10) == 0
    ended = time.monotonic()
    assert ended - query_started >= 2.5 and ended - stop_sent < 6.0
    assert proc.stderr() == ""  # the late answer to the dropped connection fails quietly
    levels = {line.split()[1] for line in proc.logs().splitlines()}
    assert levels == {"WARN"}  # only the loopback-address warnings of the start; no INFO line of the stop


def test_stop_force_kills_a_query_that_outlives_the_timeout_or_a_second_signal(root):
    bend = root()
    bend.start_meta(0, V, META_HOSTS[0])
    waiting = "Waiting %s for connections to close. You can press Ctrl + C again to force shutdown."
    for host, timeout_ms, second in (("127.0.0.48", 1000, False), ("127.0.0.49", 5000, True)):
        proc = bend.start_query(V, host, [META_HOSTS[0]], {"shutdown_wait_timeout_ms": str(timeout_ms)})
        wait_until(lambda h=host: listed("http://%s:8080" % h), what="registration")
        _query_in_background(host, "select sleep(30)")
        wait_until(lambda h=host: _running(h), what="the query running")
        proc.popen.send_signal(signal.SIGHUP)  # a termination signal (ExecReload=kill -HUP stops the query)
        stop_sent = time.monotonic()
        if second:
            time.sleep(1.5)
            proc.popen.send_signal(signal.SIGTERM)
        assert proc.popen.wait(timeout=10) == 0
        elapsed = time.monotonic() - stop_sent
        assert 1.4 <= elapsed < 5.0, elapsed  # 1 s grace + one 1 s check, or the second signal at 1.5 s
        lines = info_lines(proc, "Received termination signal.")
        at = lines.index(waiting % formats.rust_duration(timeout_ms))
        assert lines[at + 1:] == ["Will shutdown forcefully."] + PHASE + ["Shutdown server."]
        assert proc.stderr() == ""


def test_rust_duration_debug():
    assert [formats.rust_duration(ms) for ms in (5000, 1500, 1000, 500, 0, 2001)] == [
        "5s", "1.5s", "1s", "500ms", "0ns", "2.001s"]
