"""Start a client workload in the background during a converge, stop it afterwards and print its counts.

    python -m tests.molecule_support.workload_ctl start --name mol-patch --dir STATE_DIR [--rate 50] [--connections 3]
    python -m tests.molecule_support.workload_ctl stop --dir STATE_DIR [--if-running]

`start` runs `python -m tests.testbed workload --name N --duration D --rate R --connections C --out
STATE_DIR/workload.json` through the lab's load balancer in its own session (so that it outlives the
ansible task that started it), writes STATE_DIR/workload.pid, and returns once the process is running. The
workload speaks the cluster's protocol: pgwire on :26257 (CockroachDB, KWDB), or Databend's HTTP handler on :8000
for a cluster of `up --engine databend` (`workload` reads the engine from the inventory the cluster saved);
`--connections` is then the number of concurrent HTTP clients. With `--containers` the name is a container lab's
(tests/containers) and the workload connects to every node's published port (`python -m tests.containers workload`).
`stop` sends SIGTERM (the workload ends early on it and writes its JSON summary), waits for the summary and
prints the counts; `--if-running` (destroy) does nothing when no workload runs. The duration is only a
safety net so that a failed converge does not leave a workload running for long.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

SUMMARY = "workload.json"
PIDFILE = "workload.pid"
LOG = "workload.log"


def paths(directory):
    return (os.path.join(directory, SUMMARY), os.path.join(directory, PIDFILE), os.path.join(directory, LOG))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours does not count; ours are not children of this process, so waitpid does not apply.
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def read_pid(pidfile):
    try:
        with open(pidfile, encoding="utf-8") as source:
            return int(source.read().strip())
    except (OSError, ValueError):
        return None


def start(args):
    summary, pidfile, log = paths(args.dir)
    os.makedirs(args.dir, exist_ok=True)
    running = read_pid(pidfile)
    if running and alive(running):
        raise SystemExit("a workload already runs (pid %d, %s)" % (running, pidfile))
    for stale in (summary, pidfile):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [sys.executable, "-m", "tests.containers" if args.containers else "tests.testbed", "workload",
            "--name", args.name, "--duration", str(args.duration),
            "--rate", str(args.rate), "--connections", str(args.connections), "--out", summary]
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                start_new_session=True)
    with open(pidfile, "w", encoding="utf-8") as out:
        out.write("%d\n" % proc.pid)
    # The workload connects first and fails at once when it cannot; give it that long to fail visibly.
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log, encoding="utf-8") as source:
                raise SystemExit("workload exited at once (rc %s):\n%s" % (proc.returncode, source.read()))
        time.sleep(0.1)
    print("workload started: pid %d, %s ops/s over %d connections %s %s, summary %s"
          % (proc.pid, args.rate, args.connections, "to every node of" if args.containers else "through the lb of",
             args.name, summary))
    return 0


def counts_line(data):
    return ("workload: ok=%s errors=%s retries=%s p50_ms=%s p99_ms=%s max_gap_s=%s elapsed_s=%s error_classes=%s"
            % (data["ok"], data["errors"], data["retries"], data["p50_ms"], data["p99_ms"], data["max_gap_s"],
               data["elapsed_s"], json.dumps(data["error_classes"], sort_keys=True)))


def stop(args):
    summary, pidfile, log = paths(args.dir)
    pid = read_pid(pidfile)
    if pid is None:
        if args.if_running:
            return 0
        raise SystemExit("no workload was started (%s is missing)" % pidfile)
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        os.killpg(pid, signal.SIGKILL)
        raise SystemExit("the workload (pid %d) did not end within %s s of SIGTERM; killed" % (pid, args.timeout))
    os.unlink(pidfile)
    if not os.path.exists(summary):
        if args.if_running:
            return 0
        with open(log, encoding="utf-8") as source:
            raise SystemExit("the workload wrote no summary %s; its output:\n%s" % (summary, source.read()))
    with open(summary, encoding="utf-8") as source:
        print(counts_line(json.load(source)))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.molecule_support.workload_ctl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("start")
    sub.add_argument("--name", required=True, help="testbed cluster name (or container lab name with --containers)")
    sub.add_argument("--containers", action="store_true",
                     help="a container lab (tests/containers): every node's published port, no lb")
    sub.add_argument("--dir", required=True, help="where the pidfile, log and JSON summary go")
    sub.add_argument("--rate", type=float, default=50.0)
    sub.add_argument("--connections", type=int, default=3)
    sub.add_argument("--duration", type=float, default=1200.0, help="safety net: the workload ends by itself then")
    sub.add_argument("--settle", type=float, default=1.5, help="seconds the process must survive its start")
    sub.set_defaults(function=start)
    sub = commands.add_parser("stop")
    sub.add_argument("--dir", required=True)
    sub.add_argument("--timeout", type=float, default=30.0)
    sub.add_argument("--if-running", action="store_true", help="no error when no workload runs (destroy)")
    sub.set_defaults(function=stop)
    args = parser.parse_args(argv)
    return args.function(args)


if __name__ == "__main__":
    sys.exit(main())
