# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The range-health query of the vendors' upgrade runbooks and its result, per node.

Both engines keep the counts in ``<internal schema>.kv_store_status`` (crdb_internal, kwdb_internal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

RANGE_HEALTH_SQL = (
    "SELECT node_id, sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable, "
    "sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated "
    "FROM {schema}.kv_store_status GROUP BY node_id ORDER BY node_id"
)


def range_health_sql(internal_schema):
    """The query for an engine whose internal schema is ``internal_schema``."""
    return RANGE_HEALTH_SQL.format(schema=internal_schema)


def parse_range_health_rows(text):
    """Rows of node_id, ranges_unavailable, ranges_underreplicated as ints (None where the sum is NULL)."""
    columns, rows = parse_tabular(text, 'csv')
    expected = ['node_id', 'ranges_unavailable', 'ranges_underreplicated']
    if columns != expected:
        raise OutputParseError('range health query result', 'expected columns %s, got %s' % (expected, columns))
    return [dict((name, _count(row[name])) for name in expected) for row in rows]


def _count(value):
    if value in ('', 'NULL'):
        return None
    try:
        return int(value)
    except ValueError:
        raise OutputParseError('range health query result', 'not an integer: %r' % value)
