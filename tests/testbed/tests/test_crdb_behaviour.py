"""Cluster behaviour of the simulated CockroachDB/KWDB: liveness, replication, versions, drain."""
import time

import psycopg

from conftest import wait_until

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
    assert wrong.stderr == ("ERROR: cannot set cluster.preserve_downgrade_option to 24.1 (cluster version is 23.2)\n"
                            "SQLSTATE: XXUUU\nFailed running \"sql\"\n")
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
