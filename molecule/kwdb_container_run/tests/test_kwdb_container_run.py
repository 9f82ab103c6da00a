"""kwdb_container_run: upgrade_standalone.yml on KWDB in a `docker run` container (insecure), V3.0.0 -> V3.1.0."""
import re

from tests.molecule_support import checks
from tests.molecule_support.container_checks import (assert_data_kept, assert_markers_readable,
                                                     assert_only_the_image_changed, inspect_changes)

NODE = "kwrun-kwdb1"
# what the wait saw depends on when it looked at the crash loop: the exit, or (running again between two restarts,
# exit code 0) only the restarts
FAILED = re.compile(
    r"upgrade of kwrun\-kwdb1 to V3\.1\.0 failed at step activate: container kwrun\-kwdb1 "
    r"(exited with code 127(, restarted \d+ times by its restart policy)?|keeps exiting: restarted \d+ times by its "
    r"restart policy), which waiting will not change: the new container does not keep "
    r"running; its last log lines: \./kwbase: error while loading shared libraries: libkwdbts2\.so: cannot open "
    r"shared object file: No such file or directory; observed container kwrun\-kwdb1 ")
RESTORED = "; restored to V3.0.0, live and ready; the other nodes were not touched by this step"


def test_the_container_runs_the_new_image_and_kwbase_reports_the_target(containers_now):
    node = containers_now["nodes"][NODE]
    assert (node["image"], node["version"]) == ("kwdb/kwdb:3.1.0", "V3.1.0"), (node["image"], node["version"])
    assert node["inspect"]["State"]["Running"] is True and node["inspect"]["RestartCount"] == 0


def test_docker_inspect_differs_only_in_the_image_ids_and_times(recorded, show):
    assert_only_the_image_changed(recorded("before"), recorded("after_upgrade"), NODE, show)


def test_the_old_container_and_its_image_are_gone(containers_now):
    assert containers_now["docker"]["containers"] == ["%s kwdb/kwdb:3.1.0" % NODE], containers_now["docker"]
    assert not [image for image in containers_now["docker"]["images"] if image.startswith("kwdb/kwdb:3.0.0 ")]


def test_data_kept_and_rows_readable(recorded, containers_now, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), containers_now)
    assert_markers_readable(lab_hosts, state_dir)


def test_the_second_run_changed_nothing(recorded, containers_now, run_reports):
    assert containers_now["nodes"][NODE]["inspect"]["Id"] == recorded("after_upgrade")["nodes"][NODE]["inspect"]["Id"]
    assert run_reports[-1]["outcome"] == "succeeded" and run_reports[-1]["plan"]["hops"] == [], run_reports[-1]["plan"]


def test_report_and_outage_window(run_reports, show):
    report = [report for report in run_reports if report["outcome"] == "succeeded"][0]
    assert report["flow"] == "standalone", report["flow"]
    checks.assert_report_phases(report, [NODE], ["V3.1.0"], checks.STANDALONE_PHASES)
    assert checks.outage_seconds(report, show, first="drain") > 0


def test_the_run_fails_naming_the_node_the_step_and_the_loader_error(recorded, show):
    run = recorded("broken_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    failure = run["failed"][-1]
    show("broken run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert failure["host"] == NODE and FAILED.match(failure["msg"]), failure
    assert failure["msg"].endswith(RESTORED), failure["msg"]


def test_the_old_container_itself_runs_again_with_every_parameter(recorded, show):
    before, after = recorded("before")["nodes"][NODE], recorded("after_failure")["nodes"][NODE]
    assert after["inspect"]["Id"] == before["inspect"]["Id"], (before["inspect"]["Id"], after["inspect"]["Id"])
    assert (after["image"], after["version"], after["inspect"]["State"]["Running"]) == ("kwdb/kwdb:3.0.0", "V3.0.0", True)
    changes = inspect_changes(before["inspect"], after["inspect"])
    show("docker inspect %s before and after the failed run: %s" % (NODE, [change[0] for change in changes]))
    assert [change for change in changes if change[1] != "instance"] == [], changes


def test_nothing_of_the_swap_is_left(recorded):
    assert recorded("after_failure")["docker"]["containers"] == ["%s kwdb/kwdb:3.0.0" % NODE]


def test_after_the_failure_data_kept_and_rows_readable(recorded, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), recorded("after_failure"))
    assert_markers_readable(lab_hosts, state_dir)


def test_failed_run_report(run_reports):
    failed = [report for report in run_reports if report["outcome"] == "failed"]
    assert len(failed) == 1, [(report["_path"], report["outcome"]) for report in run_reports]
    entry = checks.node_entries(failed[0], NODE, "failed")
    assert entry and entry[-1]["step"] == "activate" and entry[-1]["restored_to"] == "V3.0.0", failed[0]["nodes"][NODE]
