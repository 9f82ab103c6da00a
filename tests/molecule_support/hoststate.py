"""What every node of a molecule scenario looks like, to compare before and after a run.

    python -m tests.molecule_support.hoststate --inventory MOLECULE_INVENTORY_DIR --out state/before.json

A snapshot holds, per database node (the inventory group ``distsql_group`` names; read over SSH with testinfra, one
round trip per node): the build the binary reports (``cockroach version --build-tag``, the ``KaiwuDB Version:``
line of ``kwbase version``), the binary's path, target and sha256, the unit (ActiveState, SubState, MainPID,
NRestarts, ActiveEnterTimestampMonotonic, ExecMainStartTimestampMonotonic, the unit file's sha256), and every
entry of the data directory, the certificates directory, the configuration directory (KWDB's /etc/kaiwudb), the
ledger directory and the releases directory (path, type, mode, owner, group, size, sha256 of regular files).
Through the first running node: the cluster settings the flows touch and ``node status`` (build, started_at, liveness per node).

``differences(before, after, sections)`` lists what changed, one readable line per difference.
"""
import argparse
import csv
import io
import json
import sys
import time

import testinfra
import testinfra.utils.ansible_runner

SETTINGS = ("version", "cluster.auto_upgrade.enabled", "cluster.preserve_downgrade_option", "server.time_until_store_dead")
UNIT_PROPERTIES = ("ActiveState", "SubState", "MainPID", "NRestarts", "ActiveEnterTimestampMonotonic",
                   "ExecMainStartTimestampMonotonic", "FragmentPath")
LEDGER_DIR = "/var/lib/distsql-upgrade"
DEFAULT_RELEASES_DIR = "/opt/distsql-upgrade/releases"
KWDB_CONFIG_DIR = "/etc/kaiwudb"  # deploy.sh's MODE, .version, kaiwudb_env, certificates

# Runs on the node with python3 (what Ansible needs there anyway); argv[1] is the JSON configuration.
PROBE = r'''
import csv, grp, hashlib, json, os, pwd, stat, subprocess, sys
cfg = json.loads(sys.argv[1])

def run(argv):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except OSError as error:
        return {"rc": 127, "stdout": "", "stderr": str(error)}
    return {"rc": proc.returncode, "stdout": proc.stdout.strip(), "raw": proc.stdout, "stderr": proc.stderr.strip()}

def csv_value(raw):
    # `sql --format=csv` of one single-column row: the header, then the value (an empty line for "").
    lines = raw.split("\n")
    return next(csv.reader([lines[1]]), [""])[0] if len(lines) > 1 and lines[1] else ""

def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

def owner(uid, gid):
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    return user, group

def entry(root, path):
    st = os.lstat(path)
    user, group = owner(st.st_uid, st.st_gid)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
    item = {"path": os.path.relpath(path, root), "type": kind, "mode": "%04o" % stat.S_IMODE(st.st_mode),
            "owner": user, "group": group}
    if kind == "file":
        item["size"] = st.st_size
        item["sha256"] = sha256(path)
    elif kind == "link":
        item["target"] = os.readlink(path)
    return item

def tree(root):
    if not os.path.lexists(root):
        return None
    items = [entry(root, root)]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            items.append(entry(root, os.path.join(dirpath, name)))
    return items

result = {"trees": {name: tree(path) for name, path in cfg["trees"].items()}}
binary = cfg["binary"]
resolved = os.path.realpath(binary)
result["binary"] = {"path": binary, "resolved": resolved,
                    "sha256": sha256(resolved) if os.path.isfile(resolved) else None}
tag = run([binary, "version", "--build-tag"])
# kwbase has no --build-tag: it prints its whole version report, whose "KaiwuDB Version:" line names the tag
named = [line.split(":", 1)[1].strip() for line in tag["stdout"].splitlines() if "Version:" in line]
result["build_tag"] = (named[0] if named else tag["stdout"]) if tag["rc"] == 0 else None
show = run(["systemctl", "show", cfg["unit"]] + ["--property=" + name for name in cfg["unit_properties"]])
unit = dict(line.split("=", 1) for line in show["stdout"].splitlines() if "=" in line)
unit["name"] = cfg["unit"]
fragment = unit.get("FragmentPath")
unit["fragment_sha256"] = sha256(fragment) if fragment and os.path.isfile(fragment) else None
result["unit"] = unit
if cfg.get("cluster") and unit.get("ActiveState") == "active":
    client = cfg["client"]
    settings = {}
    for name in cfg["settings"]:
        out = run([binary, "sql", "--format=csv", "-e", "SHOW CLUSTER SETTING " + name] + client)
        settings[name] = csv_value(out["raw"]) if out["rc"] == 0 else "ERROR: " + out["stderr"]
    status = run([binary, "node", "status", "--all", "--format=csv"] + client)
    result["cluster"] = {"settings": settings, "node_status_csv": status["stdout"] if status["rc"] == 0 else None,
                         "node_status_error": status["stderr"] if status["rc"] != 0 else None}
print(json.dumps(result))
'''


class Inventory:
    """The molecule inventory directory read the way testinfra reads it (ansible-inventory)."""

    def __init__(self, directory, group=None):
        self.directory = directory
        self.runner = testinfra.utils.ansible_runner.AnsibleRunner(directory)
        self.names = self.runner.get_hosts(group or self.database_group())
        self.hostvars = {name: self.runner.get_variables(name) for name in self.names}

    def database_group(self):
        """The group of the database nodes: distsql_group of the inventory (the testbed writes it for KWDB)."""
        first = self.runner.get_hosts("all")[0]
        return self.runner.get_variables(first).get("distsql_group", "cockroach")

    def host(self, name):
        return testinfra.get_host("ansible://%s" % name, ansible_inventory=self.directory)

    def contract(self, name=None):
        return self.hostvars[name or self.names[0]]


