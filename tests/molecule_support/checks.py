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

from tests.molecule_support import hoststate
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
    """What changes whenever the unit's process is restarted: its PID and systemd's monotonic start timestamps
    (Databend: per component, {"meta": {...}, "query": {...}})."""
    node = snapshot["nodes"][name]
    keys = ("MainPID", "ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic", "NRestarts", "ActiveState")
    if node.get("engine") == "databend":
        return {component: {key: unit.get(key) for key in keys} for component, unit in sorted(node["unit"].items())}
    unit = node["unit"]
    return {key: unit.get(key) for key in keys}


def assert_not_restarted(earlier, later, name):
    """The node's process is the same one in both snapshots (same PID and start timestamps, same started_at; for
    Databend every component's unit, and a query node's id in /v1/cluster/list, new on every start)."""
    assert process_identity(earlier, name) == process_identity(later, name), "%s was restarted: unit %s -> %s" % (
        name, process_identity(earlier, name), process_identity(later, name))
    if earlier["nodes"][name].get("engine") == "databend":
        if "query" in earlier["nodes"][name]["components"]:
            was, now = query_node_id(earlier, name), query_node_id(later, name)
            assert was is not None and was == now, "%s was restarted: its databend-query id in /v1/cluster/list %s -> %s" % (
                name, was, now)
        return
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


# -- Databend -----------------------------------------------------------------------------------------------------

DATABEND_MARKER_TABLE = "distsql_markers"  # prepare.yml writes the rows of markers.json into it
DATABEND_AUTH = "Basic cm9vdDo="  # root with no password, the packaged query config's default user


def databend_versions(snapshot):
    """{host: {component: version}}: what `databend-meta --cmd ver` / `databend-query --cmd ver` printed per host."""
    return {name: dict(node["build_tag"]) for name, node in snapshot["nodes"].items()}


def query_node_id(snapshot, name):
    """The id query host ``name`` was registered under in the snapshot (new on every start), or None."""
    return ((snapshot.get("cluster") or {}).get("query_ids") or {}).get(name)


def databend_ver(host, binary):
    """The `version:` line of `<binary> --cmd ver` on ``host``."""
    out = host.run("%s --cmd ver", binary)
    assert out.rc == 0, "%s --cmd ver failed (rc %s): %s" % (binary, out.rc, out.stderr)
    found = [line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if line.startswith("version:")]
    assert found, "%s --cmd ver printed no version: line: %r" % (binary, out.stdout)
    return found[0]


def listed_host(inventory, node):
    """The inventory name of a node of /v1/cluster/list (by its http_address, else its flight_address)."""
    for key in ("http_address", "flight_address"):
        address = (node.get(key) or "").rsplit(":", 1)[0]
        for name in inventory.query_names:
            if address in (name, inventory.address(name)):
                return name
    return node.get("http_address") or node.get("id")


def assert_databend_versions(inventory, meta=None, query=None):
    """Every meta host's databend-meta prints version ``meta`` and every query host's databend-query ``query``
    (`--cmd ver`; a component given as None is not checked), their units are active, every meta node's
    /v1/cluster/status reports that version, and every query node's /v1/cluster/list lists every query node on it."""
    wanted = {"meta": meta, "query": query}
    seen, expected = {}, {}
    for name in inventory.names:
        for component in inventory.components(name):
            if wanted[component] is None:
                continue
            binary = inventory.hostvars[name].get("distsql_databend_%s_binary" % component,
                                                  hoststate.DATABEND_BINARY % component)
            seen.setdefault(name, {})[component] = databend_ver(inventory.host(name), binary)
            expected.setdefault(name, {})[component] = wanted[component]
    assert seen == expected, "databend --cmd ver per host and component: %s, expected %s" % (seen, expected)
    for name in inventory.names:
        for component in inventory.components(name):
            unit = inventory.hostvars[name].get("distsql_databend_%s_service" % component, hoststate.DATABEND_UNIT % component)
            assert inventory.host(name).service(unit).is_running, "%s: unit %s is not active" % (name, unit)
    cluster = hoststate.databend_cluster_now(inventory)
    if meta is not None:
        statuses = {name: status.get("version") or status.get("error") for name, status in cluster["meta"].items()}
        assert statuses == {name: meta for name in inventory.meta_names}, \
            "/v1/cluster/status version per meta node: %s, expected %s" % (statuses, meta)
    if query is not None:
        lists = {name: listed.get("error") or {listed_host(inventory, node): node["version"] for node in listed["nodes"]}
                 for name, listed in cluster["query"].items()}
        every = {name: query for name in inventory.query_names}
        assert lists == {name: every for name in inventory.query_names}, \
            "/v1/cluster/list per query node ({listed host: version}): %s, expected every query node on %s" % (lists, query)


def meta_leader(snapshot):
    """The meta host every meta node of the snapshot names as leader."""
    statuses = snapshot["cluster"]["meta"]
    leaders = {status.get("leader_id") for status in statuses.values()}
    view = {name: status.get("leader_id", status.get("error")) for name, status in statuses.items()}
    assert len(leaders) == 1 and None not in leaders, "the meta nodes do not agree on a leader (leader id per node): %s" % view
    leader_id = leaders.pop()
    hosts = [name for name, status in statuses.items() if status.get("id") == leader_id]
    assert hosts, "meta leader id %s is none of the meta nodes: %s" % (leader_id, view)
    return hosts[0]


