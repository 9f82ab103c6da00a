"""The probe modules over SSH against a 3-node simulated KWDB cluster installed with deploy.sh."""
from tests.integration.test_probes_on_testbed import probe
from tests.testbed.provision_kwdb import KwdbDeployment

pytest_plugins = ["tests.testbed.pytest_plugin"]

KWDB_VARS = {"distsql_engine": "kwdb", "distsql_insecure": False, "distsql_certs_dir": "/etc/kaiwudb/certs"}


def test_probes_read_a_kwdb_cluster(make_cluster, hostlab):
    cluster = make_cluster(3)
    KwdbDeployment(hostlab, cluster).deploy("V3.0.0", "multi-replication")

    result, proc = probe(cluster, distsql_target_version="V3.1.0", distsql_wait_ranges="healthy", **KWDB_VARS)
    assert proc.returncode == 0, proc.stdout
    version = result["Read the installed version"]
    assert version["version"] == "V3.0.0"
    assert version["details"]["product"] == "KaiwuDB"
    assert version["upgrade"]["allowed"] is True and version["upgrade"]["kind"] == "minor"
    nodes = result["Read node status"]["nodes"]
    assert len(nodes) == 3
    assert {node["start_mode"] for node in nodes} == {"start"}
    assert all(node["locality"] == "region=NODE%d" % node["id"] for node in nodes)
    assert result["Read node status"]["summary"]["same_build"] is True
    assert result["Read range health"]["healthy"] is True

    refused, proc = probe(cluster, distsql_target_version="V2.2.2", **KWDB_VARS)
    assert refused["Read the installed version"]["upgrade"]["allowed"] is False
    assert refused["Read the installed version"]["upgrade"]["kind"] == "downgrade"
