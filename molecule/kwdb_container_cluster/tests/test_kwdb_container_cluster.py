"""kwdb_container_cluster: upgrade_single_replica.yml on three KWDB `docker run` containers, V3.0.0 -> V3.1.0."""
import pytest

from tests.molecule_support import checks
from tests.molecule_support.container_checks import (assert_data_kept, assert_markers_readable,
                                                     assert_only_the_image_changed)

NODES = ["kwcl-kwdb1", "kwcl-kwdb2", "kwcl-kwdb3"]


@pytest.mark.parametrize("node", NODES)
def test_every_container_runs_the_new_image_and_kwbase_reports_the_target(containers_now, node):
    found = containers_now["nodes"][node]
    assert (found["image"], found["version"]) == ("kwdb/kwdb:3.1.0", "V3.1.0"), (found["image"], found["version"])


@pytest.mark.parametrize("node", NODES)
def test_docker_inspect_of_every_node_differs_only_in_the_image_ids_and_times(recorded, show, node):
    assert_only_the_image_changed(recorded("before"), recorded("after_upgrade"), node, show)


def test_only_the_new_containers_are_left(containers_now):
    assert containers_now["docker"]["containers"] == ["%s kwdb/kwdb:3.1.0" % node for node in NODES]


def test_data_kept_and_rows_readable_through_every_node(recorded, containers_now, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), containers_now)
    assert_markers_readable(lab_hosts, state_dir)


def test_report_and_outage_window(run_reports, show):
    report = run_reports[-1]
    assert report["flow"] == "single_replica", report["flow"]
    assert report["outcome"] == "succeeded", report["message"]
    for node in NODES:
        assert [entry["to"] for entry in checks.upgraded_entries(report, node)] == ["V3.1.0"], report["nodes"][node]
    assert checks.outage_seconds(report, show) > 0
