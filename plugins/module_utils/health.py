# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health verdicts: pure functions over parsed node and range data.

Nodes are the dicts of an engine's node_status() (id, address, sql_address, build, is_live, is_available,
membership, is_draining, ...); range rows are those of its range_health().
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.address import split_host_port
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

NODE_CONDITIONS = ('none', 'all_live', 'same_build', 'node_live', 'node_ready', 'node_not_live')


def summarize_nodes(nodes):
    """Counts and verdicts over an engine's node_status() output.

    decommissioned: membership 'decommissioned'; every other count looks only at the remaining (member) nodes.
    live: is_live true. dead: is_live false. unavailable: live but not available (KWDB UPGRADING, or a
    liveness record about to expire). all_live: there is at least one member node and every member node is
    live and available. builds: sorted distinct builds the member nodes report. same_build: exactly one build
    and no live member node without one.
    """
    members = [node for node in nodes if node['membership'] != 'decommissioned']
    live = [node for node in members if node['is_live']]
    builds = sorted(set(node['build'] for node in members if node['build']))
    return {
        'total': len(nodes),
        'live': len(live),
        'dead': len(members) - len(live),
        'unavailable': len([node for node in live if not node['is_available']]),
        'decommissioned': len(nodes) - len(members),
        'decommissioning': len([node for node in members if node['membership'] == 'decommissioning']),
        'draining': len([node for node in members if node['is_draining']]),
        'builds': builds,
        'all_live': bool(members) and all(node['is_live'] and node['is_available'] for node in members),
        'same_build': len(builds) == 1 and all(node['build'] for node in live),
    }


def summarize_ranges(rows):
    """Cluster totals from per-node range counts. A node whose counts are unknown (NULL) is not healthy."""
    unknown = [row['node_id'] for row in rows
               if row['ranges_unavailable'] is None or row['ranges_underreplicated'] is None]
    unavailable = sum(row['ranges_unavailable'] or 0 for row in rows)
    underreplicated = sum(row['ranges_underreplicated'] or 0 for row in rows)
    return {
        'ranges_unavailable': unavailable,
        'ranges_underreplicated': underreplicated,
        'per_node': rows,
        'unknown_nodes': unknown,
        'healthy': bool(rows) and not unknown and unavailable == 0 and underreplicated == 0,
    }


def find_node(nodes, ref):
    """The node whose id, address, sql_address or host part matches ``ref``; None if absent."""
    ref = str(ref)
    for node in nodes:
        addresses = [addr for addr in (node.get('address'), node.get('sql_address')) if addr]
        if ref in [str(node['id'])] + addresses + [_host_of(addr) for addr in addresses]:
            return node
    return None


def _host_of(address):
    try:
        return split_host_port(address)[0]
    except OutputParseError:
        return None


def node_is_ready(node, expected_build=None):
    """Live, part of the quorum (available), not draining and, if asked, on the expected build."""
    on_build = expected_build is None or node.get('build') == expected_build
    return node['is_live'] is True and node['is_available'] is True and not node.get('is_draining') and on_build


def condition_met(condition, nodes, summary, node_ref=None, expected_build=None):
    """Whether ``condition`` (one of NODE_CONDITIONS) holds for this observation."""
    if condition == 'none':
        return True
    if condition == 'all_live':
        return summary['all_live']
    if condition == 'same_build':
        on_build = expected_build is None or summary['builds'] == [expected_build]
        return summary['all_live'] and summary['same_build'] and on_build
    node = find_node(nodes, node_ref)
    if condition == 'node_not_live':
        return node is None or node['is_live'] is not True
    if node is None:
        return False
    if condition == 'node_live':
        return node['is_live'] is True and (expected_build is None or node.get('build') == expected_build)
    if condition == 'node_ready':
        return node_is_ready(node, expected_build)
    raise DistsqlError('unknown wait condition %r; expected one of %s' % (condition, ', '.join(NODE_CONDITIONS)))
