"""Run molecule scenarios, N at a time, each in its own process and log; print every log and a summary.

    python -m tests.molecule_support.run_scenarios --jobs 2 --logs DIR patch_rolling major_rollback ...

What `make molecule` runs. Each scenario is `molecule test -s NAME` (create, prepare, converge, verify,
destroy) with this process's environment (the Makefile points ANSIBLE_COLLECTIONS_PATH at the installed
collection). A scenario's output goes to DIR/NAME.log and is printed whole when it ends, so parallel runs do not
interleave. The summary lists pass/fail and wall time per scenario and the total. On SIGINT/SIGTERM the running
scenarios are stopped and their testbed clusters removed (molecule_testbed.name of each molecule.yml), so no
cluster outlives the run; the exit code is non-zero when any scenario failed. Scenarios start longest first, by
the wall times of the previous run (DIR/durations.json), so that two at a time finish close together.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME_RE = re.compile(r"^\s+name:\s*(mol-[a-z0-9-]+)\s*$", re.MULTILINE)


def cluster_name(scenario):
    """The testbed cluster of a scenario (molecule_testbed.name in its molecule.yml)."""
    with open(os.path.join(ROOT, "molecule", scenario, "molecule.yml"), encoding="utf-8") as source:
        found = NAME_RE.search(source.read())
    return found.group(1) if found else None


def molecule():
    return os.path.join(os.path.dirname(sys.executable), "molecule")


class Runner:
    def __init__(self, scenarios, jobs, logs):
        self.pending = list(scenarios)
        self.jobs = jobs
        self.logs = logs
        self.running = {}
        self.results = []
        self.lock = threading.Lock()
        self.stopping = False

    def start(self, scenario):
        log_path = os.path.join(self.logs, "%s.log" % scenario)
        log = open(log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        proc = subprocess.Popen([molecule(), "test", "-s", scenario], cwd=ROOT, stdout=log,  # pylint: disable=consider-using-with
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.running[scenario] = (proc, time.monotonic(), log, log_path)
        print("molecule: %s started (log %s)" % (scenario, log_path), flush=True)

    def reap(self):
        for scenario, (proc, started, log, log_path) in list(self.running.items()):
            if proc.poll() is None:
                continue
            log.close()
            seconds = time.monotonic() - started
            del self.running[scenario]
            self.results.append((scenario, proc.returncode, seconds))
            with open(log_path, encoding="utf-8", errors="replace") as source:
                text = source.read()
            print("\n===== molecule test -s %s: %s in %.0f s =====\n%s" % (
                scenario, "passed" if proc.returncode == 0 else "FAILED (rc %s)" % proc.returncode, seconds, text), flush=True)

    def stop(self, signum, _frame):
        self.stopping = True
        print("molecule: signal %d, stopping %s" % (signum, ", ".join(self.running) or "nothing"), flush=True)
        for proc, _started, _log, _path in self.running.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def cleanup(self, scenarios):
        for scenario in scenarios:
            name = cluster_name(scenario)
            if name:
                subprocess.call([sys.executable, "-m", "tests.testbed", "down", "--name", name], cwd=ROOT)

    def run(self):
        started = time.monotonic()
        everything = list(self.pending)
        while self.pending or self.running:
            while self.pending and len(self.running) < self.jobs and not self.stopping:
                self.start(self.pending.pop(0))
            if self.stopping:
                self.pending = []
                deadline = time.monotonic() + 60
                while self.running and time.monotonic() < deadline:
                    self.reap()
                    time.sleep(0.5)
                for proc, _started, _log, _path in self.running.values():
                    os.killpg(proc.pid, signal.SIGKILL)
                self.cleanup(everything)
                break
            time.sleep(0.5)
            self.reap()
        total = time.monotonic() - started
        print("\n===== molecule summary (%d at a time) =====" % self.jobs)
        for scenario, rc, seconds in self.results:
            print("%-26s %-8s %5.0f s" % (scenario, "passed" if rc == 0 else "FAILED", seconds))
        print("%-26s %-8s %5.0f s" % ("total (wall)", "", total), flush=True)
        failed = [scenario for scenario, rc, _seconds in self.results if rc != 0]
        if failed or self.stopping:
            print("failed: %s" % (", ".join(failed) or "interrupted"))
            return 1
        return 0


def longest_first(scenarios, logs):
    """The scenarios ordered by their previous wall time, longest (and never run) first."""
    try:
        with open(os.path.join(logs, "durations.json"), encoding="utf-8") as source:
            seconds = json.load(source)
    except (OSError, ValueError):
        seconds = {}
    return sorted(scenarios, key=lambda scenario: -seconds.get(scenario, float("inf")))


def save_durations(results, logs):
    path = os.path.join(logs, "durations.json")
    try:
        with open(path, encoding="utf-8") as source:
            seconds = json.load(source)
    except (OSError, ValueError):
        seconds = {}
    seconds.update({scenario: round(elapsed) for scenario, _rc, elapsed in results})
    with open(path, "w", encoding="utf-8") as out:
        json.dump(seconds, out, indent=1, sort_keys=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.molecule_support.run_scenarios", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="scenarios at a time")
    parser.add_argument("--logs", required=True, help="directory for one log per scenario")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args(argv)
    os.makedirs(args.logs, exist_ok=True)
    runner = Runner(longest_first(args.scenarios, args.logs), args.jobs, args.logs)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, runner.stop)
    try:
        return runner.run()
    finally:
        save_durations(runner.results, args.logs)


if __name__ == "__main__":
    sys.exit(main())
