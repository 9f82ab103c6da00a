#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: node_drain
short_description: Drain one CockroachDB or KWDB node with a drain wait sized from its shutdown settings
version_added: 0.1.0
description:
  - Runs C(cockroach node drain --self) (or C(cockroach node drain <node id>) with O(node)) with C(--drain-wait)
    and waits inside the module until the CLI reports the node drained.
  - Without O(drain_wait) the drain wait is sized from the cluster's settings, read with C(SHOW CLUSTER SETTING), as
    C(server.shutdown.initial_wait) + C(server.shutdown.connections.timeout) + 2 x C(server.shutdown.transactions.timeout)
    + C(server.shutdown.lease_transfer_iteration.timeout), plus C(server.shutdown.jobs.timeout) where the cluster has
    it (the CLI counts that phase too). A 23.1 cluster is read by the older names C(drain_wait), C(connection_wait),
    C(query_wait), C(lease_transfer_wait) and C(jobs_wait). The drain wait used is that sum plus the larger of
    10 seconds and 20 percent, so strictly greater than the sum, and never below 10 seconds.
  - "A drain that runs out of its drain wait ends with C(ERROR: drain timeout); the module then runs the drain again,
    as the CockroachDB documentation says, until the node is drained or O(timeout) passes. Every run is a round
    in RV(rounds)."
  - Any other CLI error fails at once with the CLI's message and the last progress seen.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode nothing is drained; the settings are read and the drain wait it would use is returned.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  engine:
    description:
      - Which database the cluster runs. Only the engines whose engine place offers a drain are accepted.
      - V(kwdb) runs C(kwbase node drain), which drains the node it connects to (no O(node), no O(shutdown)) and sizes
        C(--drain-wait) from C(server.shutdown.drain_wait), C(query_wait) and C(lease_transfer_wait).
    choices: [cockroachdb, kwdb]
  node:
    description:
      - Id of the node to drain (C(cockroach node drain <node id>)).
      - Without it, the node O(host) (or O(url)) connects to is drained (C(--self)).
    type: int
  drain_wait:
    description:
      - The C(--drain-wait) of each round as a duration, for example C(10m), C(90s) or C(1m30s).
      - Without it the drain wait is sized from the shutdown settings (see the description).
      - A round never runs past O(timeout); its drain wait is cut to the time left.
    type: str
  shutdown:
    description:
      - Also shut the node process down once it is drained (C(--shutdown)).
      - Needs a v24.2 or later client binary; the module refuses it with an older one.
    type: bool
    default: false
  timeout:
    description:
      - Seconds for the whole drain, every round included, on a monotonic clock from the start.
      - A new round is started only while the time left allows one longer than the settings require (at least
        10 seconds).
    type: float
    default: 900.0
  interval:
    description:
      - Seconds to pause before a round that follows a drain timeout.
    type: float
    default: 2.0
notes:
  - Each drain call may take its drain wait plus O(command_timeout) before it is stopped.
  - The CLI's C(warning:) lines (for example when the cluster's settings need a longer drain wait) are passed on as
    warnings.
seealso:
  - module: distsql.upgrade.node_status
  - module: distsql.upgrade.cluster_setting
'''

EXAMPLES = r'''
- name: Drain the local node, the drain wait sized from the cluster's shutdown settings
  distsql.upgrade.node_drain:
    engine: cockroachdb
    host: "{{ inventory_hostname }}:26257"
    certs_dir: /var/lib/cockroach/certs
  register: drained

- name: Drain node 3 with a fixed drain wait, re-running it for at most 20 minutes
  distsql.upgrade.node_drain:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    node: 3
    drain_wait: 10m
    timeout: 1200

- name: Drain and stop the process (v24.2 and later)
  distsql.upgrade.node_drain:
    engine: cockroachdb
    host: 127.0.0.1:26257
    insecure: true
    shutdown: true
'''

RETURN = r'''
drained:
  description: Whether the CLI reported the node drained (C(ok) or C(drain ok)); false in check mode.
  returned: always
  type: bool
  sample: true
shutdown:
  description: Whether the CLI reported the node shut down (C(shutdown ok)).
  returned: always
  type: bool
  sample: false