def assert_meta_quorum(inventory):
    """Live: every meta node answers /v1/cluster/status, exactly one is Leader, every node names it and lists every
    meta node as a voter. Returns the leader's host."""
    statuses = hoststate.databend_cluster_now(inventory)["meta"]
    silent = {name: status["error"] for name, status in statuses.items() if "error" in status}
    assert not silent, "meta nodes not answering /v1/cluster/status: %s" % silent
    voters = sorted(inventory.hostvars[name]["distsql_databend_meta_id"] for name in inventory.meta_names)
    view = {name: (status["state"], status["leader_id"], status["voters"]) for name, status in statuses.items()}
    leaders = [name for name, status in statuses.items() if status["state"] == "Leader"]
    agreed = len(leaders) == 1 and all(status["leader_id"] == statuses[leaders[0]]["id"] for status in statuses.values())
    assert agreed and all(status["voters"] == voters for status in statuses.values()), (
        "meta quorum (state, leader id, voters) per node: %s; expected one Leader that every node names, voters %s"
        % (view, voters))
    return leaders[0]


def databend_query(inventory, through, statement, targets=None):
    """{query host: response} of ``statement`` (POST /v1/query) on every one of ``targets`` (default every query
    node), sent from host ``through``."""
    targets = targets or inventory.query_names
    requests = [{"url": "http://%s:%s/v1/query" % (inventory.address(name),
                                                   inventory.hostvars[name].get("distsql_databend_query_http_port", 8000)),
                 "method": "POST", "body": {"sql": statement},
                 "headers": {"Content-Type": "application/json", "Authorization": DATABEND_AUTH}} for name in targets]
    return dict(zip(targets, hoststate.http_requests(inventory, through, requests)))


def assert_databend_markers_readable(inventory, state_dir):
    """The rows prepare wrote before the upgrade (markers.json) are all counted through every query node (the
    simulator reads no row back by key: count(*) of the marker table)."""
    with open(os.path.join(state_dir, "markers.json"), encoding="utf-8") as source:
        markers = json.load(source)
    statement = "select count(*) from %s" % DATABEND_MARKER_TABLE
    answers = databend_query(inventory, inventory.query_names[0], statement)
    seen = {name: answer.get("error") or (answer["body"].get("error") or answer["body"].get("data"))
            for name, answer in answers.items()}
    expected = {name: [[str(len(markers))]] for name in inventory.query_names}
    assert seen == expected, "%s through every query node: %s, expected %d rows %s" % (
        statement, seen, len(markers), [row["k"] for row in markers])


# -- Databend reports ---------------------------------------------------------------------------------------------


def hop_indices(report, component):
    """The indices of the plan's hops of ``component`` (meta | query)."""
    return [index for index, hop in enumerate((report.get("plan") or {}).get("hops") or []) if hop.get("component") == component]


def hop_entries(report, hops):
    """(host, entry) of every node entry with phases of one of the hop indices ``hops``."""
    wanted = {str(index) for index in hops}
    return [(name, entry) for name, entries in report["nodes"].items() for entry in entries
            if str(entry.get("hop")) in wanted and entry.get("phases")]


def _phase_time(phase, key):
    if phase.get(key):
        return datetime.datetime.fromisoformat(phase[key])
    start = datetime.datetime.fromisoformat(phase["started_at"])  # ended_at missing: started_at + seconds
    return start + datetime.timedelta(seconds=float(phase.get("seconds") or 0))


def meta_upgrade_order(report):
    """The meta hosts in the order their upgrade started (the first phase's started_at of each entry of the plan's
    meta hops; a host upgraded in two meta hops appears twice)."""
    entries = hop_entries(report, hop_indices(report, "meta"))
    return [name for _start, name in sorted((_phase_time(entry["phases"][0], "started_at"), name) for name, entry in entries)]


def down_windows(report, component="meta", first="stop", last="ready"):
    """[(start, end, host)] of every entry of the component's hops: the ``first`` phase's start (else the first
    phase's) to the ``last`` phase's end (else the last phase's), sorted by start."""
    windows = []
    for name, entry in hop_entries(report, hop_indices(report, component)):
        phases = {phase["phase"]: phase for phase in entry["phases"]}
        start = _phase_time(phases.get(first, entry["phases"][0]), "started_at")
        end = _phase_time(phases.get(last, entry["phases"][-1]), "ended_at")
        windows.append((start, end, name))
    return sorted(windows)


def assert_one_meta_down_at_a_time(report, show=None):
    """No two meta nodes were down at once: the stop..ready windows of the meta hops' entries do not overlap."""
    windows = down_windows(report)
    assert windows, "report %s: no entry of a meta hop (plan hops %s)" % (
        report.get("_path"), [hop.get("component") for hop in (report.get("plan") or {}).get("hops") or []])
    if show:
        spans = ["%s %s..%s" % (name, start.time(), end.time()) for start, end, name in windows]
        show("meta stop..ready windows: %s" % ", ".join(spans))
    for (start, end, name), (next_start, next_end, next_name) in zip(windows, windows[1:]):
        assert next_start >= end, "meta nodes down at the same time: %s (stop..ready %s..%s) and %s (%s..%s)" % (
            name, start.isoformat(), end.isoformat(), next_name, next_start.isoformat(), next_end.isoformat())


def assert_killed_right_after(run, host, show):
    """The run of playbook_run.yml was SIGKILLed by its kill_after match on ``host``, not by its deadline."""
    show("killed run: rc %s after %s s, killed after %s" % (run["rc"], run["seconds"], run["matched"]))
    assert run["killed"] and not run["timed_out"], run
    assert run["rc"] == -9, run["rc"]
    assert run["matched"]["host"] == host, run["matched"]


def assert_rerun_left_alone(after_kill, now, rerun, host):
    """The re-run neither drained nor restarted ``host``: it found it on the target and recorded it untouched."""
    assert_not_restarted(after_kill, now, host)
    entries = [entry for entry in node_entries(rerun, host) if entry.get("hop") is not None]
    assert [(entry["outcome"], entry["phases"]) for entry in entries] == [("already_on_target", [])], entries
