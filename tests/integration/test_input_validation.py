"""Bad input is refused by the roles' argument specs before any host is touched.

The inventory's hosts point at a closed loopback port: had any task tried to reach them, the run would
report them UNREACHABLE instead of failing validation.
"""
import os

import pytest

from tests.support.ansible_cli import run_playbook

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "upgrade-multi-replica.yml")
TARGET = {"distsql_target_version": "v24.1.4"}


@pytest.fixture(autouse=True)
def report_dir(tmp_path, monkeypatch):
    """Refused runs write their report to the working directory: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))


@pytest.fixture
def unreachable_inventory(tmp_path):
    path = tmp_path / "inventory.ini"
    path.write_text("[cockroach]\n" + "".join("db%d ansible_host=127.0.0.1 ansible_port=9\n" % n for n in (1, 2, 3)))
    return str(path)


def refusal(inventory, extra_vars):
    records, proc = run_playbook(PLAYBOOK, inventory, extra_vars, timeout=120)
    assert proc.returncode != 0
    assert "UNREACHABLE" not in proc.stdout
    failed = [record for record in records if record["result"].get("failed")]
    assert {record["host"] for record in failed} == {"db1", "db2", "db3"}
    assert all("Validating arguments against arg spec" in record["task"] for record in failed)
    return failed[0]["result"]["msg"]


@pytest.mark.parametrize("extra_vars, message", [
    (dict(TARGET, distsql_engine="mysql"),
     "value of distsql_engine must be one of: cockroachdb, kwdb, databend, got: mysql"),
    (dict(TARGET, distsql_sql_port="abc"),
     "argument 'distsql_sql_port' is of type str and we were unable to convert to int: "),
    (dict(TARGET, distsql_releases=[{"version": "v24.1.4", "url": "http://mirror.invalid/cockroach-v24.1.4.linux-amd64.tgz"}]),
     "one of the following is required: sha256, checksum_url, binary found in distsql_releases"),
    (dict(TARGET, distsql_skip_gates="backup"), "argument 'distsql_skip_gates' is of type str and we were unable to convert to dict: "),
    ({}, "missing required arguments: distsql_target_version"),
])
def test_bad_input_is_refused_before_any_host_is_touched(unreachable_inventory, extra_vars, message):
    msg = refusal(unreachable_inventory, extra_vars)
    assert msg.startswith("Validation of arguments failed:\n" + message)


def test_a_malformed_version_is_refused_on_the_controller(unreachable_inventory):
    records, proc = run_playbook(PLAYBOOK, unreachable_inventory, {"distsql_target_version": "v24.x"}, timeout=120)
    assert proc.returncode != 0
    assert "UNREACHABLE" not in proc.stdout
    failed = [record for record in records if record["result"].get("failed")]
    assert failed[0]["task"].endswith("refuse malformed versions and release sources before any host is contacted")
    assert failed[0]["result"]["msg"] == "cannot parse cockroachdb version string 'v24.x'"
    refused = "preflight refused the upgrade, nothing was changed: cannot parse cockroachdb version string 'v24.x'"
    assert failed[-1]["result"]["msg"] == refused


def test_a_release_template_without_a_checksum_is_refused_on_the_controller(unreachable_inventory):
    extra = {"distsql_target_version": "v24.1.4",
             "distsql_release_url_template": "http://mirror.invalid/cockroach-{version}.linux-amd64.tgz"}
    records, proc = run_playbook(PLAYBOOK, unreachable_inventory, extra, timeout=120)
    assert proc.returncode != 0 and "UNREACHABLE" not in proc.stdout
    failed = [record for record in records if record["result"].get("failed")]
    assert failed[0]["result"]["msg"] == ("distsql_release_url_template needs distsql_release_checksum_url_template or "
                                          "distsql_release_sha256: every download is verified")


def test_a_flow_that_does_not_fit_the_topology_is_refused(unreachable_inventory):
    extra = {"distsql_target_version": "v24.1.4", "distsql_topology": "single_replica"}
    records, proc = run_playbook(PLAYBOOK, unreachable_inventory, extra, timeout=120)
    assert proc.returncode != 0 and "UNREACHABLE" not in proc.stdout
    failed = [record for record in records if record["result"].get("failed")]
    assert failed[0]["result"]["msg"] == (
        "the multi_replica flow does not fit the 3 host(s) of group cockroach: standalone is one start-single-node "
        "host; a multi-replica rolling upgrade needs at least 3 nodes so that every range keeps a quorum while one "
        "node is down (upgrade-single-replica.yml does a full-stop upgrade); a single_replica cluster "
        "(distsql_topology) is upgraded with single_replica")
