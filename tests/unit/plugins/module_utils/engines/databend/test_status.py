# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`databend-metactl status`, databend-meta /v1/cluster/status and /v1/health."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.status import (
    STATUS_KEYS, parse_health_json, parse_log_id, parse_meta_cluster_status, parse_metactl_status)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


__metaclass__ = type


def log_id(term, node_id, index):
    return {'term': term, 'node_id': node_id, 'index': index}


def node(node_id, raft, grpc=None):
    return {'id': node_id, 'raft': raft, 'grpc': grpc}


@pytest.mark.parametrize('text, expected', [
    ('T1-N0.200', log_id(1, 0, 200)),
    ('1-0-8160', log_id(1, 0, 8160)),
    (' T12-N3.18884\n', log_id(12, 3, 18884)),
])
def test_parse_log_id(text, expected):
    assert parse_log_id(text) == expected


@pytest.mark.parametrize('text', ['', None, 'T1-N0-200', '1-0', 'None'])
def test_parse_log_id_errors(text):
    with pytest.raises(OutputParseError) as excinfo:
        parse_log_id(text)
    assert str(excinfo.value) == (
        'cannot parse raft log id: expected T<term>-N<node>.<index> or <term>-<node>-<index>, got %r' % (text,))


DOC_STATUS = {
    'binary_version': 'v1.2.345-nightly-abc1234(rust-1.75-nightly-2024-01-01T12:00:00)', 'data_version': 'V002',
    'raft_log_size': 1234, 'raft_log': None, 'db_size': None, 'snapshot_key_count': 5678,
    'node': node(0, '127.0.0.1:28004'), 'state': 'Leader', 'is_leader': True, 'leader': node(0, '127.0.0.1:28004'),
    'current_term': 1, 'last_seq': 100, 'last_log_index': 200, 'last_applied': log_id(1, 0, 200),
    'snapshot_last_log_id': None, 'purged': None, 'replication': {}, 'voters': [node(0, '127.0.0.1:28004')],
    'non_voters': [], 'extra': {}}


@pytest.mark.parametrize('name', ['databend/metactl_status_doc.txt', 'databend/metactl_status_doc_stale_node.txt'])
def test_metactl_status_doc_sample(name):
    assert parse_metactl_status(fixture(name)) == DOC_STATUS


def test_metactl_status_2023_capture():
    status = parse_metactl_status(fixture('databend/metactl_status_v1.2.163.txt'))
    assert status == {
        'binary_version': 'v1.2.163-nightly-68343bbc50-simd(1.72.0-nightly-2023-10-19T01:40:38.164468000Z)',
        'data_version': 'V002', 'raft_log_size': None, 'raft_log': None, 'db_size': 5248026, 'snapshot_key_count': None,
        'node': node(0, 'yuri.everpcpc.com:28004'), 'state': 'Leader', 'is_leader': True,
        'leader': node(0, 'yuri.everpcpc.com:28004'), 'current_term': 1, 'last_seq': 8218, 'last_log_index': 8160,
        'last_applied': log_id(1, 0, 8160), 'snapshot_last_log_id': log_id(1, 0, 7167), 'purged': log_id(1, 0, 6167),
        'replication': {0: log_id(1, 0, 8160)}, 'voters': [node(0, 'yuri.everpcpc.com:28004')], 'non_voters': [],
        'extra': {}}


RAFT_LOG = {
    'cache_items': 12, 'cache_used_size': 4096, 'wal_total_size': 1048576, 'wal_open_chunk_size': 524288,
    'wal_offset': 1048576, 'wal_closed_chunk_count': 2, 'wal_closed_chunk_total_size': 524288,
    'wal_closed_chunk_sizes': {'ChunkId(00_000_000_000_000_000_000)': 262144, 'ChunkId(00_000_000_000_000_262_144)': 262144}}


def test_metactl_status_current_format():
    status = parse_metactl_status(fixture('databend/metactl_status_constructed_v1.2.9xx.txt'))
    assert status['raft_log'] == RAFT_LOG
    assert status['raft_log_size'] == 1048576
    assert status['node'] == node(1, '10.89.0.11:28004', '10.89.0.11:9191')
    assert status['leader'] == node(1, '10.89.0.11:28004', '10.89.0.11:9191')
    assert status['replication'] == {1: log_id(3, 1, 812), 2: log_id(3, 1, 812), 3: log_id(3, 1, 790)}
    assert [member['id'] for member in status['voters']] == [1, 2, 3]
    assert status['non_voters'] == [node(4, '10.89.0.14:28004')]
    assert (status['snapshot_last_log_id'], status['purged']) == (log_id(3, 1, 700), log_id(2, 1, 600))


def test_metactl_status_follower_and_unknown_labels():
    text = ('BinaryVersion: v1.2.925\nDataVersion: V004\nNode: id=2 raft=10.89.0.12:28004\nState: Follower\n'
            'Leader: id=1 raft=10.89.0.11:28004 grpc=10.89.0.11:9191\nCurrentTerm: 3\nLastSeq: 9\nLastLogIndex: 8\n'
            'LastApplied: T3-N1.8\nFutureField: 42\n')
    status = parse_metactl_status(text)
    assert (status['state'], status['is_leader'], status['leader']['id']) == ('Follower', False, 1)
    assert status['extra'] == {'FutureField': '42'}
    assert sorted(status.keys()) == sorted(STATUS_KEYS)


