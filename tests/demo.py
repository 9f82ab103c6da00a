"""`make demo`: a 3-node simulated CockroachDB cluster on podman hosts, probed through Ansible over SSH.

It shows what the probe modules see while a node is stopped and after it restarts, prints a report
and writes it as JSON, then tears everything down (also on failure or Ctrl-C).
"""
import json
import os
import sys
import time

from tests.support.ansible_cli import run_playbook
from tests.testbed.hostlab import Lab
from tests.testbed.provision import COCKROACH_UNIT, CockroachDeployment

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOK = os.path.join(REPO, "playbooks", "cluster-health.yml")
VERSION = "v23.2.9"
TARGET = "v24.1.4"
PROBE_VARS = {"distsql_probe_host": "node1", "distsql_insecure": True, "distsql_wait_timeout": 120,
              "distsql_wait_interval": 1, "distsql_stable_checks": 2}


def probe(cluster, **extra_vars):
    started = time.monotonic()
    records, proc = run_playbook(PLAYBOOK, cluster.write_inventory(), dict(PROBE_VARS, **extra_vars))
    if proc.returncode != 0:
        raise SystemExit("the probe playbook failed:\n%s" % proc.stdout[-3000:])
    results = {record["task"]: record["result"] for record in records}
    return {"version": results["Read the installed version"], "nodes": results["Read node status"],
            "ranges": results["Read range health"], "seconds": round(time.monotonic() - started, 1)}


def show(title, step):
    nodes, ranges, summary = step["nodes"]["nodes"], step["ranges"], step["nodes"]["summary"]
    print("\n== %s (playbook %.1f s)" % (title, step["seconds"]))
    row = "   %-3s %-13s %-9s %-6s %-10s %s"
    print(row % ("id", "address", "build", "live", "available", "ranges"))
    for node in nodes:
        print(row % (node["id"], node["address"], node["build"], node["is_live"], node["is_available"], node["ranges"]))
    print("   summary: %d nodes, %d live, all_live=%s, builds=%s (node status: %d checks in %.1f s)"
          % (summary["total"], summary["live"], summary["all_live"], summary["builds"], step["nodes"]["checks"],
             step["nodes"]["elapsed"]))
    print("   ranges: unavailable=%d under-replicated=%d healthy=%s (range health: %d checks in %.1f s)"
          % (ranges["ranges_unavailable"], ranges["ranges_underreplicated"], ranges["healthy"], ranges["checks"],
             ranges["elapsed"]))
    if ranges.get("trace"):
        print("   catch-up (under-replicated per check): %s"
              % " -> ".join(str(entry.get("ranges_underreplicated", "error")) for entry in ranges["trace"]))


def main():
    lab = Lab()
    lab.ensure_image()
    report = {"engine": "cockroachdb", "version": VERSION, "steps": {}}
    with lab.up("demo", 3) as cluster:
        CockroachDeployment(lab, cluster, liveness_ttl=3.0, catchup_seconds=8.0).deploy(VERSION)
        steps = report["steps"]
        steps["healthy"] = probe(cluster, distsql_target_version=TARGET, distsql_wait_ranges="healthy")
        plan = steps["healthy"]["version"]["upgrade"]
        print("\n%s installed; plan to %s: allowed=%s kind=%s hops=%s"
              % (VERSION, TARGET, plan["allowed"], plan["kind"], plan["hops"]))
        show("3 nodes running", steps["healthy"])

        cluster.host("node3").systemctl("stop", COCKROACH_UNIT)
        steps["node3_stopped"] = probe(cluster, distsql_wait_nodes="node_not_live", distsql_wait_node="node3")
        show("node3 stopped: node_status waited for it to go not-live", steps["node3_stopped"])

        cluster.host("node3").systemctl("start", COCKROACH_UNIT)
        steps["node3_restarted"] = probe(cluster, distsql_wait_nodes="all_live", distsql_wait_ranges="healthy")
        show("node3 restarted: waited for all live and ranges caught up", steps["node3_restarted"])
    path = os.environ.get("DEMO_REPORT", os.path.join(REPO, "demo-report.json"))
    with open(path, "w", encoding="utf-8") as out:
        json.dump(report, out, indent=1)
    print("\nreport written to %s; testbed torn down" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
