#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: cluster_setting
short_description: Read, set or reset one cluster setting of a CockroachDB or KWDB cluster
version_added: 0.1.0
description:
  - Reads a cluster setting with C(SHOW CLUSTER SETTING) and, when it differs from O(value), sets it with
    C(SET CLUSTER SETTING name = 'value'); with O(state=absent) resets it to its default (C(RESET CLUSTER SETTING)).
  - Idempotent, values are compared normalized. Durations compare by length (C(15m), C(00:15:00) and C(900s)
    are the same), booleans case-insensitively, everything else exactly as SHOW prints it.
  - The value is read back after a change, so RV(value) is what the cluster reports.
  - The cluster version (C(version)) is only read here; changing it finalizes an upgrade, which is the job of
    M(distsql.upgrade.finalization).
  - Errors carry the server's message and SQLSTATE, for example
    C(cannot set cluster.preserve_downgrade_option to 23.2 (cluster version is 24.1)).
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the setting and reports the change it would make. Resetting a setting whose default the
      module does not know is reported as a change with RV(value) C(null).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  engine:
    description:
      - Which database the cluster runs. Only the engines whose engine place offers cluster settings are accepted.
    choices: [cockroachdb, kwdb]
  name:
    description:
      - The setting, for example C(server.shutdown.transactions.timeout) or C(cluster.preserve_downgrade_option).
    type: str
    required: true
  value:
    description:
      - The value to set, as SQL would take it in quotes (C(15m), C(false), C(23.2)).
      - Without it, and with O(state=present), the setting is only read.
    type: str
  state:
    description:
      - V(present) sets O(value) when given, else only reads.
      - V(absent) resets the setting to its default.
    type: str
    default: present
    choices: [present, absent]
seealso:
  - module: distsql.upgrade.finalization
  - module: distsql.upgrade.node_drain
'''

EXAMPLES = r'''
- name: Give open transactions 30 seconds when a node drains
  distsql.upgrade.cluster_setting:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    name: server.shutdown.transactions.timeout
    value: 30s

- name: Read the cluster version
  distsql.upgrade.cluster_setting:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    name: version
  register: cluster_version

- name: Put the store-dead timeout back to its default after the maintenance
  distsql.upgrade.cluster_setting:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    name: server.time_until_store_dead
    state: absent
'''

RETURN = r'''
name:
  description: The setting.
  returned: always
  type: str
  sample: server.shutdown.transactions.timeout
value:
  description: The value as SHOW CLUSTER SETTING prints it afterwards (an empty string for an unset string setting).
    In check mode the value it would get.
  returned: success
  type: str
  sample: "00:00:30"
previous:
  description: The value as SHOW CLUSTER SETTING printed it before.
  returned: success, and on a failed change
  type: str
  sample: "00:00:10"
diff:
  description: The setting before and after.
  returned: success
  type: dict
  sample:
    before: {server.shutdown.transactions.timeout: "00:00:10"}
    after: {server.shutdown.transactions.timeout: "00:00:30"}
sqlstate:
  description: The SQLSTATE the server gave with its error, C(null) when the CLI printed none (XXUUU).
  returned: on a failed statement
  type: str
  sample: "42704"
hint:
  description: The server's HINT line, if any.
  returned: on a failed statement
  type: str
detail:
  description: The server's DETAIL line, if any.
  returned: on a failed statement
  type: str
previous_is_default:
  description: RV(previous) was the setting's default (known for the settings the upgrade flows change); a ledger
    reverts such a change with a RESET.
  returned: success
  type: bool
  sample: true
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_ARGUMENT_SPEC, CONNECTION_RULES
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'settings'


def argument_spec():
    spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    spec['engine']['choices'] = list(engine_names(offering=(CAPABILITY,)))
    spec.update(
        name=dict(type='str', required=True),
        value=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **CONNECTION_RULES)
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary
    run = timed_runner(module.run_command, params['command_timeout'])
    try:
        settings = engine.capability(CAPABILITY)
        connection = engine.connection(params)
        if params['state'] == 'absent' and params['value'] is not None:
            raise DistsqlError('value=%s and state=absent contradict each other: absent resets %s to its default'
                               % (params['value'], params['name']))
        result = settings.ensure(run, binary, connection, params['name'], value=params['value'], state=params['state'],
                                 check_mode=module.check_mode)
    except DistsqlError as exc:
        details = exc.as_result() if hasattr(exc, 'as_result') else {}
        module.fail_json(msg=str(exc), name=params['name'], **details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
