"""upgrade_plan run through Ansible on localhost with what the preflight role hands it: every host's node state
(unit, binary version, releases) and node_status's view of the cluster."""
import pytest

SHA = "5b1e9a0b1c9a3f5e3b8c1a4d2e7f6a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
URL = "https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz"


def node_state(host, installed, staged, active=True):
    """distsql_node_state as roles/engine_cockroachdb/tasks/node_state.yml records it."""
    return {"host": host, "service_active": active, "service_state": "active" if active else "inactive",
            "installed_version": installed, "active_release": installed, "previous_release": None,
            "staged_releases": staged, "free_bytes": 41217232896}


def cluster_node(node_id, host, build, live=True):
    """One node as distsql.upgrade.node_status returns it."""
    return {"id": node_id, "address": "%s:26257" % host, "sql_address": "%s:26257" % host, "build": build,
            "started_at": "2026-03-02T09:14:05.120331+00:00", "updated_at": "2026-03-02T10:02:11.401225+00:00",
            "locality": "region=eu-west,zone=a", "is_available": live, "is_live": live, "membership": "active",
            "is_decommissioning": False, "is_draining": False, "gossiped_replicas": 71, "replicas_leaders": 24,
            "replicas_leaseholders": 24, "ranges": 71, "ranges_unavailable": 0, "ranges_underreplicated": 0,
            "live_bytes": 1893441, "key_bytes": 310222, "value_bytes": 2214001, "range_key_bytes": 0,
            "range_value_bytes": 0, "intent_bytes": 0, "system_bytes": 88213, "start_mode": None}


@pytest.fixture
def args():
    return {
        "engine": "cockroachdb",
        "target_version": "v24.1.4",
        "flow": "multi_replica",
        "nodes": [node_state("node1", "v23.1.28", ["v23.1.28", "v23.2.9"]),
                  node_state("node2", "v23.1.28", ["v23.1.28"]),
                  node_state("node3", "v23.1.28", ["v23.1.28"])],
        "cluster_nodes": [cluster_node(1, "node1", "v23.1.28"), cluster_node(2, "node2", "v23.1.28"),
                          cluster_node(3, "node3", "v23.1.28")],
        "cluster_version": "23.1",
        "releases": [{"version": "v23.2.9", "url": URL.replace("{version}", "v23.2.9"), "sha256": SHA}],
        "release_url_template": URL,
        "release_checksum_url_template": URL + ".sha256sum",
        "release_src": "",
        "release_sha256": "",
        "hop_versions": {},
        "allow_prerelease": False,
        "hold_finalization": True,
    }


def test_plans_a_multi_hop_upgrade(args, module_runner):
    result = module_runner("upgrade_plan", args)
    assert result.get("failed") is not True and result["changed"] is False
    assert result["allowed"] is True and result["kind"] == "multi_major"
    assert result["from_version"] == "v23.1.28" and result["target_version"] == "v24.1.4"
    assert result["nodes"] == [{"host": "node%d" % n, "version": "v23.1.28", "service_active": True} for n in (1, 2, 3)]
    assert result["resuming"] is False
    assert [(hop["version"], hop["kind"], hop["finalize_after"], hop["hold"]) for hop in result["hops"]] == [
        ("v23.2.9", "major", True, False), ("v24.1.4", "major", False, True)]
    assert result["sources"] == [
        {"version": "v23.2.9", "url": URL.replace("{version}", "v23.2.9"), "src": None, "binary": None, "binary_on": None, "sha256": SHA,
         "checksum_url": None},
        {"version": "v24.1.4", "url": URL.replace("{version}", "v24.1.4"), "src": None, "binary": None, "binary_on": None, "sha256": None,
         "checksum_url": URL.replace("{version}", "v24.1.4") + ".sha256sum"}]
    assert result["finalization_needed"] is True
    assert result["finalization"] == ("each intermediate major is finalized before the next hop; the last (24.1) stays "
                                      "held: run finalize.yml, or rollback.yml to go back")
    assert result["client_impact"] == ("none expected for clients behind a load balancer or with multi-node connection "
                                       "strings: each node is drained before it stops and one node at a time is down")
    assert result["notes"] == ["each intermediate major (v23.2) must be finalized before the next hop"]


def test_resumes_an_interrupted_roll(args, module_runner):
    args["nodes"][0] = node_state("node1", "v23.2.9", ["v23.1.28", "v23.2.9"], active=False)
    args["cluster_nodes"][0]["is_live"] = False
    result = module_runner("upgrade_plan", args)
    assert result["allowed"] is True and result["resuming"] is True
    assert result["nodes"][0] == {"host": "node1", "version": "v23.2.9", "service_active": False}
    assert result["notes"][-2:] == ["node1 is not live: its version is that of its binary, v23.2.9",
                                    "resuming an interrupted run: nodes run v23.1.28 and v23.2.9"]


def test_refusal_fails_with_the_reason_and_the_plan(args, module_runner):
    args["releases"] = []
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == ("no release of series 23.2 is known for the hop from v23.1.28 to v24.1.4: add one to "
                             "distsql_releases or distsql_hop_versions")
    assert result["allowed"] is False and result["reason"] == result["msg"]
    assert result["kind"] == "multi_major" and result["from_version"] == "v23.1.28" and len(result["nodes"]) == 3


def test_rollback_playbook_refuses_an_upgrade(args, module_runner):
    args["direction"] = "rollback"
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True
    assert result["msg"] == "rollback.yml only rolls back: v24.1.4 is newer than v23.1.28; run an upgrade playbook"


def test_unparseable_target_version(args, module_runner):
    args["target_version"] = "v24.x"
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True
    assert result["msg"] == "cannot parse cockroachdb version string 'v24.x'"


def test_runs_in_check_mode(args, module_runner):
    result = module_runner("upgrade_plan", args, check_mode=True)
    assert result["changed"] is False and result["allowed"] is True
    assert [hop["version"] for hop in result["hops"]] == ["v23.2.9", "v24.1.4"]


def test_node_entries_are_typed(args, module_runner):
    args["nodes"][1]["service_active"] = "yes"
    args["nodes"][1]["free_bytes"] = "12345"
    assert module_runner("upgrade_plan", args)["nodes"][1]["service_active"] is True
    args["nodes"][1]["free_bytes"] = "lots"
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True
    assert result["msg"] == ("argument 'free_bytes' is of type str found in 'nodes'. and we were unable to convert to "
                             "int: \"'lots'\" cannot be converted to an int")


def test_node_entries_with_unknown_keys_are_refused(args, module_runner):
    args["nodes"][2]["bogus"] = 1
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True
    assert result["msg"] == ("Unsupported parameters for (distsql.upgrade.upgrade_plan) module: nodes.bogus. Supported "
                             "parameters include: active_release, address, binary_present, free_bytes, host, "
                             "installed_extended, installed_version, packages, previous_release, service_active, "
                             "service_state, staged_releases, staged_sha256.")


def test_unknown_flow(args, module_runner):
    args["flow"] = "blue_green"
    result = module_runner("upgrade_plan", args)
    assert result["failed"] is True
    assert result["msg"] == ("value of flow must be one of: multi_replica, single_replica, standalone, got: blue_green")
