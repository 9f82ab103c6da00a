"""Jobs of the simulated cluster: the records in the shared state and `SHOW [AUTOMATIC] JOBS` / `SHOW JOB <id>`.

A job record (st["jobs"]) holds the crdb_internal.jobs fields plus three simulator fields:
    visible_from  the job does not exist before this time (a planned upgrade step of a finalization)
    run_until     a running job succeeds at this time (schema changes, detached backups, upgrade steps)
    added         made by `python -m tests.testbed job --add` (removed again by `job --clear-added`)
Everything shown is computed from the record and the current time (``view``), so no process has to
come back and finish a job.

Columns, types and value formats follow code pkg/sql/delegate/show_jobs.go per version
(flow-surfaces-cockroachdb.md section 2): 19 columns on 23.1/23.2, 13 on 24.1-25.2 (16 with an id),
without `started` from 25.3; TIMESTAMP on 23.1, TIMESTAMPTZ from 23.2, truncated to the second from 24.1.
"""
import datetime

from ..common.pgwire import (OID_FLOAT8, OID_INT8, OID_TEXT, OID_TEXT_ARRAY, OID_TIMESTAMP, OID_TIMESTAMPTZ)
from . import versions

TERMINAL = ("succeeded", "failed", "canceled", "revert-failed")
STATUSES = ("pending", "paused", "pause-requested", "failed", "succeeded", "canceled", "cancel-requested",
            "running", "retry-running", "retry-reverting", "reverting", "revert-failed")
# jobspb.Type names with "_" as " " (jobspb/wrap.go), enum order
JOB_TYPES = (
    "BACKUP", "RESTORE", "SCHEMA CHANGE", "IMPORT", "CHANGEFEED", "CREATE STATS", "AUTO CREATE STATS",
    "SCHEMA CHANGE GC", "TYPEDESC SCHEMA CHANGE", "REPLICATION STREAM INGESTION", "NEW SCHEMA CHANGE", "MIGRATION",
    "AUTO SPAN CONFIG RECONCILIATION", "AUTO SQL STATS COMPACTION", "REPLICATION STREAM PRODUCER", "ROW LEVEL TTL",
    "AUTO SCHEMA TELEMETRY", "KEY VISUALIZER", "POLL JOBS STATS", "AUTO CONFIG RUNNER", "AUTO CONFIG ENV RUNNER",
    "AUTO CONFIG TASK", "AUTO UPDATE SQL ACTIVITY", "MVCC STATISTICS UPDATE", "IMPORT ROLLBACK", "HISTORY RETENTION",
    "LOGICAL REPLICATION", "AUTO CREATE PARTIAL STATS", "UPDATE TABLE METADATA CACHE", "STANDBY READ TS POLLER",
    "SQL ACTIVITY FLUSH", "HOT RANGES LOGGER", "INSPECT")
# jobspb.AutomaticJobTypes (newest); 23.x lacked the three marked below (INFERRED)
AUTOMATIC_TYPES = (
    "AUTO CREATE STATS", "AUTO CREATE PARTIAL STATS", "AUTO SPAN CONFIG RECONCILIATION", "AUTO SQL STATS COMPACTION",
    "AUTO SCHEMA TELEMETRY", "POLL JOBS STATS", "AUTO CONFIG RUNNER", "AUTO CONFIG ENV RUNNER", "AUTO CONFIG TASK",
    "KEY VISUALIZER", "AUTO UPDATE SQL ACTIVITY", "MVCC STATISTICS UPDATE", "UPDATE TABLE METADATA CACHE")
NEWER_AUTOMATIC_TYPES = {"AUTO CREATE PARTIAL STATS": (24, 1), "MVCC STATISTICS UPDATE": (24, 1),
                         "UPDATE TABLE METADATA CACHE": (24, 3)}

COLUMNS_20_1 = ("job_id", "job_type", "description", "statement", "user_name", "status", "running_status", "created",
                "started", "finished", "modified", "fraction_completed", "error", "coordinator_id")  # KWDB (v20.1)
COLUMNS_23 = ("job_id", "job_type", "description", "statement", "user_name", "status", "running_status", "created",
              "started", "finished", "modified", "fraction_completed", "error", "coordinator_id", "trace_id",
              "last_run", "next_run", "num_runs", "execution_errors")
COLUMNS_24 = ("job_id", "job_type", "description", "user_name", "status", "running_status", "created", "started",
              "finished", "modified", "fraction_completed", "error", "coordinator_id")
COLUMNS_24_WITH_IDS = ("job_id", "job_type", "description", "statement", "user_name", "status", "running_status",
                       "created", "started", "finished", "modified", "fraction_completed", "error", "coordinator_id",
                       "trace_id", "execution_errors")
