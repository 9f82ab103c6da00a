"""The probe modules, unchanged, over SSH against a 3-node simulated CockroachDB cluster."""
import os

from tests.support.ansible_cli import run_playbook
from tests.testbed.provision import CockroachDeployment

pytest_plugins = ["tests.testbed.pytest_plugin"]

PLAYBOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "playbooks", "cluster-health.yml")
TESTBED_VARS = {"distsql_probe_host": "node1", "distsql_insecure": True, "distsql_wait_timeout": 60,
                "distsql_wait_interval": 0.5, "distsql_stable_checks": 2}


def probe(cluster, **extra_vars):
    records, proc = run_playbook(PLAYBOOK, cluster.write_inventory(), dict(TESTBED_VARS, **extra_vars))
    by_task = {record["task"]: record["result"] for record in records}
    return by_task, proc


def test_probes_see_a_node_stop_and_heal(make_cluster, hostlab):
    cluster = make_cluster(3)
    CockroachDeployment(hostlab, cluster, liveness_ttl=2.0, catchup_seconds=12.0).deploy("v23.2.9")

    healthy, proc = probe(cluster, distsql_target_version="v24.1.4", distsql_wait_ranges="healthy")
    assert proc.returncode == 0, proc.stdout
    assert healthy["Read the installed version"]["version"] == "v23.2.9"
    assert healthy["Read the installed version"]["upgrade"]["kind"] == "major"
    nodes = healthy["Read node status"]["nodes"]
    assert sorted(node["address"] for node in nodes) == ["node1:26257", "node2:26257", "node3:26257"]
    assert healthy["Read node status"]["summary"]["all_live"] is True
    assert healthy["Read node status"]["summary"]["builds"] == ["v23.2.9"]
    assert healthy["Read range health"]["healthy"] is True

    cluster.host("node3").systemctl("stop", "insecurecockroachdb")
    degraded, proc = probe(cluster, distsql_wait_nodes="node_not_live", distsql_wait_node="node3")
    assert proc.returncode == 0, proc.stdout
    stopped = [node for node in degraded["Read node status"]["nodes"] if node["sql_address"] is None
               or node["sql_address"].startswith("node3:")]
    assert len(stopped) == 1
    assert stopped[0]["is_live"] is False
    assert degraded["Read node status"]["summary"]["all_live"] is False
    assert degraded["Read range health"]["ranges_underreplicated"] > 0
    assert degraded["Read range health"]["healthy"] is False

    cluster.host("node3").systemctl("start", "insecurecockroachdb")
    healed, proc = probe(cluster, distsql_wait_nodes="all_live", distsql_wait_ranges="healthy")
    assert proc.returncode == 0, proc.stdout
    assert healed["Read node status"]["summary"]["all_live"] is True
    assert healed["Read range health"]["healthy"] is True
    # catch-up is visible: the under-replicated count falls through intermediate values to zero
    counts = [entry["ranges_underreplicated"] for entry in healed["Read range health"]["trace"]
              if "ranges_underreplicated" in entry]
    assert counts[0] > 0 and counts[-1] == 0
    assert any(0 < count < counts[0] for count in counts), counts
    assert counts == sorted(counts, reverse=True), counts


def test_probes_on_a_secure_cluster(make_cluster, hostlab):
    cluster = make_cluster(3)
    CockroachDeployment(hostlab, cluster, secure=True, liveness_ttl=2.0, catchup_seconds=2.0).deploy("v24.1.4")
    result, proc = probe(cluster, distsql_insecure=False, distsql_certs_dir="/var/lib/cockroach/certs",
                         distsql_wait_nodes="same_build", distsql_wait_ranges="healthy")
    assert proc.returncode == 0, proc.stdout
    assert result["Read node status"]["summary"]["builds"] == ["v24.1.4"]
    assert result["Read range health"]["healthy"] is True
    unit = cluster.host("node2").read_file("/etc/systemd/system/securecockroachdb.service")
    assert "ExecStart=/usr/local/bin/cockroach start --certs-dir=certs --advertise-addr=node2 " in unit
