"""The surfaces the CockroachDB upgrade flows call, on loopback clusters of the simulated binaries, compared with
flow-surfaces-cockroachdb.md (FS): SHOW JOBS, critical nodes, node drain --drain-wait, the finalization errors,
BACKUP / SHOW BACKUPS, version-limited faults and jobs added from the controller."""
import csv
import http.client
import io
import json
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from conftest import wait_until

from tests.testbed import jobs as lab_jobs
from tests.testbed.faults import effective_faults, set_fault

COLUMNS_23 = ("job_id,job_type,description,statement,user_name,status,running_status,created,started,finished,"
              "modified,fraction_completed,error,coordinator_id,trace_id,last_run,next_run,num_runs,execution_errors")
COLUMNS_24 = ("job_id,job_type,description,user_name,status,running_status,created,started,finished,modified,"
              "fraction_completed,error,coordinator_id")
TS_23_1 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d*[1-9])?"
TS_23_2 = TS_23_1 + r"\+00"
TS_24 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00"
HEALTHY_CRITICAL_NODES = """{
  "criticalNodes": [
  ],
  "report": {
    "underReplicated": [
    ],
    "overReplicated": [
    ],
    "violatingConstraints": [
    ],
    "unavailable": [
    ],
    "unavailableNodeIds": [
    ]
  }
}"""
HINT = ("HINT: check the binary versions of all running SQL server instances to ensure that they are compatible "
        "with the attempted upgrade version\n")


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))


def sql(cluster, version, statement, node=0):
    return cluster.sql(version, statement, node=node, fmt="csv")


def single_node(factory, version, **config):
    cluster = factory(size=1, **config)
    cluster.start(0, version, command="start-single-node")
    return cluster


def upgrade_single_node(cluster, old, new):
    cluster.stop(0)
    cluster.start(0, new, command="start-single-node")
    wait_until(lambda: sql(cluster, new, "SHOW CLUSTER SETTING version").stdout == "version\n%s\n" % new[1:5],
               what="finalization to %s" % new)


def node_ids(cluster, version):
    """{address: node id}: nodes that start together get their ids in the order they join."""
    status = cluster.cli(version, "node", "status", "--format=csv", "--insecure", "--host=" + cluster.nodes[0].addr)
    return {row[1]: int(row[0]) for row in csv_rows(status.stdout)[1:]}


