"""databend_refusals: runs the collection must refuse in preflight on a Databend 1.2.200-nightly cluster (3 meta +
2 query hosts), each with its message and every host unchanged (binaries, units and their processes, the query
nodes' registrations, /etc/databend, the meta data version, the ledger and releases directories: the unit and
registration sections say that no process was restarted).

The tests run in file order on one cluster.
"""
import pytest

from tests.molecule_support import checks, hoststate, refusal_lab

PLAYBOOK = "distsql.upgrade.upgrade_multi_replica"
RUNNING = "1.2.200-nightly"
TARGET = "1.2.770-nightly"
NO_ORDER = ("no rolling order keeps databend-query and databend-meta compatible: query_first fails at query 1.2.307 "
            "with meta 1.2.200-nightly (incompatible: meta 1.2.200-nightly is older than query 1.2.307 "
            "min-compatible-metasrv-version 1.2.226); meta_first fails at query 1.2.200-nightly with meta "
            "1.2.770-nightly (incompatible: query 1.2.200-nightly is older than meta 1.2.770-nightly "
            "min-compatible-client-version 1.2.288)")

# the first state that breaks the rule is the query waypoint 1.2.307 (its published min-compatible-metasrv 1.2.226)
QUERY_ALONE = ("upgrading only databend-query breaks the compatibility rule at query 1.2.307 with meta 1.2.200-nightly "
               "(incompatible: meta 1.2.200-nightly is older than query 1.2.307 min-compatible-metasrv-version 1.2.226): "
               "upgrade both components (engine_databend_components: [meta, query])")


@pytest.fixture(scope="module")
def lab(inventory_dir, state_dir, report_dir, inventory):
    return refusal_lab.Lab(inventory_dir, state_dir, report_dir, inventory, PLAYBOOK)


def assert_no_process_restarted(before, after):
    for name in before["nodes"]:
        checks.assert_not_restarted(before, after, name)


def test_the_precheck_changed_nothing(recorded, now_state):
    refusal_lab.assert_unchanged("the precheck", hoststate.differences(recorded("before"), now_state))
    assert_no_process_restarted(recorded("before"), now_state)


def test_no_rolling_order_to_1_2_770_is_refused(lab, show):
    message, record, differences = lab.refused("to_1_2_770", {"distsql_target_version": TARGET})
    refusal_lab.assert_unchanged("%s -> %s" % (RUNNING, TARGET), differences)
    show("refused in %s s: %s" % (record["seconds"], message))
    lab.assert_refused_by_preflight(message, NO_ORDER)


def test_query_alone_to_1_2_770_is_refused(lab, show):
    message, record, differences = lab.refused("query_to_1_2_770", {"distsql_target_version": TARGET,
                                                                    "engine_databend_components": ["query"]})
    refusal_lab.assert_unchanged("databend-query alone to %s" % TARGET, differences)
    show("refused in %s s: %s" % (record["seconds"], message))
    lab.assert_refused_by_preflight(message, QUERY_ALONE)


def test_every_host_still_runs_1_2_200_with_its_quorum(inventory, recorded):
    checks.assert_databend_versions(inventory, meta=RUNNING, query=RUNNING)
    assert checks.databend_versions(recorded("before")) == {
        **{name: {"meta": RUNNING} for name in inventory.meta_names},
        **{name: {"query": RUNNING} for name in inventory.query_names}}, checks.databend_versions(recorded("before"))
    assert checks.assert_meta_quorum(inventory) == checks.meta_leader(recorded("before"))


def test_rows_written_before_are_counted(inventory, state_dir):
    checks.assert_databend_markers_readable(inventory, state_dir)
