# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed node dicts from `cockroach node status` / `kwbase node status` output (health.summarize_nodes sums them up).

Columns are looked up by header name, so any combination of --ranges/--stats/--decommission/--all
and every version band (v19.2 ... current, KWDB) parses the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

# The members of the family; a new fork of CockroachDB joins here.
ENGINES = ('cockroachdb', 'kwdb')
NULL = 'NULL'

STRING_FIELDS = ('address', 'sql_address', 'build', 'locality', 'membership', 'start_mode')
BOOL_FIELDS = ('is_available', 'is_live', 'is_decommissioning', 'is_draining')
INT_FIELDS = ('gossiped_replicas', 'replicas_leaders', 'replicas_leaseholders', 'ranges', 'ranges_unavailable',
              'ranges_underreplicated', 'live_bytes', 'key_bytes', 'value_bytes', 'range_key_bytes',
              'range_value_bytes', 'intent_bytes', 'system_bytes')
TIME_FIELDS = ('started_at', 'updated_at')
NODE_KEYS = ('id', 'address', 'sql_address', 'build', 'started_at', 'updated_at', 'locality', 'is_available',
             'is_live', 'membership', 'is_decommissioning', 'is_draining') + INT_FIELDS + ('start_mode',)
REQUIRED_COLUMNS = ('id', 'is_live')

_TIMESTAMP = re.compile(
    r'^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?'
    r'(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$')


def parse_node_status(text, fmt, engine):
    """Return one dict per node with every key of NODE_KEYS.

    A column the output does not have gives None, and so does 'NULL'. Booleans are bool, counts int,
    timestamps ISO 8601 with an explicit offset (UTC when the CLI printed none). 'start_mode' is KWDB only.
    'membership' is derived when the column is absent (CockroachDB v20.1 and KWDB print only
    is_decommissioning): 'decommissioning' if is_decommissioning is true, else 'active'. Those versions
    cannot tell a finished decommission from a running one, so 'decommissioned' never comes out of a derivation.
    """
    if engine not in ENGINES:
        raise OutputParseError('node status', 'unknown engine %r, expected one of %s' % (engine, ', '.join(ENGINES)))
    what = '%s node status' % engine
    columns, rows = parse_tabular(text, fmt)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise OutputParseError(what, 'required column(s) %s missing; the header has %s' % (', '.join(missing), ', '.join(columns)))
    return [_node_from_row(row, engine, what) for row in rows]


def _node_from_row(row, engine, what):
    if not re.match(r'^\d+$', row['id']):
        raise OutputParseError(what, 'expected a node id, got %r' % row['id'])
    node_id = int(row['id'])
    node = {'id': node_id}
    for name in NODE_KEYS[1:]:
        node[name] = _convert(name, row.get(name), what, node_id)
    if node['locality'] == '':
        node['locality'] = None
    if engine != 'kwdb':
        node['start_mode'] = None
    if 'membership' not in row:
        node['membership'] = 'decommissioning' if node['is_decommissioning'] else 'active'
    return node


def _convert(name, value, what, node_id):
    if value is None or value == NULL:
        return None
    if name in BOOL_FIELDS:
        return _to_bool(value, what, name, node_id)
    if name in INT_FIELDS:
        return _to_int(value, what, name, node_id)
    if name in TIME_FIELDS:
        return _to_iso_timestamp(value, what, name, node_id)
    return value


def _to_bool(value, what, name, node_id):
    if value in ('true', 'false'):
        return value == 'true'
    raise OutputParseError(what, 'node %s: column %s: expected true, false or NULL, got %r' % (node_id, name, value))


def _to_int(value, what, name, node_id):
    if re.match(r'^-?\d+$', value):
        return int(value)
    raise OutputParseError(what, 'node %s: column %s: expected an integer or NULL, got %r' % (node_id, name, value))


def _to_iso_timestamp(value, what, name, node_id):
    match = _TIMESTAMP.match(value.strip())
    if not match:
        raise OutputParseError(what, 'node %s: column %s: expected a timestamp or NULL, got %r' % (node_id, name, value))
    fraction = (match.group('fraction') or '').ljust(6, '0')[:6]
    try:
        stamp = datetime.datetime.strptime('%s %s.%s' % (match.group('date'), match.group('time'), fraction),
                                           '%Y-%m-%d %H:%M:%S.%f')
    except ValueError:
        raise OutputParseError(what, 'node %s: column %s: no such date or time: %r' % (node_id, name, value))
    return stamp.replace(tzinfo=_parse_offset(match.group('offset'))).isoformat()


def _parse_offset(text):
    if not text or text == 'Z':
        return datetime.timezone.utc
    sign = -1 if text[0] == '-' else 1
    digits = text[1:].replace(':', '')
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return datetime.timezone(sign * datetime.timedelta(minutes=minutes))
