# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`cockroach node status` / `kwbase node status` output of every version band, as typed node dicts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.node_status import NODE_KEYS, parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.health import summarize_nodes


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def test_csv_v22_1_live_node_is_fully_typed():
    nodes = parse_node_status(fixture('cockroach/node_status_all_csv_v22.1.22.txt'), 'csv', 'cockroachdb')
    assert nodes[0] == {
        'id': 1, 'address': '[fd00:1122:3344:101::3]:32221', 'sql_address': '[fd00:1122:3344:101::3]:32221',
        'build': 'v22.1.22-29-g865aff1595', 'started_at': '2025-05-30T21:10:26.237011+00:00',
        'updated_at': '2025-06-02T14:05:05.508688+00:00', 'locality': None, 'is_available': True, 'is_live': True,
        'membership': 'active', 'is_decommissioning': False, 'is_draining': False, 'gossiped_replicas': 210,
        'replicas_leaders': 41, 'replicas_leaseholders': 41, 'ranges': 210, 'ranges_unavailable': 0,
        'ranges_underreplicated': 0, 'live_bytes': 3967748150, 'key_bytes': 846544773, 'value_bytes': 5119261316,
        'range_key_bytes': None, 'range_value_bytes': None, 'intent_bytes': 34, 'system_bytes': 108060755,
        'start_mode': None}


def test_csv_v22_1_decommissioned_nodes_have_null_fields():
    nodes = parse_node_status(fixture('cockroach/node_status_all_csv_v22.1.22.txt'), 'csv', 'cockroachdb')
    assert [node['id'] for node in nodes] == [1, 2, 3, 4, 6]
    assert nodes[1]['started_at'] == '2025-05-30T21:10:30.005010+00:00'
    decommissioned = nodes[2]
    assert decommissioned['address'] is None
    assert decommissioned['build'] is None
    assert decommissioned['started_at'] is None
    assert decommissioned['updated_at'] == '2025-05-30T21:11:45.350419+00:00'
    assert decommissioned['locality'] is None
    assert decommissioned['ranges'] is None
    assert decommissioned['membership'] == 'decommissioned'
    assert decommissioned['is_decommissioning'] is True
    assert summarize_nodes(nodes) == {
        'total': 5, 'live': 3, 'dead': 0, 'unavailable': 0, 'decommissioned': 2, 'decommissioning': 0,
        'draining': 0, 'builds': ['v22.1.22-29-g865aff1595'], 'all_live': True, 'same_build': True}


def test_csv_v22_1_dead_nodes():
    nodes = parse_node_status(fixture('cockroach/node_status_all_csv_v22.1.22_dead.txt'), 'csv', 'cockroachdb')
    assert [(node['id'], node['is_live'], node['gossiped_replicas']) for node in nodes] == [
        (1, False, None), (2, True, 244), (6, False, None), (8, False, 0)]
    assert nodes[2]['ranges_underreplicated'] == 21
    assert nodes[3]['build'] == 'v22.1.22-46-g367bca413b'
    assert summarize_nodes(nodes) == {
        'total': 4, 'live': 1, 'dead': 3, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
        'draining': 0, 'builds': ['v22.1.22-46-g367bca413b'], 'all_live': False, 'same_build': True}


def test_tsv_v20_1_derives_membership():
    nodes = parse_node_status(fixture('cockroach/node_status_all_tsv_v20.1.0.txt'), 'tsv', 'cockroachdb')
    assert [(node['id'], node['is_decommissioning'], node['membership']) for node in nodes] == [
        (1, False, 'active'), (4, True, 'decommissioning')]
    assert nodes[0]['started_at'] == '2020-05-23T17:48:27.739773+00:00'
    assert nodes[0]['address'] == 'cockroachdb-basic-0.cockroachdb-basic.default.svc.cluster.local:26257'
    assert nodes[0]['locality'] is None
    assert nodes[0]['range_key_bytes'] is None
    assert summarize_nodes(nodes)['decommissioning'] == 1


def test_tsv_v20_2_membership_column():
    nodes = parse_node_status(fixture('cockroach/node_status_all_tsv_v20.2.3.txt'), 'tsv', 'cockroachdb')
    assert [(node['id'], node['is_live'], node['is_available'], node['ranges_underreplicated']) for node in nodes] == [
        (1, True, True, 72), (2, False, False, 0)]
    assert nodes[1]['membership'] == 'active'
    assert summarize_nodes(nodes) == {
        'total': 2, 'live': 1, 'dead': 1, 'unavailable': 0, 'decommissioned': 0, 'decommissioning': 0,
        'draining': 0, 'builds': ['v20.2.3'], 'all_live': False, 'same_build': True}


def test_table_v22_2_decommission():
    nodes = parse_node_status(fixture('cockroach/node_status_decommission_table_v22.2.txt'), 'table', 'cockroachdb')
    assert nodes[0]['started_at'] == '2022-09-01T02:11:55.077340+00:00'
    assert nodes[0]['ranges'] is None
    assert nodes[0]['gossiped_replicas'] == 73
    assert (nodes[1]['membership'], nodes[1]['is_draining'], nodes[1]['is_live']) == ('decommissioned', True, False)
    summary = summarize_nodes(nodes)
    assert (summary['decommissioned'], summary['draining'], summary['all_live']) == (1, 0, True)