TIMESTAMP_COLUMNS = ("created", "started", "finished", "modified", "last_run", "next_run")
INT_COLUMNS = ("job_id", "coordinator_id", "trace_id", "num_runs")
RETENTION_SECONDS = 12 * 3600  # finished jobs older than 12h are not listed
RETRY_INITIAL_DELAY = 30.0  # jobs.registry.retry.initial_delay: next_run of a job that ran once (INFERRED)
UNIQUE_INT_EPOCH = 1420070400  # 2015-01-01: builtins.GenerateUniqueID counts 10 us units from there

# Upgrade steps run by finalization, per target series: (internal step, description). The step numbers and
# descriptions stand in for the real upgrade list (INFERRED); the description format is EXACT.
UPGRADE_STEPS = {
    "23.2": ((4, "create statement_execution_insights and transaction_execution_insights tables"),
             (10, "add plan_gist column to system.statement_diagnostics_requests"),
             (16, "grant EXECUTE on all functions to the public role")),
    "24.1": ((4, "drop unused payload and progress columns from system.jobs table"),
             (10, "migrate old-style PTS records to the new style"),
             (16, "upgrade descriptor leasing to session based leasing")),
    "24.2": ((4, "add new column"),
             (10, "delete tenant settings with tenant ID 0"),
             (16, "add the locality column to system.sql_instances")),
    "24.3": ((4, "create system.table_metadata table"),
             (10, "add exclude_data_from_backup to system.sql_stats tables"),
             (16, "hide the system.mvcc_statistics table from backups")),
    "25.1": ((4, "create system.prepared_transactions table"),
             (10, "add the estimated_last_login_time column to system.users"),
             (16, "remove the zone config of the system.span_count table")),
    "25.2": ((4, "add the transaction_diagnostics tables"),
             (10, "add the hot ranges logger job"),
             (16, "backfill the system.jobs created_by columns")),
    "25.3": ((4, "create the system.job_progress, job_status and job_message tables"),
             (10, "backfill the new job state tables"),
             (16, "add the inspect_errors table")),
    "25.4": ((4, "add the statement_hints table"),
             (10, "create the system.table_statistics_locks table"),
             (16, "drop the legacy job progress columns")),
}


def new_job_id(st, now, node_id=1):
    """unique_rowid-style id (GenerateUniqueID: 10 us units since 2015 << 15, xor the node id), never reused."""
    candidate = (int((now - UNIQUE_INT_EPOCH) * 1e5) << 15) ^ int(node_id)
    used = [job["job_id"] for job in st.get("jobs", [])]
    if used and candidate <= max(used):
        candidate = max(used) + (1 << 15)
    return candidate


def make_job(st, job_type, description, now, user="root", status="running", statement="", run_seconds=None,
             visible_from=None, node_id=1, added=False, running_status=None):
    """Append a job record to the state and return it."""
    created = now if visible_from is None else visible_from
    job = {"job_id": new_job_id(st, created, node_id), "job_type": job_type, "description": description,
           "statement": statement, "user_name": user, "status": status, "running_status": running_status,
           "created": created, "started": created if status != "pending" else None, "finished": None,
           "modified": created, "fraction_completed": 0.0, "error": "", "coordinator_id": node_id,
           "run_until": None if run_seconds is None else created + run_seconds, "visible_from": visible_from,
           "added": added}
    if status in TERMINAL:
        job.update({"finished": created, "fraction_completed": 1.0 if status == "succeeded" else 0.0,
                    "coordinator_id": None})
    st.setdefault("jobs", []).append(job)
    return job


def upgrade_job_version(from_series, to_series, step):
    """The version an upgrade step is named after (roachpb.Version.String, the form by release)."""
    return versions.upgrading_version(from_series, to_series, step)


