# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``BACKUP INTO '<collection>'`` and ``SHOW BACKUPS IN '<collection>'`` through ``cockroach sql --format=csv -e``.

A blocking BACKUP prints the BulkJobExecutionResultHeader (job_id, status, fraction_completed, rows, index_entries,
bytes); ``WITH detached`` prints the DetachedJobExecutionResultHeader (job_id only). SHOW BACKUPS prints one column,
``path``, with values like ``/2022/04/13-202334.48``. The destination is always passed as an SQL string literal in
an argv element, never through a shell.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import run_checked
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError, OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

BULK_COLUMNS = ['job_id', 'status', 'fraction_completed', 'rows', 'index_entries', 'bytes']
DETACHED_COLUMNS = ['job_id']
INT_COLUMNS = ('job_id', 'rows', 'index_entries', 'bytes')
SUCCEEDED = 'succeeded'
_INT = re.compile(r'^-?\d+$')


def sql_string_literal(value):
    """``value`` as an SQL string literal: in single quotes, each single quote doubled."""
    if not isinstance(value, str):
        raise DistsqlError('expected a string for an SQL literal, got %r' % (value,))
    if '\x00' in value:
        raise DistsqlError('an SQL string literal cannot hold a NUL character')
    return "'%s'" % value.replace("'", "''")


def backup_statement(destination, detached=False):
    """``BACKUP INTO '<destination>'`` (a full cluster backup into a new subdirectory of the collection)."""
    return 'BACKUP INTO %s%s' % (sql_string_literal(destination), ' WITH detached' if detached else '')


def show_backups_statement(destination):
    return 'SHOW BACKUPS IN %s' % sql_string_literal(destination)


def show_job_statement(job_id):
    return 'SHOW JOB %d' % int(job_id)


def parse_backup_result(text, fmt='csv'):
    """The row BACKUP printed: job_id, status, fraction_completed (float), rows, index_entries, bytes (ints).

    A detached BACKUP prints only job_id; the other keys are then None.
    """
    what = 'BACKUP result'
    columns, rows = parse_tabular(text, fmt)
    if columns not in (BULK_COLUMNS, DETACHED_COLUMNS):
        raise OutputParseError(what, 'expected the columns %s (or %s with detached), got %s'
                               % (', '.join(BULK_COLUMNS), ', '.join(DETACHED_COLUMNS), ', '.join(columns) or 'none'))
    if len(rows) != 1:
        raise OutputParseError(what, 'expected one row, got %d' % len(rows))
    row = rows[0]
    result = dict((name, None) for name in BULK_COLUMNS)
    for name in columns:
        result[name] = _value(name, row[name], what)
    return result


def _value(name, text, what):
    if name in INT_COLUMNS:
        if not _INT.match(text):
            raise OutputParseError(what, '%s: expected an integer, got %r' % (name, text))
        return int(text)
    if name == 'fraction_completed':
        try:
            return float(text)
        except ValueError:
            raise OutputParseError(what, 'fraction_completed: expected a number, got %r' % text)
    return text


def parse_show_backups(text, fmt='csv'):
    """The ``path`` values of SHOW BACKUPS IN, in the order printed (oldest first)."""
    columns, rows = parse_tabular(text, fmt)
    if columns != ['path']:
        raise OutputParseError('SHOW BACKUPS result', 'expected the single column path, got %s'
                               % (', '.join(columns) or 'none'))
    return [row['path'] for row in rows]


def newest_backup(paths):
    """The newest of SHOW BACKUPS' paths: their /YYYY/MM/DD-HHMMSS.ss names sort by time."""
    return max(paths) if paths else None


def normalize_path(path):
    """A backup path as SHOW BACKUPS prints it (with the leading '/')."""
    path = path.strip()
    return path if path.startswith('/') else '/' + path


def _sql_argv(binary, connection, statement):
    return [binary, 'sql', '--format=csv', '-e', statement] + connection.argv()


def run_backup(run, binary, connection, destination, detached=False):
    """Run BACKUP INTO; return parse_backup_result() of its row. A status other than succeeded (blocking) raises
    DistsqlError with the status and the job's error."""
    statement = backup_statement(destination, detached)
    try:
        stdout, _stderr = run_checked(run, _sql_argv(binary, connection, statement))
    except CommandError as exc:
        raise DistsqlError('BACKUP INTO %s failed: %s' % (sql_string_literal(destination), exc))
    result = parse_backup_result(stdout)
    if not detached and result['status'] != SUCCEEDED:
        raise DistsqlError('BACKUP INTO %s ended with job %s in status %s, not %s: %s'
                           % (sql_string_literal(destination), result['job_id'], result['status'], SUCCEEDED,
                              job_error(run, binary, connection, result['job_id'])))
    return result


def job_error(run, binary, connection, job_id):
    """The error SHOW JOB reports for ``job_id``, or a sentence saying why it could not be read."""
    try:
        stdout, _stderr = run_checked(run, _sql_argv(binary, connection, show_job_statement(job_id)))
        columns, rows = parse_tabular(stdout, 'csv')
    except DistsqlError as exc:
        return '(its error could not be read: %s)' % exc
    if 'error' not in columns or len(rows) != 1:
        return '(SHOW JOB %s printed no error column)' % job_id
    return rows[0]['error'] or '(no error recorded)'


def list_backups(run, binary, connection, destination):
    """SHOW BACKUPS IN the collection: every backup path, oldest first."""
    try:
        stdout, _stderr = run_checked(run, _sql_argv(binary, connection, show_backups_statement(destination)))
    except CommandError as exc:
        raise DistsqlError('SHOW BACKUPS IN %s failed: %s' % (sql_string_literal(destination), exc))
    return parse_show_backups(stdout)
