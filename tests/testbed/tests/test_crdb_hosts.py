"""CockroachDB version rules on real podman hosts: store-version refusals, finalization held or automatic.

The same journeys the upgrade roles will take, with the simulated binaries installed from their
release tarballs and run by the documented systemd unit.
"""
import time

import pytest

from tests.testbed.provision import CockroachDeployment

pytest_plugins = ["tests.testbed.pytest_plugin"]

OLD, NEW, SKIPPING = "v23.2.9", "v24.1.4", "v24.3.2"


def cluster_version(deployment):
    return deployment.sql(deployment.nodes[0], "SHOW CLUSTER SETTING version").splitlines()[1]


def wait_for_cluster_version(deployment, expected, timeout=30):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen.append(cluster_version(deployment))
        if seen[-1] == expected:
            return seen
        time.sleep(0.5)
    raise AssertionError("cluster version never became %s; saw %s" % (expected, seen))


def roll_to(deployment, version):
    for host in deployment.nodes:
        deployment.restart_on(host, version)
        deployment.wait_all_live()


@pytest.fixture
def deployment(hostlab, make_cluster):
    cluster = make_cluster(3)
    return CockroachDeployment(hostlab, cluster, liveness_ttl=2.0, catchup_seconds=2.0,
                               finalize_delay=2.0).deploy(OLD)


def test_major_skipping_binary_refuses_to_start(deployment):
    host = deployment.nodes[2]
    started = deployment.restart_on(host, SKIPPING, check=False)
    assert started.returncode != 0
    assert deployment.journal_shows(host, "store last used with cockroach version v23.2 is too old for running "
                                          "version v24.3 (which requires data from v24.1 or later)"), deployment.journal(host)


def test_finalization_is_automatic_and_then_old_binary_is_too_old(deployment):
    roll_to(deployment, NEW)
    versions_seen = wait_for_cluster_version(deployment, "24.1")
    host = deployment.nodes[0]
    started = deployment.restart_on(host, OLD, check=False)
    assert started.returncode != 0
    assert deployment.journal_shows(host, "store last used with cockroach version v24.1 is too high for running "
                                          "version v23.2"), deployment.journal(host)
    print("cluster version while finalizing: %s" % " -> ".join(dict.fromkeys(versions_seen)))


def test_preserve_downgrade_option_holds_finalization_and_allows_rollback(deployment):
    deployment.sql(deployment.nodes[0], "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'")
    roll_to(deployment, NEW)
    time.sleep(3)  # longer than finalize_delay: finalization would have started by now if it were allowed
    assert cluster_version(deployment) == "23.2"
    # not finalized: the old binary may rejoin (the rollback path)
    deployment.restart_on(deployment.nodes[1], OLD)
    deployment.wait_all_live()
    assert "v23.2.9" in deployment.node_status_csv()
    # finalize: back to the new binary everywhere, then reset the option
    deployment.restart_on(deployment.nodes[1], NEW)
    deployment.wait_all_live()
    deployment.sql(deployment.nodes[0], "RESET CLUSTER SETTING cluster.preserve_downgrade_option")
    wait_for_cluster_version(deployment, "24.1")
