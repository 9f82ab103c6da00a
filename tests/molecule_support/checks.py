"""Assertions the molecule scenarios share (testinfra hosts, snapshots from hoststate, the run's JSON report).

Every check asserts behaviour and says what it observed when it fails; the ones that measure something (the
workload) also print it, so that the molecule log shows the numbers.
"""
import csv
import datetime
import glob
import io
import json
import os

from tests.molecule_support.hoststate import client_args

ROLLING_PHASES = ["safe_to_stop", "drain", "stop", "activate", "start", "ready", "catch_up", "verify"]
STANDALONE_PHASES = ["drain", "stop", "activate", "start", "ready", "catch_up", "verify"]
FULL_STOP_PHASES = ["stop", "activate", "start", "ready", "verify"]
DEFAULT_STORE_DEAD = "00:05:00"


def sql(host, hostvars, name, statement):
    """Rows (list of dicts) of one statement run with `cockroach sql --format=csv` on ``host`` against node ``name``."""
    out = host.run("%s sql --format=csv -e %s " + " ".join(["%s"] * len(client_args(hostvars, name))),
                   hostvars["distsql_binary"], statement, *client_args(hostvars, name))
    assert out.rc == 0, "cockroach sql -e %r on %s failed (rc %s): %s" % (statement, name, out.rc, out.stderr)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def node_status(host, hostvars, name):
    """`cockroach node status --all --format=csv` through node ``name``, as a list of dicts."""
    client = client_args(hostvars, name)
    out = host.run("%s node status --all --format=csv " + " ".join(["%s"] * len(client)), hostvars["distsql_binary"], *client)
    assert out.rc == 0, "cockroach node status through %s failed (rc %s): %s" % (name, out.rc, out.stderr)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def setting(host, hostvars, name, setting_name):
    """SHOW CLUSTER SETTING as the CLI prints it ('' for an empty value, which csv prints as an empty line)."""
    client = client_args(hostvars, name)
    statement = "SHOW CLUSTER SETTING %s" % setting_name
    out = host.run("%s sql --format=csv -e %s " + " ".join(["%s"] * len(client)), hostvars["distsql_binary"], statement, *client)
    assert out.rc == 0, "cockroach sql -e %r on %s failed (rc %s): %s" % (statement, name, out.rc, out.stderr)
    lines = out.stdout.split("\n")
    return next(csv.reader([lines[1]]), [""])[0] if len(lines) > 1 and lines[1] else ""


def build_tag(host, hostvars):
    """The tag the binary reports: `cockroach version --build-tag`, or the `KaiwuDB Version:` line of kwbase."""
    out = host.run("%s version --build-tag", hostvars["distsql_binary"])
    assert out.rc == 0, "%s version --build-tag failed: %s" % (hostvars["distsql_binary"], out.stderr)
    named = [line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if "Version:" in line]
    return named[0] if named else out.stdout.strip()


def assert_every_node_on(inventory, version):
    """The binary of every node reports ``version``, its unit is active, and the cluster sees every node live on it."""
    builds = {name: build_tag(inventory.host(name), inventory.hostvars[name]) for name in inventory.names}
    assert builds == {name: version for name in inventory.names}, "cockroach version --build-tag per node: %s" % builds
    for name in inventory.names:
        unit = inventory.host(name).service(inventory.hostvars[name]["distsql_service"])
        assert unit.is_running, "%s: unit %s is not active" % (name, inventory.hostvars[name]["distsql_service"])
    first = inventory.names[0]
    status = node_status(inventory.host(first), inventory.hostvars[first], first)
    seen = {node_name(inventory, row["address"]): (row["build"], row["is_live"]) for row in status}
    assert seen == {name: (version, "true") for name in inventory.names}, "node status (build, is_live): %s" % seen


def node_name(inventory, address):
    """The inventory name of the node at ``address`` (host:port; CockroachDB advertises names, KWDB addresses)."""
    host = address.rsplit(":", 1)[0]
    return next((name for name in inventory.names if host in (name, inventory.hostvars[name].get("ansible_host"))), host)


def assert_markers_readable(inventory, state_dir):
    """The rows written before the upgrade (prepare) read back unchanged through every node."""
    with open(os.path.join(state_dir, "markers.json"), encoding="utf-8") as source:
        markers = json.load(source)
    for name in inventory.names:
        for row in markers:
            found = sql(inventory.host(name), inventory.hostvars[name], name, "SELECT v FROM kv WHERE k = %d" % row["k"])
            assert found == [{"v": row["v"]}], "k=%d read through %s: %s, expected %r" % (row["k"], name, found, row["v"])


