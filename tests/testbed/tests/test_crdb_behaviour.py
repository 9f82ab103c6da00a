"""Cluster behaviour of the simulated CockroachDB/KWDB: liveness, replication, versions, drain."""
import json
import os
import signal
import socket
import struct
import subprocess
import time

import psycopg
import pytest

from conftest import FAST_CONFIG, wait_until

RANGE_HEALTH = ("SELECT sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable, "
                "sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT As ranges_underreplicated "
                "FROM crdb_internal.kv_store_status")
SERVER_ERROR = "ERROR: cockroach server exited with error: "


def range_health(cluster, version, node=0):
    result = cluster.sql(version, RANGE_HEALTH, node=node, fmt="csv")
    assert result.returncode == 0, result.stderr
    unavailable, under = result.stdout.splitlines()[1].split(",")
    return int(unavailable), int(under)


def cluster_version(cluster, version, node=0):
    return cluster.sql(version, "SHOW CLUSTER SETTING version", node=node).stdout.splitlines()[1]


def test_stopped_node_goes_dead_and_rejoin_catches_up_step_by_step(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    cluster.start_all("v23.2.9")
    wait_until(lambda: range_health(cluster, "v23.2.9") == (0, 0), what="healthy ranges")
    cluster.stop(2)
    assert wait_until(lambda: range_health(cluster, "v23.2.9")[1] == 30, what="under-replication")
    csv = cluster.cli("v23.2.9", "node", "status", "--format=csv", "--insecure", "--host=" + cluster.nodes[0].addr)
    assert sum(line.endswith(",false,false") for line in csv.stdout.splitlines()) == 1
    cluster.start(2, "v23.2.9")
    samples = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not samples or samples[-1] != 0):
        samples.append(range_health(cluster, "v23.2.9")[1])
        time.sleep(0.2)
    distinct = [value for index, value in enumerate(samples) if index == 0 or value != samples[index - 1]]
    assert distinct[-1] == 0 and len(distinct) >= 3, samples
    assert distinct == sorted(distinct, reverse=True), samples


def test_too_new_binary_refuses_a_store_that_skipped_a_major(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, "v23.2.9", command="start-single-node")
    cluster.stop(0)
    proc = cluster.start(0, "v24.3.1", command="start-single-node", wait=False)
    assert proc.wait(10) == 1
    with open(cluster.nodes[0].dir + "/out.log") as log:
        text = log.read()
    message = ("store last used with cockroach version v23.2 is too old for running version v24.3 "
               "(which requires data from v24.1 or later)")
    assert SERVER_ERROR + message + '\nFailed running "start-single-node"\n' in text


