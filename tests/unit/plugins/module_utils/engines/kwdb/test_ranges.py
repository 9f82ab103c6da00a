# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Leaseholder and replica spread per node from kwdb_internal.ranges (flow-surfaces-kwdb.md 5.2) and the store-to-node
map of kwdb_internal.kv_store_status (constructed fixtures; the `{1,2,3}` form of `replicas` is INFERRED)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import ranges
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

from .fixture_files import fixture

BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
SPREAD = {
    'ranges': 4,
    'without_leaseholder': [4],
    'nodes': [
        {'node_id': 1, 'stores': [1], 'replicas': 3, 'leaseholders': 1},
        {'node_id': 2, 'stores': [2], 'replicas': 3, 'leaseholders': 2},
        {'node_id': 3, 'stores': [3], 'replicas': 4, 'leaseholders': 0},
        {'node_id': 4, 'stores': [4], 'replicas': 0, 'leaseholders': 0},
        {'node_id': None, 'stores': [5], 'replicas': 2, 'leaseholders': 0},
    ],
}


def test_the_engine_offers_the_ranges_capability():
    assert get_engine('kwdb').capability('ranges') is ranges


def test_parse_ranges():
    assert ranges.parse_ranges(fixture('ranges_csv_constructed.txt')) == [
        {'range_id': 1, 'replicas': [1, 2, 3], 'lease_holder': 1},
        {'range_id': 2, 'replicas': [1, 2, 3], 'lease_holder': 2},
        {'range_id': 3, 'replicas': [2, 3, 5], 'lease_holder': 2},
        {'range_id': 4, 'replicas': [1, 3, 5], 'lease_holder': None}]


def test_the_vector_form_of_replicas():
    assert ranges.parse_ranges('range_id,replicas,lease_holder\n7,1 2 3,3\n8,{},NULL\n') == [
        {'range_id': 7, 'replicas': [1, 2, 3], 'lease_holder': 3}, {'range_id': 8, 'replicas': [], 'lease_holder': None}]


def test_spread_per_node_counts_empty_nodes_and_unknown_stores():
    stores = ranges.parse_stores(fixture('kv_store_status_csv_constructed.txt'))
    assert stores == {1: 1, 2: 2, 3: 3, 4: 4}
    assert ranges.summarize(ranges.parse_ranges(fixture('ranges_csv_constructed.txt')), stores) == SPREAD


def test_spread_runs_both_queries():
    answers = {ranges.RANGES_SQL: fixture('ranges_csv_constructed.txt'),
               ranges.STORES_SQL: fixture('kv_store_status_csv_constructed.txt')}
    calls = []

    def run(argv):
        calls.append(argv[4])
        return 0, answers[argv[4]], ''

    assert ranges.spread(run, BINARY, Connection(host='h:26257', insecure=True)) == SPREAD
    assert calls == ['SELECT range_id, replicas, lease_holder FROM kwdb_internal.ranges',
                     'SELECT node_id, store_id FROM kwdb_internal.kv_store_status ORDER BY store_id']


@pytest.mark.parametrize('text, message', [
    ('range_id,replicas\n1,"{1}"\n', 'cannot parse kwdb_internal.ranges result: expected columns range_id, replicas, '
                                     'lease_holder, got range_id, replicas'),
    ('range_id,replicas,lease_holder\n1,"[1]",1\n', "cannot parse kwdb_internal.ranges result: column replicas: "
                                                    "expected store ids such as {1,2,3}, got '[1]'"),
    ('range_id,replicas,lease_holder\nx,"{1}",1\n', "cannot parse kwdb_internal.ranges result: column range_id: "
                                                    "expected an integer or NULL, got 'x'"),
])
def test_unexpected_output_is_refused(text, message):
    with pytest.raises(OutputParseError) as caught:
        ranges.parse_ranges(text)
    assert str(caught.value) == message
