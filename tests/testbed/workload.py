"""A steady client workload against a lab cluster, to measure what an upgrade step costs the application.

    workload = Workload("host=10.89.150.10 port=26257 user=root dbname=defaultdb sslmode=disable", rate=50)
    workload.start()
    ...                                  # drain / restart / upgrade a node
    summary = workload.stop()            # {'ok': N, 'errors': N, 'retries': N, 'max_gap_s': ..., 'seconds': [...]}

`Workload` speaks pgwire with psycopg 3 (CockroachDB/KWDB through the load balancer); `DatabendWorkload`
posts to Databend's HTTP handler (`POST /v1/query`). Both share the rate loop and the accounting: per
second the successes, errors (counted by class, with message samples), transparent retries, p50/p99
latency; overall the longest gap between two successful operations. `run_workload()` runs one for a
fixed time and writes the summary as JSON.

The pgwire client behaves like an application using a connection pool with the connection retry logic
CockroachDB's node-shutdown docs ask for:
- `connections` workers, each holding one connection (concurrent requests drawing from a pool), share the
  rate; a broken connection is replaced on its next use.
- Getting a connection retries failed attempts (a refused TCP connect, or FATAL 57P01 "server is not
  accepting clients, try another node" from a draining node) until `acquire_timeout`; each failed
  attempt counts as a retry, running out of time counts as an error.
- A statement answered with SQLSTATE 57P01 (admin_shutdown: the server ended the session instead of
  running it) is retried on a fresh connection (retry_admin_shutdown=False counts it as an error). Any other failure, including a connection that
  breaks without an answer (the outcome of the statement is unknown), counts as an error.
Operations alternate an UPSERT and a SELECT of the key just written; a read that does not return the
written value counts as an error (WrongResult).

Network rule: the target must resolve to loopback or a lab subnet (10.89.0.0/16); anything else is refused.
Standard library only, except psycopg, which is imported when a pgwire workload is created.
"""
import base64
import ipaddress
import json
import math
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ALLOWED_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.89.0.0/16"),
                    ipaddress.ip_network("::1/128"))
ADMIN_SHUTDOWN = "57P01"
SAMPLES_PER_SECOND = 3
SAMPLES_OVERALL = 10
KEYS = 1000
RESCHEDULE_AFTER = 1.0  # seconds behind schedule after which the loop stops catching up (no burst after a stall)


class WorkloadError(Exception):
    """The workload could not be set up or was given a target outside the lab."""


class OperationFailed(Exception):
    """An operation failed from the application's point of view; ``kind`` is the error class recorded."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def check_target(host):
    """Refuse any host that does not resolve only to loopback or the lab's 10.89.0.0/16; returns the addresses."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as error:
        raise WorkloadError("cannot resolve workload target %r: %s" % (host, error)) from None
    addresses = sorted(set(info[4][0] for info in infos))
    outside = [address for address in addresses
               if not any(ipaddress.ip_address(address) in network for network in ALLOWED_NETWORKS)]
    if outside:
        raise WorkloadError("workload target %r resolves to %s, outside loopback and the lab subnets 10.89.0.0/16"
                            % (host, ", ".join(outside)))
    return addresses


def error_kind(error):
    """The class recorded for an exception: OperationFailed keeps its kind, others use the type name."""
    return error.kind if isinstance(error, OperationFailed) else type(error).__name__


