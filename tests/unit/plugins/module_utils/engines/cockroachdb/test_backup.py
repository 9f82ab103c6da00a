# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""BACKUP INTO / SHOW BACKUPS IN: the statements, the literal quoting and the outputs of every form."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.backup import (
    backup_statement, list_backups, newest_backup, normalize_path, parse_backup_result, parse_show_backups,
    run_backup, show_backups_statement, sql_string_literal)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
CONNECTION = Connection(host='node1:26257', insecure=True)
SUCCEEDED = {'job_id': 652471804772712449, 'status': 'succeeded', 'fraction_completed': 1.0, 'rows': 50,
             'index_entries': 0, 'bytes': 4911}


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def test_is_a_capability_of_cockroachdb_only():
    assert get_engine('cockroachdb').capability('backup').run_backup is run_backup
    assert not hasattr(get_engine('kwdb'), 'backup')


@pytest.mark.parametrize('value, literal', [
    ('nodelocal://1/backups', "'nodelocal://1/backups'"),
    ("s3://b/it's?AWS_SECRET_ACCESS_KEY=a'b", "'s3://b/it''s?AWS_SECRET_ACCESS_KEY=a''b'"),
    ("'; DROP DATABASE defaultdb; --", "'''; DROP DATABASE defaultdb; --'"),
    ('back\\slash "double"', "'back\\slash \"double\"'"),
    ('', "''"),
])
def test_sql_string_literal_doubles_single_quotes(value, literal):
    assert sql_string_literal(value) == literal


def test_sql_string_literal_refuses_nul():
    with pytest.raises(DistsqlError) as caught:
        sql_string_literal('a\x00b')
    assert str(caught.value) == 'an SQL string literal cannot hold a NUL character'


def test_statements():
    assert backup_statement("nodelocal://1/o'b") == "BACKUP INTO 'nodelocal://1/o''b'"
    assert backup_statement('nodelocal://1/b', detached=True) == "BACKUP INTO 'nodelocal://1/b' WITH detached"
    assert show_backups_statement('nodelocal://1/b') == "SHOW BACKUPS IN 'nodelocal://1/b'"


@pytest.mark.parametrize('name, fmt', [('cockroach/backup_table_docs.txt', 'table'),
                                       ('cockroach/backup_csv_inferred.txt', 'csv')])
def test_blocking_backup_row(name, fmt):
    assert parse_backup_result(fixture(name), fmt) == SUCCEEDED


def test_detached_backup_row():
    assert parse_backup_result(fixture('cockroach/backup_detached_csv_inferred.txt')) == {
        'job_id': 592786066399264769, 'status': None, 'fraction_completed': None, 'rows': None,
        'index_entries': None, 'bytes': None}


@pytest.mark.parametrize('text, message', [
    ('job_id,status\n1,succeeded\n', 'cannot parse BACKUP result: expected the columns job_id, status, '
     'fraction_completed, rows, index_entries, bytes (or job_id with detached), got job_id, status'),
    ('job_id\n', 'cannot parse BACKUP result: expected one row, got 0'),
    ('job_id,status,fraction_completed,rows,index_entries,bytes\nx,succeeded,1,50,0,4911\n',
     "cannot parse BACKUP result: job_id: expected an integer, got 'x'"),
    ('job_id,status,fraction_completed,rows,index_entries,bytes\n1,succeeded,one,50,0,4911\n',
     "cannot parse BACKUP result: fraction_completed: expected a number, got 'one'"),
])
def test_backup_rows_of_another_shape(text, message):
    with pytest.raises(OutputParseError) as caught:
        parse_backup_result(text)
    assert str(caught.value) == message


@pytest.mark.parametrize('name, fmt', [('cockroach/show_backups_table_docs.txt', 'table'),
                                       ('cockroach/show_backups_csv_inferred.txt', 'csv')])
def test_show_backups(name, fmt):
    paths = parse_show_backups(fixture(name), fmt)
    assert paths == ['/2022/04/13-202334.48', '/2022/04/13-202413.70']
    assert newest_backup(paths) == '/2022/04/13-202413.70'


