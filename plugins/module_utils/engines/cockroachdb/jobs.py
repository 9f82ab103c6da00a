# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB jobs: `SHOW JOBS` read by header name, for every column set (flow-surfaces-cockroachdb.md section 2).

    23.1, 23.2    19 columns (job_id ... statement ... trace_id, last_run, next_run, num_runs, execution_errors)
    24.1 - 25.2   13 columns (no statement, trace_id, last_run, next_run, num_runs, execution_errors)
    25.3+         12 columns (the 24.1 set without started)

The jobs capability (``get_engine('cockroachdb').jobs``) offers show(run, binary, connection), parse_jobs(text),
running(jobs), migrations_running(jobs) and summary(job).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import run_sql
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

SHOW_JOBS = 'SHOW JOBS'
JOB_KEYS = ('job_id', 'job_type', 'description', 'statement', 'user_name', 'status', 'running_status', 'created',
            'started', 'finished', 'modified', 'fraction_completed', 'error', 'coordinator_id')
REQUIRED_COLUMNS = ('job_id', 'job_type', 'description', 'status', 'created')
SUMMARY_KEYS = ('job_id', 'job_type', 'status', 'description', 'created')
# The docs' "Job status" table (v23.1 - v25.4); every other status is a job that has not ended.
TERMINAL_STATUSES = ('succeeded', 'failed', 'canceled', 'revert-failed')
MIGRATION = 'MIGRATION'
NULL = 'NULL'
_INT_COLUMNS = ('job_id', 'coordinator_id')
_FLOAT_COLUMNS = ('fraction_completed',)
_WHAT = 'SHOW JOBS output'


def show(run, binary, connection):
    """Every job SHOW JOBS lists (not the automatic ones), typed."""
    return parse_jobs(run_sql(run, binary, connection, SHOW_JOBS))


def parse_jobs(text):
    """One dict per row with every key of JOB_KEYS: a column the version does not print, and NULL, give None.

    job_id and coordinator_id are ints, fraction_completed a float; timestamps stay as the CLI printed them
    ('2024-06-13 10:04:45+00' from 24.1, with microseconds on 23.2, without an offset on 23.1).
    """
    columns, rows = parse_tabular(text, 'csv')
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise OutputParseError(_WHAT, 'required column(s) %s missing; the header has %s'
                               % (', '.join(missing), ', '.join(columns)))
    return [_job(row) for row in rows]


def _job(row):
    job = {}
    for name in JOB_KEYS:
        value = row.get(name)
        job[name] = None if value is None or value == NULL else _convert(name, value)
    return job


def _convert(name, value):
    if name in _INT_COLUMNS:
        if not re.match(r'^\d+$', value):
            raise OutputParseError(_WHAT, 'column %s: expected an integer or NULL, got %r' % (name, value))
        return int(value)
    if name in _FLOAT_COLUMNS:
        try:
            return float(value)
        except ValueError:
            raise OutputParseError(_WHAT, 'column %s: expected a number or NULL, got %r' % (name, value))
    return value


def is_running(job):
    """Whether the job has not ended (pending, running, paused, reverting, ...)."""
    return job['status'] not in TERMINAL_STATUSES


def running(jobs):
    return [job for job in jobs if is_running(job)]


def migrations_running(jobs):
    """Whether an upgrade (MIGRATION) job has not ended."""
    return any(job['job_type'] == MIGRATION for job in running(jobs))


def summary(job):
    """The keys a module reports per job: job_id, job_type, status, description, created."""
    return dict((key, job[key]) for key in SUMMARY_KEYS)