def one_line(error):
    return " | ".join(part.strip() for part in str(error).splitlines() if part.strip())


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, int(math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


class Recorder:
    """Per-second accounting of successes, errors and retries, with latencies and the longest success gap."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.started = clock()
        self.ended = None
        self._seconds = {}
        self._last_success = self.started
        self._max_gap = 0.0
        self._lock = threading.Lock()

    def _bucket(self, at):
        second = max(0, int(at - self.started))
        bucket = self._seconds.get(second)
        if bucket is None:
            bucket = self._seconds[second] = {"latencies": [], "errors": {}, "retries": {}, "error_samples": [],
                                              "retry_samples": []}
        return bucket

    def success(self, at, latency):
        with self._lock:
            self._bucket(at)["latencies"].append(latency)
            self._max_gap = max(self._max_gap, at - self._last_success)
            self._last_success = at

    def failure(self, at, error):
        self._count(at, error, "errors", "error_samples")

    def retry(self, at, error):
        self._count(at, error, "retries", "retry_samples")

    def _count(self, at, error, counts_key, samples_key):
        kind = error_kind(error)
        with self._lock:
            bucket = self._bucket(at)
            bucket[counts_key][kind] = bucket[counts_key].get(kind, 0) + 1
            if len(bucket[samples_key]) < SAMPLES_PER_SECOND:
                bucket[samples_key].append("%s: %s" % (kind, one_line(error)))

    def finish(self):
        with self._lock:
            if self.ended is None:
                self.ended = self.clock()

    def summary(self):
        """The totals and one entry per elapsed second (seconds without any operation included)."""
        with self._lock:
            ended = self.ended if self.ended is not None else self.clock()
            elapsed = ended - self.started
            count = max([int(math.ceil(elapsed))] + [second + 1 for second in self._seconds])
            seconds = [self._second_summary(second) for second in range(count)]
            latencies = sorted(value for bucket in self._seconds.values() for value in bucket["latencies"])
            max_gap = max(self._max_gap, ended - self._last_success)
        return {
            "ok": sum(entry["ok"] for entry in seconds),
            "errors": sum(entry["errors"] for entry in seconds),
            "retries": sum(entry["retries"] for entry in seconds),
            "elapsed_s": round(elapsed, 3),
            "max_gap_s": round(max_gap, 3),
            "p50_ms": _ms(percentile(latencies, 0.50)),
            "p99_ms": _ms(percentile(latencies, 0.99)),
            "error_classes": _merge(entry["error_classes"] for entry in seconds),
            "retry_classes": _merge(entry["retry_classes"] for entry in seconds),
            "error_samples": [s for entry in seconds for s in entry["error_samples"]][:SAMPLES_OVERALL],
            "retry_samples": [s for entry in seconds for s in entry["retry_samples"]][:SAMPLES_OVERALL],
            "seconds": seconds,
        }

    def _second_summary(self, second):
        bucket = self._seconds.get(second) or {"latencies": [], "errors": {}, "retries": {}, "error_samples": [],
                                               "retry_samples": []}
        latencies = sorted(bucket["latencies"])
        return {"second": second, "ok": len(latencies), "errors": sum(bucket["errors"].values()),
                "retries": sum(bucket["retries"].values()), "p50_ms": _ms(percentile(latencies, 0.50)),
                "p99_ms": _ms(percentile(latencies, 0.99)), "error_classes": dict(bucket["errors"]),
                "retry_classes": dict(bucket["retries"]), "error_samples": list(bucket["error_samples"]),
                "retry_samples": list(bucket["retry_samples"])}


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000.0, 3)


def _merge(dicts):
    merged = {}
    for counts in dicts:
        for key, value in counts.items():
            merged[key] = merged.get(key, 0) + value
    return merged


def summary_line(summary, label="workload"):
    """One terse line for test output: ops, errors, retries, max gap, latency."""
    return ("%s: %d ok, %d errors %s, %d retries %s, max gap %.2f s, p50 %s ms, p99 %s ms, %.1f s"
            % (label, summary["ok"], summary["errors"], summary["error_classes"] or "", summary["retries"],
               summary["retry_classes"] or "", summary["max_gap_s"], summary["p50_ms"], summary["p99_ms"],
               summary["elapsed_s"]))


def write_json(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)
        out.write("\n")
    os.replace(path + ".tmp", path)


class Worker:
    """One client thread of a RateLoop: its own connection state and its share of the rate."""

    def __init__(self, number):
        self.number = number
        self.thread = None
        self.op_started = None
        self.timed_out = False


class RateLoop:
    """Runs operations at ``rate`` per second in ``workers`` threads (each at rate/workers), recording outcomes.

    Subclasses provide setup(), new_worker(number) -> Worker, operation(worker, index) (raise on failure;
    report transparent retries through self.recorder.retry), abort(worker) (break a blocked operation from
    another thread) and close(worker). The loop ends at stop(), after ``duration`` seconds, or at
    ``max_seconds`` at the latest; an operation running longer than ``op_timeout`` is aborted and counted as an
    OpTimeout error. Several workers keep the rate when the server answers slowly.
    """

    kind = "abstract"

    def __init__(self, rate=50.0, workers=1, duration=None, max_seconds=600.0, op_timeout=5.0, out_path=None):
        if rate <= 0 or workers < 1:
            raise WorkloadError("rate and workers must be positive, got %r and %r" % (rate, workers))
        self.rate = float(rate)
        self.duration = duration
        self.max_seconds = max_seconds
        self.op_timeout = op_timeout
        self.out_path = out_path
        self.recorder = None
        self.workers = [self.new_worker(number) for number in range(workers)]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._live_workers = 0
        self._watchdog = None
        self._hard_stopped = False

    def setup(self):
        raise NotImplementedError

    def new_worker(self, number):
        return Worker(number)

    def operation(self, worker, index):
        raise NotImplementedError

    def abort(self, worker):
        raise NotImplementedError

    def close(self, worker):
        """Release the worker's client resources after its loop ended."""

    def describe(self):
        return {"kind": self.kind, "rate": self.rate, "workers": len(self.workers)}

    def start(self):
        """Set up (errors raise WorkloadError) and start the worker threads; returns self."""
        self.setup()
        self.recorder = Recorder()
        self._live_workers = len(self.workers)
        for worker in self.workers:
            worker.thread = threading.Thread(target=self._run, args=(worker,), name="workload-%d" % worker.number,
                                             daemon=True)
            worker.thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="workload-watchdog", daemon=True)
        self._watchdog.start()
        return self

    def running(self):
        return any(worker.thread is not None and worker.thread.is_alive() for worker in self.workers)

    def wait(self, timeout=None):
        """Block until the loop ended by itself (duration or max_seconds) or ``timeout``; returns whether it did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in self.workers:
            worker.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.running()

    def stop(self, grace=None):
        """End the loop (hard stop after ``grace`` seconds), write out_path if set; returns the summary."""
        if self.recorder is None:
            raise WorkloadError("workload was not started")
        self._stop.set()
        if not self.wait(self.op_timeout + 1.0 if grace is None else grace):
            self._hard_stopped = True
            for worker in self.workers:
                self.abort(worker)
            self.wait(2.0)
        self.recorder.finish()
        summary = self.summary()
        if self.out_path:
            write_json(self.out_path, summary)
        return summary

    def summary(self):
        summary = dict(self.describe(), **self.recorder.summary())
        summary["hard_stopped"] = self._hard_stopped
        return summary

    def _run(self, worker):
        period = len(self.workers) / self.rate
        started = self.recorder.started
        limit = started + min(self.duration or self.max_seconds, self.max_seconds)
        next_at = started + worker.number / self.rate  # workers interleave
        index = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= limit:
                    break
                if next_at > now:
                    self._stop.wait(min(next_at, limit) - now)
                    continue
                self._one(worker, index)
                index += 1
                next_at += period
                if time.monotonic() - next_at > RESCHEDULE_AFTER:
                    next_at = time.monotonic()
        finally:
            self.close(worker)
            with self._lock:
                self._live_workers -= 1
                if self._live_workers == 0:
                    self.recorder.finish()  # the end of the run, not of a later stop()

    def _one(self, worker, index):
        worker.timed_out = False
        began = worker.op_started = time.monotonic()
        try:
            self.operation(worker, index)
        except Exception as error:  # pylint: disable=broad-except  # every failure is data for the report
            if worker.timed_out:
                error = OperationFailed("OpTimeout", "no answer within %.1f s (%s)" % (self.op_timeout, one_line(error)))
            self.recorder.failure(time.monotonic(), error)
        else:
            ended = time.monotonic()
            self.recorder.success(ended, ended - began)
        finally:
            worker.op_started = None

    def _watch(self):
        while self.running():
            for worker in self.workers:
                began = worker.op_started
                if began is not None and time.monotonic() - began > self.op_timeout and not worker.timed_out:
                    worker.timed_out = True
                    self.abort(worker)
            time.sleep(0.05)


class PgWorker(Worker):
    """A worker's pgwire connection, replaced with retries when it broke, and the last acknowledged write."""

    def __init__(self, number, key_base):
        super().__init__(number)
        self.conn = None
        self.key_base = key_base
        self.written = None  # (key, value) of the last acknowledged write; None when unknown


