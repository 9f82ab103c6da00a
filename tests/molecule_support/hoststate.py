"""What every node of a molecule scenario looks like, to compare before and after a run.

    python -m tests.molecule_support.hoststate --inventory MOLECULE_INVENTORY_DIR --out state/before.json

A snapshot holds, per database node (the inventory group ``distsql_group`` names; read over SSH with testinfra, one
round trip per node): the build the binary reports (``cockroach version --build-tag``, the ``KaiwuDB Version:``
line of ``kwbase version``), the binary's path, target and sha256, the unit (ActiveState, SubState, MainPID,
NRestarts, ActiveEnterTimestampMonotonic, ExecMainStartTimestampMonotonic, the unit file's sha256), and every
entry of the data directory, the certificates directory, the configuration directory (KWDB's /etc/kaiwudb), the
ledger directory and the releases directory (path, type, mode, owner, group, size, sha256 of regular files).
Through the first running node: the cluster settings the flows touch and ``node status`` (build, started_at, liveness per node).

Databend (``distsql_engine: databend``; every host of the group ``databend``): per component the host runs (groups
``databend_meta``, ``databend_query``) the ``version:`` line of ``databend-meta --cmd ver`` / ``databend-query --cmd
ver`` (``build_tag``, the whole output parsed in ``ver``), the binary (path, target, sha256; also databend-metactl on
a meta host) and the unit, each keyed by component; the trees of /etc/databend (``config_dir``), the ledger and the
releases directories. /var/lib/databend is not compared: a meta node's raft log grows all the time and a query
node's cache changes with every query; a meta node records only its on-disk data version header
(``data_version``: ``<raft_dir>/df_meta/VERSION``, which only a data upgrade rewrites). The cluster, through the first
meta host: every meta node's /v1/cluster/status (id, state, leader id, voters, last applied index, version) and every
query node's /v1/cluster/list (id, version, http_address per node listed), and the id each query node registers
under (``query_ids``: a new one on every start).

``differences(before, after, sections)`` lists what changed, one readable line per difference.
"""
import argparse
import csv
import io
import json
import re
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
# Databend (the testbed's defaults, used when the inventory leaves a distsql_databend_* variable out)
DATABEND_CONFIG_DIR = "/etc/databend"
DATABEND_DATA_DIR = "/var/lib/databend"
DATABEND_BINARY = "/usr/bin/databend-%s"
DATABEND_UNIT = "databend-%s"
DATABEND_CONFIG = "/etc/databend/databend-%s.toml"
DATABEND_HTTP_TIMEOUT = 5
BINARY_VERSION_RE = re.compile(r"^v?(\d+\.\d+\.\d+(?:-[a-z]+)?)-[0-9a-f]{7,40}(?:-simd)?\(")

# Runs on the node with python3 (what Ansible needs there anyway); argv[1] is the JSON configuration. The common
# part reads files and runs commands; PROBE adds what a CockroachDB or KWDB node reports, DATABEND_PROBE Databend's.
PROBE_COMMON = r'''
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

'''

