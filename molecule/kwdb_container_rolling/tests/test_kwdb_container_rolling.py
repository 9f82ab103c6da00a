"""kwdb_container_rolling: upgrade_multi_replica.yml on two `docker run` nodes and deploy.sh's compose node,
V3.0.0 -> V3.1.0, after a failed roll onto an image that cannot start."""
import re

import pytest

from tests.molecule_support import checks
from tests.molecule_support.container_checks import (assert_data_kept, assert_markers_readable,
                                                     assert_only_the_image_and_the_flag_changed, compose_diff,
                                                     flagged_command, inspect_changes, node_status, sql_rows)

RUN_NODES = ["croll-kwdb1", "croll-kwdb2"]
COMPOSE_NODE = "kaiwudb-container"
NODES = RUN_NODES + [COMPOSE_NODE]
FAILED = re.compile(
    r"upgrade of croll\-kwdb1 to V3\.1\.0 failed at step activate: container croll\-kwdb1 "
    r"(exited with code 127(, restarted \d+ times by its restart policy)?|keeps exiting: restarted \d+ times by its "
    r"restart policy), which waiting will not change: the new container does not keep "
    r"running; its last log lines: \./kwbase: error while loading shared libraries: libkwdbts2\.so: cannot open "
    r"shared object file: No such file or directory; observed container croll\-kwdb1 ")
RESTORED = "; restored to V3.0.0, live and ready; the other nodes were not touched by this step"


@pytest.mark.parametrize("node", NODES)
def test_every_node_runs_the_new_image_and_kwbase_reports_the_target(containers_now, node):
    found = containers_now["nodes"][node]
    assert (found["image"], found["version"]) == ("kwdb/kwdb:3.1.0", "V3.1.0"), (found["image"], found["version"])


@pytest.mark.parametrize("node", NODES)
def test_docker_inspect_differs_only_in_the_image_and_the_flag_at_the_end_of_the_command(recorded, show, node):
    assert_only_the_image_and_the_flag_changed(recorded("before"), recorded("after_upgrade"), node, show)


def test_the_compose_file_changed_in_its_image_line_and_the_flag_on_its_kwbase_line(recorded, containers_now, show):
    before, now = recorded("before")["nodes"][COMPOSE_NODE]["files"], containers_now["nodes"][COMPOSE_NODE]["files"]
    changed = compose_diff(before["compose"], now["compose"])
    show("docker-compose.yml: %s" % changed)
    kwbase_line = [line for line in before["compose"].splitlines() if "/kaiwudb/bin/kwbase  start" in line]
    assert len(kwbase_line) == 1, before["compose"]
    line_number = before["compose"].splitlines().index(kwbase_line[0]) + 1
    assert changed == [(4, "    image: kwdb/kwdb:3.0.0", "    image: kwdb/kwdb:3.1.0"),
                       (line_number, kwbase_line[0], kwbase_line[0] + " --upgrade-complete")], changed
    was, mode_now = before["mode"].splitlines(), now["mode"].splitlines()
    assert mode_now[2] == "kwdb/kwdb:3.1.0" and mode_now[:2] + mode_now[3:] == was[:2] + was[3:], (was, mode_now)
    assert now["listing"] == before["listing"], "a copy was left behind: %s" % now["listing"]


def test_no_node_is_left_upgrading_and_store_dead_is_back(lab_hosts):
    rows = node_status(lab_hosts[NODES[0]])
    seen = {address: (row["is_live"], row["is_available"], row["build"]) for address, row in rows.items()}
    assert sorted(seen.values()) == [("true", "true", "V3.1.0")] * 3, seen
    setting = sql_rows(lab_hosts[NODES[0]], "SHOW CLUSTER SETTING server.time_until_store_dead")
    assert list(setting[0].values()) == [checks.DEFAULT_STORE_DEAD], setting


def test_no_client_error_during_the_roll(state_dir, show):
    checks.assert_no_client_errors(state_dir, show)


def test_the_nodes_went_one_at_a_time_with_every_rolling_phase(run_reports):
    report = run_reports[-1]
    checks.assert_report_phases(report, NODES, ["V3.1.0"], checks.ROLLING_PHASES)
    assert {entry["setting"] for entry in report["ledger"]} == {"server.time_until_store_dead"}, report["ledger"]
    assert not checks.ledger_open(report), "ledger entries left open: %s" % checks.ledger_open(report)
    windows = []
    for node in NODES:
        phases = checks.upgraded_entries(report, node)[0]["phases"]
        windows.append((phases[0]["started_at"], phases[-1]["ended_at"], node))
    windows.sort()
    assert [node for _start, _end, node in windows] == NODES, windows
    for (_start, end, node), (next_start, _end, next_node) in zip(windows, windows[1:]):
        assert end <= next_start, "%s started before %s was done: %s" % (next_node, node, windows)


def test_data_kept_and_rows_readable_through_every_node(recorded, containers_now, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), containers_now)
    assert_markers_readable(lab_hosts, state_dir)


def test_the_failed_roll_names_the_node_the_step_and_the_loader_error(recorded, show):
    run = recorded("broken_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    failure = run["failed"][-1]
    show("broken run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert failure["host"] == NODES[0] and FAILED.match(failure["msg"]), failure
    assert failure["msg"].endswith(RESTORED), failure["msg"]


def test_the_failed_node_runs_its_old_image_with_its_parameters_and_the_flag(recorded, show):
    before, after = recorded("before")["nodes"][NODES[0]], recorded("after_failure")["nodes"][NODES[0]]
    assert (after["image"], after["version"], after["inspect"]["State"]["Running"]) == ("kwdb/kwdb:3.0.0", "V3.0.0", True)
    assert after["inspect"]["Config"]["Cmd"] == flagged_command(before["inspect"]["Config"]["Cmd"])
    changes = inspect_changes(before["inspect"], after["inspect"])
    show("docker inspect %s before and after the failed roll:\n%s" % (NODES[0], "\n".join(
        "  %s (%s)" % (path, kind) for path, kind, _was, _now in changes)))
    assert sorted(path for path, kind, _was, _now in changes if kind != "instance") == ["Args", "Config.Cmd"], changes


def test_the_failed_roll_touched_no_other_node(recorded):
    for node in NODES[1:]:
        before, after = recorded("before")["nodes"][node], recorded("after_failure")["nodes"][node]
        assert after["inspect"]["Id"] == before["inspect"]["Id"] and after["inspect"]["State"]["Running"], node
        assert after["inspect"]["RestartCount"] == before["inspect"]["RestartCount"], node
    assert recorded("after_failure")["nodes"][COMPOSE_NODE]["files"] == recorded("before")["nodes"][COMPOSE_NODE]["files"]


def test_the_failed_run_report(run_reports):
    failed = [report for report in run_reports if report["outcome"] == "failed"]
    assert len(failed) == 1, [(report["_path"], report["outcome"]) for report in run_reports]
    entry = checks.node_entries(failed[0], NODES[0], "failed")
    assert entry and entry[-1]["step"] == "activate" and entry[-1]["restored_to"] == "V3.0.0", failed[0]["nodes"][NODES[0]]
