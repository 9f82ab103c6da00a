# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One SQL statement through `cockroach sql` / `kwbase sql`, and the error envelope both CLIs print.

A failed statement exits 1 and prints on stderr (clierror, the same in KWDB's v20.1 fork)::

    ERROR: <message>              continuation lines follow for a multi-line message
    SQLSTATE: <code>              left out for XXUUU (uncategorized) unless --verbose
    DETAIL: <detail>
    HINT: <hint>
    Failed running "sql"

A statement without result rows prints its tag (``SET CLUSTER SETTING``) on stdout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import require_executable
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError

_LABELS = (('SQLSTATE: ', 'sqlstate'), ('DETAIL: ', 'detail'), ('HINT: ', 'hint'))


def sql_argv(binary, connection, statement):
    """The argv that runs ``statement`` with csv output."""
    return [binary, 'sql', '--format=csv', '-e', statement] + connection.argv()


def parse_cli_error(text):
    """The parts of a CLI error: message (continuation lines joined with ' / '), sqlstate, detail, hint.

    Without an 'ERROR:' line (a runner timeout, a crash) the message is every non-blank line joined with ' / '.
    """
    result = {'message': None, 'sqlstate': None, 'detail': None, 'hint': None}
    lines = [line.strip() for line in (text or '').splitlines()]
    message, in_message = [], False
    for line in lines:
        label = next(((prefix, key) for prefix, key in _LABELS if line.startswith(prefix)), None)
        if line.startswith('ERROR: ') and not message:
            message, in_message = [line[len('ERROR: '):].strip()], True
        elif label:
            in_message = False
            if result[label[1]] is None:
                result[label[1]] = line[len(label[0]):].strip()
        elif line.startswith('Failed running '):
            in_message = False
        elif in_message and line:
            message.append(line)
    if not message:
        message = [line for line in lines if line]
    result['message'] = ' / '.join(message) or None
    return result


class SqlError(CommandError):
    """A statement the server (or the CLI) refused; message, sqlstate, detail and hint as the CLI printed them."""

    def __init__(self, statement, argv, rc, stdout, stderr):
        CommandError.__init__(self, argv, rc, stdout, stderr)
        parts = parse_cli_error(stderr if (stderr or '').strip() else stdout)
        self.statement = statement
        self.message = parts['message'] or '(no output, rc=%s)' % rc
        self.sqlstate = parts['sqlstate']
        self.detail = parts['detail']
        self.hint = parts['hint']
        text = '`%s` failed: %s' % (statement, self.message)
        if self.sqlstate:
            text += ' (SQLSTATE %s)' % self.sqlstate
        if self.detail:
            text += '; DETAIL: %s' % self.detail
        if self.hint:
            text += '; HINT: %s' % self.hint
        self.args = (text,)

    def as_result(self):
        """The server's answer, for a module's failure result."""
        return {'sqlstate': self.sqlstate, 'detail': self.detail, 'hint': self.hint}


def run_sql(run, binary, connection, statement):
    """Run one statement; its stdout, or SqlError with the server's message."""
    argv = sql_argv(binary, connection, statement)
    require_executable(binary, os.path.basename(binary))
    rc, stdout, stderr = run(argv)
    if rc != 0:
        raise SqlError(statement, argv, rc, stdout, stderr)
    return stdout
