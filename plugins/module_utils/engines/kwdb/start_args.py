# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KAIWUDB_START_ARG line of /etc/kaiwudb/script/kaiwudb_env, which the bare-metal unit passes to kwbase
(``EnvironmentFile=/etc/kaiwudb/script/kaiwudb_env``, ``ExecStart=... kwbase <start_type> $KAIWUDB_START_ARG ...``).

deploy.sh install writes ``KAIWUDB_START_ARG=""``; its recover_node puts ``--upgrade-complete `` right after the
opening quote for the restart that clears a node's UPGRADING mark (flow-surfaces-kwdb.md sections 2.6, 2.9, 6.2).
with_flag() inserts a flag the same way, without_flag() takes exactly that out again (the flag and one space beside
it), so a round trip gives the file back byte for byte; every other byte of the file stays as it was. Double-quoted,
single-quoted and unquoted values are edited inside their quotes; both edits are idempotent.

The start_args capability (``get_engine('kwdb').start_args``) offers with_flag(text, flag), without_flag(text, flag),
start_arg(text) (the value as written) and has_flag(text, flag).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

ENV_FILE = '/etc/kaiwudb/script/kaiwudb_env'
VARIABLE = 'KAIWUDB_START_ARG'
UPGRADE_COMPLETE = '--upgrade-complete'

_ASSIGNMENT = re.compile(r'^[ \t]*%s[ \t]*=' % VARIABLE)
_FLAG = re.compile(r'^--?[A-Za-z0-9][A-Za-z0-9_.,:/=-]*$')
_QUOTES = ('"', "'")


class StartArgError(DistsqlError):
    """The env file has no single KAIWUDB_START_ARG line, or the flag cannot be written into it."""


def check_flag(flag):
    if not _FLAG.match(flag or ''):
        raise StartArgError('invalid start flag %r: expected one option word such as --upgrade-complete' % (flag,))
    return flag


def _assignment(text):
    """(lines, index of the KAIWUDB_START_ARG line, offset where its value starts)."""
    lines = text.splitlines(True)
    found = [(index, _ASSIGNMENT.match(line).end()) for index, line in enumerate(lines) if _ASSIGNMENT.match(line)]
    if not found:
        raise StartArgError('the file has no %s= line, so the unit would pass no flag (deploy.sh install writes '
                            '%s="")' % (VARIABLE, VARIABLE))
    if len(found) > 1:
        raise StartArgError('the file has %d %s= lines (systemd uses the last one): leave one'
                            % (len(found), VARIABLE))
    return lines, found[0][0], found[0][1]


def _value_span(line, start):
    """(start, end) of the words inside the value's quotes (the whole value when it is unquoted)."""
    content = line.rstrip('\r\n')
    value = content[start:].strip()
    if len(value) >= 2 and value[0] in _QUOTES and value[-1] == value[0]:
        return content.index(value[0], start) + 1, content.rindex(value[0])
    return start, len(content)


def _edit(text, change):
    lines, index, start = _assignment(text)
    line = lines[index]
    begin, end = _value_span(line, start)
    lines[index] = line[:begin] + change(line[begin:end]) + line[end:]
    return ''.join(lines)


def _words(text):
    lines, index, start = _assignment(text)
    begin, end = _value_span(lines[index], start)
    return lines[index][begin:end].split()


def start_arg(text):
    """The value of KAIWUDB_START_ARG as written (quotes included, the whitespace around it left out)."""
    lines, index, start = _assignment(text)
    return lines[index][start:].strip()


def has_flag(text, flag=UPGRADE_COMPLETE):
    return check_flag(flag) in _words(text)


def with_flag(text, flag=UPGRADE_COMPLETE):
    """The env file text with ``flag`` first in KAIWUDB_START_ARG (followed by a space), unless it is there."""
    if has_flag(text, flag):
        return text
    return _edit(text, lambda words: '%s %s' % (flag, words))


def without_flag(text, flag=UPGRADE_COMPLETE):
    """The env file text without ``flag`` in KAIWUDB_START_ARG: each occurrence goes with one space after it (or,
    at the end, before it)."""
    if not has_flag(text, flag):
        return text
    occurrence = re.compile(r'(?<!\S)%s(?!\S)' % re.escape(flag))

    def remove(words):
        match = occurrence.search(words)
        while match:
            begin, end = match.span()
            if words[end:end + 1] == ' ':
                end += 1
            elif words[begin - 1:begin] == ' ':
                begin -= 1
            words = words[:begin] + words[end:]
            match = occurrence.search(words)
        return words

    return _edit(text, remove)