def assert_settings(inventory, expected):
    """Cluster settings as SHOW CLUSTER SETTING prints them (read through the first node)."""
    first = inventory.names[0]
    seen = {name: setting(inventory.host(first), inventory.hostvars[first], first, name) for name in expected}
    assert seen == expected, "cluster settings: %s, expected %s" % (seen, expected)


def reports(report_dir):
    """Every report the runs wrote, oldest first."""
    found = []
    for path in glob.glob(os.path.join(report_dir, "distsql-upgrade-*.json")):
        with open(path, encoding="utf-8") as source:
            report = json.load(source)
        report["_path"] = path
        found.append(report)
    return sorted(found, key=lambda report: (report.get("started_at") or "", report["_path"]))


def upgraded_entries(report, node):
    return [entry for entry in report["nodes"].get(node, []) if entry.get("outcome") in ("upgraded", "already_on_target")]


def assert_report_phases(report, nodes, hops, phases):
    """The report has, for every node and hop, an upgraded entry with every phase timed, in order."""
    assert report["outcome"] == "succeeded", "report %s: outcome %s: %s" % (report["_path"], report["outcome"], report["message"])
    for node in nodes:
        entries = [entry for entry in report["nodes"].get(node, []) if entry.get("outcome") == "upgraded"]
        assert [entry["to"] for entry in entries] == hops, "report %s, %s: upgraded entries %s, expected hops %s" % (
            report["_path"], node, [(entry["from"], entry["to"]) for entry in entries], hops)
        for entry in entries:
            names = [phase["phase"] for phase in entry["phases"]]
            assert names == phases, "report, %s %s -> %s: phases %s, expected %s" % (node, entry["from"], entry["to"], names, phases)
            for phase in entry["phases"]:
                assert phase.get("seconds") is not None and phase["seconds"] >= 0, "%s phase %s not timed: %s" % (node, phase["phase"], phase)


def ledger_open(report):
    return [entry for entry in report.get("ledger", []) if entry.get("reverted_at") is None]


def workload_summary(state_dir, show):
    """The workload's JSON summary, its counts printed."""
    path = os.path.join(state_dir, "workload.json")
    assert os.path.exists(path), "no workload summary %s: the converge did not stop the workload" % path
    with open(path, encoding="utf-8") as source:
        summary = json.load(source)
    show("workload through the lb: ok=%d errors=%d retries=%d p50_ms=%s p99_ms=%s max_gap_s=%s elapsed_s=%s error_classes=%s"
         % (summary["ok"], summary["errors"], summary["retries"], summary["p50_ms"], summary["p99_ms"],
            summary["max_gap_s"], summary["elapsed_s"], json.dumps(summary["error_classes"], sort_keys=True)))
    return summary


def assert_no_client_errors(state_dir, show):
    summary = workload_summary(state_dir, show)
    assert summary["ok"] > 0, "the workload did no operation: %s" % summary
    assert summary["errors"] == 0, "client errors during the upgrade: %d %s, samples %s" % (
        summary["errors"], summary["error_classes"], summary["error_samples"])


# -- snapshots (hoststate) ----------------------------------------------------------------------------------------


def builds_of(snapshot):
    return {name: node["build_tag"] for name, node in snapshot["nodes"].items()}


def settings_of(snapshot):
    assert snapshot.get("cluster"), "the snapshot could not read the cluster (no node was running)"
    return snapshot["cluster"]["settings"]


def cluster_view(snapshot):
    """{hostname: (build, is_live)} as node status showed it in the snapshot."""
    return {node["address"].split(":")[0]: (node["build"], node["is_live"]) for node in snapshot["cluster"]["nodes"]}


def started_at(snapshot, name):
    known_as = (name, snapshot["nodes"][name].get("ansible_host"))
    for node in snapshot["cluster"]["nodes"]:
        if node["address"] and node["address"].rsplit(":", 1)[0] in known_as:
            return node["started_at"]
    raise AssertionError("%s is not in node status of the snapshot: %s" % (name, snapshot["cluster"]["nodes"]))


def process_identity(snapshot, name):
    """What changes whenever the unit's process is restarted: its PID and systemd's monotonic start timestamps."""
    unit = snapshot["nodes"][name]["unit"]
    keys = ("MainPID", "ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic", "NRestarts", "ActiveState")
    return {key: unit.get(key) for key in keys}