def test_table_v19_2_keeps_locality():
    nodes = parse_node_status(fixture('cockroach/node_status_table_v19.2.txt'), 'table', 'cockroachdb')
    assert nodes[0]['locality'] == 'region=us-east,az=1'
    assert nodes[0]['updated_at'] == '2019-10-01T20:05:43.855630+00:00'
    assert nodes[0]['membership'] == 'active'
    assert nodes[0]['is_decommissioning'] is None


def test_kwdb_tsv_start_mode():
    nodes = parse_node_status(fixture('kwdb/node_status_tsv_inferred.txt'), 'tsv', 'kwdb')
    assert nodes[0]['start_mode'] == 'start'
    assert nodes[0]['locality'] == 'region=NODE1'
    assert nodes[0]['build'] == 'V3.2.1'
    assert nodes[0]['membership'] == 'active'
    assert sorted(nodes[0].keys()) == sorted(NODE_KEYS)


def test_start_mode_is_none_for_cockroachdb_even_if_printed():
    nodes = parse_node_status(fixture('kwdb/node_status_tsv_inferred.txt'), 'tsv', 'cockroachdb')
    assert nodes[0]['start_mode'] is None


KWDB_UPGRADING = (
    'id\taddress\tsql_address\tbuild\tstarted_at\tupdated_at\tlocality\tstart_mode\tis_available\tis_live\n'
    '1\t10.0.0.1:26257\t10.0.0.1:26257\tV3.2.0\t2026-06-30 02:28:59+08:00\t2026-06-30 03:00:01.5+08\tregion=NODE1\tstart\ttrue\ttrue\n'
    '2\t10.0.0.2:26257\t10.0.0.2:26257\tV3.2.1\t2026-06-30 02:28:59Z\t2026-06-30 03:00:01.123456789-05:30\tregion=NODE2\tstart\tfalse\ttrue\n'
    '3\tNULL\tNULL\tNULL\tNULL\t2026-06-30 03:00:01\tNULL\tNULL\tfalse\tfalse\n')


def test_kwdb_upgrading_node_is_live_but_unavailable():
    nodes = parse_node_status(KWDB_UPGRADING, 'tsv', 'kwdb')
    assert [node['started_at'] for node in nodes] == ['2026-06-30T02:28:59+08:00', '2026-06-30T02:28:59+00:00', None]
    assert [node['updated_at'] for node in nodes] == [
        '2026-06-30T03:00:01.500000+08:00', '2026-06-30T03:00:01.123456-05:30', '2026-06-30T03:00:01+00:00']
    assert summarize_nodes(nodes) == {
        'total': 3, 'live': 2, 'dead': 1, 'unavailable': 1, 'decommissioned': 0, 'decommissioning': 0,
        'draining': 0, 'builds': ['V3.2.0', 'V3.2.1'], 'all_live': False, 'same_build': False}


HEADER = 'id,is_live,is_available,started_at,ranges\n'


@pytest.mark.parametrize('text, fmt, engine, message', [
    ('id,address\n1,a:1\n', 'csv', 'cockroachdb',
     'cannot parse cockroachdb node status: required column(s) is_live missing; the header has id, address'),
    ('address,build\na:1,v1\n', 'csv', 'kwdb',
     'cannot parse kwdb node status: required column(s) id, is_live missing; the header has address, build'),
    (HEADER + 'NULL,true,true,NULL,NULL\n', 'csv', 'cockroachdb',
     "cannot parse cockroachdb node status: expected a node id, got 'NULL'"),
    (HEADER + '1,yes,true,NULL,NULL\n', 'csv', 'cockroachdb',
     "cannot parse cockroachdb node status: node 1: column is_live: expected true, false or NULL, got 'yes'"),
    (HEADER + '1,true,true,NULL,many\n', 'csv', 'cockroachdb',
     "cannot parse cockroachdb node status: node 1: column ranges: expected an integer or NULL, got 'many'"),
    (HEADER + '1,true,true,yesterday,1\n', 'csv', 'cockroachdb',
     "cannot parse cockroachdb node status: node 1: column started_at: expected a timestamp or NULL, got 'yesterday'"),
    (HEADER + '1,true,true,2025-13-30 21:10:26,1\n', 'csv', 'cockroachdb',
     "cannot parse cockroachdb node status: node 1: column started_at: no such date or time: '2025-13-30 21:10:26'"),
    (HEADER + '1,true\n', 'csv', 'cockroachdb', 'cannot parse csv output: line 2 has 2 fields, the header has 5'),
    ('', 'tsv', 'kwdb', 'cannot parse tsv output: the output is empty'),
    (HEADER, 'csv', 'tidb', "cannot parse node status: unknown engine 'tidb', expected one of cockroachdb, kwdb"),
])
def test_errors(text, fmt, engine, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_node_status(text, fmt, engine)
    assert str(excinfo.value) == message
