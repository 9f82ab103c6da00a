#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: node_upgrade_mark
short_description: Mark a KWDB node UPGRADING with kwbase node upgrade, or tell whether it is
version_added: 0.1.0
description:
  - With O(state=marked) runs C(kwbase node upgrade <node id>), which marks the node UPGRADING (insert, delete and
    alter are no longer available on it) and sets C(server.time_until_store_dead) to C(3h) cluster-wide, then waits
    inside the module until C(kwbase node status) shows the mark.
  - A marked node that runs shows C(is_live=true) and C(is_available=false) in C(kwbase node status), which computes
    C(is_available) as "liveness not expired and not upgrading". Such a node counts as marked, so marking again is
    no change. A node that is not live cannot be told apart from that output; RV(upgrading) is then C(null).
  - The mark stays until the node starts with C(--upgrade-complete) (see M(distsql.upgrade.start_flag)), which also
    resets C(server.time_until_store_dead) to its default.
  - "Refusals fail with the CLI's text and what to do, RV(kind) names them, for example C(cluster_not_ready) for
    C(can not upgrade nodes when cluster has node DEAD) (every node must be LIVE or DECOMMISSIONED) or
    C(not_eligible) for C(Upgrade ternimated. Hint: node 3 is not eligible to upgrade, ...)."
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.connection
  - distsql.upgrade.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads C(kwbase node status) and reports whether marking would change the node.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  engine:
    description:
      - Which database the cluster runs. Only the engines whose engine place offers the upgrade mark are accepted.
    choices: [kwdb]
  node:
    description:
      - Id of the node to mark or query.
    type: int
    required: true
  state:
    description:
      - V(marked) marks the node UPGRADING unless node status already shows it so.
      - V(query) only reports whether it is.
    type: str
    default: marked
    choices: [marked, query]
  wait:
    description:
      - After marking, wait until C(kwbase node status) shows the node UPGRADING (O(stable_checks) times in a row).
    type: bool
    default: true
seealso:
  - module: distsql.upgrade.start_flag
  - module: distsql.upgrade.deploy_script
  - module: distsql.upgrade.node_status
'''

EXAMPLES = r'''
- name: Mark node 3 UPGRADING before its packages are swapped
  distsql.upgrade.node_upgrade_mark:
    engine: kwdb
    host: 127.0.0.1:26257
    certs_dir: /etc/kaiwudb/certs
    node: 3

- name: Tell whether node 3 is still marked
  distsql.upgrade.node_upgrade_mark:
    engine: kwdb
    host: 127.0.0.1:26257
    insecure: true
    node: 3
    state: query
  register: mark
'''

RETURN = r'''
node:
  description: The node as C(kwbase node status) shows it (distsql.upgrade.node_status keys); C(null) when the output
    has no such node. After marking, as the last check saw it.
  returned: success
  type: dict
  sample: {id: 3, address: "10.0.0.3:26257", is_live: true, is_available: false, start_mode: start}
state:
  description: C(upgrading) (live, not available), C(ready) (live and available), C(down) (not live) or C(missing).
  returned: success
  type: str
  sample: upgrading
upgrading:
  description: Whether the node is marked UPGRADING; C(null) when node status cannot tell (the node is not live or
    not listed). In check mode with a change, what it would be.
  returned: success
  type: bool
  sample: true
command:
  description: The C(kwbase node upgrade) command run; C(null) when nothing was run.
  returned: success
  type: list
  elements: str
  sample: [/usr/local/kaiwudb/bin/kwbase, node, upgrade, "3", --host=127.0.0.1:26257, --insecure]
kind:
  description: The refusal, one of C(unknown_node), C(not_eligible), C(cluster_not_ready), C(start_mode),
    C(unreachable), C(setting_failed), C(failed) (any other failure).
  returned: when the CLI refused
  type: str
  sample: cluster_not_ready
cli_message:
  description: The CLI's error message.
  returned: when the CLI refused
  type: str
  sample: can not upgrade nodes when cluster has node DEAD
node_id:
  description: The node the refused command was for.
  returned: when the CLI refused
  type: int
  sample: 3
checks:
  description: Node status reads made while waiting for the mark.
  returned: when marked and waited
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting for the mark.
  returned: when marked and waited
  type: float
  sample: 4.1
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_RULES, sql_module_argument_spec
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import wait_until

CAPABILITY = 'node_upgrade'


def argument_spec():
    spec = sql_module_argument_spec(
        node=dict(type='int', required=True),
        state=dict(type='str', default='marked', choices=['marked', 'query']),
        wait=dict(type='bool', default=True),
    )
    spec['engine'] = dict(copy.deepcopy(spec['engine']), choices=list(engine_names(offering=(CAPABILITY,))))
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **CONNECTION_RULES)
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary
    run = timed_runner(module.run_command, params['command_timeout'])
    node_id = params['node']
    try:
        node_upgrade = engine.capability(CAPABILITY)
        connection = engine.connection(params)

        def observe():
            return node_upgrade.observe(engine.node_status(run, binary, connection), node_id)

        before = observe()
        if params['state'] == 'query' or before['upgrading']:
            module.exit_json(changed=False, command=None, **before)
        diff = {'before': {'node': node_id, 'upgrading': before['upgrading']},
                'after': {'node': node_id, 'upgrading': True}}
        if module.check_mode:
            module.exit_json(changed=True, command=None, diff=diff, **dict(before, upgrading=True))
        command = node_upgrade.mark(run, binary, connection, node_id)
        if not params['wait']:
            module.exit_json(changed=True, command=command, diff=diff, **observe())
        waited = wait_until(observe, lambda state: state['upgrading'] is True, timeout=params['timeout'],
                            interval=params['interval'], stable_checks=params['stable_checks'],
                            describe='node %s to show UPGRADING in kwbase node status' % node_id)
    except WaitTimeout as exc:
        module.fail_json(changed=True, **exc.as_result())
    except DistsqlError as exc:
        module.fail_json(**(exc.as_result() if hasattr(exc, 'as_result') else {'msg': str(exc)}))
    module.exit_json(changed=True, command=command, diff=diff, **waited.as_result())


if __name__ == '__main__':
    main()
