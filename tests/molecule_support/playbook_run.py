"""Run ansible-playbook from a converge or a test and keep what happened, when the run is meant to fail or be killed.

    python -m tests.molecule_support.playbook_run --out state/first_run.json -- distsql.upgrade.upgrade_multi_replica
    python -m tests.molecule_support.playbook_run --out state/killed.json --kill-after node1 'CockroachDB \\| verify ' \\
        --deadline 300 -- distsql.upgrade.upgrade_multi_replica -e '{"distsql_target_version": "v23.2.12"}'

The run uses molecule's inventory directory ($MOLECULE_EPHEMERAL_DIRECTORY/inventory) and molecule's environment
(ANSIBLE_CONFIG, the installed collection on ANSIBLE_COLLECTIONS_PATH), plus the repository's task_results callback
(tests/support/callback_plugins), which appends every task result to a JSON-lines file as it happens.

``--kill-after HOST REGEX`` watches that file and sends SIGKILL to the whole ansible-playbook process group as
soon as a task whose name matches REGEX succeeded on HOST (an operator's laptop or a CI runner dying mid-run);
reaching ``--deadline`` first kills it too and exits 1. The exit code of this command is 0 whatever
ansible-playbook returned: the JSON record (argv, rc, killed, seconds, failed task results, the matched task, the
last lines of output) is what the caller asserts on. The full output is in the .log file next to it.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

CALLBACKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "callback_plugins")


def inventory_dir():
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")


def ansible_playbook():
    return shutil.which("ansible-playbook", path=os.path.dirname(sys.executable)) or "ansible-playbook"


def read_results(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as source:
        lines = source.read().splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:  # a line being written while we read
            break
    return records


def run(playbook_args, out, kill_after=None, deadline=900.0, check=False):
    """Run ansible-playbook with playbook_args; returns the record written to ``out`` (and ``out`` minus .json + .log)."""
    base = out[:-len(".json")] if out.endswith(".json") else out
    results_file, log_file = base + ".results.jsonl", base + ".log"
    for stale in (results_file, out):
        if os.path.exists(stale):
            os.unlink(stale)
    argv = [ansible_playbook(), "-i", inventory_dir()] + (["--check"] if check else []) + list(playbook_args)
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
               ANSIBLE_CALLBACKS_ENABLED="task_results", TASK_RESULTS_FILE=results_file, ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    matched, killed, timed_out = None, False, False
    pattern = re.compile(kill_after[1]) if kill_after else None
    with open(log_file, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                env=env, start_new_session=True)
        while proc.poll() is None:
            if pattern is not None and matched is None:
                for record in read_results(results_file):
                    if record["host"] == kill_after[0] and not record["failed"] and pattern.search(record["task"]):
                        matched = record
                        break
                if matched is not None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    killed = True
            if time.monotonic() - started > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = timed_out = True
            try:
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
    with open(log_file, encoding="utf-8") as source:
        output = source.read()
    results = read_results(results_file)
    record = {
        "argv": argv,
        "rc": proc.returncode,
        "killed": killed,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - started, 1),
        "matched": {"host": matched["host"], "task": matched["task"]} if matched else None,
        "failed": [{"host": item["host"], "task": item["task"], "msg": item["result"].get("msg")}
                   for item in results if item["failed"]],
        "tasks": len(results),
        "tail": output.splitlines()[-60:],
        "log": log_file,
    }
    with open(out, "w", encoding="utf-8") as target:
        json.dump(record, target, indent=1)
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.molecule_support.playbook_run", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON record of the run")
    parser.add_argument("--kill-after", nargs=2, metavar=("HOST", "TASK_REGEX"),
                        help="SIGKILL ansible-playbook once a task matching TASK_REGEX succeeded on HOST")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds before the run is killed regardless")
    parser.add_argument("--check", action="store_true", help="ansible-playbook --check")
    parser.add_argument("playbook_args", nargs=argparse.REMAINDER, help="-- PLAYBOOK [ansible-playbook options]")
    args = parser.parse_args(argv)
    playbook_args = args.playbook_args[1:] if args.playbook_args[:1] == ["--"] else args.playbook_args
    record = run(playbook_args, args.out, kill_after=args.kill_after, deadline=args.deadline, check=args.check)
    print("ansible-playbook %s: rc %s%s after %s s, %d task results, %d failed"
          % (" ".join(playbook_args), record["rc"], " (killed)" if record["killed"] else "", record["seconds"],
             record["tasks"], len(record["failed"])))
    if record["matched"]:
        print("killed right after %s: %s" % (record["matched"]["host"], record["matched"]["task"]))
    for failure in record["failed"]:
        print("failed on %s: %s: %s" % (failure["host"], failure["task"], failure["msg"]))
    if record["timed_out"]:
        print("deadline of %s s reached; the run was killed" % args.deadline)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
