#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: backup
short_description: Take a full CockroachDB cluster backup into a collection, or check that a backup is listed
version_added: 0.1.0
description:
  - V(present) runs C(BACKUP INTO '<destination>') through C(cockroach sql --format=csv -e), a full cluster backup
    into a new subdirectory of the collection O(destination). It blocks until the backup job ends unless
    O(detached), and fails with the job's status and error when it did not succeed. After a blocking backup it reads
    C(SHOW BACKUPS IN '<destination>') and returns the newest path.
  - V(verified) only reads C(SHOW BACKUPS IN '<destination>') and fails when it does not list O(path).
  - O(destination) is passed as an SQL string literal (single quotes doubled) in one argument of the CLI, never
    through a shell.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: >-
      V(present) runs nothing in check mode and predicts a change; V(verified) only reads and runs in check mode
      as well.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  engine:
    description:
      - Which database the cluster runs; only engines with a backup capability.
    type: str
    required: true
    choices: [cockroachdb]
  destination:
    description:
      - The backup collection URI, for example C(nodelocal://1/backups) or
        C(s3://bucket/backups?AWS_ACCESS_KEY_ID=...&AWS_SECRET_ACCESS_KEY=...).
      - Never logged, because such URIs usually carry credentials; messages show it masked.
    type: str
    required: true
  state:
    description:
      - V(present) takes a new backup into the collection.
      - V(verified) checks that the collection lists O(path); changes nothing.
    type: str
    default: present
    choices: [present, verified]
  path:
    description:
      - The backup to look for with O(state=verified), as C(SHOW BACKUPS) prints it (C(/2022/04/13-202334.48);
        the leading C(/) may be left out), for example RV(path) of an earlier V(present).
    type: str
  detached:
    description:
      - Run C(BACKUP ... WITH detached) and return as soon as the job is created, with only RV(job_id).
    type: bool
    default: false
  backup_timeout:
    description:
      - Seconds a blocking C(BACKUP) may take; O(command_timeout) bounds the other statements (and a detached
        backup).
    type: int
    default: 3600
notes:
  - A backup of version N restores into N or N+1; take it before the first node of a major upgrade restarts.
seealso:
  - module: distsql.upgrade.node_status
'''

EXAMPLES = r'''
- name: Back up the cluster before the upgrade
  distsql.upgrade.backup:
    engine: cockroachdb
    host: node1:26257
    certs_dir: /var/lib/cockroach/certs
    destination: nodelocal://1/backups
  register: backup

- name: Check later that the backup is still listed
  distsql.upgrade.backup:
    engine: cockroachdb
    host: node1:26257
    certs_dir: /var/lib/cockroach/certs
    destination: nodelocal://1/backups
    state: verified
    path: "{{ backup.path }}"
'''

RETURN = r'''
job_id:
  description: The BACKUP job's id.
  returned: O(state=present), not in check mode
  type: int
  sample: 652471804772712449
status:
  description: The job's status as BACKUP printed it (V(succeeded)); C(null) for a detached backup.
  returned: O(state=present), not in check mode
  type: str
  sample: succeeded
fraction_completed:
  description: Fraction of the job completed; C(null) for a detached backup.
  returned: O(state=present), not in check mode
  type: float
  sample: 1.0
rows:
  description: Rows backed up; C(null) for a detached backup.
  returned: O(state=present), not in check mode
  type: int
  sample: 50
index_entries:
  description: Index entries backed up; C(null) for a detached backup.
  returned: O(state=present), not in check mode
  type: int
  sample: 0
bytes:
  description: Bytes backed up; C(null) for a detached backup.
  returned: O(state=present), not in check mode
  type: int
  sample: 4911
path:
  description: >-
    V(present): the newest entry of C(SHOW BACKUPS IN) after the backup (C(null) for a detached backup or in check
    mode). V(verified): O(path) as listed.
  returned: always
  type: str
  sample: /2022/04/13-202334.48
backups:
  description: Every path C(SHOW BACKUPS IN) lists, oldest first (empty for a detached backup and in check mode).
  returned: always
  type: list
  elements: str
  sample: [/2022/04/13-202334.48, /2022/04/13-202413.70]
detached:
  description: The backup was started detached.
  returned: O(state=present)
  type: bool
  sample: false
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_ARGUMENT_SPEC, CONNECTION_RULES
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'backup'
BACKUP_KEYS = ('job_id', 'status', 'fraction_completed', 'rows', 'index_entries', 'bytes')


def take_backup(backup, module, binary, connection):
    params = module.params
    result = dict((key, None) for key in BACKUP_KEYS)
    result.update(changed=True, detached=params['detached'], path=None, backups=[])
    if module.check_mode:
        return result
    seconds = params['command_timeout'] if params['detached'] else params['backup_timeout']
    result.update(backup.run_backup(timed_runner(module.run_command, seconds), binary, connection,
                                    params['destination'], detached=params['detached']))
    if not params['detached']:
        result['backups'] = backup.list_backups(timed_runner(module.run_command, params['command_timeout']), binary,
                                                connection, params['destination'])
        result['path'] = backup.newest_backup(result['backups'])
    return result


def verify_backup(backup, module, binary, connection):
    params = module.params
    wanted = backup.normalize_path(params['path'])
    listed = backup.list_backups(timed_runner(module.run_command, params['command_timeout']), binary, connection,
                                 params['destination'])
    if wanted not in listed:
        raise DistsqlError('SHOW BACKUPS IN the destination does not list %s; it lists %s'
                           % (wanted, ', '.join(listed) or 'no backup'))
    return {'changed': False, 'path': wanted, 'backups': listed}


def main():
    argument_spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    argument_spec.update(
        engine=dict(type='str', required=True, choices=list(engine_names(offering=(CAPABILITY,)))),
        destination=dict(type='str', required=True, no_log=True),
        state=dict(type='str', default='present', choices=['present', 'verified']),
        path=dict(type='str'),
        detached=dict(type='bool', default=False),
        backup_timeout=dict(type='int', default=3600),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'verified', ['path'])],
        supports_check_mode=True,
        **CONNECTION_RULES
    )
    params = module.params
    # Commands and their errors show the destination as an SQL literal: mask that spelling of it too.
    module.no_log_values.add(params['destination'].replace("'", "''"))
    try:
        engine = get_engine(params['engine'])
        backup = engine.capability(CAPABILITY)
        binary = params['binary'] or engine.default_binary
        connection = engine.connection(params)
        if params['state'] == 'verified':
            result = verify_backup(backup, module, binary, connection)
        else:
            result = take_backup(backup, module, binary, connection)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
