"""`make demo`: an online major upgrade of a simulated 3-node CockroachDB cluster, with its report.

It brings up v23.2.9 on three podman hosts behind haproxy, runs a client workload through haproxy,
runs playbooks/upgrade-multi-replica.yml to v24.1.4 (finalization held), then playbooks/finalize.yml,
and prints the report: every node's timeline, the gates, the ledger, the finalization state, the
client errors seen during the run and the rolling phase's overhead ratio. Everything is torn down at
the end, also on failure or Ctrl-C.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from tests.support.ansible_cli import run_playbook

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER = "demo"
VERSION = "v23.2.9"
TARGET = "v24.1.4"
UNAVOIDABLE_PHASES = ("drain", "stop", "start", "ready", "catch_up")
RUN_VARS = {"distsql_target_version": TARGET, "distsql_wait_interval": 1, "distsql_stable_checks": 2,
            "distsql_backup_destination": "nodelocal://1/backups"}


def testbed(*args):
    return subprocess.run([sys.executable, "-m", "tests.testbed"] + list(args), cwd=REPO, check=True,
                          capture_output=True, text=True)


def playbook(name, inventory, report_dir, extra=None):
    started = time.monotonic()
    _records, proc = run_playbook(os.path.join(REPO, "playbooks", name), inventory,
                                  dict(RUN_VARS, distsql_report_dir=report_dir, **(extra or {})), timeout=1200)
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (name, proc.stdout[-4000:]))
    reports = sorted(glob.glob(os.path.join(report_dir, "distsql-upgrade-*.json")), key=os.path.getmtime)
    with open(reports[-1], encoding="utf-8") as source:
        return json.load(source), time.monotonic() - started


def wait_until_healthy(inventory):
    """A fresh cluster is still replicating its ranges: wait with the probes, as an operator would."""
    started = time.monotonic()
    _records, proc = run_playbook(os.path.join(REPO, "playbooks", "cluster-health.yml"), inventory,
                                  {"distsql_probe_host": "node1", "distsql_insecure": True, "distsql_wait_nodes": "all_live",
                                   "distsql_wait_ranges": "healthy", "distsql_wait_interval": 1, "distsql_stable_checks": 2})
    if proc.returncode != 0:
        raise SystemExit("the cluster did not become healthy:\n%s" % proc.stdout[-3000:])
    print("cluster healthy (all live, no under-replicated range) after %.1f s" % (time.monotonic() - started))


def show_run(title, report, seconds):
    print("\n== %s: %s in %.1f s (%s)" % (title, report["outcome"], seconds, report["message"]))
    plan = report.get("plan") or {}
    if plan.get("hops"):
        hops = " -> ".join(h["version"] for h in plan["hops"])
        print("   plan: %s -> %s, hops %s; clients: %s"
              % (plan["from_version"], plan["target_version"], hops, plan["client_impact"]))
    for gate in report.get("gates", []):
        skipped = report["skipped_gates"].get(gate["name"])
        verdict = "skipped (%s)" % skipped if skipped else ("pass" if gate["passed"] else "FAIL")
        print("   gate %-16s %-5s %s" % (gate["name"], verdict, gate["observed"].strip()))
    for host, entries in sorted(report["nodes"].items()):
        for entry in entries:
            phases = ", ".join("%s %.1fs%s" % (p["phase"], p["seconds"], " (%s checks)" % p["checks"] if p.get("checks") else "")
                               for p in entry["phases"])
            print("   %-6s %-18s %s" % (host, entry["outcome"], phases))
    for change in report.get("ledger", []):
        reverted = change["reverted_at"] or "not yet (held until finalize)"
        print("   ledger: %s %s -> %s, reverted %s"
              % (change["setting"], change["before"] or "default", change["after"], reverted))
    final = report.get("finalization") or {}
    print("   cluster version %s, held=%s" % (final.get("cluster_version"), final.get("held")))


def rolling_ratio(report):
    """Wall time of the rolling phase over the sum of the unavoidable per-node phases."""
    phases = [p for entries in report["nodes"].values() for entry in entries if entry.get("hop") is not None
              for p in entry["phases"]]
    if not phases:
        return None
    wall = max(p["t"] + p["seconds"] for p in phases) - min(p["t"] for p in phases)
    unavoidable = sum(p["seconds"] for p in phases if p["phase"] in UNAVOIDABLE_PHASES)
    return wall, unavoidable


def main():
    subprocess.run(["bash", os.path.join(REPO, "tests", "testbed", "setup-host.sh")], check=True, stdout=subprocess.DEVNULL)
    report_dir = tempfile.mkdtemp(prefix="distsql-demo-")
    workload_out = os.path.join(report_dir, "workload.json")
    workload = None
    try:
        inventory = testbed("up", "--name", CLUSTER, "--nodes", "3", "--lb", "--engine", "cockroachdb",
                            "--version", VERSION).stdout.strip().splitlines()[-1]
        print("testbed: 3 nodes on %s behind haproxy, inventory %s" % (VERSION, inventory))
        wait_until_healthy(inventory)
        workload = subprocess.Popen([sys.executable, "-m", "tests.testbed", "workload", "--name", CLUSTER,
                                     "--duration", "1800", "--rate", "50", "--connections", "3", "--out", workload_out],
                                    cwd=REPO, stdout=subprocess.PIPE, text=True)
        upgrade, upgrade_seconds = playbook("upgrade-multi-replica.yml", inventory, report_dir)
        show_run("upgrade-multi-replica.yml to %s" % TARGET, upgrade, upgrade_seconds)
        finalize, finalize_seconds = playbook("finalize.yml", inventory, report_dir)
        show_run("finalize.yml", finalize, finalize_seconds)
        workload.send_signal(signal.SIGTERM)
        print("\n== clients through haproxy during both runs: %s" % workload.communicate(timeout=60)[0].strip())
        workload = None
        ratio = rolling_ratio(upgrade)
        if ratio:
            print("== rolling phase %.1f s wall for %.1f s of drain, stop, start, ready and catch-up: ratio %.2f"
                  % (ratio[0], ratio[1], ratio[0] / ratio[1]))
        print("\nreports in %s" % report_dir)
    finally:
        if workload is not None:
            workload.kill()
        subprocess.run([sys.executable, "-m", "tests.testbed", "down", "--name", CLUSTER], cwd=REPO, capture_output=True,
                       check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
