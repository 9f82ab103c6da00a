#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: range_health
short_description: Read unavailable and under-replicated ranges of a CockroachDB or KWDB cluster, optionally waiting until none
version_added: 0.1.0
description:
  - Runs the range-health query of the vendors' upgrade runbooks through the engine's SQL client
    (C(cockroach sql) on C(crdb_internal.kv_store_status), C(kwbase sql) on C(kwdb_internal.kv_store_status)),
    grouped by node.
  - The cluster is healthy when every node reports its counts and no range is unavailable or under-replicated.
  - With O(wait_for=healthy) it polls until the cluster is healthy for O(stable_checks) consecutive checks,
    and fails with the last observed counts when O(timeout) passes first. A failed SQL call counts as a failed check.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.connection
  - distsql.upgrade.wait
options:
  wait_for:
    description:
      - V(none) reads once; V(healthy) waits until no range is unavailable or under-replicated.
    type: str
    default: none
    choices: [none, healthy]
  spread:
    description:
      - Also read the leaseholder and replica spread per node (C(kwdb_internal.ranges) mapped to nodes through
        C(kwdb_internal.kv_store_status)), once, after the counts; returned as RV(spread).
      - Only engines with a ranges capability offer it (KWDB); other engines fail with a message saying so.
    type: bool
    default: false
seealso:
  - module: distsql.upgrade.node_status
'''

EXAMPLES = r'''
- name: Read range health
  distsql.upgrade.range_health:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
  register: ranges

- name: Wait until the restarted node's replicas have caught up
  distsql.upgrade.range_health:
    engine: kwdb
    host: 127.0.0.1:26257
    insecure: true
    wait_for: healthy
    timeout: 900
    interval: 5
    stable_checks: 3

- name: Record where the leaseholders and replicas are before a KWDB upgrade
  distsql.upgrade.range_health:
    engine: kwdb
    host: 127.0.0.1:26257
    insecure: true
    spread: true
  register: ranges
'''

RETURN = r'''
ranges_unavailable:
  description: Unavailable ranges, summed over the nodes.
  returned: success, and on a wait timeout (the last observation)
  type: int
  sample: 0
ranges_underreplicated:
  description: Under-replicated ranges, summed over the nodes.
  returned: success, and on a wait timeout
  type: int
  sample: 21
per_node:
  description: The counts each node reports; C(null) where the node reported no metrics.
  returned: success, and on a wait timeout
  type: list
  elements: dict
  sample:
    - node_id: 1
      ranges_unavailable: 0
      ranges_underreplicated: 0
    - node_id: 2
      ranges_unavailable: 0
      ranges_underreplicated: 21
unknown_nodes:
  description: Ids of nodes whose counts were C(NULL).
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: []
healthy:
  description: Every node reported, and no range is unavailable or under-replicated.
  returned: success, and on a wait timeout
  type: bool
  sample: false
trace:
  description:
    - One entry per check while waiting (the last 100), so a catch-up shows as falling counts.
    - An entry of a failed read carries C(error) instead of counts.
  returned: when O(wait_for=healthy)
  type: list
  elements: dict
  sample:
    - {elapsed: 0.21, ranges_unavailable: 0, ranges_underreplicated: 60}
    - {elapsed: 2.43, ranges_unavailable: 0, ranges_underreplicated: 31}
    - {elapsed: 4.65, ranges_unavailable: 0, ranges_underreplicated: 0}
checks:
  description: How many times the counts were read.
  returned: always
  type: int
  sample: 7
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 12.4
spread:
  description:
    - Leaseholders and replicas per node. C(nodes) lists every node in id order with its store ids and how many
      replicas and leases its stores hold; a store no node lists (a dead node's) is counted under node_id C(null).
    - C(without_leaseholder) lists the ids of ranges that had no leaseholder.
  returned: when O(spread=true) and the counts were read
  type: dict
  sample:
    ranges: 60
    without_leaseholder: []
    nodes:
      - {node_id: 1, stores: [1], replicas: 60, leaseholders: 20}
      - {node_id: 2, stores: [2], replicas: 60, leaseholders: 20}
      - {node_id: 3, stores: [3], replicas: 60, leaseholders: 20}
error:
  description: The error of the last failed read, when the last observation was a failed SQL call.
  returned: on a wait timeout whose last check failed
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_RULES, sql_module_argument_spec
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.health import summarize_ranges
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import poll


def range_counts(state):
    return {'ranges_unavailable': state['ranges_unavailable'], 'ranges_underreplicated': state['ranges_underreplicated']}


def observe_ranges(engine, run, binary, connection):
    return summarize_ranges(engine.range_health(run, binary, connection))


def main():
    module = AnsibleModule(
        argument_spec=sql_module_argument_spec(
            wait_for=dict(type='str', default='none', choices=['none', 'healthy']),
            spread=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary
    run = timed_runner(module.run_command, params['command_timeout'])
    satisfied = None if params['wait_for'] == 'none' else (lambda state: state['healthy'])
    try:
        connection = engine.connection(params)
        ranges = engine.capability('ranges') if params['spread'] else None
        result = poll(lambda: observe_ranges(engine, run, binary, connection), satisfied, params,
                      'no unavailable or under-replicated ranges', trace=range_counts).as_result()
        if ranges:
            result['spread'] = ranges.spread(run, binary, connection)
    except WaitTimeout as exc:
        module.fail_json(**exc.as_result())
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