def client_args(hostvars, name):
    security = ["--insecure"] if hostvars.get("distsql_insecure") else ["--certs-dir=%s" % hostvars["distsql_certs_dir"]]
    return security + ["--host=%s:%s" % (name, hostvars.get("distsql_sql_port", 26257))]


def probe_node(inventory, name, cluster=False):
    hostvars = inventory.hostvars[name]
    trees = {"data_dir": hostvars["distsql_data_dir"], "ledger_dir": LEDGER_DIR,
             "releases_dir": hostvars.get("distsql_releases_dir", DEFAULT_RELEASES_DIR)}
    certs = hostvars.get("distsql_certs_dir")
    if certs and not hostvars.get("distsql_insecure"):
        trees["certs_dir"] = certs
    if hostvars.get("distsql_engine") == "kwdb":
        trees["config_dir"] = KWDB_CONFIG_DIR
    cfg = {"trees": trees, "binary": hostvars["distsql_binary"], "unit": hostvars["distsql_service"],
           "unit_properties": UNIT_PROPERTIES, "cluster": cluster, "settings": SETTINGS,
           "client": client_args(hostvars, name)}
    out = inventory.host(name).run("python3 -c %s %s", PROBE, json.dumps(cfg))
    if out.rc != 0:
        raise RuntimeError("probing %s failed (rc %s): %s" % (name, out.rc, out.stderr))
    state = json.loads(out.stdout)
    state["ansible_host"] = hostvars.get("ansible_host", name)  # KWDB's node status names nodes by this address
    return state


def parse_node_status(text):
    if not text:
        return []
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{key: row.get(key) for key in ("id", "address", "build", "started_at", "is_live", "is_available")} for row in rows]


def snapshot(inventory_dir, group=None):
    """The state of every node of ``group`` and of the cluster, as a JSON-ready dict."""
    inventory = Inventory(inventory_dir, group)
    nodes, cluster = {}, None
    for name in inventory.names:
        state = probe_node(inventory, name, cluster=cluster is None)
        found = state.pop("cluster", None)
        if found is not None and cluster is None:
            cluster = {"reader": name, "settings": found["settings"],
                       "nodes": parse_node_status(found["node_status_csv"]), "error": found["node_status_error"]}
        nodes[name] = state
    return {"taken_at": time.time(), "nodes": nodes, "cluster": cluster}


def _dump(value):
    return json.dumps(value, sort_keys=True)


def _presence(tree):
    return "absent" if tree is None else "present"


def _by_path(items):
    return {item["path"]: item for item in items or []}


def differences(before, after, sections=("build_tag", "binary", "unit", "data_dir", "certs_dir", "config_dir",
                                         "ledger_dir", "releases_dir", "settings", "started_at")):
    """One line per difference between two snapshots in the given sections (an empty list: unchanged)."""
    lines = []
    for name in sorted(set(before["nodes"]) | set(after["nodes"])):
        old, new = before["nodes"].get(name), after["nodes"].get(name)
        if old is None or new is None:
            lines.append("%s: only in the %s snapshot" % (name, "later" if old is None else "earlier"))
            continue
        for section in ("build_tag", "binary", "unit"):
            if section in sections and old[section] != new[section]:
                lines.append("%s %s: %s -> %s" % (name, section, _dump(old[section]), _dump(new[section])))
        for section in ("data_dir", "certs_dir", "config_dir", "ledger_dir", "releases_dir"):
            if section not in sections:
                continue
            was, now = old["trees"].get(section), new["trees"].get(section)
            if was is None or now is None:
                if was != now:
                    lines.append("%s %s: %s -> %s" % (name, section, _presence(was), _presence(now)))
                continue
            was, now = _by_path(was), _by_path(now)
            for path in sorted(set(was) | set(now)):
                if was.get(path) != now.get(path):
                    lines.append("%s %s %s: %s -> %s" % (name, section, path, _dump(was.get(path)), _dump(now.get(path))))
    old_cluster, new_cluster = before.get("cluster") or {}, after.get("cluster") or {}
    if "settings" in sections and old_cluster.get("settings") != new_cluster.get("settings"):
        lines.append("settings: %s -> %s" % (_dump(old_cluster.get("settings")), _dump(new_cluster.get("settings"))))
    if "started_at" in sections:
        was = {node["address"]: node["started_at"] for node in old_cluster.get("nodes", [])}
        now = {node["address"]: node["started_at"] for node in new_cluster.get("nodes", [])}
        if was != now:
            lines.append("node status started_at: %s -> %s" % (_dump(was), _dump(now)))
    return lines


def load(path):
    with open(path, encoding="utf-8") as source:
        return json.load(source)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.molecule_support.hoststate", description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", required=True, help="molecule's inventory directory")
    parser.add_argument("--group", help="the database nodes' group (default: distsql_group of the inventory)")
    parser.add_argument("--out", required=True, help="where the JSON snapshot goes")
    args = parser.parse_args(argv)
    state = snapshot(args.inventory, args.group)
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(state, out, indent=1, sort_keys=True)
    cluster = state["cluster"] or {}
    nodes = ["%s %s %s pid %s" % (name, node["build_tag"], node["unit"].get("ActiveState"), node["unit"].get("MainPID"))
             for name, node in state["nodes"].items()]
    print("%s: %s; cluster settings %s" % (args.out, ", ".join(nodes), _dump(cluster.get("settings"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
