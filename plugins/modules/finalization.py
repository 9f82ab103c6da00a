#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: finalization
short_description: Read, hold, release or complete the finalization of a CockroachDB major upgrade
version_added: 0.1.0
description:
  - V(query) reads the finalization state, that is the cluster version (C(SHOW CLUSTER SETTING version)), the release series
    the live nodes run (C(node status)), the hold settings, and the jobs that have not ended (C(SHOW JOBS), read by
    column name for the column sets of 23.1/23.2, 24.1 to 25.2 and 25.3 and later).
  - V(held) keeps the next major upgrade from finalizing by itself, so that a rollback stays possible. From 23.2 it
    sets C(cluster.auto_upgrade.enabled = false); before 23.2 C(cluster.preserve_downgrade_option) to the current
    cluster version. The cluster version decides which. Nothing changes when a hold is already set.
  - V(released) resets whichever hold settings are set.
  - V(finalized) refuses unless every node is live and runs one release series, the one after the active cluster
    version; then it releases the hold, runs C(SET CLUSTER SETTING version = '<series>') (not when the cluster already
    finalizes to it) and waits until the cluster version is that series and no C(MIGRATION) job runs. The upgrade jobs
    wait for running schema changes, so a long schema change makes the finalization long.
  - Every change is returned in RV(changes) for the caller's ledger.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.connection
  - distsql.upgrade.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the state, runs every check and returns the changes it would make.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
options:
  engine:
    description:
      - Which database the cluster runs. Only the engines whose engine place offers finalization are accepted.
    choices: [cockroachdb]
  state:
    description:
      - V(query) only reads.
      - V(held) holds the finalization of the next major upgrade.
      - V(released) removes every hold.
      - V(finalized) finalizes the upgrade every node runs, and waits for it.
    type: str
    default: query
    choices: [query, held, released, finalized]
  series:
    description:
      - With V(finalized), the series the upgrade must finalize to, for example C(24.1); the module refuses when the
        nodes run another one. Without it, the series the live nodes run.
    type: str
  wait:
    description:
      - With V(finalized), wait until the finalization is complete. Without the wait the module returns once the
        C(SET CLUSTER SETTING version) statement has returned (it waits for the upgrade jobs itself).
    type: bool
    default: true
notes:
  - O(timeout) bounds the whole finalization, the C(SET CLUSTER SETTING version) statement included (it returns only
    when the upgrade is done); give it minutes on a cluster with data.
  - Finalization cannot be undone; after it, going back means restoring a backup into the old release.
seealso:
  - module: distsql.upgrade.cluster_setting
  - module: distsql.upgrade.node_status
  - module: distsql.upgrade.version_probe
'''

EXAMPLES = r'''
- name: Hold the finalization before the rolling upgrade starts
  distsql.upgrade.finalization:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    state: held
  register: hold

- name: Read the finalization state
  distsql.upgrade.finalization:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
  register: finalization

- name: Finalize once every node runs v24.1, waiting up to 30 minutes
  distsql.upgrade.finalization:
    engine: cockroachdb
    host: db1.example.com:26257
    certs_dir: /var/lib/cockroach/certs
    state: finalized
    series: "24.1"
    timeout: 1800
    interval: 10
    stable_checks: 2
'''

RETURN = r'''
cluster_version:
  description: The cluster version as C(SHOW CLUSTER SETTING version) prints it.
  returned: always
  type: str
  sample: 23.2-upgrading-to-24.1-step-010
active:
  description: The release series whose features are active (C(null) for the C(X.Y-upgrading-final-step) fence).
  returned: always
  type: str
  sample: "23.2"
upgrading_to:
  description: The series a running finalization moves to, C(null) when none runs.
  returned: always
  type: str
  sample: "24.1"
finalized:
  description: The cluster version is a final C(X.Y) and no C(MIGRATION) job is running.
  returned: always
  type: bool
  sample: false
node_series:
  description: Sorted distinct release series of the live nodes that are not decommissioned.
  returned: success with V(query) or V(finalized)
  type: list
  elements: str
  sample: ["23.2", "24.1"]
nodes:
  description: The nodes that are not decommissioned.
  returned: success with V(query) or V(finalized)
  type: list
  elements: dict
  contains:
    id:
      description: Node id.
      type: int
    build:
      description: Build tag the node runs.
      type: str
    series:
      description: Release series of the build.
      type: str
    is_live:
      description: The node is live.
      type: bool
  sample:
    - {id: 1, build: v24.1.3, series: "24.1", is_live: true}
