"""Jobs added to a simulated CockroachDB cluster from the controller, for the upgrade preflight's refusals.

    add_job(cluster, "NEW SCHEMA CHANGE", status="running", description="ALTER TABLE kv ADD COLUMN x INT")
    clear_added(cluster)        # removes the jobs added this way (the cluster's own jobs stay)

The job goes into the cluster's shared state (`<shared dir>/cluster.json`, the document every node reads
under the lock protocol of sim/common/state.py) with the fields of crdb_internal.jobs, so `SHOW JOBS`,
`SHOW JOB <id>` and the like show it on every node at once. A running job stays running until cleared.
"""
import contextlib
import fcntl
import json
import os
import time

from .hostlab import LabError
# provision puts the simulator package `sim` on sys.path
from .provision import releases  # noqa: F401  pylint: disable=unused-import
from sim.crdb import jobs as job_records  # noqa: E402  pylint: disable=wrong-import-position


def _state_path(cluster):
    return os.path.join(cluster.shared_dir, "cluster.json")


@contextlib.contextmanager
def _locked_state(cluster):
    """The cluster document under its lock; written back atomically with the owner the nodes gave it (the
    shared dir is sticky, so a node's user must own the file to replace it later)."""
    path = _state_path(cluster)
    if not os.path.exists(path):
        raise LabError("cluster %s has no simulated CockroachDB state (%s); is the database up?" % (cluster.name, path))
    with open(path + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as source:
                document = json.load(source)
            owner = os.stat(path)
            yield document
            tmp = "%s.tmp.%d" % (path, os.getpid())
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump(document, out, sort_keys=True)
            os.chmod(tmp, 0o644)
            try:
                os.chown(tmp, owner.st_uid, owner.st_gid)
            except PermissionError:
                pass
            os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def add_job(cluster, job_type, status="running", description=None, user="root"):
    """Add a job row; returns the job record (its ``job_id`` is what SHOW JOBS prints)."""
    if job_type not in job_records.JOB_TYPES:
        raise LabError("unknown job type %r (known: %s)" % (job_type, ", ".join(job_records.JOB_TYPES)))
    if status not in job_records.STATUSES:
        raise LabError("unknown job status %r (known: %s)" % (status, ", ".join(job_records.STATUSES)))
    if description is None:
        description = {"NEW SCHEMA CHANGE": "ALTER TABLE defaultdb.public.kv ADD COLUMN extra INT8",
                       "SCHEMA CHANGE": "ALTER TABLE defaultdb.public.kv ADD COLUMN extra INT8",
                       "BACKUP": "BACKUP INTO 'nodelocal://1/backups'"}.get(job_type, job_type.lower())
    with _locked_state(cluster) as state:
        if not state.get("initialized"):
            raise LabError("cluster %s is not initialized yet" % cluster.name)
        statement = description if "SCHEMA CHANGE" in job_type or job_type == "BACKUP" else ""
        job = job_records.make_job(state, job_type, description, time.time(), user=user, status=status, added=True,
                                   statement=statement)
    return job


def clear_added(cluster):
    """Remove every job added by add_job; returns their ids."""
    with _locked_state(cluster) as state:
        removed = [job["job_id"] for job in state.get("jobs", []) if job.get("added")]
        state["jobs"] = [job for job in state.get("jobs", []) if not job.get("added")]
    return removed
