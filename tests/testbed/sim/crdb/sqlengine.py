"""The SQL the simulator understands: the statements the collection, the CLI and the workload send.

Statements are matched whitespace- and case-insensitively. Anything else is refused with SQLSTATE
0A000 "unsupported statement in testbed simulator: <stmt>".
"""
import datetime
import json
import os
import re
import time

from ..common import state as shared_state
from ..common.pgwire import (OID_BOOL, OID_FLOAT8, OID_INT2VECTOR, OID_INT8, OID_TEXT, OID_TIMESTAMP, PgError,
                             Result)
from . import cluster as model
from . import jobs as job_records
from . import settings as cluster_settings

UNSUPPORTED = "0A000"
SQL_TYPES = {"id": OID_INT8, "started_at": OID_TIMESTAMP, "updated_at": OID_TIMESTAMP,
             "is_available": OID_BOOL, "ifnull": OID_BOOL, "is_decommissioning": OID_BOOL,
             "is_draining": OID_BOOL, "gossiped_replicas": OID_INT8, "node_id": OID_INT8}
NODE_STATUS_STATS = {"live_bytes": "livebytes", "key_bytes": "keybytes", "value_bytes": "valbytes",
                     "range_key_bytes": "rangekeybytes", "range_value_bytes": "rangevalbytes",
                     "intent_bytes": "intentbytes", "system_bytes": "sysbytes"}
NODE_STATUS_RANGES = {"replicas_leaders": "replicas.leaders", "replicas_leaseholders": "replicas.leaseholders",
                      "ranges": "replicas", "ranges_unavailable": "ranges.unavailable",
                      "ranges_underreplicated": "ranges.underreplicated"}
BACKUP_COLUMNS = [("job_id", OID_INT8), ("status", OID_TEXT), ("fraction_completed", OID_FLOAT8), ("rows", OID_INT8),
                  ("index_entries", OID_INT8), ("bytes", OID_INT8)]
NODELOCAL_RE = re.compile(r"^nodelocal://(\d+|self)(/.*)?$")
SCHEMA_CHANGE_SECONDS = 2.0  # how long a CREATE INDEX job runs (sim.json "schema_change_seconds")
DETACHED_BACKUP_SECONDS = 1.0  # how long a BACKUP ... WITH detached job runs


def normalize(sql):
    return " ".join(sql.strip().rstrip(";").split())


def ts(epoch):
    return None if epoch is None else datetime.datetime.utcfromtimestamp(epoch)


def _split_top_level(text):
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


