# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHOW JOBS of KWDB: its 19 columns (flow-surfaces-kwdb.md 5.1, constructed fixture) read by the family parser."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family import jobs

from .fixture_files import fixture


def test_kwdb_registers_the_family_jobs_parser():
    assert get_engine('kwdb').capability('jobs') is jobs


def test_the_19_columns_of_kwdb_show_jobs():
    parsed = jobs.parse_jobs(fixture('show_jobs_csv_constructed.txt'))
    assert parsed[0] == {
        'job_id': 1045678901234567169, 'job_type': 'SCHEMA CHANGE', 'description': 'ALTER TABLE db.public.t ADD COLUMN c INT8',
        'statement': '', 'user_name': 'root', 'status': 'running', 'running_status': None,
        'created': '2026-06-30 02:28:59.123456+00:00', 'started': '2026-06-30 02:29:00.000001+00:00', 'finished': None,
        'modified': '2026-06-30 02:29:30.5+00:00', 'fraction_completed': 0.25, 'error': '', 'coordinator_id': 1}
    assert [jobs.summary(job) for job in jobs.running(parsed)] == [
        {'job_id': 1045678901234567169, 'job_type': 'SCHEMA CHANGE', 'status': 'running',
         'description': 'ALTER TABLE db.public.t ADD COLUMN c INT8', 'created': '2026-06-30 02:28:59.123456+00:00'}]
    assert (parsed[1]['job_type'], jobs.is_running(parsed[1])) == ('IMPORT', False)