def test_show_backups_of_an_empty_collection_and_other_shapes():
    assert parse_show_backups('path\n') == []
    assert newest_backup([]) is None
    with pytest.raises(OutputParseError) as caught:
        parse_show_backups('id\n1\n')
    assert str(caught.value) == 'cannot parse SHOW BACKUPS result: expected the single column path, got id'


def test_normalize_path():
    assert normalize_path('2022/04/13-202334.48') == '/2022/04/13-202334.48'
    assert normalize_path(' /2022/04/13-202334.48 ') == '/2022/04/13-202334.48'


class FakeRun:
    """Answers each `sql -e <statement>` by the statement's first words."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, argv):
        self.calls.append(argv)
        statement = argv[argv.index('-e') + 1]
        for prefix, answer in self.answers.items():
            if statement.startswith(prefix):
                return answer
        raise AssertionError('unexpected statement %s' % statement)


def test_run_backup_passes_the_literal_as_one_argument():
    run = FakeRun({'BACKUP': (0, fixture('cockroach/backup_csv_inferred.txt'), '')})
    assert run_backup(run, BINARY, CONNECTION, "nodelocal://1/it's") == SUCCEEDED
    assert run.calls == [[BINARY, 'sql', '--format=csv', '-e', "BACKUP INTO 'nodelocal://1/it''s'",
                          '--host=node1:26257', '--insecure']]


def test_run_backup_detached():
    run = FakeRun({'BACKUP': (0, fixture('cockroach/backup_detached_csv_inferred.txt'), '')})
    assert run_backup(run, BINARY, CONNECTION, 'nodelocal://1/b', detached=True)['job_id'] == 592786066399264769
    assert run.calls[0][4] == "BACKUP INTO 'nodelocal://1/b' WITH detached"


def test_failed_backup_statement_names_the_error():
    stderr = 'ERROR: failed to resolve nodelocal://9: node 9 not found\nFailed running "sql"\n'
    run = FakeRun({'BACKUP': (1, '', stderr)})
    with pytest.raises(DistsqlError) as caught:
        run_backup(run, BINARY, CONNECTION, 'nodelocal://9/b')
    assert str(caught.value) == ("BACKUP INTO 'nodelocal://9/b' failed: `/bin/true sql` failed (rc=1): ERROR: failed "
                                 "to resolve nodelocal://9: node 9 not found / Failed running \"sql\"")


def test_status_other_than_succeeded_names_status_and_job_error():
    failed_row = 'job_id,status,fraction_completed,rows,index_entries,bytes\n77,failed,0.5,0,0,0\n'
    job = ('job_id,job_type,description,status,error\n'
           '77,BACKUP,BACKUP INTO \'/2024/01/01-000000.00\' IN \'nodelocal://1/b\',failed,disk full\n')
    run = FakeRun({'BACKUP': (0, failed_row, ''), 'SHOW JOB 77': (0, job, '')})
    with pytest.raises(DistsqlError) as caught:
        run_backup(run, BINARY, CONNECTION, 'nodelocal://1/b')
    assert str(caught.value) == "BACKUP INTO 'nodelocal://1/b' ended with job 77 in status failed, not succeeded: disk full"


def test_status_other_than_succeeded_when_the_job_cannot_be_read():
    failed_row = 'job_id,status,fraction_completed,rows,index_entries,bytes\n77,canceled,0,0,0,0\n'
    run = FakeRun({'BACKUP': (0, failed_row, ''), 'SHOW JOB 77': (1, '', 'ERROR: job 77 not found\n')})
    with pytest.raises(DistsqlError) as caught:
        run_backup(run, BINARY, CONNECTION, 'nodelocal://1/b')
    assert str(caught.value) == ("BACKUP INTO 'nodelocal://1/b' ended with job 77 in status canceled, not succeeded: "
                                 "(its error could not be read: `/bin/true sql` failed (rc=1): ERROR: job 77 not found)")


def test_list_backups():
    run = FakeRun({'SHOW BACKUPS': (0, fixture('cockroach/show_backups_csv_inferred.txt'), '')})
    assert list_backups(run, BINARY, CONNECTION, 'nodelocal://1/b') == ['/2022/04/13-202334.48', '/2022/04/13-202413.70']
    assert run.calls[0][4] == "SHOW BACKUPS IN 'nodelocal://1/b'"
