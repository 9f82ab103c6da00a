#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: deploy_script
short_description: Upgrade the local KWDB node with the vendor's deploy.sh upgrade -l
version_added: 0.1.0
description:
  - Runs C(deploy.sh upgrade -l) (with C(--bypass-version-check) when asked) from an unpacked KWDB release directory
    on the node the task runs on, and reads the outcome from the texts the script prints, never from its exit code
    alone; success needs its C(UPGRADE COMPLETED) banner.
  - On a stopped node the script swaps the packages offline. On a node running in a cluster mode it marks the node
    UPGRADING (C(kwbase node upgrade)), swaps the packages and restarts it with C(--upgrade-complete).
  - Every refusal fails with what the script said and what to do, and RV(kind) names it, for example
    C(deploy_mode_mismatch) for C(Current use bare, but the package is container.) or C(package_not_newer).
  - Needs root or passwordless sudo (become), as the script calls sudo itself.
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Makes the script's own checks without running it (deploy.sh and packages/ there, KaiwuDB installed,
      the package's deploy mode, bare metal or container, the same as the installed one) and returns the command it
      would run; the version check is left to the script.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The installed and the package version (C(.version) lines 1 and 2).
options:
  engine:
    description:
      - The engine whose vendor script runs. Only the engines whose engine place offers it are accepted.
    type: str
    default: kwdb
    choices: [kwdb]
  package_dir:
    description:
      - The unpacked release directory (C(kwdb_install)) holding C(deploy.sh) and C(packages/).
    type: path
    required: true
  bypass_version_check:
    description:
      - Pass C(--bypass-version-check), which skips the script's version comparison (its extended-version rules, and
        also its refusal of an older package).
      - Only for a move the upgrade plan of M(distsql.upgrade.version_probe) allows only with it (its
        C(upgrade.bypass_version_check_needed)).
    type: bool
    default: false
  timeout:
    description:
      - Seconds the script may run before it is stopped. An online upgrade waits up to 10 minutes for the restarted
        node.
    type: int
    default: 1200
  unit_file:
    description:
      - The systemd unit whose presence means KaiwuDB is installed (check mode).
    type: path
    default: /etc/systemd/system/kaiwudb.service
  config_dir:
    description:
      - The KaiwuDB configuration directory; C(info/MODE) line 1 is the installed deploy mode (check mode) and
        C(info/.version) the installed version.
    type: path
    default: /etc/kaiwudb
notes:
  - C(--upgrade-complete) is put into and taken out of C(KAIWUDB_START_ARG) by the script itself; the script leaves
    C(KAIWUDB_START_ARG=" ") and a backup C(kaiwudb_envq) behind.
seealso:
  - module: distsql.upgrade.node_upgrade_mark
  - module: distsql.upgrade.start_flag
  - module: distsql.upgrade.version_probe
'''

EXAMPLES = r'''
- name: Check before anything is touched that the package fits this node
  distsql.upgrade.deploy_script:
    package_dir: /opt/kwdb/3.1.0/kwdb_install
  check_mode: true

- name: Upgrade the stopped local node offline
  distsql.upgrade.deploy_script:
    package_dir: /opt/kwdb/3.1.0/kwdb_install
  become: true
  register: upgraded

- name: Upgrade across hotfix lines, as the upgrade plan allows only with the bypass
  distsql.upgrade.deploy_script:
    package_dir: /opt/kwdb/3.1.0-hotfix2/kwdb_install
    bypass_version_check: true
  become: true
'''

RETURN = r'''
command:
  description: The command run (or, in check mode, the one it would run).
  returned: always
  type: list
  elements: str
  sample: [/opt/kwdb/3.1.0/kwdb_install/deploy.sh, upgrade, -l]
completed:
  description: Whether the script printed its C(UPGRADE COMPLETED) banner and exited 0; false in check mode.
  returned: success
  type: bool
  sample: true
message:
  description: The text after the banner.
  returned: success, not in check mode
  type: str
  sample: Local node upgrade successfully.
stages:
  description: The stages the script's progress bar showed.
  returned: success, not in check mode
  type: list
  elements: str
  sample: [install check, verify packages, verify install type, version compare, whether running, upgrade, upgrade complete]
lines:
  description: The script's output without colours and progress bar.
  returned: success, not in check mode
  type: list
  elements: str
kind:
  description: The refusal, one of C(not_installed), C(package_missing), C(deploy_mode_mismatch), C(package_not_newer),
    C(version_check), C(online_upgrade_unsupported), C(step_failed), C(failed) (any other failure).
  returned: failure
  type: str
  sample: deploy_mode_mismatch
script_message:
  description: The error the script logged (or how it ended when it logged none).
  returned: failure
  type: str
  sample: Current use bare, but the package is container.
stage:
  description: The script's stage that failed.
  returned: failure
  type: str
  sample: verify install type
last_lines:
  description: The last lines of the script's output.
  returned: failure, not in check mode
  type: list
  elements: str
installed_mode:
  description: The installed deploy mode (line 1 of C(info/MODE)), C(bare) or C(container).
  returned: check mode
  type: str
  sample: bare
package_mode:
  description: The package's deploy mode as the script decides it (C(container) when packages/ holds C(KaiwuDB.tar)).
  returned: check mode
  type: str
  sample: bare
packages:
  description: The files in packages/.
  returned: check mode
  type: list
  elements: str
  sample: [kaiwudb-libcommon_3.1.0_amd64.deb, kaiwudb-server_3.1.0_amd64.deb]
installed_version:
  description: Lines 1 and 2 of the installed C(info/.version) before the run; C(null) without that file.
  returned: always
  type: dict
  sample: {version: 3.0.0, extended: ""}
package_version:
  description: Lines 1 and 2 of C(packages/.version); C(null) without that file.
  returned: always
  type: dict
  sample: {version: 3.1.0, extended: ""}
elapsed:
  description: Seconds the script ran.
  returned: success, not in check mode
  type: float
  sample: 41.2
'''

import functools
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'deploy'


def argument_spec():
    return dict(
        engine=dict(type='str', default='kwdb', choices=list(engine_names(offering=(CAPABILITY,)))),
        package_dir=dict(type='path', required=True),
        bypass_version_check=dict(type='bool', default=False),
        timeout=dict(type='int', default=1200),
        unit_file=dict(type='path', default='/etc/systemd/system/kaiwudb.service'),
        config_dir=dict(type='path', default='/etc/kaiwudb'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    result = {}
    try:
        deploy = get_engine(params['engine']).capability(CAPABILITY)
        argv = deploy.upgrade_argv(params['package_dir'], params['bypass_version_check'])
        result = dict(deploy.versions(params['package_dir'], params['config_dir']), command=argv)
        result['diff'] = {'before': result['installed_version'], 'after': result['package_version']}
        if module.check_mode:
            result.update(deploy.inspect(params['package_dir'], params['unit_file'], params['config_dir']))
            module.exit_json(changed=True, completed=False, **result)
        deploy.require_script(params['package_dir'])
        start = time.monotonic()
        run = timed_runner(functools.partial(module.run_command, cwd=params['package_dir']), params['timeout'])
        result.update(deploy.parse_upgrade_output(*run(argv)), elapsed=round(time.monotonic() - start, 3))
    except DistsqlError as exc:
        result.update(exc.as_result() if hasattr(exc, 'as_result') else {'msg': str(exc)})
        result.pop('diff', None)
        module.fail_json(**dict(result, changed=result.get('changed', False)))
    module.exit_json(changed=True, **result)


if __name__ == '__main__':
    main()
