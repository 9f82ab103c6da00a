"""Health verdicts over parsed nodes and range counts."""
import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.node_status import NODE_KEYS, parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.health import condition_met, find_node, summarize_nodes, summarize_ranges

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cockroach")


def nodes_of(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as source:
        nodes = parse_node_status(source.read(), "csv", "cockroachdb")
    return nodes, summarize_nodes(nodes)


def test_ranges_healthy_only_when_all_counts_known_and_zero():
    rows = [{"node_id": 1, "ranges_unavailable": 0, "ranges_underreplicated": 0},
            {"node_id": 2, "ranges_unavailable": 0, "ranges_underreplicated": 0}]
    assert summarize_ranges(rows)["healthy"] is True
    rows[1]["ranges_underreplicated"] = 3
    assert summarize_ranges(rows) == {"ranges_unavailable": 0, "ranges_underreplicated": 3, "per_node": rows,
                                      "unknown_nodes": [], "healthy": False}
    rows[1]["ranges_underreplicated"] = None
    assert summarize_ranges(rows)["unknown_nodes"] == [2]
    assert summarize_ranges(rows)["healthy"] is False
    assert summarize_ranges([])["healthy"] is False


@pytest.mark.parametrize("ref, expected_id", [("2", 2), ("[fd00:1122:3344:102::3]:32221", 2),
                                              ("fd00:1122:3344:102::3", 2), ("6", 6), ("9", None)])
def test_find_node_by_id_address_or_host(ref, expected_id):
    nodes, _summary = nodes_of("node_status_all_csv_v22.1.22.txt")
    found = find_node(nodes, ref)
    assert (found["id"] if found else None) == expected_id


def test_conditions_on_a_live_cluster():
    nodes, summary = nodes_of("node_status_all_csv_v22.1.22.txt")
    assert condition_met("all_live", nodes, summary) is True
    assert condition_met("same_build", nodes, summary, expected_build="v22.1.22-29-g865aff1595") is True
    assert condition_met("same_build", nodes, summary, expected_build="v23.1.0") is False
    assert condition_met("node_ready", nodes, summary, node_ref="2") is True
    assert condition_met("node_ready", nodes, summary, node_ref="2", expected_build="v23.1.0") is False
    assert condition_met("node_not_live", nodes, summary, node_ref="3") is True  # decommissioned: not live
    assert condition_met("node_live", nodes, summary, node_ref="42") is False


def test_conditions_with_dead_nodes():
    nodes, summary = nodes_of("node_status_all_csv_v22.1.22_dead.txt")
    assert condition_met("all_live", nodes, summary) is False
    assert condition_met("node_not_live", nodes, summary, node_ref="1") is True
    assert condition_met("node_live", nodes, summary, node_ref="2") is True
    # node 8 still has its address but reports neither live nor available
    assert condition_met("node_ready", nodes, summary, node_ref="8") is False


def test_unknown_condition_is_refused():
    nodes, summary = nodes_of("node_status_all_csv_v22.1.22.txt")
    with pytest.raises(DistsqlError) as caught:
        condition_met("all_happy", nodes, summary, node_ref="1")
    assert str(caught.value) == ("unknown wait condition 'all_happy'; expected one of none, all_live, same_build, "
                                 "node_live, node_ready, node_not_live")


def _node(**fields):
    node = dict((key, None) for key in NODE_KEYS)
    node.update({'id': 1, 'is_live': True, 'is_available': True, 'membership': 'active', 'build': 'v24.1.0'})
    node.update(fields)
    return node


@pytest.mark.parametrize('nodes, expected', [
    ([], {'total': 0, 'live': 0, 'dead': 0, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
          'draining': 0, 'builds': [], 'all_live': False, 'same_build': False}),
    ([_node(), _node(id=2, is_draining=True)],
     {'total': 2, 'live': 2, 'dead': 0, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
      'draining': 1, 'builds': ['v24.1.0'], 'all_live': True, 'same_build': True}),
    ([_node(), _node(id=2, build=None)],
     {'total': 2, 'live': 2, 'dead': 0, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
      'draining': 0, 'builds': ['v24.1.0'], 'all_live': True, 'same_build': False}),
    ([_node(), _node(id=2, build=None, is_live=False, is_available=False)],
     {'total': 2, 'live': 1, 'dead': 1, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
      'draining': 0, 'builds': ['v24.1.0'], 'all_live': False, 'same_build': True}),
    ([_node(), _node(id=2, membership='decommissioning', is_decommissioning=True, build='v23.2.5')],
     {'total': 2, 'live': 2, 'dead': 0, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 1,
      'draining': 0, 'builds': ['v23.2.5', 'v24.1.0'], 'all_live': True, 'same_build': False}),
    ([_node(), _node(id=2, membership='decommissioned', build='v23.2.5', is_live=False, is_draining=True)],
     {'total': 2, 'live': 1, 'dead': 0, 'unavailable': 0, 'decommissioned': 1, 'decommissioning': 0,
      'draining': 0, 'builds': ['v24.1.0'], 'all_live': True, 'same_build': True}),
])
def test_summarize_nodes(nodes, expected):
    assert summarize_nodes(nodes) == expected