def test_metactl_debug_node_with_grpc():
    text = ('Node: id=0 raft=127.0.0.1:28004\nState: Candidate\n'
            'Leader: Node { name: "1", endpoint: 10.0.0.1:28004, grpc_api_advertise_address: Some("10.0.0.1:9191") }\n')
    status = parse_metactl_status(text)
    assert status['leader'] == node(1, '10.0.0.1:28004', '10.0.0.1:9191')
    assert status['is_leader'] is False


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse databend-metactl status: the output is empty'),
    ('State: Leader\n', 'cannot parse databend-metactl status: no node line'),
    ('BinaryVersion: v1\n', 'cannot parse databend-metactl status: no state, node line'),
    ('  - id=0 raft=a:1 grpc=\n', "cannot parse databend-metactl status: line 1: list item outside a section: '  - id=0 raft=a:1 grpc='"),
    ('State: Leader\nnonsense\n', "cannot parse databend-metactl status: line 2: expected \"Label: value\", got 'nonsense'"),
    ('State: Leader\nCurrentTerm: one\n', "cannot parse databend-metactl status: CurrentTerm: expected an integer, got 'one'"),
    ('State: Leader\nNode: 127.0.0.1:28004\n',
     "cannot parse databend-metactl status: expected a node \"id=<id> raft=<host:port> grpc=<addr>\", got '127.0.0.1:28004'"),
    ('State: Leader\nVoters:\n  id=0\n', "cannot parse databend-metactl status: expected a \"  - \" list item under Voters:, got '  id=0'"),
    ('State: Leader\nReplication:\n  - 0 1-0-8\n',
     "cannot parse databend-metactl status: expected \"[<id>] <log id>\" under Replication:, got '0 1-0-8'"),
    ('State: Leader\nLastApplied: 8\n',
     "cannot parse raft log id: expected T<term>-N<node>.<index> or <term>-<node>-<index>, got '8'"),
])
def test_metactl_status_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_metactl_status(text)
    assert str(excinfo.value) == message


def test_cluster_status_docs_json():
    status = parse_meta_cluster_status(fixture('databend/meta_cluster_status_docs.json'))
    assert status == {
        'binary_version': None, 'data_version': None, 'raft_log_size': None, 'raft_log': None, 'db_size': 18899209,
        'snapshot_key_count': None, 'node': node(1, 'localhost:28004'), 'state': 'Follower', 'is_leader': False,
        'leader': node(2, 'localhost:28104', '0.0.0.0:9192'), 'current_term': 67, 'last_seq': 60665,
        'last_log_index': 53067, 'last_applied': log_id(67, None, 53067), 'snapshot_last_log_id': None, 'purged': None,
        'replication': {}, 'voters': [node(1, 'localhost:28004'), node(2, 'localhost:28104', '0.0.0.0:9192')],
        'non_voters': [], 'extra': {}}


def test_cluster_status_current_json_matches_metactl_shape():
    status = parse_meta_cluster_status(fixture('databend/meta_cluster_status_constructed.json'))
    text_status = parse_metactl_status(fixture('databend/metactl_status_constructed_v1.2.9xx.txt'))
    for key in ('binary_version', 'data_version', 'raft_log_size', 'raft_log', 'snapshot_key_count', 'node', 'state',
                'is_leader', 'leader', 'current_term', 'last_seq', 'last_log_index', 'last_applied',
                'snapshot_last_log_id'):
        assert status[key] == text_status[key], key
    assert status['purged'] is None
    assert status['replication'] == {1: log_id(3, 1, 812), 2: log_id(3, 1, 812), 3: None}
    assert status['voters'][2] == node(3, '10.89.0.13:28004')
    assert status['extra'] == {}


def test_cluster_status_derives_is_leader_and_keeps_unknown_keys():
    status = parse_meta_cluster_status('{"id": 3, "state": "Leader", "endpoint": null, "snapshot_key_space_stat": {"kv": 3}}')
    assert (status['is_leader'], status['node'], status['extra']) == (True, node(3, None), {'snapshot_key_space_stat': {'kv': 3}})


@pytest.mark.parametrize('text, message', [
    (fixture('databend/meta_cluster_status_docs_elided.json'),
     'cannot parse databend-meta /v1/cluster/status: not valid JSON: Expecting value: line 15 column 15 (char 355)'),
    (None, 'cannot parse databend-meta /v1/cluster/status: not valid JSON: the JSON object must be str, bytes or bytearray, not NoneType'),
    ('[]', 'cannot parse databend-meta /v1/cluster/status: expected a JSON object with "id" and "state"'),
    ('{"id": 1}', 'cannot parse databend-meta /v1/cluster/status: expected a JSON object with "id" and "state"'),
    ('{"id": 1, "state": "Leader", "last_applied": {"term": 1}}',
     "cannot parse databend-meta /v1/cluster/status: expected a log id object with an index, got {'term': 1}"),
    ('{"id": 1, "state": "Leader", "leader": {"endpoint": "a:1"}}',
     "cannot parse databend-meta /v1/cluster/status: expected a node object with a name, got {'endpoint': 'a:1'}"),
])
def test_cluster_status_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_meta_cluster_status(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize('text, expected', [
    ('{"status":"pass"}', {'healthy': True, 'status': 'pass'}),
    ('{"status":"fail"}', {'healthy': False, 'status': 'fail'}),
])
def test_parse_health_json(text, expected):
    assert parse_health_json(text) == expected


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse databend /v1/health: not valid JSON: Expecting value: line 1 column 1 (char 0)'),
    ('{"ok":true}', 'cannot parse databend /v1/health: expected a JSON object with "status", got \'{"ok":true}\''),
])
def test_parse_health_json_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_health_json(text)
    assert str(excinfo.value) == message
