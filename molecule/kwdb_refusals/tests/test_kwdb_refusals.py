"""kwdb_refusals: runs the collection must refuse on a KWDB V2.2.1 cluster, each with its exact message and every
node unchanged byte for byte (binary, unit and its process, data, certificates, configuration, ledger, settings).

The tests run in file order on one cluster; the one that stops a node starts it again.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from tests.molecule_support import refusal_lab

PLAYBOOK = "distsql.upgrade.upgrade_multi_replica"
NO_STAGING = ("build_tag", "binary", "unit", "data_dir", "certs_dir", "config_dir", "ledger_dir", "settings",
              "started_at")


@pytest.fixture(scope="module")
def lab(inventory_dir, state_dir, report_dir, inventory):
    return refusal_lab.Lab(inventory_dir, state_dir, report_dir, inventory, PLAYBOOK)


def test_2_x_to_3_x_names_export_and_import(lab):
    message, _record, differences = lab.refused("to_3_x", {"distsql_target_version": "V3.1.0"})
    refusal_lab.assert_unchanged("V2.2.1 -> V3.1.0", differences)
    lab.assert_refused_by_preflight(message, "cannot upgrade KWDB V2.2.1 to V3.1.0 in place: 1.x/2.x cannot be "
                                             "upgraded to 3.x; export the data, deploy a fresh 3.1 cluster and import it")


def test_downgrade_is_refused(lab):
    message, _record, differences = lab.refused("downgrade", {"distsql_target_version": "V2.2.0"})
    refusal_lab.assert_unchanged("the downgrade", differences)
    lab.assert_refused_by_preflight(message, "The requested upgrade version is older than the current installed "
                                             "version.(current:V2.2.1 new_version:V2.2.0) KWDB has no downgrade: "
                                             "uninstall it, reinstall the old version and restore a backup.")


def test_a_container_package_on_a_bare_metal_install_is_refused_at_staging(lab):
    package = json.loads(run_testbed("package", "--version", "V2.2.2", "--container"))
    message, record, differences = lab.refused("container_package", {
        "distsql_releases": [], "distsql_release_src": package["path"], "distsql_release_sha256": package["sha256"]},
        sections=NO_STAGING)
    refusal_lab.assert_unchanged("the container package", differences)
    assert message.startswith("staging on node1 failed, no node was touched: "), message
    assert "Current use bare, but the package is container." in message, message
    assert sorted({failure["host"] for failure in record["failed"]}) == ["node1", "node2", "node3"], record["failed"]


def test_a_built_binary_for_a_unit_that_starts_another_binary_is_refused(lab):
    message, _record, differences = lab.refused("source_other_binary", {
        "distsql_kwdb_deploy_mode": "source", "distsql_binary": "/usr/local/bin/kwbase",
        "distsql_releases": [{"version": "V2.2.2", "binary": "/srv/build/kwbase"}]})
    refusal_lab.assert_unchanged("the source build for another binary", differences)
    lab.assert_refused_by_preflight(message, "unit kaiwudb starts /usr/local/kaiwudb/bin/kwbase, not distsql_binary "
                                             "/usr/local/bin/kwbase: set distsql_binary to the path its ExecStart runs, "
                                             "which the flow replaces without changing the start command")


def test_a_node_not_live_is_refused(lab, contract):
    message, differences = lab.refused_while_down("node3", contract["distsql_service"])
    refusal_lab.assert_unchanged("the node-down refusal", differences)
    node = lab.node_id("node3")
    expected = (r"2 gate\(s\) failed: nodes_live: 2 of 3 nodes live \(inventory 3\); not live: n%s; not available "
                r"\(UPGRADING or draining\): n%s; ranges_healthy: 0 unavailable, [1-9]\d* under-replicated ranges"
                % (node, node))
    assert message.startswith(refusal_lab.PREFLIGHT) and re.fullmatch(expected, message[len(refusal_lab.PREFLIGHT):]), \
        message


def run_testbed(*argv):
    proc = subprocess.run([sys.executable, "-m", "tests.testbed"] + list(argv), capture_output=True, text=True,
                          cwd=os.environ["MOLECULE_PROJECT_DIRECTORY"], check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