drain_wait:
  description: The drain wait of a full round, as given or sized.
  returned: always
  type: dict
  contains:
    seconds:
      description: Length in seconds.
      type: float
    text:
      description: The C(--drain-wait) value passed to the CLI.
      type: str
  sample:
    seconds: 45
    text: 45s
settings:
  description: The shutdown settings the drain wait was sized from, in seconds, by the names read; C(null) when
    O(drain_wait) was given.
  returned: always
  type: dict
  sample:
    server.shutdown.initial_wait: 0
    server.shutdown.connections.timeout: 0
    server.shutdown.transactions.timeout: 10
    server.shutdown.lease_transfer_iteration.timeout: 5
    server.shutdown.jobs.timeout: 10
required_seconds:
  description: initial_wait + connections.timeout + 2 x transactions.timeout + lease_transfer_iteration.timeout
    (+ jobs.timeout); C(null) when O(drain_wait) was given.
  returned: always
  type: float
  sample: 35
cluster_version:
  description: The cluster version that decided the setting names; C(null) when O(drain_wait) was given.
  returned: always
  type: str
  sample: "24.1"
remaining:
  description: The last C(remaining) count the CLI printed (0 when drained), C(null) when it printed none.
  returned: always
  type: int
  sample: 0
progress:
  description: Every C(remaining) count of every round, in order (a bare C(done) counts as 0).
  returned: always
  type: list
  elements: int
  sample: [50, 12, 0]
rounds:
  description: One entry per drain run; more than one after a drain timeout.
  returned: always
  type: list
  elements: dict
  contains:
    drain_wait:
      description: The C(--drain-wait) of this run.
      type: str
    remaining:
      description: The last C(remaining) count of this run.
      type: int
    timed_out:
      description: "Whether this run ended in C(ERROR: drain timeout)."
      type: bool
    elapsed:
      description: Seconds this run took.
      type: float
  sample:
    - {drain_wait: 45s, remaining: 12, timed_out: true, elapsed: 45.2}
    - {drain_wait: 45s, remaining: 0, timed_out: false, elapsed: 4.1}
elapsed:
  description: Seconds spent, every round included.
  returned: always
  type: float
  sample: 51.5
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_ARGUMENT_SPEC, CONNECTION_RULES
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'drain'


def argument_spec():
    spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    spec['engine']['choices'] = list(engine_names(offering=(CAPABILITY,)))
    spec.update(
        node=dict(type='int'),
        drain_wait=dict(type='str'),
        shutdown=dict(type='bool', default=False),
        timeout=dict(type='float', default=900.0),
        interval=dict(type='float', default=2.0),
    )
    return spec


def planned_result(drain_plan):
    return dict(drained=False, shutdown=False, remaining=None, progress=[], rounds=[], elapsed=0.0,
                drain_wait=drain_plan['drain_wait'], settings=drain_plan['settings'],
                required_seconds=drain_plan['required_seconds'], cluster_version=drain_plan['cluster_version'])


def warn_all(module, result):
    """Pass the CLI's 'warning:' lines on as Ansible warnings."""
    for line in result.pop('warnings', []):
        module.warn(line)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **CONNECTION_RULES)
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary

    def runner(seconds):
        return timed_runner(module.run_command, seconds)

    run = runner(params['command_timeout'])
    result = {}
    try:
        drain = engine.capability(CAPABILITY)
        connection = engine.connection(params)
        if params['shutdown']:
            drain.check_shutdown(engine.parse_version(engine.read_version(run, binary)[0]), binary)
        drain_plan = drain.plan(run, binary, connection, drain_wait=params['drain_wait'])
        result = planned_result(drain_plan)
        if module.check_mode:
            module.exit_json(changed=False, **result)
        result.update(drain.drain(runner, binary, connection, drain_plan, node=params['node'],
                                  shutdown=params['shutdown'], timeout=params['timeout'],
                                  interval=params['interval'], command_timeout=params['command_timeout']))
    except DistsqlError as exc:
        result.update(exc.as_result() if hasattr(exc, 'as_result') else {})
        result['msg'] = str(exc)
        warn_all(module, result)
        module.fail_json(changed=bool(result.get('rounds')), **result)
    warn_all(module, result)
    module.exit_json(changed=True, **result)


if __name__ == '__main__':
    main()