def plan_upgrade_jobs(st, from_series, to_series, start, delay, user):
    """MIGRATION jobs of a finalization: each appears when the cluster version reaches its step and succeeds
    shortly after (upgrade_job.go: Description = "Upgrade to <version>: %q", NonCancelable)."""
    for step, description in UPGRADE_STEPS.get(to_series, ()):
        appears = start + delay * (step // 2 - 1) / 10.0
        version = upgrade_job_version(from_series, to_series, step)
        name = 'Upgrade to %s: "%s"' % (version, description.replace('"', '\\"'))
        make_job(st, "MIGRATION", name, appears, user=user, visible_from=appears, run_seconds=delay * 0.08)


def bootstrap_jobs(st, now, series):
    """The jobs every new cluster has: the span config reconciler (always running) and a stats compaction."""
    make_job(st, "AUTO SPAN CONFIG RECONCILIATION", "reconciling span configurations", now, user="node")
    make_job(st, "AUTO SQL STATS COMPACTION", "automatic SQL Stats compaction", now, user="node", status="succeeded",
             statement="")


def finish_running(st, now, job_type=None):
    """Mark running jobs (of ``job_type``) succeeded now (finalization completed)."""
    for job in st.get("jobs", []):
        if job["status"] == "running" and (job_type is None or job["job_type"] == job_type) and job.get("run_until"):
            job.update({"status": "succeeded", "finished": min(now, job["run_until"]),
                        "modified": min(now, job["run_until"]), "fraction_completed": 1.0, "coordinator_id": None})


def view(job, now):
    """The job as crdb_internal.jobs shows it at ``now`` (None when it does not exist yet)."""
    if job.get("visible_from") is not None and now < job["visible_from"]:
        return None
    shown = dict(job)
    until = job.get("run_until")
    if job["status"] == "running" and until is not None:
        if now >= until:
            shown.update({"status": "succeeded", "finished": until, "modified": until, "fraction_completed": 1.0,
                          "coordinator_id": None})
        else:
            span = max(until - job["created"], 0.001)
            shown["fraction_completed"] = round(max(0.0, min(1.0, (now - job["created"]) / span)), 2)
            shown["modified"] = now
    return shown


def is_automatic(job_type, series):
    since = NEWER_AUTOMATIC_TYPES.get(job_type)
    return job_type in AUTOMATIC_TYPES and (since is None or versions.parse_series(series) >= since)


def visible(st, now, series, automatic=False, job_ids=None):
    """Jobs as SHOW JOBS (or SHOW AUTOMATIC JOBS, or SHOW JOB <ids>) selects and orders them."""
    shown = []
    for job in st.get("jobs", []):
        current = view(job, now)
        if current is None:
            continue
        if job_ids is not None:
            if current["job_id"] in job_ids:
                shown.append(current)
            continue
        if is_automatic(current["job_type"], series) != automatic:
            continue
        if current["finished"] is not None and current["finished"] <= now - RETENTION_SECONDS:
            continue
        shown.append(current)
    # ORDER BY COALESCE(finished, now()) DESC, started DESC
    shown.sort(key=lambda j: (j["finished"] if j["finished"] is not None else now, j["started"] or 0), reverse=True)
    return shown


def columns_for(series, with_ids):
    """The column names of SHOW JOBS (``with_ids``: SHOW JOB <id> / SHOW JOBS SELECT ...) for a series."""
    parsed = versions.parse_series(series)
    if parsed < (21, 1):
        return COLUMNS_20_1
    if parsed < (24, 1):
        return COLUMNS_23
    names = COLUMNS_24_WITH_IDS if with_ids else COLUMNS_24
    if parsed >= (25, 3):
        names = tuple(name for name in names if name != "started")
    return names


def column_types(names, series):
    timestamp = OID_TIMESTAMP if versions.parse_series(series) < (23, 2) else OID_TIMESTAMPTZ
    types = []
    for name in names:
        if name in INT_COLUMNS:
            types.append((name, OID_INT8))
        elif name in TIMESTAMP_COLUMNS:
            types.append((name, timestamp))
        elif name == "fraction_completed":
            types.append((name, OID_FLOAT8))
        elif name == "execution_errors":
            types.append((name, OID_TEXT_ARRAY))
        else:
            types.append((name, OID_TEXT))
    return types


def shorten(description):
    """The list form's cut (24.1+): more than 70 characters -> the first 59, ' … ', the last 7."""
    if len(description) > 70:
        return description[:59] + " \u2026 " + description[-7:]
    return description


def timestamp(epoch, series):
    """The timestamp value as the column type of the series carries it."""
    if epoch is None:
        return None
    parsed = versions.parse_series(series)
    value = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    if parsed >= (24, 1):
        value = value.replace(microsecond=0)  # date_trunc('second', ...)
    if parsed < (23, 2):
        value = value.replace(tzinfo=None)  # TIMESTAMP
    return value


def row(job, names, series, with_ids):
    parsed = versions.parse_series(series)
    started = job.get("started")
    values = {
        "job_id": job["job_id"], "job_type": job["job_type"],
        "description": job["description"] if with_ids or parsed < (24, 1) else shorten(job["description"]),
        "statement": job.get("statement") or "", "user_name": job["user_name"], "status": job["status"],
        "running_status": job.get("running_status"), "fraction_completed": float(job["fraction_completed"]),
        "error": job.get("error") or "", "coordinator_id": job.get("coordinator_id"), "trace_id": 0,
        "num_runs": 1 if started is not None else 0, "execution_errors": "{}",
    }
    for name in ("created", "started", "finished", "modified"):
        values[name] = timestamp(job.get(name), series)
    values["last_run"] = timestamp(started, series)
    values["next_run"] = timestamp(None if started is None else started + RETRY_INITIAL_DELAY, series)
    return [values[name] for name in names]


def show(st, now, series, automatic=False, job_ids=None):
    """(columns, rows) of SHOW JOBS / SHOW AUTOMATIC JOBS / SHOW JOB <ids>."""
    with_ids = job_ids is not None
    names = columns_for(series, with_ids)
    rows = [row(job, names, series, with_ids) for job in visible(st, now, series, automatic, job_ids)]
    return column_types(names, series), rows
