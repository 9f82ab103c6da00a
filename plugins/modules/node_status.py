#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: node_status
short_description: Read the nodes of a CockroachDB or KWDB cluster and optionally wait for a liveness condition
version_added: 0.1.0
description:
  - Runs C(cockroach node status --all --format=csv) or C(kwbase node status --all --format=csv) against the
    cluster and returns every node with typed fields (booleans, integers, C(null) for C(NULL)).
  - Reads the output by column name, so the column sets of every version are understood (CockroachDB 20.1
    without C(membership), 20.2+ with it, 22.2+ with range key bytes; KWDB with C(start_mode)).
  - With O(wait_for) it polls until the condition holds for O(stable_checks) consecutive checks, and fails
    with the last observed nodes when O(timeout) passes first. A CLI call that fails (for example while the
    node it talks to restarts) counts as a failed check.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.connection
  - distsql.upgrade.wait
options:
  wait_for:
    description:
      - Condition to wait for.
      - V(none) reads once.
      - V(all_live) waits until every node that is not decommissioned is live and available.
      - V(same_build) waits until all nodes are live and run one build (O(expected_build) if given).
      - V(node_live) waits until O(node) is live (and on O(expected_build) if given).
      - V(node_ready) waits until O(node) is live, available, not draining (and on O(expected_build) if given).
      - V(node_not_live) waits until O(node) is no longer live, for example after it was stopped.
    type: str
    default: none
    choices: [none, all_live, same_build, node_live, node_ready, node_not_live]
  node:
    description:
      - The node a C(node_*) condition is about, by node id, C(host:port) address or host name.
      - When given, RV(node) returns that node's entry.
    type: str
  expected_build:
    description:
      - Build tag the node (or every node, for V(same_build)) must report, for example C(v24.1.3).
    type: str
notes:
  - KWDB reports a node as not available while it is marked upgrading (C(kwbase node upgrade)); V(node_ready)
    therefore waits until such a node was restarted with C(--upgrade-complete).
seealso:
  - module: distsql.upgrade.range_health
  - module: distsql.upgrade.version_probe
'''

EXAMPLES = r'''
- name: Read the cluster's nodes
  distsql.upgrade.node_status:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
  register: cluster

- name: Wait until the restarted node is back, ready and on the new build
  distsql.upgrade.node_status:
    engine: cockroachdb
    host: db2.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    wait_for: node_ready
    node: db1.example.com
    expected_build: v24.1.3
    timeout: 600
    stable_checks: 3

- name: Wait until every KWDB node is live
  distsql.upgrade.node_status:
    engine: kwdb
    host: 127.0.0.1:26257
    insecure: true
    wait_for: all_live
'''

RETURN = r'''
nodes:
  description: Every node the cluster knows, decommissioned and dead ones included.
  returned: success, and on a wait timeout (the last observation)
  type: list
  elements: dict
  contains:
    id:
      description: Node id.
      type: int
    address:
      description: RPC address, C(null) for a dead or decommissioned node.
      type: str
    sql_address:
      description: SQL address.
      type: str
    build:
      description: Build tag the node runs, for example C(v24.1.3) or C(V3.1.0).
      type: str
    started_at:
      description: When the node started, ISO 8601 with UTC offset.
      type: str
    updated_at:
      description: Last liveness update, ISO 8601 with UTC offset.
      type: str
    locality:
      description: Locality tiers, C(null) when none.
      type: str
    is_available:
      description: The liveness record has not expired (KWDB also requires the node not to be upgrading).
      type: bool
    is_live:
      description: The node is up.
      type: bool
    membership:
      description: C(active), C(decommissioning) or C(decommissioned); derived from C(is_decommissioning) where the
        version has no membership column.
      type: str
    is_decommissioning:
      description: Decommissioning has been started for the node.
      type: bool
    is_draining:
      description: The node is draining.
      type: bool
    ranges:
      description: Replicas on the node.
      type: int
    ranges_unavailable:
      description: Unavailable ranges the node reports.
      type: int
    ranges_underreplicated:
      description: Under-replicated ranges the node reports.
      type: int
    start_mode:
      description: KWDB start sub-command (C(start), C(start-single-node), C(start-single-replica)); C(null) for CockroachDB.
      type: str
  sample:
    - id: 1
      address: "[fd00:1122:3344:101::3]:32221"
      sql_address: "[fd00:1122:3344:101::3]:32221"
      build: v22.1.22-29-g865aff1595
      started_at: "2025-05-30T21:10:26.237011+00:00"
      updated_at: "2025-06-02T14:05:05.508688+00:00"
      locality: null
      is_available: true
      is_live: true
      membership: active
      is_decommissioning: false
      is_draining: false
      ranges: 210
      ranges_unavailable: 0
      ranges_underreplicated: 0
summary:
  description: Counts and verdicts over RV(nodes).
  returned: success, and on a wait timeout
  type: dict
  sample:
    total: 5
    live: 3
    dead: 0
    decommissioned: 2
    decommissioning: 0
    draining: 0
    unavailable: 0
    builds: [v22.1.22-29-g865aff1595]
    all_live: true
    same_build: true
node:
  description: The entry of RV(nodes) that O(node) names; C(null) when the cluster does not list it.
  returned: when O(node) is given
  type: dict
  sample: {id: 2, address: "db2.example.com:26257", build: v24.1.4, is_live: true, is_available: true, is_draining: false}
checks:
  description: How many times the status was read.
  returned: always
  type: int
  sample: 4
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 6.02
error:
  description: The error of the last failed read, when the last observation was a failed CLI call.
  returned: on a wait timeout whose last check failed
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_RULES, sql_module_argument_spec
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.health import condition_met, find_node, summarize_nodes
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import poll

NODE_CONDITIONS = ('node_live', 'node_ready', 'node_not_live')


def observe_nodes(engine, run, binary, connection, node_ref=None):
    nodes = engine.node_status(run, binary, connection)
    state = {'nodes': nodes, 'summary': summarize_nodes(nodes)}
    if node_ref:
        state['node'] = find_node(nodes, node_ref)
    return state


def describe_condition(params):
    condition = params['wait_for']
    if condition in NODE_CONDITIONS:
        condition = '%s of node %s' % (condition, params['node'])
    if params['expected_build']:
        condition += ' on build %s' % params['expected_build']
    return condition


def main():
    module = AnsibleModule(
        argument_spec=sql_module_argument_spec(
            wait_for=dict(type='str', default='none',
                          choices=['none', 'all_live', 'same_build'] + list(NODE_CONDITIONS)),
            node=dict(type='str'),
            expected_build=dict(type='str'),
        ),
        required_if=[('wait_for', condition, ['node']) for condition in NODE_CONDITIONS],
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary
    run = timed_runner(module.run_command, params['command_timeout'])

    def condition_holds(state):
        return condition_met(params['wait_for'], state['nodes'], state['summary'],
                             node_ref=params['node'], expected_build=params['expected_build'])

    satisfied = None if params['wait_for'] == 'none' else condition_holds
    try:
        connection = engine.connection(params)
        result = poll(lambda: observe_nodes(engine, run, binary, connection, params['node']), satisfied, params,
                      describe_condition(params))
    except WaitTimeout as exc:
        module.fail_json(**exc.as_result())
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result.as_result())


if __name__ == '__main__':
    main()
