# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHOW JOBS read by header name in every column set (flow-surfaces-cockroachdb.md section 2).

show_jobs_csv_v24.1_inferred.txt is the reference's example; the *_constructed files put rows made up with the
value formats of that section under the exact column lists of 23.1/23.2 (19), 24.1 (13) and 25.3 (12, no started).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import jobs
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def test_the_engine_offers_the_jobs_capability():
    assert get_engine('cockroachdb').capability('jobs') is jobs


def test_24_1_reference_example():
    parsed = jobs.parse_jobs(fixture('cockroach/show_jobs_csv_v24.1_inferred.txt'))
    assert parsed == [{
        'job_id': 1001234567890123457, 'job_type': 'MIGRATION',
        'description': 'Upgrade to 24.1-upgrading-to-24.2-step-004: "add new column"', 'statement': None,
        'user_name': 'node', 'status': 'succeeded', 'running_status': None, 'created': '2024-06-13 10:04:45+00',
        'started': '2024-06-13 10:04:45+00', 'finished': '2024-06-13 10:04:46+00', 'modified': '2024-06-13 10:04:46+00',
        'fraction_completed': 1.0, 'error': '', 'coordinator_id': None}]
    assert jobs.running(parsed) == [] and jobs.migrations_running(parsed) is False


def test_23_2_has_19_columns_with_statement_and_microsecond_timestamps():
    text = fixture('cockroach/show_jobs_csv_v23.2_constructed.txt')
    assert len(text.splitlines()[0].split(',')) == 19
    parsed = jobs.parse_jobs(text)
    assert [(job['job_id'], job['job_type'], job['status']) for job in parsed] == [
        (917153829388468225, 'MIGRATION', 'running'), (917153801234567169, 'SCHEMA CHANGE GC', 'paused'),
        (917153799999999745, 'BACKUP', 'succeeded')]
    assert parsed[0]['statement'] == '' and parsed[0]['created'] == '2023-11-02 09:01:02.123456+00'
    assert parsed[0]['coordinator_id'] == 1 and parsed[1]['running_status'] == 'waiting for GC TTL'
    assert parsed[2]['description'] == "BACKUP INTO 'nodelocal://1/backups' WITH OPTIONS (detached)"
    assert [job['job_id'] for job in jobs.running(parsed)] == [917153829388468225, 917153801234567169]
    assert jobs.migrations_running(parsed) is True


def test_23_1_timestamps_have_no_offset_and_the_old_version_form():
    parsed = jobs.parse_jobs(fixture('cockroach/show_jobs_csv_v23.1_constructed.txt'))
    assert parsed[0]['created'] == '2023-06-01 12:00:00.5'
    assert parsed[0]['description'] == 'Upgrade to 22.2-102: "add a column to system.jobs"'


def test_24_1_running_migration_and_schema_change():
    parsed = jobs.parse_jobs(fixture('cockroach/show_jobs_csv_v24.1_running_constructed.txt'))
    assert [jobs.summary(job) for job in jobs.running(parsed)] == [
        {'job_id': 1001234567890123501, 'job_type': 'MIGRATION', 'status': 'running',
         'description': 'Upgrade to 23.2-upgrading-to-24.1-step-010: "migrate old-style PTS records to the new style"',
         'created': '2024-06-13 10:05:01+00'},
        {'job_id': 1001234567890123488, 'job_type': 'NEW SCHEMA CHANGE', 'status': 'running',
         'description': 'CREATE INDEX ON defaultdb.public.kv (v)', 'created': '2024-06-13 10:04:50+00'}]
    assert parsed[1]['fraction_completed'] == 0.42
    assert jobs.migrations_running(parsed) is True


def test_25_3_has_no_started_column():
    text = fixture('cockroach/show_jobs_csv_v25.3_constructed.txt')
    assert 'started' not in text.splitlines()[0].split(',')
    parsed = jobs.parse_jobs(text)
    assert parsed[0]['started'] is None and parsed[0]['created'] == '2025-09-01 10:00:00+00'
    assert parsed[1]['status'] == 'failed' and parsed[1]['error'] == 'ttl: query timed out, retrying later'
    assert [job['job_type'] for job in jobs.running(parsed)] == ['MIGRATION']


def test_no_jobs_is_an_empty_list():
    assert jobs.parse_jobs(fixture('cockroach/show_jobs_csv_v24.1_empty_constructed.txt')) == []


@pytest.mark.parametrize('status, running', [
    ('pending', True), ('paused', True), ('pause-requested', True), ('running', True), ('retry-running', True),
    ('retry-reverting', True), ('reverting', True), ('cancel-requested', True),
    ('succeeded', False), ('failed', False), ('canceled', False), ('revert-failed', False),
])
def test_terminal_statuses(status, running):
    assert jobs.is_running({'status': status}) is running


def test_a_missing_required_column_is_an_error():
    with pytest.raises(OutputParseError) as caught:
        jobs.parse_jobs('job_id,status\n1,running\n')
    assert str(caught.value) == ('cannot parse SHOW JOBS output: required column(s) job_type, description, created '
                                 'missing; the header has job_id, status')


def test_a_job_id_that_is_not_a_number_is_an_error():
    header = fixture('cockroach/show_jobs_csv_v24.1_empty_constructed.txt')
    with pytest.raises(OutputParseError) as caught:
        jobs.parse_jobs(header + 'x,MIGRATION,d,root,running,NULL,t,t,NULL,t,0,,1\n')
    assert str(caught.value) == "cannot parse SHOW JOBS output: column job_id: expected an integer or NULL, got 'x'"


def test_show_runs_show_jobs():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, fixture('cockroach/show_jobs_csv_v25.3_constructed.txt'), ''

    parsed = jobs.show(run, '/bin/true', Connection(host='h:26257', insecure=True))
    assert len(parsed) == 2
    assert calls == [['/bin/true', 'sql', '--format=csv', '-e', 'SHOW JOBS', '--host=h:26257', '--insecure']]
