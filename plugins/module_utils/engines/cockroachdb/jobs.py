# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB jobs: `SHOW JOBS` read by header name, for every column set (flow-surfaces-cockroachdb.md section 2).

    23.1, 23.2    19 columns (job_id ... statement ... trace_id, last_run, next_run, num_runs, execution_errors)
    24.1 - 25.2   13 columns (no statement, trace_id, last_run, next_run, num_runs, execution_errors)
    25.3+         12 columns (the 24.1 set without started)

The jobs capability (``get_engine('cockroachdb').jobs``) offers show(run, binary, connection), parse_jobs(text),
is_running(job), running(jobs) and summary(job) (shared with KWDB, in cockroach_family/jobs.py) and
migrations_running(jobs), the upgrade (MIGRATION) jobs only CockroachDB has.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.jobs import (
    is_running, parse_jobs, running, show, summary)

__all__ = ('MIGRATION', 'is_running', 'migrations_running', 'parse_jobs', 'running', 'show', 'summary')

MIGRATION = 'MIGRATION'


def migrations_running(jobs):
    """Whether an upgrade (MIGRATION) job has not ended."""
    return any(job['job_type'] == MIGRATION for job in running(jobs))