def test_finalization_after_rolling_upgrade_and_old_binary_locked_out(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    cluster.start_all("v23.2.9")
    for index in range(3):
        assert cluster_version(cluster, "v23.2.9", node=(index + 1) % 3) == "23.2"
        cluster.stop(index)
        cluster.start(index, "v24.1.3")
    seen = set()
    wait_until(lambda: seen.add(cluster_version(cluster, "v24.1.3")) or "24.1" in seen, what="finalization")
    assert any(v.startswith("23.2-upgrading-to-24.1-step-") for v in seen), seen
    drift = cluster.sql("v24.1.3", "SELECT count(*) = 0 AS last_upgrade_is_finalized FROM crdb_internal.kv_node_status "
                        "WHERE server_version != (SELECT version FROM [SHOW CLUSTER SETTING version]);")
    assert drift.stdout == "last_upgrade_is_finalized\ntrue\n"
    wait_until(lambda: open(cluster.nodes[0].dir + "/cockroach-data/STORAGE_MIN_VERSION").read() == "24.1\n",
               what="store version persisted")
    cluster.stop(0)
    proc = cluster.start(0, "v23.2.9", wait=False)
    assert proc.wait(10) == 1
    with open(cluster.nodes[0].dir + "/out.log") as log:
        assert SERVER_ERROR + "store last used with cockroach version v24.1 is too high for running version v23.2\n" \
            in log.read()


def test_old_binary_cannot_join_a_finalized_cluster(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=2)
    cluster.start(0, "v24.1.3", command="start-single-node")
    proc = cluster.start(1, "v23.2.9", wait=False)
    assert proc.wait(10) == 1
    with open(cluster.nodes[1].dir + "/out.log") as log:
        assert ("version compatibility check failed on ping request: cluster requires at least version 24.1, "
                "but peer has version 23.2\n") in log.read()


def test_finalization_held_by_preserve_option_then_released(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    cluster.start_all("v23.2.9")
    wrong = cluster.sql("v23.2.9", "SET CLUSTER SETTING cluster.preserve_downgrade_option = '24.1'")
    # no pgcode (XXUUU): clierror prints no SQLSTATE line (flow-surfaces section 3)
    assert wrong.stderr == ("ERROR: cannot set cluster.preserve_downgrade_option to 24.1 (cluster version is 23.2)\n"
                            "Failed running \"sql\"\n")
    assert cluster.sql("v23.2.9", "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'").returncode == 0
    for index in range(3):
        cluster.stop(index)
        cluster.start(index, "v24.1.3")
    wait_until(lambda: cluster.all_live("v24.1.3"), what="upgraded nodes live")
    time.sleep(1.5)
    assert cluster_version(cluster, "v24.1.3") == "23.2"
    assert cluster.sql("v24.1.3", "SHOW CLUSTER SETTING cluster.preserve_downgrade_option").stdout == \
        "cluster.preserve_downgrade_option\n23.2\n"
    cluster.sql("v24.1.3", "RESET CLUSTER SETTING cluster.preserve_downgrade_option")
    wait_until(lambda: cluster_version(cluster, "v24.1.3") == "24.1", what="finalization")


def test_auto_upgrade_disabled_holds_finalization(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, "v24.1.3", command="start-single-node")
    assert cluster.sql("v24.1.3", "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false").stdout == \
        "SET CLUSTER SETTING\n"
    cluster.stop(0)
    cluster.start(0, "v24.2.1", command="start-single-node")
    time.sleep(1.5)
    assert cluster_version(cluster, "v24.2.1") == "24.1"
    assert cluster.sql("v24.2.1", "SHOW CLUSTER SETTING cluster.auto_upgrade.enabled").stdout == \
        "cluster.auto_upgrade.enabled\nfalse\n"
    cluster.sql("v24.2.1", "SET CLUSTER SETTING cluster.auto_upgrade.enabled = true")
    wait_until(lambda: cluster_version(cluster, "v24.2.1") == "24.2", what="finalization")


def test_drain_reports_ok_by_version_and_turns_ready_check_red(crdb_cluster_factory):
    for version, ok in (("v23.2.9", "ok\n"), ("v24.2.1", "drain ok\n")):
        cluster = crdb_cluster_factory(size=1)
        cluster.start(0, version, command="start-single-node")
        node = cluster.nodes[0]
        session = psycopg.connect(host=node.host, port=node.sql_port, user="root", dbname="defaultdb",
                                  sslmode="disable", autocommit=True)
        assert node.http("/health?ready=1") == (200, "{\n\n}")
        result = cluster.cli(version, "node", "drain", "--self", "--insecure", "--host=" + node.addr)
        assert result.stdout == ok
        assert result.stderr.endswith("node is draining... remaining: 0 (complete)\n")
        status, body = node.http("/health?ready=1")
        assert status == 503 and '"error": "node is shutting down"' in body
        try:
            session.execute("SELECT 1")
            raise AssertionError("drained session kept working")
        except psycopg.errors.AdminShutdown as error:
            assert str(error) == "server is shutting down"
        cluster.stop(0)


def test_workload_through_extended_protocol(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, "v24.3.1", command="start-single-node")
    node = cluster.nodes[0]
    with psycopg.connect(host=node.host, port=node.sql_port, user="root", dbname="defaultdb", sslmode="disable") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)")
        for key in range(5):
            conn.execute("UPSERT INTO kv (k, v) VALUES (%s, %s)", (key, "value-%d" % key))
        conn.commit()
        assert conn.execute("SELECT v FROM kv WHERE k = %s", (3,)).fetchone() == ("value-3",)
        assert conn.execute("SELECT v FROM kv WHERE k = %s", (99,)).fetchone() is None


def test_kwdb_status_upgrade_mark_and_upgrade_complete(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    version = "V2.2.0"
    cluster.start_all(version)
    host = "--host=" + cluster.nodes[0].addr
    lines = cluster.cli(version, "node", "status", "--insecure", host).stdout.splitlines()
    assert lines[0].split("\t") == ["id", "address", "sql_address", "build", "started_at", "updated_at", "locality",
                                    "start_mode", "is_available", "is_live"]
    assert lines[1].split("\t")[6:] == ["region=NODE1", "start", "true", "true"]
    assert cluster.cli(version, "sql", "--insecure", host, "-e", "SHOW CLUSTER SETTING version").stdout == \
        "version\n20.1-3\n"
    missing = cluster.cli(version, "node", "upgrade", "9", "--insecure", host)
    assert missing.stdout == "Upgrade ternimated. Hint: cannot find status of node 9\n"
    assert cluster.cli(version, "node", "upgrade", "2", "--insecure", host).returncode == 0
    row = [line for line in cluster.cli(version, "node", "status", "--format=csv", "--insecure", host)
           .stdout.splitlines() if line.startswith("2,")][0]
    assert row.endswith(",start,false,true")
    dead = cluster.cli(version, "sql", "--insecure", host, "-e", "SHOW CLUSTER SETTING server.time_until_store_dead")
    assert dead.stdout == "server.time_until_store_dead\n03:00:00\n"
    index = [i for i, n in enumerate(cluster.nodes) if n.addr == row.split(",")[1]][0]
    cluster.stop(index)
    cluster.start(index, "V2.2.2", extra=["--upgrade-complete"])
    wait_until(lambda: cluster.all_live(version), what="node 2 available again")


def test_kwdb_ranges_view_names_replica_and_leaseholder_stores(crdb_cluster_factory):
    cluster = crdb_cluster_factory()
    version = "V3.1.0"
    cluster.start_all(version)
    wait_until(lambda: cluster.all_live(version), what="every node live")
    host = "--host=" + cluster.nodes[0].addr
    ranges = cluster.cli(version, "sql", "--format=csv", "--insecure", host, "-e",
                         "SELECT range_id, replicas, lease_holder FROM kwdb_internal.ranges").stdout.splitlines()
    assert ranges[0] == "range_id,replicas,lease_holder"
    rows = [line.rsplit(",", 1) for line in ranges[1:]]
    assert len(rows) == FAST_CONFIG["ranges"], ranges
    assert rows[0] == ['1,"{1,2,3}"', "1"], rows[0]
    assert {holder for _range, holder in rows} == {"1", "2", "3"}
    stores = cluster.cli(version, "sql", "--format=csv", "--insecure", host, "-e",
                         "SELECT node_id, store_id FROM kwdb_internal.kv_store_status ORDER BY store_id").stdout
    assert stores == "node_id,store_id\n1,1\n2,2\n3,3\n"
    stopped = [line.split(",")[0] for line in cluster.cli(version, "node", "status", "--format=csv", "--insecure", host)
               .stdout.splitlines() if line.split(",")[1:2] == [cluster.nodes[2].addr]][0]
    cluster.stop(2)
    wait_until(lambda: stopped not in {line.rsplit(",", 1)[1] for line in cluster.cli(
        version, "sql", "--format=csv", "--insecure", host, "-e",
        "SELECT range_id, replicas, lease_holder FROM kwdb_internal.ranges").stdout.splitlines()[1:]},
        what="the stopped node's leases moved to the live nodes")


# ---------------------------------------------------------------- drain phases, SIGTERM, never_ready, wire timing

NOT_ACCEPTING = "server is not accepting clients, try another node"


def connect(node, **options):
    return psycopg.connect(host=node.host, port=node.sql_port, user="root", dbname="defaultdb", sslmode="disable",
                           autocommit=True, **options)


def refusal(node):
    """The message of a refused new session, or None when it was accepted."""
    try:
        connect(node, connect_timeout=2).close()
    except psycopg.OperationalError as error:
        prefix = 'connection failed: connection to server at "%s", port %d failed: FATAL:  ' % (node.host, node.sql_port)
        assert str(error).startswith(prefix), str(error)
        return str(error)[len(prefix):]
    return None


def ended_by_server(session):
    """The AdminShutdown message the session's next statement gets, or None while it is still served."""
    try:
        session.execute("SELECT 1")
    except psycopg.errors.AdminShutdown as error:
        return str(error)
    return None


def drain_in_background(cluster, version, node):
    return subprocess.Popen([cluster.binaries[version], "node", "drain", "--self", "--insecure", "--host=" + node.addr],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster.env)


def test_drain_phases_follow_the_shutdown_settings(crdb_cluster_factory):
    """unready for initial_wait (new sessions still accepted), then new sessions refused while open ones may go on
    for connections.timeout, then idle sessions end and one inside a transaction may finish it."""
    version = "v23.2.9"
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    for name, value in (("server.shutdown.drain_wait", "2s"), ("server.shutdown.connections.timeout", "2s"),
                        ("server.shutdown.query_wait", "3s")):
        assert cluster.sql(version, "SET CLUSTER SETTING %s = '%s'" % (name, value)).stdout == "SET CLUSTER SETTING\n"
    assert cluster.sql(version, "SHOW CLUSTER SETTING server.shutdown.initial_wait").stdout == \
        "server.shutdown.initial_wait\n00:00:02\n"
    idle, in_transaction = connect(node), connect(node)
    in_transaction.execute("BEGIN")
    started = time.monotonic()
    drain = drain_in_background(cluster, version, node)

    wait_until(lambda: node.http("/health?ready=1")[0] == 503, what="readiness to fail")
    assert node.http("/health?ready=1")[1] == ('{\n  "error": "node is shutting down",\n  "code": 14,\n  "message": '
                                               '"node is shutting down",\n  "details": [\n  ]\n}')
    assert refusal(node) is None  # initial_wait: the load balancer may still send new clients
    assert idle.execute("SELECT 1").fetchone() == (1,)

    assert wait_until(lambda: refusal(node), what="new sessions refused") == NOT_ACCEPTING
    refused_after = time.monotonic() - started
    assert idle.execute("SELECT 1").fetchone() == (1,)  # connections.timeout: open sessions still served

    assert wait_until(lambda: ended_by_server(idle), what="the idle session to end") == "server is shutting down"
    ended_after = time.monotonic() - started
    assert in_transaction.execute("SELECT 1").fetchone() == (1,)  # transactions.timeout: the transaction may finish
    in_transaction.execute("COMMIT")
    assert wait_until(lambda: ended_by_server(in_transaction), what="the session to end after its transaction") == \
        "server is shutting down"

    out, err = drain.communicate(timeout=30)
    assert (out, err.endswith("node is draining... remaining: 0 (complete)\n")) == ("ok\n", True)
    assert 2 <= refused_after < 3.5
    assert 4 <= ended_after < 5.5


def test_transaction_left_open_is_ended_after_transactions_timeout(crdb_cluster_factory):
    version = "v23.2.9"
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    assert cluster.sql(version, "SET CLUSTER SETTING server.shutdown.transactions.timeout = '2s'").returncode == 0
    session = connect(node)
    session.execute("BEGIN")
    started = time.monotonic()
    drain = drain_in_background(cluster, version, node)
    time.sleep(1)
    assert session.execute("SELECT 1").fetchone() == (1,)
    assert wait_until(lambda: ended_by_server(session), what="the open transaction to be ended") == \
        "server is shutting down"
    assert 2 <= time.monotonic() - started < 3.5
    assert drain.communicate(timeout=30)[0] == "ok\n"


def test_sigterm_drains_gracefully_and_sigkill_cuts_sessions(crdb_cluster_factory):
    version = "v23.2.9"
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    session = connect(node)
    assert cluster.stop(0) == 0  # SIGTERM
    assert ended_by_server(session) == "server is shutting down"
    with open(node.dir + "/cockroach-data/logs/cockroach.log") as log:
        lines = [line.split("] ", 1)[1] for line in log.read().splitlines() if "] " in line]
    assert lines[-4:] == ["received signal 15; initiating graceful shutdown", "drain remaining: 30",
                          "drain remaining: 0", "server drained and shutdown completed"]

    cluster.start(0, version, command="start-single-node")
    session = connect(node)
    cluster.stop(0, signal.SIGKILL)
    try:
        session.execute("SELECT 1")
        raise AssertionError("a killed node kept serving")
    except psycopg.OperationalError as error:
        assert not isinstance(error, psycopg.errors.AdminShutdown)
        assert str(error).startswith("consuming input failed: server closed the connection unexpectedly"), str(error)


def test_second_signal_during_the_drain_stops_at_once(crdb_cluster_factory):
    version = "v23.2.9"
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    session = connect(node)
    session.execute("BEGIN")  # holds the drain for transactions.timeout (10s)
    os.killpg(node.proc.pid, signal.SIGTERM)
    wait_until(lambda: node.http("/health?ready=1")[0] == 503, what="the drain to start")
    started = time.monotonic()
    assert cluster.stop(0) == 0
    assert time.monotonic() - started < 2
    with open(node.dir + "/cockroach-data/logs/cockroach.log") as log:
        text = log.read()
    assert "received signal 15 during shutdown, initiating hard shutdown\n" in text
    assert "server drained and shutdown completed" not in text


@pytest.mark.parametrize("version, message", [("v23.2.9", "node is not accepting SQL clients"),
                                              ("V2.2.0", "node is waiting for cluster initialization")])
def test_never_ready_node_fails_the_ready_check_and_serves_no_sql(crdb_cluster_factory, version, message):
    cluster = crdb_cluster_factory(size=1)
    with open(os.path.join(cluster.shared, "faults", "%s.json" % cluster.nodes[0].host), "w") as out:
        json.dump({"never_ready": True}, out)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    assert node.http("/health") == (200, "{\n\n}")
    assert node.http("/health?ready=1") == (503, '{\n  "error": "%s",\n  "code": 14,\n  "message": "%s",\n  '
                                                 '"details": [\n  ]\n}' % (message, message))
    try:
        connect(node, connect_timeout=2).close()
        raise AssertionError("a never-ready node accepted a SQL session")
    except psycopg.OperationalError as error:
        assert str(error) == "connection timeout expired"


def test_statement_round_trip_has_no_delayed_ack_stall(crdb_cluster_factory):
    """One write per response on a TCP_NODELAY socket: no 40 ms Nagle / delayed-ACK wait per statement."""
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, "v24.3.1", command="start-single-node")
    with connect(cluster.nodes[0]) as session:
        session.execute("CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)")
        started = time.monotonic()
        for key in range(40):
            session.execute("UPSERT INTO kv (k, v) VALUES (%s, %s)", (key, "v"))
            assert session.execute("SELECT v FROM kv WHERE k = %s", (key,)).fetchone() == ("v",)
        per_statement = (time.monotonic() - started) / 80
    assert per_statement < 0.02, per_statement


def test_health_clients_that_reset_leave_no_traceback(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=1)
    cluster.start(0, "v23.2.9", command="start-single-node")
    node = cluster.nodes[0]
    for _attempt in range(30):
        with socket.create_connection((node.host, node.http_port)) as sock:
            sock.sendall(b"GET /health?ready=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
    assert node.http("/health") == (200, "{\n\n}")
    cluster.stop(0)
    with open(node.dir + "/out.log") as out:
        text = out.read()
    assert "Traceback" not in text and "ConnectionResetError" not in text, text