def post(node, path, data=b""):
    request = urllib.request.Request("http://%s:%d%s" % (node.host, node.http_port, path), data=data, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.headers.get("Content-Type"), response.read().decode()


# ---------------------------------------------------------------- SHOW JOBS (FS section 2)

@pytest.mark.parametrize("old, new, header, timestamp, step", [
    ("v23.1.8", "v23.2.9", COLUMNS_23, TS_23_2, r"23\.1-\d+"),
    ("v23.2.9", "v24.1.3", COLUMNS_24, TS_24, r"23\.2-upgrading-to-24\.1-step-0\d\d"),
    ("v25.2.0", "v25.3.0", COLUMNS_24.replace("created,started,", "created,"), TS_24,
     r"25\.2-upgrading-to-25\.3-step-0\d\d"),
], ids=["23.1-to-23.2", "23.2-to-24.1", "25.2-to-25.3"])
def test_show_jobs_columns_timestamps_and_migration_jobs_per_version(crdb_cluster_factory, old, new, header,
                                                                     timestamp, step):
    cluster = single_node(crdb_cluster_factory, old)
    upgrade_single_node(cluster, old, new)
    shown = sql(cluster, new, "SHOW JOBS")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == header
    names = header.split(",")
    rows = [dict(zip(names, row)) for row in csv_rows(shown.stdout)[1:]]
    assert [row["job_type"] for row in rows] == ["MIGRATION"] * 3  # automatic jobs are not listed
    for row in rows:
        assert re.fullmatch(r"\d{18,19}", row["job_id"])
        assert row["description"].startswith("Upgrade to ") and re.match(r"Upgrade to %s: \"" % step, row["description"])
        assert (row["user_name"], row["status"], row["running_status"], row["fraction_completed"], row["error"],
                row["coordinator_id"]) == ("node", "succeeded", "NULL", "1", "", "NULL")
        for column in ("created", "finished", "modified") + (("started",) if "started" in names else ()):
            assert re.fullmatch(timestamp, row[column]), (column, row[column])
    if names == COLUMNS_23.split(","):
        assert (rows[0]["statement"], rows[0]["trace_id"], rows[0]["num_runs"], rows[0]["execution_errors"]) == \
            ("", "0", "1", "{}")
    finished = [row["finished"] for row in rows]
    assert finished == sorted(finished, reverse=True)  # ORDER BY COALESCE(finished, now()) DESC
    # SHOW JOB <id> has the full description (the list form shortens those over 70 characters from 24.1)
    job = csv_rows(sql(cluster, new, "SHOW JOB %s" % rows[-1]["job_id"]).stdout)
    full = dict(zip(job[0], job[1]))["description"]
    assert re.fullmatch(r"Upgrade to %s: \"[a-z][^\"]+\"" % step, full)
    if names != COLUMNS_23.split(","):
        assert job[0][3] == "statement" and "trace_id" in job[0] and len(job[0]) == len(names) + 3
        assert rows[-1]["description"] == full[:59] + " \u2026 " + full[-7:]
    automatic = csv_rows(sql(cluster, new, "SHOW AUTOMATIC JOBS").stdout)
    assert [(row[1], row[2]) for row in automatic[1:]] == [
        ("AUTO SPAN CONFIG RECONCILIATION", "reconciling span configurations"),
        ("AUTO SQL STATS COMPACTION", "automatic SQL Stats compaction")]


def test_show_jobs_on_23_1_uses_timestamp_without_zone(crdb_cluster_factory):
    cluster = single_node(crdb_cluster_factory, "v23.1.8")
    text = sql(cluster, "v23.1.8", "SHOW AUTOMATIC JOBS").stdout
    assert text.splitlines()[0] == COLUMNS_23
    row = dict(zip(COLUMNS_23.split(","), csv_rows(text)[1]))
    assert re.fullmatch(TS_23_1, row["created"]) and not row["created"].endswith("+00")


def test_jobs_added_from_the_controller_and_by_create_index(crdb_cluster_factory):
    version = "v24.1.3"
    cluster = single_node(crdb_cluster_factory, version, schema_change_seconds=1.5)

    class Stub:  # what tests/testbed/jobs.py uses of a lab Cluster
        name, shared_dir = "loopback", cluster.shared

    job = lab_jobs.add_job(Stub, "NEW SCHEMA CHANGE", description='ALTER TABLE kv ADD COLUMN "x" INT8')
    rows = csv_rows(sql(cluster, version, "SHOW JOBS").stdout)
    assert rows[1][:5] == [str(job["job_id"]), "NEW SCHEMA CHANGE", 'ALTER TABLE kv ADD COLUMN "x" INT8', "root",
                           "running"]
    assert sql(cluster, version, "SHOW JOBS").stdout.splitlines()[1].startswith(
        '%d,NEW SCHEMA CHANGE,"ALTER TABLE kv ADD COLUMN ""x"" INT8",root,running,NULL,' % job["job_id"])
    assert lab_jobs.clear_added(Stub) == [job["job_id"]]
    assert csv_rows(sql(cluster, version, "SHOW JOBS").stdout)[1:] == []
    with pytest.raises(Exception) as refused:
        lab_jobs.add_job(Stub, "SCHEMA_CHANGE")
    assert str(refused.value).startswith("unknown job type 'SCHEMA_CHANGE' (known: BACKUP, RESTORE, SCHEMA CHANGE,")

    assert sql(cluster, version, "CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)").returncode == 0
    started = time.monotonic()
    index = subprocess.Popen([cluster.binaries[version], "sql", "--insecure", "--host=" + cluster.nodes[0].addr,
                              "-e", "CREATE INDEX ON kv (v)"], stdout=subprocess.PIPE, text=True, env=cluster.env)
    running = wait_until(lambda: [row for row in csv_rows(sql(cluster, version, "SHOW JOBS").stdout)[1:]
                                  if row[4] == "running"], what="the schema change job")
    assert running[0][1:4] == ["NEW SCHEMA CHANGE", "CREATE INDEX kv_v_idx ON defaultdb.public.kv (v)", "root"]
    assert index.communicate(timeout=10)[0] == "CREATE INDEX\n"
    assert time.monotonic() - started >= 1.4  # the statement returns once its job has succeeded
    assert csv_rows(sql(cluster, version, "SHOW JOBS").stdout)[1][4] == "succeeded"


# ---------------------------------------------------------------- critical nodes (FS section 1)

def https(node, certs, path, method="POST", cookie=None):
    """(status, Content-Type, body) of a request over TLS, verified against the cluster's CA."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
    request = urllib.request.Request("https://%s:%d%s" % (node.host, node.http_port, path), method=method,
                                     data=b"{}" if method == "POST" else None,
                                     headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, response.headers.get("Content-Type"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read().decode()


def plain(node, path, method="GET"):
    """(status, Location, body) of a plain HTTP request, redirects not followed."""
    connection = http.client.HTTPConnection(node.host, node.http_port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        connection.close()


def test_secure_node_serves_tls_redirects_plain_http_and_asks_a_session_for_the_status_api(crdb_cluster_factory):
    version = "v24.1.3"
    cluster = crdb_cluster_factory(size=1)
    certs = cluster.secure(version)
    cluster.start(0, version, command="start-single-node")
    node = cluster.nodes[0]
    wait_until(lambda: plain(node, "/health?ready=1")[0] == 200, what="the node to be ready")
    where = "%s:%d" % (node.host, node.http_port)

    # plain HTTP on the secure port: /health answered, anything else sent to https (server_http.go)
    assert plain(node, "/health") == (200, None, "{\n\n}")
    assert plain(node, "/_status/vars") == (307, "https://%s/_status/vars" % where,
                                            '<a href="https://%s/_status/vars">Temporary Redirect</a>.\n\n' % where)
    assert plain(node, "/_status/critical_nodes", "POST") == (307, "https://%s/_status/critical_nodes" % where, "")

    # over TLS: health and metrics need no session, the status API does
    assert https(node, certs, "/health", "GET") == (200, "application/json", "{\n\n}")
    assert https(node, certs, "/_status/vars", "GET")[0] == 200
    refused = (401, "text/plain; charset=utf-8", "a valid authentication cookie is required\n")
    assert https(node, certs, "/_status/critical_nodes") == refused
    assert https(node, certs, "/_status/critical_nodes", cookie="session=CAESAA==") == refused

    login = cluster.cli(version, "auth-session", "login", "root", "--only-cookie", "--expire-after=2s",
                        "--certs-dir=" + certs, "--host=" + node.addr)
    assert login.returncode == 0, login.stderr
    cookie = login.stdout.rstrip("\n")
    assert re.fullmatch(r"session=[A-Za-z0-9+/]+=*; Path=/; HttpOnly", cookie) and login.stdout.count("\n") == 1
    status, content_type, body = https(node, certs, "/_status/critical_nodes", cookie=cookie.split(";")[0])
    assert (status, content_type) == (200, "application/json") and json.loads(body)["criticalNodes"]
    wait_until(lambda: https(node, certs, "/_status/critical_nodes", cookie=cookie) == refused, timeout=5,
               what="the 2s session to expire")

    table = cluster.cli(version, "auth-session", "login", "ROOT", "--format=csv", "--certs-dir=" + certs,
                        "--host=" + node.addr)
    header, row = table.stdout.splitlines()
    assert header == "username,session ID,authentication cookie"
    assert re.fullmatch(r"root,\d{18,19},session=[A-Za-z0-9+/]+=*; Path=/; HttpOnly", row), row
    unknown = cluster.cli(version, "auth-session", "login", "bob", "--certs-dir=" + certs, "--host=" + node.addr)
    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (
        1, "", 'ERROR: user "bob" does not exist\nFailed running "auth-session login"\n')


def test_critical_nodes_exact_json_and_get_is_refused(crdb_cluster_factory):
    version = "v24.1.3"
    cluster = crdb_cluster_factory(catchup_seconds=0.5)
    cluster.start_all(version)
    node = cluster.nodes[0]
    wait_until(lambda: post(node, "/_status/critical_nodes")[2] == HEALTHY_CRITICAL_NODES, what="a healthy report")
    status, content_type, _body = post(node, "/_status/critical_nodes")
    assert (status, content_type) == (200, "application/json")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen("http://%s:%d/_status/critical_nodes" % (node.host, node.http_port), timeout=5)
    assert (refused.value.code, refused.value.read()) == (405, b"")

    ids = node_ids(cluster, version)
    stopped = ids[cluster.nodes[2].addr]
    cluster.stop(2)

    def dead_node_reported():
        text = post(node, "/_status/critical_nodes")[2]
        return '"unavailableNodeIds": [\n      %d\n    ]' % stopped in text and text
    body = wait_until(dead_node_reported, what="node 3 to go dead")
    report = json.loads(body)
    critical = report["criticalNodes"]
    assert [entry["nodeId"] for entry in critical] == sorted({1, 2, 3} - {stopped})
    assert critical[0]["nodeId"] == ids[node.addr] == 1  # node1 got id 1 from init
    assert list(critical[0]) == ["nodeId", "address", "attrs", "locality", "ServerVersion", "buildTag", "startedAt",
                                 "localityAddress", "clusterName", "sqlAddress", "httpAddress"]
    assert critical[0]["ServerVersion"] == {"majorVal": 24, "minorVal": 1, "patch": 0, "internal": 0}
    assert critical[0]["address"] == {"networkField": "tcp", "addressField": node.addr}
    assert critical[0]["httpAddress"]["addressField"] == "%s:%d" % (node.host, node.http_port)
    assert re.fullmatch(r"\d{19}", critical[0]["startedAt"]) and critical[0]["buildTag"] == version
    assert '      "attrs": {\n        "attrs": [\n        ]\n      },\n' in body  # empty lists as [ newline ]
    under = report["report"]["underReplicated"]
    assert len(under) == 30 and report["report"]["unavailable"] == []
    first = under[0]
    assert list(first) == ["rangeDescriptor", "config"]
    assert list(first["rangeDescriptor"]) == ["rangeId", "startKey", "endKey", "internalReplicas", "nextReplicaId",
                                              "generation", "stickyBit"]
    assert first["rangeDescriptor"]["rangeId"] == "1" and isinstance(first["rangeDescriptor"]["nextReplicaId"], int)
    assert first["rangeDescriptor"]["internalReplicas"][0] == {"nodeId": 1, "storeId": 1, "replicaId": 1, "type": 0}
    assert first["config"]["rangeMinBytes"] == "134217728" and first["config"]["numReplicas"] == 3
    assert first["config"]["gcPolicy"] == {"ttlSeconds": 14400, "protectionPolicies": [],
                                           "ignoreStrictEnforcement": False}
    assert not body.endswith("\n")


# ---------------------------------------------------------------- node drain --drain-wait (FS section 7)

def drain(cluster, version, *flags):
    return cluster.cli(version, "node", "drain", "--self", "--insecure", "--host=" + cluster.nodes[0].addr, *flags,
                       timeout=60)


def test_drain_wait_is_raised_to_the_settings_then_times_out_and_a_rerun_finishes(crdb_cluster_factory):
    version = "v23.2.9"
    cluster = single_node(crdb_cluster_factory, version)
    for name, value in (("server.shutdown.query_wait", "0s"), ("server.shutdown.lease_transfer_wait", "500ms")):
        assert sql(cluster, version, "SET CLUSTER SETTING %s = '%s'" % (name, value)).returncode == 0
    with open(os.path.join(cluster.shared, "faults", "%s.json" % cluster.nodes[0].host), "w") as out:
        json.dump({"versions": {version: {"slow_drain_seconds": 12}}}, out)  # read when the drain starts
    started = time.monotonic()
    timed_out = drain(cluster, version, "--drain-wait=1s")
    elapsed = time.monotonic() - started
    assert (timed_out.returncode, timed_out.stdout) == (1, "")
    lines = timed_out.stderr.splitlines(True)
    assert lines[0] == ("warning: --drain-wait is 1s, but the server.shutdown.{drain,query,connection,lease_transfer}"
                        "_wait cluster settings require a value of at least 10.5s; using the larger value\n")
    assert lines[-3:] == ["node is draining... \n",
                          "ERROR: drain timeout, consider adjusting --drain-wait, especially under custom "
                          "server.shutdown cluster settings\n",
                          'Failed running "node drain"\n']
    assert all(line == "node is draining... remaining: 30\n" for line in lines[1:-3]) and len(lines) > 4
    assert 10.4 <= elapsed < 12, elapsed
    assert cluster.nodes[0].http("/health?ready=1")[0] == 503  # the drain went on in the server

    rerun = drain(cluster, version, "--drain-wait=0")  # 0: no client timeout, no settings check
    assert (rerun.returncode, rerun.stdout) == (0, "ok\n")
    assert rerun.stderr.endswith("node is draining... remaining: 30\nnode is draining... remaining: 0 (complete)\n")
    assert time.monotonic() - started < 14
    again = drain(cluster, version)
    assert (again.returncode, again.stdout, again.stderr) == (0, "ok\n", "node is draining... remaining: 0 (complete)\n")


def test_drain_wait_warning_names_jobs_wait_from_24_1(crdb_cluster_factory):
    version = "v24.2.1"
    cluster = single_node(crdb_cluster_factory, version)
    result = drain(cluster, version, "--drain-wait=5s")
    assert (result.returncode, result.stdout) == (0, "drain ok\n")
    assert result.stderr.startswith(
        "warning: --drain-wait is 5s, but the server.shutdown.{drain,query,jobs,connection,lease_transfer}_wait "
        "cluster settings require a value of at least 45s; using the larger value\nnode is draining... ")
    assert drain(cluster, version, "--drain-wait=1m").stderr.startswith("node is draining... ")  # 1m > 45s: no warning


# ---------------------------------------------------------------- cluster settings and finalization (FS section 3)

def test_cluster_setting_surfaces(crdb_cluster_factory):
    cluster = single_node(crdb_cluster_factory, "v23.1.8")
    unknown = sql(cluster, "v23.1.8", "SHOW CLUSTER SETTING cluster.auto_upgrade.enabled")
    assert (unknown.returncode, unknown.stderr) == (1, "ERROR: unknown cluster setting 'cluster.auto_upgrade.enabled'\n"
                                                       "SQLSTATE: 42704\nFailed running \"sql\"\n")
    assert sql(cluster, "v23.1.8", "SHOW CLUSTER SETTING cluster.preserve_downgrade_option").stdout == \
        "cluster.preserve_downgrade_option\n\n"
    assert sql(cluster, "v23.1.8", "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'").stdout == \
        "SET CLUSTER SETTING\n"
    assert sql(cluster, "v23.1.8", "RESET CLUSTER SETTING cluster.preserve_downgrade_option").stdout == \
        "SET CLUSTER SETTING\n"
    assert sql(cluster, "v23.1.8", "SHOW CLUSTER SETTING cluster.preserve_downgrade_option").stdout == \
        "cluster.preserve_downgrade_option\n\n"
    verbose = cluster.cli("v23.1.8", "sql", "--insecure", "--host=" + cluster.nodes[0].addr, "--verbose", "-e",
                          "SET CLUSTER SETTING cluster.preserve_downgrade_option = '22.2'")
    assert verbose.stderr == ("ERROR: cannot set cluster.preserve_downgrade_option to 22.2 (cluster version is 23.1)\n"
                              "SQLSTATE: XXUUU\nFailed running \"sql\"\n")


def error(result):
    assert result.returncode == 1, result.stdout
    return result.stderr


def test_manual_finalization_errors_and_success(crdb_cluster_factory):
    old, new = "v23.2.9", "v24.1.3"
    cluster = crdb_cluster_factory(finalize_delay=1.2)
    cluster.start_all(old)
    assert sql(cluster, old, "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false").returncode == 0
    for index in (0, 1):
        cluster.stop(index)
        cluster.start(index, new)
    wait_until(lambda: cluster.all_live(new), what="nodes 1 and 2 on %s" % new)
    lagging = error(sql(cluster, new, "SET CLUSTER SETTING version = '24.1'"))
    assert lagging == ("ERROR: error validating the version of one or more SQL server instances: binary version 23.2 "
                       "less than target cluster version 24.1\n" + HINT + 'Failed running "sql"\n')
    assert error(sql(cluster, old, "SET CLUSTER SETTING version = '24.1'", node=2)) == \
        'ERROR: cannot upgrade to 24.1: node running 23.2\nFailed running "sql"\n'
    assert error(sql(cluster, new, "SET CLUSTER SETTING version = '23.1'")) == \
        'ERROR: versions cannot be downgraded (attempting to downgrade from 23.2 to 23.1)\nFailed running "sql"\n'
    ids = node_ids(cluster, new)
    cluster.stop(2)
    wait_until(lambda: "unavailable" in sql(cluster, new, "SET CLUSTER SETTING version = '24.1'").stderr,
               what="node 3 to be unavailable")
    assert sql(cluster, new, "SET CLUSTER SETTING version = '24.1'").stderr == \
        'ERROR: n%s required, but unavailable\nFailed running "sql"\n' % ids[cluster.nodes[2].addr]
    cluster.start(2, new)
    wait_until(lambda: cluster.all_live(new), what="all nodes on %s" % new)
    assert sql(cluster, new, "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'").returncode == 0
    assert error(sql(cluster, new, "SET CLUSTER SETTING version = '24.1'")) == \
        ('ERROR: cannot upgrade to 24.1: cluster.preserve_downgrade_option is set to 23.2\nFailed running "sql"\n')
    assert sql(cluster, new, "RESET CLUSTER SETTING cluster.preserve_downgrade_option").returncode == 0
    assert csv_rows(sql(cluster, new, "SHOW JOBS").stdout)[1:] == []  # no job for a refused finalization

    finalizing = subprocess.Popen([cluster.binaries[new], "sql", "--insecure", "--host=" + cluster.nodes[0].addr,
                                   "--format=csv", "-e", "SET CLUSTER SETTING version = '24.1'"],
                                  stdout=subprocess.PIPE, text=True, env=cluster.env)
    seen = set()
    while finalizing.poll() is None:
        seen.add(sql(cluster, new, "SHOW CLUSTER SETTING version", node=1).stdout.splitlines()[1])
        time.sleep(0.05)
    assert finalizing.communicate()[0] == "SET CLUSTER SETTING\n"  # returns once finalized
    assert any(re.fullmatch(r"23\.2-upgrading-to-24\.1-step-0\d\d", text) for text in seen), seen
    assert sql(cluster, new, "SHOW CLUSTER SETTING version").stdout == "version\n24.1\n"
    assert sql(cluster, new, "SELECT crdb_internal.node_executable_version()").stdout == \
        "crdb_internal.node_executable_version\n24.1\n"
    migrations = csv_rows(sql(cluster, new, "SHOW JOBS").stdout)[1:]
    assert [(row[1], row[3], row[4]) for row in migrations] == [("MIGRATION", "root", "succeeded")] * 3


def test_lagging_node_error_is_plain_before_24_1(crdb_cluster_factory):
    cluster = crdb_cluster_factory(size=2)
    cluster.start_all("v23.1.8")
    cluster.stop(0)
    cluster.start(0, "v23.2.9")
    wait_until(lambda: cluster.all_live("v23.2.9"), what="node 1 on v23.2.9")
    assert error(sql(cluster, "v23.2.9", "SET CLUSTER SETTING version = '23.2'")) == \
        'ERROR: binary version 23.1 less than target cluster version 23.2\nFailed running "sql"\n'


# ---------------------------------------------------------------- BACKUP / SHOW BACKUPS (FS section 6)

def test_backup_into_nodelocal_and_show_backups(crdb_cluster_factory):
    version = "v24.1.3"
    cluster = single_node(crdb_cluster_factory, version)
    for statement in ["CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)"] + [
            "UPSERT INTO kv (k, v) VALUES (%d, 'value-%d')" % (key, key) for key in range(3)]:
        assert sql(cluster, version, statement).returncode == 0
    blocking = sql(cluster, version, "BACKUP INTO 'nodelocal://1/backups'").stdout.splitlines()
    assert blocking[0] == "job_id,status,fraction_completed,rows,index_entries,bytes"
    assert re.fullmatch(r"\d{19},succeeded,1,3,0,\d+", blocking[1])
    detached = sql(cluster, version, "BACKUP INTO 'nodelocal://1/backups' WITH detached").stdout.splitlines()
    assert detached[0] == "job_id" and re.fullmatch(r"\d{19}", detached[1])
    table = cluster.sql(version, "SHOW BACKUPS IN 'nodelocal://1/backups'", fmt="table").stdout.splitlines()
    assert table[0].strip() == "path" and table[-1] == "(2 rows)"
    paths = [line.strip() for line in table[2:-1]]
    assert all(re.fullmatch(r"/\d{4}/\d\d/\d\d-\d{6}\.\d\d", path) for path in paths) and paths == sorted(paths)
    with open(os.path.join(cluster.shared, "nodelocal", "1", "backups", paths[0].lstrip("/"), "kv.json")) as copy:
        assert json.load(copy)["rows"] == {"0": "value-0", "1": "value-1", "2": "value-2"}
    jobs = csv_rows(sql(cluster, version, "SHOW JOBS").stdout)[1:]
    by_id = {row[0]: row for row in jobs}
    assert by_id[blocking[1].split(",")[0]][1:5] == ["BACKUP", "BACKUP INTO '%s' IN 'nodelocal://1/backups'" % paths[0],
                                                     "root", "succeeded"]
    complete = csv_rows(sql(cluster, version, "SHOW JOB WHEN COMPLETE %s" % detached[1]).stdout)
    job = dict(zip(*complete))
    assert (job["job_type"], job["status"], job["fraction_completed"]) == ("BACKUP", "succeeded", "1")
    assert job["description"] == "BACKUP INTO '%s' IN 'nodelocal://1/backups' WITH OPTIONS (detached)" % paths[1]


# ---------------------------------------------------------------- faults limited to a version

def test_version_limited_fault_crashes_only_that_build(crdb_cluster_factory):
    cluster = single_node(crdb_cluster_factory, "v23.2.9")

    class Stub:
        shared_dir = cluster.shared

        @staticmethod
        def host(hostname):
            return hostname

    host = cluster.nodes[0].host
    document = set_fault(Stub, host, version="v24.1.3", crash_on_start=True)
    assert document == {"versions": {"v24.1.3": {"crash_on_start": True}}}
    assert effective_faults(document, "v23.2.9") == {} and effective_faults(document, "v24.1.3") == \
        {"crash_on_start": True}
    cluster.stop(0)
    crashed = cluster.start(0, "v24.1.3", command="start-single-node", wait=False)
    assert crashed.wait(10) == 2
    with open(os.path.join(cluster.nodes[0].dir, "out.log")) as log:
        assert "panic: testbed fault crash_on_start for %s\n" % host in log.read()
    cluster.start(0, "v23.2.9", command="start-single-node")  # the restored old build starts for real
    assert sql(cluster, "v23.2.9", "SELECT 1").stdout == "?column?\n1\n"


# ---------------------------------------------------------------- debug zip (FS section 5)

def test_debug_zip_progress_lines_per_version_and_mode(crdb_cluster_factory, tmp_path):
    cluster = single_node(crdb_cluster_factory, "v24.3.1")
    host = "--host=" + cluster.nodes[0].addr

    def zip_lines(version, *flags, out="debug.zip"):
        result = cluster.cli(version, "debug", "zip", str(tmp_path / out), "--insecure", host, *flags)
        assert (result.returncode, result.stderr) == (0, "")
        lines = result.stdout.splitlines()
        assert all(re.match(r"^\[(cluster|node \d+)\] ", line) for line in lines), lines
        return lines

    flowing = zip_lines("v24.3.1", "--concurrency=1")
    assert flowing[:4] == ["[cluster] discovering virtual clusters... done",
                           "[cluster] creating output file %s... done" % (tmp_path / "debug.zip"),
                           "[cluster] establishing RPC connection to %s..." % cluster.nodes[0].addr,
                           "[cluster] using SQL address: %s" % cluster.nodes[0].addr]
    for line in ("[cluster] requesting data for debug/events... received response... writing JSON output: "
                 "debug/events.json... done",
                 "[cluster] retrieving SQL data for system.jobs... writing output: debug/system.jobs.txt... done",
                 "[cluster] requesting nodes... received response... writing JSON output: debug/nodes.json... done",
                 "[node 1] node status... writing JSON output: debug/nodes/1/status.json... done",
                 "[node 1] requesting heap file list... received response... done",
                 "[node 1] writing ranges... writing JSON output: debug/nodes/1/ranges.json... done"):
        assert line in flowing
    assert flowing[-1] == ("[cluster] tenant hot range summary script... writing binary output: "
                           "debug/hot-ranges-tenant.sh... done")
    names = zipfile.ZipFile(str(tmp_path / "debug.zip")).namelist()
    assert {"debug/nodes.json", "debug/liveness.json", "debug/nodes/1/status.json", "debug/nodes/1/ranges.json",
            "debug/crdb_internal.jobs.txt", "debug/hot-ranges.sh"} <= set(names)

    events = zip_lines("v24.3.1")  # default --concurrency: one line per event
    assert events[:4] == ["[cluster] discovering virtual clusters...", "[cluster] discovering virtual clusters: done",
                          "[cluster] creating output file %s..." % (tmp_path / "debug.zip"),
                          "[cluster] creating output file %s: done" % (tmp_path / "debug.zip")]
    assert ["[cluster] requesting nodes...", "[cluster] requesting nodes: received response...",
            "[cluster] requesting nodes: writing JSON output: debug/nodes.json...",
            "[cluster] requesting nodes: done"] == events[events.index("[cluster] requesting nodes..."):][:4]

    legacy = zip_lines("v23.1.8", "--concurrency=1", out="old.zip")
    assert legacy[:2] == ["[cluster] establishing RPC connection to %s..." % cluster.nodes[0].addr,
                          "[cluster] retrieving the node status to get the SQL address... done"]
    assert not any("virtual clusters" in line for line in legacy)
    assert ("[cluster] requesting nodes... received response... converting to JSON... writing binary output: "
            "debug/nodes.json... done") in legacy
    assert "[node 1] 30 ranges found" in legacy
    assert ("[node 1] writing range 1... converting to JSON... writing binary output: debug/nodes/1/ranges/1.json... "
            "done") in legacy

    failed = cluster.cli("v24.3.1", "debug", "zip", "/nonexistent/x.zip", "--insecure", host)
    assert (failed.returncode, failed.stderr) == (
        1, 'ERROR: open /nonexistent/x.zip: no such file or directory\nFailed running "debug zip"\n')
