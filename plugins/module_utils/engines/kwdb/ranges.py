# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Leaseholder and replica spread per node, from the kwdb_internal.ranges view the KWDB upgrade docs check before an
upgrade (flow-surfaces-kwdb.md section 5.2).

The view's ``replicas`` are the store ids of the voting replicas and ``lease_holder`` (kwdb_internal.lease_holder)
the leaseholder's store id, so the stores are mapped to their nodes through kwdb_internal.kv_store_status, which also
lists the stores that hold nothing. The CLI prints ``replicas`` as an array, ``{1,2,3}``; the space-separated vector
form ``1 2 3`` is read as well.

The ranges capability (``get_engine('kwdb').ranges``) offers spread(run, binary, connection) and the pure
parse_ranges(text), parse_stores(text), summarize(ranges, stores).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import run_sql
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

RANGES_SQL = 'SELECT range_id, replicas, lease_holder FROM kwdb_internal.ranges'
STORES_SQL = 'SELECT node_id, store_id FROM kwdb_internal.kv_store_status ORDER BY store_id'
NULL = 'NULL'
_IDS = re.compile(r'^\{?(?P<ids>[\d, ]*)\}?$')


def _columns(text, expected, what):
    columns, rows = parse_tabular(text, 'csv')
    if columns != list(expected):
        raise OutputParseError(what, 'expected columns %s, got %s' % (', '.join(expected), ', '.join(columns)))
    return rows


def _int(value, what, column):
    if value == NULL:
        return None
    if not re.match(r'^\d+$', value):
        raise OutputParseError(what, 'column %s: expected an integer or NULL, got %r' % (column, value))
    return int(value)


def _ids(value, what):
    match = _IDS.match(value.strip())
    if not match:
        raise OutputParseError(what, 'column replicas: expected store ids such as {1,2,3}, got %r' % value)
    return [int(number) for number in re.split(r'[, ]+', match.group('ids')) if number]


def parse_ranges(text):
    """One dict per range: range_id, replicas (store ids), lease_holder (a store id, None for NULL)."""
    what = 'kwdb_internal.ranges result'
    return [{'range_id': _int(row['range_id'], what, 'range_id'), 'replicas': _ids(row['replicas'], what),
             'lease_holder': _int(row['lease_holder'], what, 'lease_holder')}
            for row in _columns(text, ('range_id', 'replicas', 'lease_holder'), what)]


def parse_stores(text):
    """{store id: node id} of every store kv_store_status lists."""
    what = 'kwdb_internal.kv_store_status result'
    return dict((_int(row['store_id'], what, 'store_id'), _int(row['node_id'], what, 'node_id'))
                for row in _columns(text, ('node_id', 'store_id'), what))


def summarize(ranges, stores):
    """ranges (count), without_leaseholder (range ids), nodes: per node id, in order, its stores, replicas and
    leaseholders. A store no node lists (a dead node's) is counted under node None."""
    nodes = {}

    def entry(store_id):
        node_id = stores.get(store_id)
        node = nodes.setdefault(node_id, {'node_id': node_id, 'stores': [], 'replicas': 0, 'leaseholders': 0})
        if store_id not in node['stores']:
            node['stores'].append(store_id)
        return node

    for store_id in sorted(stores):
        entry(store_id)
    for item in ranges:
        for store_id in item['replicas']:
            entry(store_id)['replicas'] += 1
        if item['lease_holder'] is not None:
            entry(item['lease_holder'])['leaseholders'] += 1
    ordered = sorted(nodes.values(), key=lambda node: (node['node_id'] is None, node['node_id'] or 0))
    return {'ranges': len(ranges), 'nodes': ordered,
            'without_leaseholder': [item['range_id'] for item in ranges if item['lease_holder'] is None]}


def spread(run, binary, connection):
    """summarize() over the cluster's kwdb_internal.ranges and kv_store_status."""
    ranges = parse_ranges(run_sql(run, binary, connection, RANGES_SQL))
    return summarize(ranges, parse_stores(run_sql(run, binary, connection, STORES_SQL)))
