"""kwdb_container_compose: upgrade_standalone.yml on deploy.sh's docker-compose service, V3.0.0 -> V3.1.0."""
import re

from tests.molecule_support import checks
from tests.molecule_support.container_checks import (assert_data_kept, assert_markers_readable,
                                                     assert_only_the_image_changed, compose_diff, inspect_changes)

NODE = "kaiwudb-container"
# what the wait saw depends on when it looked at the crash loop: the exit, or (running again between two restarts,
# exit code 0) only the restarts
FAILED = re.compile(
    r"upgrade of kaiwudb\-container to V3\.1\.0 failed at step activate: container kaiwudb\-container "
    r"(exited with code 127(, restarted \d+ times by its restart policy)?|keeps exiting: restarted \d+ times by its "
    r"restart policy), which waiting will not change: the new container does not keep "
    r"running; its last log lines: /kaiwudb/bin/kwbase: error while loading shared libraries: libkwdbts2\.so: cannot open "
    r"shared object file: No such file or directory; observed container kaiwudb\-container ")
RESTORED = "; restored to V3.0.0, live and ready; the other nodes were not touched by this step"


def test_the_service_runs_the_new_image_and_kwbase_reports_the_target(containers_now):
    node = containers_now["nodes"][NODE]
    assert (node["image"], node["version"]) == ("kwdb/kwdb:3.1.0", "V3.1.0"), (node["image"], node["version"])


def test_only_the_image_line_of_docker_compose_yml_changed(recorded, containers_now, show):
    before, now = recorded("before")["nodes"][NODE]["files"], containers_now["nodes"][NODE]["files"]
    changed = compose_diff(before["compose"], now["compose"])
    show("docker-compose.yml: %s" % changed)
    assert changed == [(4, "    image: kwdb/kwdb:3.0.0", "    image: kwdb/kwdb:3.1.0")], changed


def test_mode_and_version_agree_with_the_compose_file(recorded, containers_now):
    before, now = recorded("before")["nodes"][NODE]["files"], containers_now["nodes"][NODE]["files"]
    was, line_now = before["mode"].splitlines(), now["mode"].splitlines()
    assert line_now[2] == "kwdb/kwdb:3.1.0" and line_now[:2] + line_now[3:] == was[:2] + was[3:], (was, line_now)
    assert now["version_file"].splitlines()[0] == "3.1.0", now["version_file"]


def test_no_copy_left_behind(recorded, containers_now):
    assert containers_now["nodes"][NODE]["files"]["listing"] == recorded("before")["nodes"][NODE]["files"]["listing"]


def test_docker_inspect_differs_only_in_the_image_ids_and_times(recorded, show):
    assert_only_the_image_changed(recorded("before"), recorded("after_upgrade"), NODE, show)


def test_the_old_image_is_removed(containers_now):
    assert not [image for image in containers_now["docker"]["images"] if image.startswith("kwdb/kwdb:3.0.0 ")]


def test_data_kept_and_rows_readable(recorded, containers_now, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), containers_now)
    assert_markers_readable(lab_hosts, state_dir)


def test_the_second_run_changed_nothing(recorded, containers_now, run_reports):
    assert containers_now["nodes"][NODE]["inspect"]["Id"] == recorded("after_upgrade")["nodes"][NODE]["inspect"]["Id"]
    assert run_reports[-1]["outcome"] == "succeeded" and run_reports[-1]["plan"]["hops"] == [], run_reports[-1]["plan"]


def test_the_run_fails_naming_the_node_the_step_and_the_loader_error(recorded, show):
    run = recorded("broken_run")
    assert run["rc"] not in (0, None) and not run["killed"], run
    failure = run["failed"][-1]
    show("broken run: rc %s; %s" % (run["rc"], failure["msg"]))
    assert failure["host"] == NODE and FAILED.match(failure["msg"]), failure
    assert failure["msg"].endswith(RESTORED), failure["msg"]


def test_compose_file_mode_and_version_byte_for_byte(recorded):
    before, after = recorded("before")["nodes"][NODE]["files"], recorded("after_failure")["nodes"][NODE]["files"]
    assert after == before, (before, after)


def test_the_old_image_runs_again_with_every_parameter(recorded, show):
    before, after = recorded("before")["nodes"][NODE], recorded("after_failure")["nodes"][NODE]
    assert (after["image"], after["version"], after["inspect"]["State"]["Running"]) == ("kwdb/kwdb:3.0.0", "V3.0.0", True)
    changes = inspect_changes(before["inspect"], after["inspect"])
    show("docker inspect %s before and after the failed run:\n%s" % (NODE, "\n".join(
        "  %s (%s)" % (path, kind) for path, kind, _was, _now in changes)))
    assert [change for change in changes if change[1] != "instance"] == [], changes


def test_after_the_failure_data_kept_and_rows_readable(recorded, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), recorded("after_failure"))
    assert_markers_readable(lab_hosts, state_dir)


def test_failed_run_report(run_reports):
    failed = [report for report in run_reports if report["outcome"] == "failed"]
    assert len(failed) == 1, [(report["_path"], report["outcome"]) for report in run_reports]
    entry = checks.node_entries(failed[0], NODE, "failed")
    assert entry and entry[-1]["step"] == "activate" and entry[-1]["restored_to"] == "V3.0.0", failed[0]["nodes"][NODE]