PROBE = PROBE_COMMON + r'''result = {"trees": {name: tree(path) for name, path in cfg["trees"].items()}}
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


# Databend: per component the host runs (meta, query), what `--cmd ver` prints, the binary and the unit; the meta
# node's on-disk data version header; through the first meta host the cluster (every meta node's /v1/cluster/status,
# every query node's /v1/cluster/list).
DATABEND_PROBE = PROBE_COMMON + r"""
import re, urllib.error, urllib.request

def binary_info(path):
    resolved = os.path.realpath(path)
    return {"path": path, "resolved": resolved, "sha256": sha256(resolved) if os.path.isfile(resolved) else None}

def ver_lines(binary):
    out = run([binary, "--cmd", "ver"])
    if out["rc"] != 0:
        return None
    lines = [line.partition(":") for line in out["stdout"].splitlines()]
    return {key.strip(): value.strip() for key, sep, value in lines if sep}

def unit_of(name):
    show = run(["systemctl", "show", name] + ["--property=" + prop for prop in cfg["unit_properties"]])
    unit = dict(line.split("=", 1) for line in show["stdout"].splitlines() if "=" in line)
    unit["name"] = name
    fragment = unit.get("FragmentPath")
    unit["fragment_sha256"] = sha256(fragment) if fragment and os.path.isfile(fragment) else None
    return unit

def http_json(url):
    try:
        with urllib.request.urlopen(url, timeout=cfg["http_timeout"]) as response:
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return {"status": error.code, "error": error.read().decode(errors="replace")[:500]}
    except (OSError, ValueError) as error:
        return {"status": None, "error": str(error)}
    try:
        return {"status": status, "body": json.loads(text)}
    except ValueError:
        return {"status": status, "error": "not JSON: " + text[:500]}

def raft_dir(config_file, default):
    try:
        with open(config_file) as source:
            found = re.search(r'^\s*raft_dir\s*=\s*"([^"]*)"', source.read(), re.M)
    except OSError:
        return default
    return found.group(1) if found else default

result = {"trees": {name: tree(path) for name, path in cfg["trees"].items()},
          "binary": {}, "build_tag": {}, "ver": {}, "unit": {}}
for component, spec in sorted(cfg["components"].items()):
    result["binary"][component] = binary_info(spec["binary"])
    ver = ver_lines(spec["binary"])
    result["ver"][component] = ver
    result["build_tag"][component] = ver.get("version") if ver else None
    result["unit"][component] = unit_of(spec["unit"])
for name, path in sorted(cfg["other_binaries"].items()):
    result["binary"][name] = binary_info(path)
if "meta" in cfg["components"]:
    directory = raft_dir(cfg["components"]["meta"]["config"], cfg["default_raft_dir"])
    header_path = os.path.join(directory, "df_meta", "VERSION")
    header = None
    if os.path.isfile(header_path):
        with open(header_path) as source:
            text = source.read()
        try:
            header = json.loads(text)
        except ValueError:
            header = {"unparsed": text[:500]}
    result["data_version"] = {"raft_dir": directory, "exists": os.path.isdir(directory), "header": header}
if cfg.get("cluster"):
    result["cluster"] = {kind: {name: http_json(url) for name, url in sorted(urls.items())}
                         for kind, urls in cfg["cluster"].items()}
print(json.dumps(result))
"""

# Databend: runs HTTP requests on a host (argv[1]: [{url, method, body, headers}]), prints [{status, body | error}].
HTTP_PROBE = r"""
import json, sys, urllib.error, urllib.request
answers = []
for item in json.loads(sys.argv[1]):
    data = None if item.get("body") is None else json.dumps(item["body"]).encode()
    request = urllib.request.Request(item["url"], data=data, method=item.get("method", "GET"),
                                     headers=item.get("headers") or {})
    try:
        with urllib.request.urlopen(request, timeout=item.get("timeout", 10)) as response:
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        answers.append({"status": error.code, "error": error.read().decode(errors="replace")[:500]})
        continue
    except (OSError, ValueError) as error:
        answers.append({"status": None, "error": str(error)})
        continue
    try:
        answers.append({"status": status, "body": json.loads(text)})
    except ValueError:
        answers.append({"status": status, "error": "not JSON: " + text[:500]})
print(json.dumps(answers))
"""


class Inventory:
    """The molecule inventory directory read the way testinfra reads it (ansible-inventory)."""

    def __init__(self, directory, group=None):
        self.directory = directory
        self.runner = testinfra.utils.ansible_runner.AnsibleRunner(directory)
        self.names = self.runner.get_hosts(group or self.database_group())
        self.hostvars = {name: self.runner.get_variables(name) for name in self.names}
        self.engine = self.hostvars[self.names[0]].get("distsql_engine", "cockroachdb") if self.names else None
        self.meta_names, self.query_names = [], []
        if self.engine == "databend":
            for name in self.runner.get_hosts("databend_meta") + self.runner.get_hosts("databend_query"):
                self.hostvars.setdefault(name, self.runner.get_variables(name))
            # raft id order (the testbed's databend_meta order), then the query hosts in name order
            self.meta_names = sorted(self.runner.get_hosts("databend_meta"),
                                     key=lambda name: (self.hostvars[name].get("distsql_databend_meta_id", 0), name))
            self.query_names = self.runner.get_hosts("databend_query")

    def database_group(self):
        """The group of the database nodes: distsql_group of the inventory (the testbed writes it for KWDB)."""
        first = self.runner.get_hosts("all")[0]
        return self.runner.get_variables(first).get("distsql_group", "cockroach")

    def host(self, name):
        return testinfra.get_host("ansible://%s" % name, ansible_inventory=self.directory)

    def contract(self, name=None):
        return self.hostvars[name or self.names[0]]

    def components(self, name):
        """Databend: the components host ``name`` runs, of ("meta", "query"); [] for the other engines."""
        return [component for component, names in (("meta", self.meta_names), ("query", self.query_names))
                if name in names]

    def address(self, name):
        """The address the host is reached at (ansible_host; Databend's advertised addresses use it)."""
        return self.hostvars[name].get("ansible_host", name)


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


def databend_cfg(inventory, name, cluster=False):
    """The probe configuration of a Databend host: its components, the trees, and, through ``cluster``, the URLs of
    every meta node's /v1/cluster/status and every query node's /v1/cluster/list."""
    hostvars = inventory.hostvars[name]
    components = {}
    for component in inventory.components(name):
        components[component] = {"binary": hostvars.get("distsql_databend_%s_binary" % component,
                                                        DATABEND_BINARY % component),
                                 "unit": hostvars.get("distsql_databend_%s_service" % component, DATABEND_UNIT % component),
                                 "config": hostvars.get("distsql_databend_%s_config" % component,
                                                        DATABEND_CONFIG % component)}
    other = {}
    if "meta" in components:
        other["metactl"] = hostvars.get("distsql_databend_metactl_binary", DATABEND_BINARY % "metactl")
    cfg = {"trees": {"config_dir": DATABEND_CONFIG_DIR, "ledger_dir": LEDGER_DIR,
                     "releases_dir": hostvars.get("distsql_releases_dir", DEFAULT_RELEASES_DIR)},
           "components": components, "other_binaries": other, "unit_properties": UNIT_PROPERTIES,
           "default_raft_dir": hostvars.get("distsql_data_dir", DATABEND_DATA_DIR) + "/raft",
           "http_timeout": DATABEND_HTTP_TIMEOUT}
    if cluster:
        meta_port = hostvars.get("distsql_databend_meta_admin_port", 28002)
        query_port = hostvars.get("distsql_databend_query_admin_port", 8080)
        cfg["cluster"] = {
            "meta": {meta: "http://%s:%s/v1/cluster/status" % (inventory.address(meta), meta_port)
                     for meta in inventory.meta_names},
            "query": {query: "http://%s:%s/v1/cluster/list" % (inventory.address(query), query_port)
                      for query in inventory.query_names}}
    return cfg


def run_probe(inventory, name, probe, cfg):
    out = inventory.host(name).run("python3 -c %s %s", probe, json.dumps(cfg))
    if out.rc != 0:
        raise RuntimeError("probing %s failed (rc %s): %s" % (name, out.rc, out.stderr))
    return json.loads(out.stdout)


def probe_databend_node(inventory, name, cluster=False):
    state = run_probe(inventory, name, DATABEND_PROBE, databend_cfg(inventory, name, cluster))
    state["engine"] = "databend"
    state["components"] = inventory.components(name)
    state["ansible_host"] = inventory.address(name)
    state["meta_id"] = inventory.hostvars[name].get("distsql_databend_meta_id")
    return state


def http_requests(inventory, name, requests):
    """Run HTTP ``requests`` ([{url, method, body, headers, timeout}]) on host ``name`` (one round trip); returns
    [{status, body} or {status, error}] in order."""
    return run_probe(inventory, name, HTTP_PROBE, requests)


def databend_cluster_now(inventory):
    """The cluster section of a Databend snapshot, read now (one round trip, through the first meta host)."""
    reader = (inventory.meta_names or inventory.names)[0]
    urls = databend_cfg(inventory, reader, cluster=True)["cluster"]
    asked = [(kind, name, url) for kind in ("meta", "query") for name, url in sorted(urls[kind].items())]
    answers = http_requests(inventory, reader, [{"url": url, "timeout": DATABEND_HTTP_TIMEOUT} for _k, _n, url in asked])
    found = {"meta": {}, "query": {}}
    for (kind, name, _url), answer in zip(asked, answers):
        found[kind][name] = answer
    return databend_cluster(inventory, reader, found)


def databend_binary_version(text):
    """The release in a binary_version such as v1.2.680-nightly-<sha>(rust-...) or v1.2.680-nightly-<sha>-simd(...)."""
    found = BINARY_VERSION_RE.match(text or "")
    return found.group(1) if found else None


def meta_status(answer):
    """What a snapshot keeps of one /v1/cluster/status answer."""
    if answer.get("status") != 200 or not isinstance(answer.get("body"), dict):
        return {"error": answer.get("error") or "HTTP %s" % answer.get("status")}
    body = answer["body"]
    leader = body.get("leader") or {}
    applied = body.get("last_applied") or {}
    return {"id": body.get("id"), "state": body.get("state"), "is_leader": body.get("is_leader"),
            "leader_id": _int(leader.get("name")), "voters": sorted(_int(voter.get("name")) for voter in body.get("voters") or []),
            "last_applied": applied.get("index") if isinstance(applied, dict) else None,
            "current_term": body.get("current_term"), "binary_version": body.get("binary_version"),
            "version": databend_binary_version(body.get("binary_version")), "data_version": body.get("data_version")}


def query_list(answer):
    """What a snapshot keeps of one /v1/cluster/list answer: the nodes it lists."""
    if answer.get("status") != 200 or not isinstance(answer.get("body"), list):
        return {"error": answer.get("error") or "HTTP %s" % answer.get("status")}
    return {"nodes": sorted(({"id": node.get("id"), "version": databend_binary_version(node.get("binary_version")),
                              "binary_version": node.get("binary_version"), "http_address": node.get("http_address"),
                              "flight_address": node.get("flight_address")} for node in answer["body"]),
                            key=lambda node: str(node["id"]))}


def own_query_id(inventory, name, listed):
    """The id query host ``name`` is registered under, as its own /v1/cluster/list shows it (None if absent)."""
    known_as = (name, inventory.address(name))
    for node in listed.get("nodes") or []:
        for key in ("http_address", "flight_address"):
            if (node.get(key) or "").rsplit(":", 1)[0] in known_as:
                return node["id"]
    return None


def databend_cluster(inventory, reader, found):
    meta = {name: meta_status(answer) for name, answer in found["meta"].items()}
    query = {name: query_list(answer) for name, answer in found["query"].items()}
    return {"reader": reader, "engine": "databend", "settings": None, "meta": meta, "query": query,
            "query_ids": {name: own_query_id(inventory, name, listed) for name, listed in query.items()}}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def parse_node_status(text):
    if not text:
        return []
    rows = list(csv.DictReader(io.StringIO(text)))
    return [{key: row.get(key) for key in ("id", "address", "build", "started_at", "is_live", "is_available")} for row in rows]


def snapshot(inventory_dir, group=None):
    """The state of every node of ``group`` and of the cluster, as a JSON-ready dict."""
    inventory = Inventory(inventory_dir, group)
    nodes, cluster = {}, None
    if inventory.engine == "databend":
        reader = (inventory.meta_names or inventory.names)[0]
        for name in inventory.names:
            state = probe_databend_node(inventory, name, cluster=name == reader)
            found = state.pop("cluster", None)
            if found is not None:
                cluster = databend_cluster(inventory, name, found)
            nodes[name] = state
        return {"taken_at": time.time(), "nodes": nodes, "cluster": cluster}
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
                                         "ledger_dir", "releases_dir", "settings", "started_at", "data_version")):
    """One line per difference between two snapshots in the given sections (an empty list: unchanged).

    Databend snapshots keep build_tag, binary and unit per component ({"meta": ..., "query": ...}; binary also
    "metactl"), so their lines name the component: ``node1 meta unit: ... -> ...``; "build" is taken for "build_tag".
    "data_version" is Databend's on-disk header of a meta node, "started_at" the id each query node registers under
    (a new one on every start)."""
    if "build" in sections:
        sections = tuple(sections) + ("build_tag",)
    lines = []
    for name in sorted(set(before["nodes"]) | set(after["nodes"])):
        old, new = before["nodes"].get(name), after["nodes"].get(name)
        if old is None or new is None:
            lines.append("%s: only in the %s snapshot" % (name, "later" if old is None else "earlier"))
            continue
        per_component = "databend" in (old.get("engine"), new.get("engine"))
        for section in ("build_tag", "binary", "unit"):
            if section not in sections or old.get(section) == new.get(section):
                continue
            if not per_component:
                lines.append("%s %s: %s -> %s" % (name, section, _dump(old[section]), _dump(new[section])))
                continue
            was, now = old.get(section) or {}, new.get(section) or {}
            for component in sorted(set(was) | set(now)):
                if was.get(component) != now.get(component):
                    lines.append("%s %s %s: %s -> %s" % (name, component, section, _dump(was.get(component)),
                                                         _dump(now.get(component))))
        if "data_version" in sections and old.get("data_version") != new.get("data_version"):
            lines.append("%s data_version: %s -> %s" % (name, _dump(old.get("data_version")), _dump(new.get("data_version"))))
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
        if old_cluster.get("query_ids") != new_cluster.get("query_ids"):
            lines.append("query node ids (new on every start): %s -> %s" % (
                _dump(old_cluster.get("query_ids")), _dump(new_cluster.get("query_ids"))))
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
    print(summary_line(args.out, state))
    return 0


def summary_line(path, state):
    """One line about a snapshot: version, unit state and PID per node (per component for Databend), and the cluster."""
    cluster = state["cluster"] or {}
    nodes = []
    for name, node in state["nodes"].items():
        if node.get("engine") == "databend":
            nodes += ["%s %s %s %s pid %s" % (name, component, node["build_tag"].get(component),
                                              node["unit"][component].get("ActiveState"),
                                              node["unit"][component].get("MainPID"))
                      for component in node["components"]]
        else:
            nodes.append("%s %s %s pid %s" % (name, node["build_tag"], node["unit"].get("ActiveState"),
                                              node["unit"].get("MainPID")))
    if cluster.get("engine") == "databend":
        leaders = sorted({status.get("leader_id") for status in cluster["meta"].values()}, key=str)
        return "%s: %s; meta leader id(s) %s, query ids %s" % (
            path, ", ".join(nodes), _dump(leaders), _dump(cluster["query_ids"]))
    return "%s: %s; cluster settings %s" % (path, ", ".join(nodes), _dump(cluster.get("settings")))


if __name__ == "__main__":
    sys.exit(main())
