# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`kwbase node upgrade <id>`: mark a node UPGRADING before its packages are swapped (flow-surfaces-kwdb.md section 1).

The CLI checks the target's liveness (LIVE, DEAD or DECOMMISSIONED only), the server then requires every node of the
cluster to be LIVE or DECOMMISSIONED, writes Upgrading=true into the node's liveness record and sets
server.time_until_store_dead = '3h' cluster-wide. Success prints nothing (exit 0). A node restarted with
--upgrade-complete is cleared and the setting goes back to its default.

`kwbase node status` has no upgrading column: it computes is_available as "liveness not expired and not upgrading",
so a marked node that runs shows is_live true and is_available false. A node that is not live cannot be told apart
(marked or not) from that output.

The node_upgrade capability (``get_engine('kwdb').node_upgrade``) offers upgrade_argv(binary, connection, node_id),
mark(run, binary, connection, node_id) (NodeUpgradeRefused subclasses for the refusals), refusal(node_id, rc,
stdout, stderr), upgrade_state(node) and observe(nodes, node_id) over cockroach_family node_status dicts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import require_executable
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import parse_cli_error
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError
from ansible_collections.distsql.upgrade.plugins.module_utils.health import find_node

STORE_DEAD_SETTING = 'server.time_until_store_dead'
STORE_DEAD_WHILE_MARKED = '3h'
# upgrade_state() -> the node's UPGRADING mark as node status tells it (None: it cannot tell)
UPGRADING_BY_STATE = {'upgrading': True, 'ready': False, 'down': None, 'missing': None}


class NodeUpgradeRefused(DetailedError):
    """`kwbase node upgrade` did not complete; details: kind, node_id, rc, cli_message and changed (whether the node
    may be marked all the same)."""

    kind = 'failed'
    may_have_marked = False


class UnknownNode(NodeUpgradeRefused):
    kind = 'unknown_node'


class NodeNotEligible(NodeUpgradeRefused):
    kind = 'not_eligible'


class ClusterNotReady(NodeUpgradeRefused):
    kind = 'cluster_not_ready'


class StartModeForbidden(NodeUpgradeRefused):
    kind = 'start_mode'


class NodeUnreachable(NodeUpgradeRefused):
    kind = 'unreachable'


class StoreDeadSettingFailed(NodeUpgradeRefused):
    kind = 'setting_failed'
    may_have_marked = True


# (pattern searched in the CLI's output, error class, what to do with %(group)s of the pattern)
_RULES = (
    (r'Upgrade ternimated\. Hint: cannot find status of node (?P<node>\d+)', UnknownNode,
     'node %(node)s is not in the cluster: check the id with `kwbase node status`'),
    (r'Upgrade ternimated\. Hint: node (?P<node>\d+) is not eligible to upgrade', NodeNotEligible,
     'node %(node)s is not LIVE, DEAD or DECOMMISSIONED (it is UNAVAILABLE, DECOMMISSIONING, UPGRADING or UNKNOWN; a '
     'stopped node marked before still counts as UPGRADING): wait until it is live and available, or clear an earlier '
     'mark by starting the node with --upgrade-complete'),
    (r'can not upgrade nodes when cluster has node (?P<status>[A-Z_]+)', ClusterNotReady,
     'every node of the cluster must be LIVE or DECOMMISSIONED and one is %(status)s: bring it back (or finish the '
     'upgrade of a node still UPGRADING by starting it with --upgrade-complete), then mark again'),
    (r'Upgrade ternimated\. Hint: upgrading is forbidden in the current start mode\.', StartModeForbidden,
     'the node connected to is not started with `kwbase start` (it runs start-single-replica or start-single-node): '
     'upgrade such a cluster offline (stop every node, run deploy.sh upgrade -l on each, start them)'),
    (r'cluster has node unreachable\. Can not connect to node (?P<node>\d+)', NodeUnreachable,
     'in single-replica mode every node must answer: bring node %(node)s back, then mark again'),
    (r'set cluster setting server\.time_until_store_dead failed when upgrade', StoreDeadSettingFailed,
     'the node may be marked UPGRADING while server.time_until_store_dead was not raised to 3h: set it to 3h, or '
     'clear the mark by restarting the node with --upgrade-complete'),
)


def upgrade_argv(binary, connection, node_id):
    return [binary, 'node', 'upgrade', str(node_id)] + connection.argv()


def refusal(node_id, rc, stdout, stderr):
    """The NodeUpgradeRefused subclass for a failed `kwbase node upgrade <node_id>`."""
    output = '%s\n%s' % (stdout or '', stderr or '')
    cli_message = parse_cli_error(stderr if (stderr or '').strip() else stdout)['message'] or '(no output)'
    for pattern, error_class, advice in _RULES:
        match = re.search(pattern, output)
        if match:
            message = '`kwbase node upgrade %s` refused: %s -> %s' % (node_id, cli_message, advice % match.groupdict())
            break
    else:
        error_class = NodeUpgradeRefused
        message = '`kwbase node upgrade %s` failed (rc=%s): %s' % (node_id, rc, cli_message)
    return error_class(message, {'kind': error_class.kind, 'node_id': node_id, 'rc': rc, 'cli_message': cli_message,
                                 'changed': error_class.may_have_marked})


def mark(run, binary, connection, node_id):
    """Run `kwbase node upgrade <node_id>`; its argv, or the refusal raised."""
    argv = upgrade_argv(binary, connection, node_id)
    require_executable(binary, os.path.basename(binary))
    rc, stdout, stderr = run(argv)
    if rc != 0:
        raise refusal(node_id, rc, stdout, stderr)
    return argv


def upgrade_state(node):
    """'upgrading' (live but not available), 'ready' (live and available), 'down' (not live) or 'missing' (None)."""
    if node is None:
        return 'missing'
    if node['is_live'] is not True:
        return 'down'
    return 'ready' if node['is_available'] else 'upgrading'


def observe(nodes, node_id):
    """node (its node_status dict or None), state (upgrade_state) and upgrading (True, False or None: unknown)."""
    node = find_node(nodes, node_id)
    state = upgrade_state(node)
    return {'node': node, 'state': state, 'upgrading': UPGRADING_BY_STATE[state]}