held:
  description: Whether a hold is set (C(cluster.auto_upgrade.enabled) false, or C(cluster.preserve_downgrade_option)
    set). With V(held) or V(released) in check mode, what it would be.
  returned: success
  type: bool
  sample: true
hold:
  description: The first hold set, or C(null).
  returned: success
  type: dict
  contains:
    setting:
      description: The setting that holds.
      type: str
    value:
      description: Its value as SHOW prints it.
      type: str
  sample: {setting: cluster.auto_upgrade.enabled, value: "false"}
holds:
  description: Every hold set (both settings can be set from 23.2 on).
  returned: success
  type: list
  elements: dict
jobs_running:
  description: Every job of C(SHOW JOBS) that has not ended (not succeeded, failed, canceled or revert-failed).
  returned: success with V(query) or V(finalized), and on a wait timeout
  type: list
  elements: dict
  contains:
    job_id:
      description: Job id.
      type: int
    job_type:
      description: Job type, for example C(MIGRATION) or C(NEW SCHEMA CHANGE).
      type: str
    status:
      description: Job status, for example C(running) or C(paused).
      type: str
    description:
      description: Job description (shortened by SHOW JOBS from 24.1).
      type: str
    created:
      description: Creation time as SHOW JOBS prints it.
      type: str
  sample:
    - job_id: 1001234567890123457
      job_type: MIGRATION
      status: running
      description: 'Upgrade to 23.2-upgrading-to-24.1-step-010: "migrate old-style PTS records to the new style"'
      created: "2024-06-13 10:04:45+00"
migrations_running:
  description: Whether a C(MIGRATION) job has not ended.
  returned: success with V(query) or V(finalized), and on a wait timeout
  type: bool
  sample: false
changes:
  description: The settings changed (or, in check mode, that would be), in order; empty when nothing was needed.
  returned: with V(held), V(released) and V(finalized), also on a failure after a change
  type: list
  elements: dict
  contains:
    setting:
      description: The setting.
      type: str
    before:
      description: Its value before.
      type: str
    after:
      description: Its value after, as SHOW prints it (in check mode the value it would get).
      type: str
  sample:
    - {setting: cluster.auto_upgrade.enabled, before: "false", after: "true"}
    - {setting: version, before: "23.2", after: "24.1"}
target:
  description: The series V(finalized) finalizes to.
  returned: with V(finalized) once the checks passed
  type: str
  sample: "24.1"
checks:
  description: How many times the finalization progress was read while waiting.
  returned: with V(finalized) after a wait, and on a wait timeout
  type: int
  sample: 5
elapsed:
  description: Seconds the finalization took, the wait included.
  returned: with V(finalized) after a change, and on a wait timeout
  type: float
  sample: 42.7
trace:
  description: The cluster version seen at each check of the wait (the last 100 checks).
  returned: with V(finalized) after a wait, and on a wait timeout
  type: list
  elements: dict
  sample:
    - {elapsed: 0.2, cluster_version: 23.2-upgrading-to-24.1-step-004}
    - {elapsed: 2.4, cluster_version: "24.1"}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_RULES, sql_module_argument_spec
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'finalization'


def argument_spec():
    spec = sql_module_argument_spec(
        state=dict(type='str', default='query', choices=['query', 'held', 'released', 'finalized']),
        series=dict(type='str'),
        wait=dict(type='bool', default=True),
    )
    spec['engine']['choices'] = list(engine_names(offering=(CAPABILITY,)))
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **CONNECTION_RULES)
    params = module.params
    engine = get_engine(params['engine'])
    binary = params['binary'] or engine.default_binary

    def runner(seconds):
        return timed_runner(module.run_command, seconds)

    run = runner(params['command_timeout'])
    state = params['state']
    try:
        finalization = engine.capability(CAPABILITY)
        connection = engine.connection(params)
        if params['series'] and state != 'finalized':
            raise DistsqlError('series=%s applies to state=finalized only (state is %s)' % (params['series'], state))
        if state == 'query':
            result = dict(finalization.query(engine, run, binary, connection), changed=False)
        elif state == 'held':
            result = finalization.hold(run, binary, connection, check_mode=module.check_mode)
        elif state == 'released':
            result = finalization.release(run, binary, connection, check_mode=module.check_mode)
        else:
            result = finalization.finalize(engine, runner, binary, connection, params, check_mode=module.check_mode)
    except DistsqlError as exc:
        details = exc.as_result() if hasattr(exc, 'as_result') else {}
        details['msg'] = str(exc)
        module.fail_json(changed=bool(details.get('changes')), **details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
