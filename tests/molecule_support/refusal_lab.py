"""The refusal scenarios' lab: runs of a playbook that must be refused, with snapshots before and after.

    lab = Lab(inventory_dir, state_dir, report_dir, inventory, "distsql.upgrade.upgrade_multi_replica")
    message, record, differences = lab.refused("downgrade", {"distsql_target_version": "v23.1.28"})

For Databend (inventory.engine "databend") node_id() is a meta host's raft id; node_status, node_live,
refused_while_down and ranges_healthy are CockroachDB/KWDB only.
"""
import json
import os
import time

import pytest

from tests.molecule_support import checks, hoststate, playbook_run

PREFLIGHT = "preflight refused the upgrade, nothing was changed: "
INTERNAL_SCHEMA = {"cockroachdb": "crdb_internal", "kwdb": "kwdb_internal"}


class Lab:
    def __init__(self, inventory_dir, state_dir, report_dir, inventory, playbook):
        self.inventory_dir, self.state_dir, self.report_dir = inventory_dir, state_dir, report_dir
        self.inventory, self.playbook = inventory, playbook
        self.first = inventory.names[0]
        if inventory.engine == "databend":  # no node status: the meta hosts' raft ids
            self.node_ids = {name: inventory.hostvars[name]["distsql_databend_meta_id"] for name in inventory.meta_names}
        else:
            self.node_ids = {checks.node_name(inventory, row["address"]): row["id"] for row in self.node_status()}

    def node_status(self):
        return checks.node_status(self.inventory.host(self.first), self.inventory.hostvars[self.first], self.first)

    def snapshot(self):
        return hoststate.snapshot(self.inventory_dir)

    def run(self, name, extra_vars=None, check=False):
        args = [self.playbook] + (["-e", json.dumps(extra_vars)] if extra_vars else [])
        return playbook_run.run(args, os.path.join(self.state_dir, name + ".json"), check=check, deadline=600)

    def refused(self, name, extra_vars, sections=None):
        """Run, expect a failure; returns (the message the first host (where the run-once preflight tasks run)
        failed with last, the record, the differences between the snapshots before and after)."""
        before = self.snapshot()
        record = self.run(name, extra_vars)
        after = self.snapshot()
        assert record["rc"] not in (0, None) and not record["killed"], "%s was not refused (rc %s):\n%s" % (
            name, record["rc"], "\n".join(record["tail"]))
        assert record["failed"], "%s: no failed task recorded:\n%s" % (name, "\n".join(record["tail"]))
        kwargs = {"sections": sections} if sections else {}
        last = {failure["host"]: failure["msg"] for failure in record["failed"]}
        assert self.first in last, "%s: %s failed no task: %s" % (name, self.first, record["failed"])
        return last[self.first], record, hoststate.differences(before, after, **kwargs)

    def refused_while_down(self, name, unit):
        """A run refused while node ``name`` is stopped (and seen not live); the node is started again and the ranges
        are healthy again afterwards. Returns (the first host's message, the differences)."""
        self.node(name, "systemctl", "stop", unit)
        try:
            self.node_live(name, False)
            message, _record, differences = self.refused("node_down", None)
        finally:
            self.node(name, "systemctl", "start", unit)
            self.node_live(name, True)
            self.ranges_healthy()
        return message, differences

    def node_id(self, name):
        return self.node_ids[name]

    def latest_report(self):
        return checks.reports(self.report_dir)[-1]

    def node(self, name, *argv):
        out = self.inventory.host(name).run(" ".join(["%s"] * len(argv)), *argv)
        assert out.rc == 0, "%s on %s failed: %s" % (argv, name, out.stderr)
        return out.stdout

    @staticmethod
    def wait_for(what, probe, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            ok, seen = probe()
            if ok:
                return seen
            if time.monotonic() > deadline:
                pytest.fail("%s not reached within %s s; last seen: %s" % (what, timeout, seen))
            time.sleep(0.5)

    def node_live(self, name, live):
        """Wait until node status shows the node (by its id: a dead node's address is NULL) live or not."""
        node_id = self.node_ids[name]

        def probe():
            view = {row["id"]: row["is_live"] for row in self.node_status()}
            return view.get(node_id) == ("true" if live else "false"), view
        return self.wait_for("%s (n%s) %s" % (name, node_id, "live" if live else "not live"), probe)

    def ranges_healthy(self):
        schema = INTERNAL_SCHEMA[self.inventory.hostvars[self.first].get("distsql_engine", "cockroachdb")]

        def probe():
            rows = checks.sql(self.inventory.host(self.first), self.inventory.hostvars[self.first], self.first,
                              "SELECT sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable, "
                              "sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated "
                              "FROM %s.kv_store_status" % schema)
            return rows == [{"ranges_unavailable": "0", "ranges_underreplicated": "0"}], rows
        return self.wait_for("every range healthy", probe)

    def assert_refused_by_preflight(self, message, reason):
        """The play fails with the preflight's message carrying the reason, and the report records the same reason."""
        report = self.latest_report()
        assert (message, report["outcome"], report["message"]) == (PREFLIGHT + reason, "refused", reason), (
            "play failure %r; report %s: %s %r" % (message, report["_path"], report["outcome"], report["message"]))

    def assert_refused_by_preflight_with(self, message, starts, contains=()):
        """Like assert_refused_by_preflight when the reason is known only in part: the play fails with the preflight's
        message, whose reason starts with ``starts`` and contains every string of ``contains``, and the report of
        the run has outcome refused and that same reason. Returns the reason."""
        report = self.latest_report()
        reason = message[len(PREFLIGHT):] if message.startswith(PREFLIGHT) else None
        assert reason is not None and reason.startswith(starts), "play failure %r does not start with %r" % (
            message, PREFLIGHT + starts)
        missing = [part for part in contains if part not in reason]
        assert not missing, "play failure %r lacks %s" % (message, missing)
        assert (report["outcome"], report["message"]) == ("refused", reason), "report %s: %s %r, expected refused %r" % (
            report["_path"], report["outcome"], report["message"], reason)
        return reason


def assert_unchanged(name, differences):
    assert differences == [], "%s changed the hosts:\n%s" % (name, "\n".join(differences))
