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
    (dict(TARGET, distsql_engine="mysql"), "value of distsql_engine must be one of: cockroachdb, got: mysql"),
    (dict(TARGET, distsql_sql_port="abc"),
     "argument 'distsql_sql_port' is of type str and we were unable to convert to int: "),
    (dict(TARGET, distsql_releases=[{"version": "v24.1.4", "url": "http://mirror.invalid/cockroach-v24.1.4.linux-amd64.tgz"}]),
     "one of the following is required: sha256, checksum_url found in distsql_releases"),
    (dict(TARGET, distsql_skip_gates="backup"), "argument 'distsql_skip_gates' is of type str and we were unable to convert to dict: "),
    ({}, "missing required arguments: distsql_target_version"),
])
def test_bad_input_is_refused_before_any_host_is_touched(unreachable_inventory, extra_vars, message):
    msg = refusal(unreachable_inventory, extra_vars)
    assert msg.startswith("Validation of arguments failed:\n" + message)