def assert_not_restarted(earlier, later, name):
    """The node's process is the same one in both snapshots (same PID and start timestamps, same started_at)."""
    assert process_identity(earlier, name) == process_identity(later, name), "%s was restarted: unit %s -> %s" % (
        name, process_identity(earlier, name), process_identity(later, name))
    assert started_at(earlier, name) == started_at(later, name), "%s was restarted: node status started_at %s -> %s" % (
        name, started_at(earlier, name), started_at(later, name))


def tree_entries(snapshot, name, tree):
    return {item["path"]: item for item in snapshot["nodes"][name]["trees"].get(tree) or []}


def assert_certificates_unchanged(before, now):
    """Every certificate file keeps its mode, owner, group and content."""
    for name in before["nodes"]:
        was, is_now = tree_entries(before, name, "certs_dir"), tree_entries(now, name, "certs_dir")
        assert was, "%s: no certificates directory in the snapshot before the upgrade (is the cluster secure?)" % name
        assert was == is_now, "%s: certificates changed: %s" % (
            name, {path: (was.get(path), is_now.get(path)) for path in set(was) | set(is_now) if was.get(path) != is_now.get(path)})


def assert_store_kept(before, now):
    """The data directory the upgrade found is still there: no entry disappeared or changed type, mode or owner
    (files may grow: the node writes while it runs)."""
    for name in before["nodes"]:
        keys = ("type", "mode", "owner", "group")
        was = {path: tuple(item[key] for key in keys) for path, item in tree_entries(before, name, "data_dir").items()}
        is_now = {path: tuple(item[key] for key in keys) for path, item in tree_entries(now, name, "data_dir").items()}
        changed = {path: (entry, is_now.get(path)) for path, entry in was.items() if is_now.get(path) != entry}
        assert not changed, "%s: data directory entries changed or gone (before, now): %s" % (name, changed)


# -- reports ------------------------------------------------------------------------------------------------------


def node_entries(report, name, outcome=None):
    return [entry for entry in report["nodes"].get(name, []) if outcome is None or entry.get("outcome") == outcome]


def default_settings(version):
    """The settings of a finalized cluster that nothing of a run is left on."""
    return {"version": version, "cluster.auto_upgrade.enabled": "true", "cluster.preserve_downgrade_option": "",
            "server.time_until_store_dead": DEFAULT_STORE_DEAD}


def held_settings(version):
    """A major upgrade whose finalization is held (23.2 and later: cluster.auto_upgrade.enabled = false)."""
    return {"version": version, "cluster.auto_upgrade.enabled": "false", "cluster.preserve_downgrade_option": "",
            "server.time_until_store_dead": DEFAULT_STORE_DEAD}


# -- KWDB ---------------------------------------------------------------------------------------------------------

KWDB_ENV_FILE = "/etc/kaiwudb/script/kaiwudb_env"
UPGRADE_COMPLETE = "--upgrade-complete"


def assert_kwdb_left_clean(inventory):
    """No node is marked UPGRADING (every node live and available) and --upgrade-complete is in no kaiwudb_env."""
    first = inventory.names[0]
    status = node_status(inventory.host(first), inventory.hostvars[first], first)
    seen = {node_name(inventory, row["address"]): (row["is_live"], row["is_available"]) for row in status}
    assert seen == {name: ("true", "true") for name in inventory.names}, "node status (is_live, is_available): %s" % seen
    for name in inventory.names:
        env = inventory.host(name).file(KWDB_ENV_FILE).content_string
        assert UPGRADE_COMPLETE not in env, "%s: %s still has %s: %r" % (name, KWDB_ENV_FILE, UPGRADE_COMPLETE, env)


def outage_seconds(report, show, first="stop", last="ready"):
    """The offline window of a full-stop or standalone run: from the first node's `first` phase starting to the last
    node's `last` phase ending, printed."""
    phases = [phase for entries in report["nodes"].values() for entry in entries if entry.get("outcome") == "upgraded"
              for phase in entry["phases"]]
    starts = [phase["started_at"] for phase in phases if phase["phase"] == first]
    ends = [phase["ended_at"] for phase in phases if phase["phase"] == last]
    assert starts and ends, "no %s or %s phase in the report: %s" % (first, last, [phase["phase"] for phase in phases])
    seconds = (datetime.datetime.fromisoformat(max(ends)) - datetime.datetime.fromisoformat(min(starts))).total_seconds()
    show("outage window (first %s to last %s): %.1f s" % (first, last, seconds))
    return seconds
