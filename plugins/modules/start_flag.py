#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: start_flag
short_description: Put a start flag such as --upgrade-complete into KWDB's KAIWUDB_START_ARG, or take it out
version_added: 0.1.0
description:
  - Edits the C(KAIWUDB_START_ARG) line of the env file the bare-metal C(kaiwudb) unit reads
    (C(EnvironmentFile=/etc/kaiwudb/script/kaiwudb_env), C(ExecStart=... kwbase <start type> $KAIWUDB_START_ARG ...)).
  - With O(state=present) the flag goes first into the value, followed by a space, as C(deploy.sh) does it
    (C(KAIWUDB_START_ARG="--upgrade-complete ")); O(state=absent) takes exactly that out again, so a round trip gives
    the file back byte for byte. Every other byte of the file, other flags and the quoting (double, single or none)
    stay as they are; both states are idempotent.
  - A node started with C(--upgrade-complete) clears its UPGRADING mark (see M(distsql.upgrade.node_upgrade_mark));
    the flag is meant for that one start and is taken out afterwards.
  - The file keeps its mode and owner; no backup is made, the edit is undone with the other state.
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  engine:
    description:
      - The engine whose start arguments are edited. Only the engines whose engine place offers it are accepted.
    type: str
    default: kwdb
    choices: [kwdb]
  path:
    description:
      - The env file holding the C(KAIWUDB_START_ARG=) line.
    type: path
    default: /etc/kaiwudb/script/kaiwudb_env
  flag:
    description:
      - The start flag, one option word.
    type: str
    default: --upgrade-complete
  state:
    description:
      - V(present) puts O(flag) into C(KAIWUDB_START_ARG), V(absent) takes it out.
    type: str
    default: present
    choices: [present, absent]
notes:
  - The file must have exactly one C(KAIWUDB_START_ARG=) line (C(deploy.sh install) writes C(KAIWUDB_START_ARG="")).
  - A container install passes the flag in C(docker-compose.yml) instead; this module edits the env file only.
  - With O(state=absent) a missing file is no change.
seealso:
  - module: distsql.upgrade.node_upgrade_mark
  - module: distsql.upgrade.deploy_script
'''

EXAMPLES = r'''
- name: Start the upgraded node once with --upgrade-complete
  distsql.upgrade.start_flag:
    state: present
  become: true

- name: Take the flag out again once the node runs
  distsql.upgrade.start_flag:
    state: absent
  become: true
'''

RETURN = r'''
path:
  description: The env file.
  returned: always
  type: str
  sample: /etc/kaiwudb/script/kaiwudb_env
flag:
  description: The flag.
  returned: always
  type: str
  sample: --upgrade-complete
present:
  description: Whether the flag is in C(KAIWUDB_START_ARG) afterwards (in check mode, would be).
  returned: success
  type: bool
  sample: true
value:
  description: The value of C(KAIWUDB_START_ARG) as written afterwards (in check mode, as it would be), quotes included;
    C(null) when the file does not exist.
  returned: success
  type: str
  sample: '"--upgrade-complete "'
previous:
  description: The value as written before.
  returned: success
  type: str
  sample: '""'
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

CAPABILITY = 'start_args'


def argument_spec():
    return dict(
        engine=dict(type='str', default='kwdb', choices=list(engine_names(offering=(CAPABILITY,)))),
        path=dict(type='path', default='/etc/kaiwudb/script/kaiwudb_env'),
        flag=dict(type='str', default='--upgrade-complete'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )


def read_text(path):
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', 'surrogateescape')


def write_text(module, path, text):
    """Replace the file atomically; atomic_move keeps the file's mode and owner."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.%s.' % os.path.basename(path))
    with os.fdopen(handle, 'wb') as target:
        target.write(text.encode('utf-8', 'surrogateescape'))
    module.atomic_move(temporary, path)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    path, flag = params['path'], params['flag']
    result = {'path': path, 'flag': flag}
    try:
        start_args = get_engine(params['engine']).capability(CAPABILITY)
        start_args.check_flag(flag)
        if not os.path.exists(path):
            if params['state'] == 'absent':
                module.exit_json(changed=False, present=False, value=None, previous=None, **result)
            raise DistsqlError('the file does not exist (deploy.sh install writes it with KAIWUDB_START_ARG="")')
        before = read_text(path)
        edit = start_args.with_flag if params['state'] == 'present' else start_args.without_flag
        after = edit(before, flag)
    except (DistsqlError, IOError, OSError) as exc:
        module.fail_json(msg='editing KAIWUDB_START_ARG in %s: %s' % (path, exc), **result)
    changed = after != before
    if changed and not module.check_mode:
        write_text(module, path, after)
    module.exit_json(changed=changed, present=start_args.has_flag(after, flag), value=start_args.start_arg(after),
                     previous=start_args.start_arg(before),
                     diff={'before': before, 'after': after, 'before_header': path, 'after_header': path}, **result)


if __name__ == '__main__':
    main()