class Workload(RateLoop):
    """pgwire reads and writes with psycopg 3 (table kv), through the load balancer.

    ``connections`` is the pool size: that many workers, each with its own connection, share the rate.
    """

    kind = "pgwire"
    CREATE = "CREATE TABLE IF NOT EXISTS kv (k INT PRIMARY KEY, v STRING)"
    WRITE = "UPSERT INTO kv (k, v) VALUES (%s, %s)"
    READ = "SELECT v FROM kv WHERE k = %s"

    def __init__(self, dsn, rate=50.0, connections=1, acquire_timeout=5.0, retry_admin_shutdown=True, **options):
        import psycopg  # pylint: disable=import-outside-toplevel  # only pgwire workloads need it
        self.psycopg = psycopg
        self.dsn = dsn
        self.acquire_timeout = acquire_timeout
        self.retry_admin_shutdown = retry_admin_shutdown
        self.connects = 0
        params = psycopg.conninfo.conninfo_to_dict(dsn)
        self.target = "%s:%s" % (params.get("host", "localhost"), params.get("port", 5432))
        # a multi-host conninfo (an application's failover list, host=a,b port=1,2): every host must be allowed
        for host in str(params.get("host", "localhost")).split(","):
            check_target(host)
        self.key_base = random.randrange(1, 1000000) * KEYS * 100  # own keys for workloads sharing the table
        super().__init__(rate, workers=connections, **options)

    def new_worker(self, number):
        return PgWorker(number, self.key_base + number * KEYS)

    def describe(self):
        return {"kind": self.kind, "target": self.target, "rate": self.rate, "connections": len(self.workers),
                "connects": self.connects}

    def setup(self):
        try:
            with self.psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                conn.execute(self.CREATE)
        except self.psycopg.Error as error:
            raise WorkloadError("workload setup on %s failed: %s" % (self.target, one_line(error))) from None

    def operation(self, worker, index):
        key = worker.key_base + (index // 2) % KEYS
        if index % 2 == 0:
            value = "v%d" % index
            worker.written = None  # a failed write leaves the value unknown
            self._execute(worker, self.WRITE, (key, value))
            worker.written = (key, value)
            return
        rows = self._execute(worker, self.READ, (key,))
        if worker.written is not None and rows != [(worker.written[1],)]:
            raise OperationFailed("WrongResult", "read k=%d returned %r, expected [(%r,)]" % (key, rows, worker.written[1]))

    def _execute(self, worker, statement, params):
        deadline = time.monotonic() + self.acquire_timeout
        while True:
            conn = self._acquire(worker, deadline)
            try:
                cursor = conn.execute(statement, params)
                return cursor.fetchall() if cursor.description else None
            except self.psycopg.Error as error:
                if conn.broken or conn.closed:
                    self.close(worker)
                if (self.retry_admin_shutdown and getattr(error, "sqlstate", None) == ADMIN_SHUTDOWN
                        and time.monotonic() < deadline and not worker.timed_out):
                    self.recorder.retry(time.monotonic(), error)
                    continue
                raise

    def _acquire(self, worker, deadline):
        """The worker's connection, connecting until ``deadline``; OperationFailed when none came."""
        if worker.conn is not None and not worker.conn.closed:
            return worker.conn
        while True:
            remaining = deadline - time.monotonic()
            try:
                worker.conn = self.psycopg.connect(self.dsn, autocommit=True,
                                                   connect_timeout=max(2, int(math.ceil(remaining))))
            except self.psycopg.Error as error:
                if time.monotonic() + 0.1 >= deadline or worker.timed_out:
                    raise OperationFailed("ReconnectFailed", "no connection within %.1f s; last: %s"
                                          % (self.acquire_timeout, one_line(error))) from None
                self.recorder.retry(time.monotonic(), error)
                time.sleep(0.1)
                continue
            self.connects += 1
            return worker.conn

    def abort(self, worker):
        """Break blocked I/O from another thread: shut the socket down under psycopg."""
        conn = worker.conn
        try:
            with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError, self.psycopg.Error):
            pass

    def close(self, worker):
        conn, worker.conn = worker.conn, None
        if conn is not None:
            conn.close()


