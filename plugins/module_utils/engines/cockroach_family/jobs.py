# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`SHOW JOBS` of CockroachDB and KWDB, read by header name: every column set either prints has the columns read here.

    CockroachDB   flow-surfaces-cockroachdb.md section 2 (engines/cockroachdb/jobs.py lists its column sets)
    KWDB          19 columns, the same in V2.0.4 ... V3.2.1 (flow-surfaces-kwdb.md section 5.1): job_id, job_type,
                  description, statement, user_name, status, running_status, created, started, finished, modified,
                  errord, fraction_completed, error, coordinator_id, total_num_of_ex, total_num_of_success,
                  total_num_of_fail, time_of_last_success; the same statuses (pending, running, paused, failed,
                  reverting, succeeded, canceled, revert-failed)

It offers show(run, binary, connection), parse_jobs(text), is_running(job), running(jobs) and summary(job); KWDB
registers this module as its jobs capability (``get_engine('kwdb').jobs``).
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
# The docs' "Job status" table (CockroachDB v23.1 - v25.4, KWDB); every other status is a job that has not ended.
TERMINAL_STATUSES = ('succeeded', 'failed', 'canceled', 'revert-failed')
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


def summary(job):
    """The keys a module reports per job: job_id, job_type, status, description, created."""
    return dict((key, job[key]) for key in SUMMARY_KEYS)
