"""Checks of the container scenarios (molecule/kwdb_container_*), on container_state snapshots.

``inspect_changes(before, after)`` compares two ``docker inspect`` entries field by field, independently of the
collection's own comparison: every field that differs, each marked ``image`` (the image, which the upgrade changes),
``instance`` (what a new container has of its own: ids, times, state, per-container files, network endpoint,
compose's hash of its configuration) or ``parameter`` (anything else: a run parameter lost or changed). Lists whose
order carries no meaning (Config.Env, HostConfig.Binds, Mounts) are compared as sets.
"""
import csv
import io
import json
import os
import subprocess

IMAGE_FIELDS = ("Image", "Config.Image")
INSTANCE_PREFIXES = ("Id", "Created", "State", "Name", "RestartCount", "ResolvConfPath", "HostnamePath", "HostsPath",
                     "LogPath", "NetworkSettings", "GraphDriver", "Config.Hostname", "ExecIDs", "SizeRw", "SizeRootFs",
                     "Config.Labels.com.docker.compose.config-hash")
UNORDERED = ("Config.Env", "HostConfig.Binds", "Mounts")


def flatten(value, prefix=""):
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            found.update(flatten(item, "%s.%s" % (prefix, key) if prefix else key))
        return found
    if prefix in UNORDERED and isinstance(value, list):
        return {prefix: sorted(json.dumps(item, sort_keys=True) for item in value)}
    return {prefix: value}


def kind_of(path):
    if path in IMAGE_FIELDS:
        return "image"
    if any(path == prefix or path.startswith(prefix + ".") for prefix in INSTANCE_PREFIXES):
        return "instance"
    return "parameter"


def inspect_changes(before, after):
    """[(path, kind, before, after)] for every field that differs."""
    old, new = flatten(before), flatten(after)
    return [(path, kind_of(path), old.get(path), new.get(path)) for path in sorted(set(old) | set(new))
            if old.get(path) != new.get(path)]


def describe_changes(changes):
    """One line per changed field, for the scenario's log."""
    return ["  %-60s %-9s %s -> %s" % (path, kind, short(was), short(now)) for path, kind, was, now in changes]


def short(value, limit=48):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def assert_only_the_image_changed(before, after, name, show):
    changes = inspect_changes(before["nodes"][name]["inspect"], after["nodes"][name]["inspect"])
    lines = "\n".join(describe_changes(changes))
    show("docker inspect %s, before and after, %d fields differ:\n%s" % (name, len(changes), lines))
    parameters = [change for change in changes if change[1] == "parameter"]
    assert not parameters, "%s: run parameters differ: %s" % (name, parameters)
    assert [change[0] for change in changes if change[1] == "image"] == sorted(IMAGE_FIELDS), changes


def assert_data_kept(before, after):
    """Every entry of each node's data directory is still there, with its type."""
    for name, node in before["nodes"].items():
        gone = [entry for entry in node["data"] if entry not in after["nodes"][name]["data"]]
        assert not gone, "%s: data directory entries gone: %s" % (name, gone)


def sql_rows(variables, statement):
    security = ["--insecure"] if variables["distsql_insecure"] else ["--certs-dir=%s" % variables["distsql_certs_dir"]]
    done = subprocess.run([variables["distsql_client_binary"], "sql", "--format=csv", "-e", statement] + security
                          + ["--host=%s" % variables["distsql_sql_address"]], capture_output=True, text=True, check=False)
    assert done.returncode == 0, "%s failed: %s" % (statement, done.stderr)
    return list(csv.DictReader(io.StringIO(done.stdout)))


def assert_markers_readable(hosts, state_dir):
    with open(os.path.join(state_dir, "markers.json"), encoding="utf-8") as source:
        markers = json.load(source)
    for name, variables in hosts.items():
        for row in markers:
            found = sql_rows(variables, "SELECT v FROM kv WHERE k = %d" % row["k"])
            assert found == [{"v": row["v"]}], "k=%d through %s: %s, expected %r" % (row["k"], name, found, row["v"])


def compose_diff(before_text, after_text):
    """[(line number, before, after)] of two compose files of the same length."""
    old, new = before_text.splitlines(), after_text.splitlines()
    assert len(old) == len(new), "docker-compose.yml went from %d to %d lines" % (len(old), len(new))
    return [(number, was, now) for number, (was, now) in enumerate(zip(old, new), 1) if was != now]


def flagged_command(command, flag="--upgrade-complete"):
    """A container command as a rolling upgrade leaves it, worked out independently of the collection: the flag as the
    last argument, or, for `bash -c <script>` (deploy.sh's compose command), at the end of the script's line."""
    if len(command) >= 2 and command[-2] == "-c":
        return command[:-1] + [command[-1].rstrip("\n") + " " + flag + "\n"]
    return command + [flag]


def assert_only_the_image_and_the_flag_changed(before, after, name, show):
    """As assert_only_the_image_changed, but the command (Config.Cmd, and Args, docker's copy of it without the
    program) may and must end with --upgrade-complete."""
    old, new = before["nodes"][name]["inspect"], after["nodes"][name]["inspect"]
    changes = inspect_changes(old, new)
    show("docker inspect %s, before and after, %d fields differ:\n%s\n  the command now ends: ...%s" % (
        name, len(changes), "\n".join(describe_changes(changes)), json.dumps(new["Config"]["Cmd"])[-60:]))
    assert new["Config"]["Cmd"] == flagged_command(old["Config"]["Cmd"]), (old["Config"]["Cmd"], new["Config"]["Cmd"])
    assert new["Args"] == flagged_command(old["Args"]), (old["Args"], new["Args"])
    parameters = [change for change in changes if change[1] == "parameter" and change[0] not in ("Config.Cmd", "Args")]
    assert not parameters, "%s: run parameters differ: %s" % (name, parameters)
    assert [change[0] for change in changes if change[1] == "image"] == sorted(IMAGE_FIELDS), changes


def node_status(variables):
    """`kwbase node status` through one node, by the client on this machine: {sql address: row}."""
    security = ["--insecure"] if variables["distsql_insecure"] else ["--certs-dir=%s" % variables["distsql_certs_dir"]]
    done = subprocess.run([variables["distsql_client_binary"], "node", "status", "--format=csv"] + security
                          + ["--host=%s" % variables["distsql_sql_address"]], capture_output=True, text=True, check=False)
    assert done.returncode == 0, "node status failed: %s" % done.stderr
    return {row["address"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