class DatabendWorker(Worker):
    def __init__(self, number):
        super().__init__(number)
        self.last_count = 0


class DatabendWorkload(RateLoop):
    """Inserts and counts through Databend's HTTP query handler (POST /v1/query, JSON {"sql": ...})."""

    kind = "databend-http"
    TABLE = "workload_kv"

    def __init__(self, url, rate=50.0, user="root", password="", **options):
        super().__init__(rate, **options)
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise WorkloadError("Databend workload needs an http://host:port URL, got %r" % url)
        check_target(parsed.hostname)
        self.url = url.rstrip("/")
        self.authorization = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def new_worker(self, number):
        return DatabendWorker(number)

    def describe(self):
        return {"kind": self.kind, "target": self.url, "rate": self.rate, "workers": len(self.workers)}

    def setup(self):
        try:
            self.query("CREATE TABLE IF NOT EXISTS %s (k INT)" % self.TABLE)
        except (OperationFailed, OSError) as error:
            raise WorkloadError("workload setup on %s failed: %s" % (self.url, one_line(error))) from None

    def operation(self, worker, index):
        if index % 2 == 0:
            self.query("INSERT INTO %s VALUES (%d)" % (self.TABLE, index))
            return
        rows = self.query("SELECT count(*) FROM %s" % self.TABLE)
        count = int(rows[0][0])
        if count < worker.last_count:
            raise OperationFailed("WrongResult", "count(*) went back from %d to %d" % (worker.last_count, count))
        worker.last_count = count

    def query(self, sql):
        """Run ``sql``; returns the data rows or raises OperationFailed (HTTP or Databend error)."""
        body = self._request("POST", self.url + "/v1/query", {"sql": sql})
        while body.get("state") == "Running" and body.get("next_uri"):
            body = self._request("GET", self.url + body["next_uri"], None)
        if body.get("error"):
            error = body["error"]
            raise OperationFailed("DatabendError%s" % error.get("code", ""), error.get("message", ""))
        if body.get("state") not in (None, "Succeeded"):
            raise OperationFailed("DatabendState", "query ended in state %r" % body.get("state"))
        return body.get("data") or []

    def _request(self, method, url, payload):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Authorization": self.authorization})
        try:
            with urllib.request.urlopen(request, timeout=self.op_timeout) as response:  # nosec B310 (lab targets only)
                return json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as error:
            raise OperationFailed("HTTP%d" % error.code, one_line(error.read().decode(errors="replace") or error.reason)) from None
        except urllib.error.URLError as error:
            reason = error.reason
            raise OperationFailed(type(reason).__name__ if isinstance(reason, Exception) else "URLError", str(reason)) from None
        except ValueError as error:
            raise OperationFailed("BadResponse", str(error)) from None

    def abort(self, worker):
        """Requests carry their own socket timeout (op_timeout); nothing to break."""


def run_workload(dsn, duration, rate, out_path, stop_event=None, **options):
    """Run a pgwire workload for ``duration`` seconds (or until stop_event), write the summary to out_path."""
    workload = Workload(dsn, rate, duration=duration, out_path=out_path, **options).start()
    while workload.running() and not (stop_event is not None and stop_event.is_set()):
        workload.wait(0.2)
    return workload.stop()
