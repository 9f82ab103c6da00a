#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: jobs
short_description: List the jobs of a CockroachDB or KWDB cluster that have not ended (SHOW JOBS)
version_added: 0.1.0
description:
  - Runs C(SHOW JOBS) through the engine's SQL client and returns the jobs whose status is not terminal
    (anything but C(succeeded), C(failed), C(canceled) and C(revert-failed)), read by column name from every column
    set the engines print (CockroachDB 23.1 to 25.3, KWDB V2.0.4 to V3.2.1).
  - The upgrade preflight refuses to start while a schema change, import or restore runs.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.connection
options:
  engine:
    description:
      - Which database the cluster runs. Only the engines whose engine place reads SHOW JOBS are accepted.
    type: str
    required: true
    choices: [cockroachdb, kwdb]
seealso:
  - module: distsql.upgrade.finalization
'''

EXAMPLES = r'''
- name: Refuse to upgrade while a schema change runs
  distsql.upgrade.jobs:
    engine: kwdb
    host: 127.0.0.1:26257
    certs_dir: /etc/kaiwudb/certs
  register: jobs
  failed_when: jobs.jobs_running | selectattr('job_type', 'equalto', 'SCHEMA CHANGE') | list | length > 0
'''

RETURN = r'''
jobs_running:
  description: The jobs that have not ended, newest first as SHOW JOBS lists them.
  returned: success
  type: list
  elements: dict
  contains:
    job_id:
      description: Job id.
      type: int
    job_type:
      description: Job type, for example C(SCHEMA CHANGE) or C(IMPORT).
      type: str
    status:
      description: Job status, for example C(running) or C(paused).
      type: str
    description:
      description: What the job does.
      type: str
    created:
      description: When it was created, as SHOW JOBS prints it.
      type: str
  sample: [{job_id: 881234567890, job_type: SCHEMA CHANGE, status: running, description: "ALTER TABLE kv ADD COLUMN x INT8",
            created: "2026-12-01 12:00:00.123456"}]
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.cli_args import CONNECTION_ARGUMENT_SPEC, CONNECTION_RULES
from ansible_collections.distsql.upgrade.plugins.module_utils.engines import engine_names, get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

CAPABILITY = 'jobs'


def main():
    spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    spec['engine']['choices'] = list(engine_names(offering=(CAPABILITY,)))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **CONNECTION_RULES)
    params = module.params
    engine = get_engine(params['engine'])
    run = timed_runner(module.run_command, params['command_timeout'])
    try:
        jobs = engine.capability(CAPABILITY)
        running = jobs.running(jobs.show(run, params['binary'] or engine.default_binary, engine.connection(params)))
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, jobs_running=[jobs.summary(job) for job in running])


if __name__ == '__main__':
    main()