class SqlEngine:
    """Executes statements against the shared cluster state on behalf of one node."""

    def __init__(self, node):
        self.node = node
        self.profile = node.profile
        self.internal = node.profile.internal
        self.handlers = [
            (r"^(begin|start transaction)( transaction)?$", self._tag("BEGIN")),
            (r"^commit( transaction)?$", self._tag("COMMIT")),
            (r"^(rollback|abort)( transaction)?$", self._tag("ROLLBACK")),
            (r"^set (session )?(?!cluster setting)[a-z_.]+ ?(=|to) ?.*$", self._tag("SET")),
            (r"^simrpc (.*)$", self._rpc),
            (r"^select 1$", self._select_one),
            (r"^select version\(\)$", self._select_version),
            (r"^select (crdb|kwdb)_internal\.node_executable_version\(\)$", self._executable_version),
            (r"^show cluster setting ([a-z0-9_.]+)$", self._show_setting),
            (r"^set cluster setting ([a-z0-9_.]+) ?(=|to) ?(.+)$", self._set_setting),
            (r"^reset cluster setting ([a-z0-9_.]+)$", self._reset_setting),
            (r"^show jobs$", self._show_jobs),
            (r"^show automatic jobs$", self._show_jobs),
            (r"^show job (when complete )?(\d+)$", self._show_job),
            (r"^create (unique )?index (if not exists )?([a-z0-9_]+ )?on (defaultdb\.)?(public\.)?kv \(([a-z0-9_, ]+)\)$",
             self._create_index),
            (r"^backup (?:(table|database) ([a-z0-9_.]+) )?into '([^']*)'(?: as of system time '[^']*')?"
             r"(?: with (.+))?$", self._backup),
            (r"^show backups in '([^']*)'$", self._show_backups),
            (r"^select \* from \(+select node_id as id, address, sql_address, build_tag as build.*$",
             self._node_status),
            (r"^select node_id from (crdb|kwdb)_internal\.gossip_liveness where .*$", self._node_ls),
            (r"^select count\(\*\) = 0 as last_upgrade_is_finalized from crdb_internal\.kv_node_status "
             r"where server_version != \(select version from \[show cluster setting version\]\)$",
             self._finalization_drift),
            (r"^select (.+) from (crdb|kwdb)_internal\.kv_store_status( group by node_id)?( order by [a-z_0-9]+)?$",
             self._store_status),
            (r"^select ([a-z_, ]+) from (crdb|kwdb)_internal\.gossip_nodes( order by [a-z_0-9, ]+)?$",
             self._gossip_nodes),
            (r"^select ([a-z_, ]+) from (crdb|kwdb)_internal\.ranges( order by range_id)?$", self._ranges),
            (r"^create table if not exists kv \(k int primary key, v string\)$", self._create_kv),
            (r"^(upsert|insert) into kv \(k, v\) values \((.+), (.+)\)$", self._upsert_kv),
            (r"^select v from kv where k = (.+)$", self._select_kv),
        ]

    # ---------------------------------------------------------------- dispatch
    def execute(self, session, sql, params):
        text = normalize(sql)
        lowered = text.lower()
        if not lowered.startswith("simrpc") and not self.node.initialized():
            raise PgError("57P01", "node is waiting for cluster initialization")
        for pattern, handler in self.handlers:
            match = re.match(pattern, lowered)
            if match:
                return handler(session, text, match, params)
        raise PgError(UNSUPPORTED, "unsupported statement in testbed simulator: %s" % text)

    def describe(self, session, sql):
        lowered = normalize(sql).lower()
        if lowered.startswith("select v from kv"):
            return [("v", OID_TEXT)]
        if lowered.startswith("select") or (lowered.startswith("show ") and "when complete" not in lowered):
            return self.execute(session, sql, [None] * 10).columns
        if lowered.startswith("backup "):
            return [("job_id", OID_INT8)] if "detached" in lowered else BACKUP_COLUMNS
        return None

    @staticmethod
    def _tag(tag):
        return lambda session, text, match, params: Result(tag)

    def _now(self):
        return time.time()

    def _state(self):
        return self.node.store.read()

    # ---------------------------------------------------------------- simple selects
    def _select_one(self, session, text, match, params):
        return Result("SELECT 1", [("?column?", OID_INT8)], [[1]])

    def _select_version(self, session, text, match, params):
        return Result("SELECT 1", [("version", OID_TEXT)], [[self.profile.short_version()]])

    def _executable_version(self, session, text, match, params):
        name = "%s.node_executable_version" % self.internal
        return Result("SELECT 1", [(name, OID_TEXT)], [[self.profile.series]])

    def _rpc(self, session, text, match, params):
        return self.node.rpc(session, text.split()[1:])

    # ---------------------------------------------------------------- cluster settings
    def _show_setting(self, session, text, match, params):
        st = self._state()
        name, oid, value = cluster_settings.show(st, match.group(1), self._now(), self.node)
        return Result("SHOW CLUSTER SETTING", [(name, oid)], [[value]])

    def _set_setting(self, session, text, match, params):
        raw = re.match(r"(?i)^set cluster setting [a-z0-9_.]+ ?(=|to) ?(.+)$", text).group(2)
        with self.node.store.update() as st:
            target = cluster_settings.assign(st, match.group(1), raw, self._now(), self.node,
                                             user=session.params.get("user") or "root")
        if target:
            self._wait_for_cluster_version(target)
        return Result("SET CLUSTER SETTING")

    def _wait_for_cluster_version(self, target):
        """`SET CLUSTER SETTING version` returns once every upgrade ran (the nodes' heartbeats finish it)."""
        deadline = time.monotonic() + 5 * self.node.config["finalize_delay"] + 30
        while time.monotonic() < deadline:
            st = self._state()
            if st.get("cluster_version") == target and not st.get("finalizing"):
                return
            time.sleep(0.1)

    def _reset_setting(self, session, text, match, params):
        # RESET parses to SetClusterSetting{Value: DefaultVal{}}: its tag is SET CLUSTER SETTING (EXACT)
        with self.node.store.update() as st:
            cluster_settings.reset(st, match.group(1), self.node)
        return Result("SET CLUSTER SETTING")

    # ---------------------------------------------------------------- jobs
    def _jobs_series(self):
        return "20.1" if self.profile.kwdb else self.profile.series

    def _show_jobs(self, session, text, match, params):
        automatic = text.lower().startswith("show automatic")
        columns, rows = job_records.show(self._state(), self._now(), self._jobs_series(), automatic=automatic)
        return Result("SELECT %d" % len(rows), columns, rows)

    def _show_job(self, session, text, match, params):
        job_id = int(match.group(2))
        if match.group(1):  # WHEN COMPLETE: wait until the job reaches a terminal state
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                shown = job_records.visible(self._state(), self._now(), self._jobs_series(), job_ids={job_id})
                if not shown or shown[0]["status"] in job_records.TERMINAL:
                    break
                time.sleep(0.1)
        columns, rows = job_records.show(self._state(), self._now(), self._jobs_series(), job_ids={job_id})
        return Result("SELECT %d" % len(rows), columns, rows)

    def _create_index(self, session, text, match, params):
        """CREATE INDEX on kv: a NEW SCHEMA CHANGE job (declarative schema changer) that runs for
        ``schema_change_seconds``; the statement returns when it has succeeded, like the real one."""
        self._require_kv()
        columns = [c.strip() for c in match.group(6).split(",")]
        name = (match.group(3) or "").strip() or "kv_%s_idx" % "_".join(columns)
        seconds = float(self.node.config.get("schema_change_seconds", SCHEMA_CHANGE_SECONDS))
        description = "CREATE %sINDEX %s ON defaultdb.public.kv (%s)" % (
            "UNIQUE " if match.group(1) else "", name, ", ".join(columns))
        with self.node.store.update() as st:
            job = job_records.make_job(st, "NEW SCHEMA CHANGE", description, self._now(),
                                       user=session.params.get("user") or "root", run_seconds=seconds,
                                       node_id=self.node.node_id, statement=text)
        deadline = job["run_until"]
        while time.time() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.time())))
        return Result("CREATE INDEX")

    def _require_kv(self):
        if "rows" not in self.node.store.read_kv():
            raise PgError("42P01", 'relation "kv" does not exist')

    # ---------------------------------------------------------------- backup
    def _collection_dir(self, uri):
        """nodelocal://<node>/<path> -> its directory under the shared dir (the node's external IO dir)."""
        found = NODELOCAL_RE.match(uri)
        if not found:
            raise PgError(UNSUPPORTED, "unsupported statement in testbed simulator: backup storage %s "
                                       "(only nodelocal:// URIs)" % uri)
        node = self.node.node_id if found.group(1) == "self" else int(found.group(1))
        path = (found.group(2) or "/").strip("/")
        return os.path.join(self.node.config["shared_dir"], "nodelocal", str(node), path)

    def _backup(self, session, text, match, params):
        """BACKUP [TABLE|DATABASE x] INTO 'nodelocal://1/...' [WITH detached]: a BACKUP job and a copy of the kv
        rows in <collection>/<YYYY>/<MM>/<DD-HHMMSS.ss>/ (BulkJobExecutionResultHeader / DetachedJobExecution-
        ResultHeader)."""
        uri = re.match(r"(?i)^.* into '([^']*)'", text).group(1)
        options = (match.group(4) or "").replace(" ", "")
        detached = "detached" in options and "detached=false" not in options
        collection = self._collection_dir(uri)
        now = self._now()
        stamp = datetime.datetime.utcfromtimestamp(now)
        subdir = stamp.strftime("/%Y/%m/%d-%H%M%S.") + "%02d" % (stamp.microsecond // 10000)
        kv = self.node.store.read_kv()
        whole = match.group(2) in (None, "defaultdb", "kv", "defaultdb.kv", "defaultdb.public.kv")
        rows = kv.get("rows", {}) if whole else {}
        size = sum(len(key) + len(value or "") + 24 for key, value in rows.items())
        destination = os.path.join(collection, subdir.strip("/"))
        os.makedirs(destination, exist_ok=True)
        shared_state.write_json(os.path.join(destination, "kv.json"), {"rows": rows})
        target = ("%s %s " % (match.group(1).upper(), match.group(2))) if match.group(1) else ""
        description = "BACKUP %sINTO '%s' IN '%s'%s" % (target, subdir, uri, " WITH OPTIONS (detached)" if detached else "")
        with self.node.store.update() as st:
            job = job_records.make_job(st, "BACKUP", description, now, user=session.params.get("user") or "root",
                                       status="running" if detached else "succeeded",
                                       run_seconds=DETACHED_BACKUP_SECONDS if detached else None,
                                       node_id=self.node.node_id, statement=text)
        with open(os.path.join(destination, "BACKUP_MANIFEST"), "w") as out:
            json.dump({"job_id": job["job_id"], "uri": uri, "path": subdir, "rows": len(rows), "bytes": size,
                       "cluster_id": self._state().get("cluster_id"), "build": self.profile.tag}, out, sort_keys=True)
        if detached:
            return Result("SELECT 1", [("job_id", OID_INT8)], [[job["job_id"]]])
        return Result("SELECT 1", BACKUP_COLUMNS, [[job["job_id"], "succeeded", 1.0, len(rows), 0, size]])

    def _show_backups(self, session, text, match, params):
        uri = re.match(r"(?i)^show backups in '([^']*)'$", text).group(1)
        collection = self._collection_dir(uri)
        found = []
        for dirpath, _dirnames, filenames in os.walk(collection):
            if "BACKUP_MANIFEST" in filenames:
                found.append("/" + os.path.relpath(dirpath, collection))
        rows = [[path] for path in sorted(found)]
        return Result("SELECT %d" % len(rows), [("path", OID_TEXT)], rows)

    # ---------------------------------------------------------------- node status
    def _node_status(self, session, text, match, params):
        lowered = text.lower()
        st, now = self._state(), self._now()
        profile = self.profile
        columns = profile.base_columns()
        columns[-1] = "ifnull"
        if "replicas_leaders" in lowered:
            columns += profile.ranges_columns()
        if "live_bytes" in lowered:
            columns += [c for c in profile.stats_columns() if c in lowered]
        if "gossiped_replicas" in lowered:
            columns += profile.decommission_columns()
        hide_inactive = ("where membership = 'active' or" in lowered
                         or "where decommissioning = false or" in lowered)
        wanted = params[0] if "where id = $1" in lowered and params else None
        metrics = dict(model.kv_store_status(st, now))
        health = model.range_health(st, now)
        rows = []
        for record in model.all_nodes(st):
            live = model.is_live(record, now)
            if hide_inactive and not live and record["membership"] != "active":
                continue
            if wanted is not None and str(record["node_id"]) != str(wanted):
                continue
            values = self._node_values(record, live, metrics.get(record["node_id"]), health)
            rows.append([values[c] for c in columns])
        numeric = set(NODE_STATUS_STATS) | set(NODE_STATUS_RANGES)
        typed_columns = [(c, SQL_TYPES.get(c, OID_INT8 if c in numeric else OID_TEXT)) for c in columns]
        return Result("SELECT %d" % len(rows), typed_columns, rows)

    def _node_values(self, record, live, metrics, health):
        gossip = record if live else {}
        values = {
            "id": record["node_id"], "address": gossip.get("address"), "sql_address": gossip.get("sql_address"),
            "build": gossip.get("build_tag"), "started_at": ts(gossip.get("started_at")),
            "updated_at": ts(record.get("updated_at")), "locality": gossip.get("locality"),
            "start_mode": gossip.get("start_mode"),
            "is_available": live and not record.get("upgrading"), "ifnull": live,
            "gossiped_replicas": (sum(1 for h in health if record["node_id"] in h["replicas"]) if live else None),
            "is_decommissioning": (record["membership"] != "active" if not self.profile.kwdb
                                   else record["membership"] == "decommissioning"),
            "membership": record["membership"], "is_draining": bool(record.get("draining")),
        }
        for column, key in list(NODE_STATUS_RANGES.items()) + list(NODE_STATUS_STATS.items()):
            values[column] = None if metrics is None else int(metrics.get(key, 0))
        return values

    def _node_ls(self, session, text, match, params):
        st, now = self._state(), self._now()
        rows = [[n["node_id"]] for n in model.all_nodes(st)
                if n["membership"] == "active" or model.is_live(n, now)]
        return Result("SELECT %d" % len(rows), [("node_id", OID_INT8)], rows)

    def _finalization_drift(self, session, text, match, params):
        st, now = self._state(), self._now()
        current = model.version_text(st, now, self.node.config)
        drift = sum(1 for n in model.active_nodes(st) if n["binary_version"] != current)
        return Result("SELECT 1", [("last_upgrade_is_finalized", OID_BOOL)], [[drift == 0]])

    # ---------------------------------------------------------------- kv_store_status aggregates
    def _store_status(self, session, text, match, params):
        select_list = re.match(r"(?i)^select (.+) from", text).group(1)
        items = [self._store_item(part) for part in _split_top_level(select_list)]
        st, now = self._state(), self._now()
        stores = sorted(model.kv_store_status(st, now))
        columns = [(alias, OID_INT8) for alias, _key in items]
        if match.group(3) or any(key is None for _alias, key in items):
            # one row per store; one store per node, numbered like its node: store_id = node_id
            rows = [[node_id if key is None else int(m.get(key, 0)) for _alias, key in items] for node_id, m in stores]
        else:
            rows = [[sum(int(m.get(key, 0)) for _node_id, m in stores) if stores else None for _alias, key in items]]
        return Result("SELECT %d" % len(rows), columns, rows)

    @staticmethod
    def _store_item(part):
        lowered = part.lower()
        alias = re.search(r"\bas (\w+)$", lowered)
        column = re.match(r"^(node_id|store_id)( as \w+)?$", lowered)
        if column:
            return (alias.group(1) if alias else column.group(1)), None
        metric = re.search(r"metrics->>'([a-z.]+)'", lowered)
        if not metric:
            raise PgError(UNSUPPORTED, "unsupported statement in testbed simulator: %s" % part)
        return (alias.group(1) if alias else "sum"), metric.group(1)

    def _ranges(self, session, text, match, params):
        """The ranges view: replicas are store ids (one store per node, store_id = node_id), rendered like the
        CLI prints an INT2VECTOR ({1,2,3}); lease_holder NULL for a range without a live majority."""
        wanted = [c.strip() for c in match.group(1).split(",")]
        types = {"range_id": OID_INT8, "replicas": OID_INT2VECTOR, "lease_holder": OID_INT8}
        missing = [c for c in wanted if c not in types]
        if missing:
            raise PgError("42703", 'column "%s" does not exist' % missing[0])
        rows = []
        for index, health in enumerate(model.range_health(self._state(), self._now())):
            values = {"range_id": index + 1, "replicas": "{%s}" % ",".join(str(r) for r in sorted(health["replicas"])),
                      "lease_holder": health["leaseholder"]}
            rows.append([values[c] for c in wanted])
        return Result("SELECT %d" % len(rows), [(c, types[c]) for c in wanted], rows)

    def _gossip_nodes(self, session, text, match, params):
        st, now = self._state(), self._now()
        wanted = [c.strip() for c in match.group(1).split(",")]
        types = {"node_id": OID_INT8, "is_live": OID_BOOL, "ranges": OID_INT8, "leases": OID_INT8,
                 "started_at": OID_TIMESTAMP}
        rows = []
        for record in model.all_nodes(st):
            if not model.is_live(record, now) or record["membership"] == "decommissioned":
                continue
            values = {"node_id": record["node_id"], "address": record["address"],
                      "sql_address": record["sql_address"], "build_tag": record["build_tag"],
                      "server_version": record["binary_version"], "started_at": ts(record["started_at"]),
                      "is_live": True, "locality": record.get("locality", ""),
                      "start_mode": record.get("start_mode")}
            missing = [c for c in wanted if c not in values]
            if missing:
                raise PgError("42703", 'column "%s" does not exist' % missing[0])
            rows.append([values[c] for c in wanted])
        return Result("SELECT %d" % len(rows), [(c, types.get(c, OID_TEXT)) for c in wanted], rows)

    # ---------------------------------------------------------------- kv workload
    def _check_writable(self, key):
        st, now = self._state(), self._now()
        health = model.range_health(st, now)
        if health and not health[int(key) % len(health)]["available"]:
            raise PgError("XXUUU", "replica unavailable: range r%d lost quorum" % (int(key) % len(health) + 1))

    def _create_kv(self, session, text, match, params):
        with self.node.store.update_kv() as kv:
            kv.setdefault("rows", {})
        return Result("CREATE TABLE")

    @staticmethod
    def _literal(token, params):
        token = token.strip()
        placeholder = re.match(r"^\$(\d+)$", token)
        if placeholder:
            return params[int(placeholder.group(1)) - 1]
        if token.startswith("'") and token.endswith("'"):
            return token[1:-1].replace("''", "'")
        return int(token)

    def _upsert_kv(self, session, text, match, params):
        body = re.match(r"(?i)^(?:upsert|insert) into kv \(k, v\) values \((.+)\)$", text).group(1)
        key_token, value_token = _split_top_level(body)
        key, value = self._literal(key_token, params), self._literal(value_token, params)
        self._check_writable(key)
        with self.node.store.update_kv() as kv:
            if "rows" not in kv:
                raise PgError("42P01", 'relation "kv" does not exist')
            kv["rows"][str(key)] = None if value is None else str(value)
        return Result("INSERT 0 1")

    def _select_kv(self, session, text, match, params):
        key_token = re.match(r"(?i)^select v from kv where k = (.+)$", text).group(1)
        key = self._literal(key_token, params)
        kv = self.node.store.read_kv()
        if "rows" not in kv:
            raise PgError("42P01", 'relation "kv" does not exist')
        rows = [[kv["rows"][str(key)]]] if key is not None and str(key) in kv["rows"] else []
        return Result("SELECT %d" % len(rows), [("v", OID_TEXT)], rows)
