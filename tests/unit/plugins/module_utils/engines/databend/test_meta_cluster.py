# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The databend-meta raft cluster judged from every node's /v1/cluster/status.

Statuses are the constructed fixtures (tests/unit/fixtures/databend/meta_cluster_status_*_constructed.json, built
from the field order flow-surfaces-databend.md section 1.2 documents per version) with id, state, leader and
last_applied set per node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.meta_cluster import (
    EndpointError, judge, node_entry, read_status, read_statuses, trace_entry)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.status import parse_meta_cluster_status
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
CURRENT = 'databend/meta_cluster_status_constructed.json'            # 1.2.925, raft_log{}
V636 = 'databend/meta_cluster_status_v1.2.636_follower_constructed.json'   # db_size, key_num
V660 = 'databend/meta_cluster_status_v1.2.660_leader_constructed.json'     # raft_log_size, snapshot_key_count
V709_CANDIDATE = 'databend/meta_cluster_status_v1.2.709_candidate_constructed.json'
V828_NULL_ENDPOINT = 'databend/meta_cluster_status_v1.2.828_endpoint_null_constructed.json'
URLS = ['http://10.89.0.11:28002', 'http://10.89.0.12:28002', 'http://10.89.0.13:28002']


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def node_json(node_id):
    return {'name': str(node_id), 'endpoint': {'addr': '10.89.0.1%d' % node_id, 'port': 28004},
            'grpc_api_advertise_address': '10.89.0.1%d:9191' % node_id}


def status_json(node_id, state, leader, index, voters=(1, 2, 3), template=CURRENT, **extra):
    """The template's JSON (its field order kept) with this node's values."""
    data = json.loads(fixture(template))
    data.update(id=node_id, state=state, is_leader=state == 'Leader',
                last_applied={'leader_id': {'term': 3, 'node_id': leader or 1}, 'index': index},
                leader=node_json(leader) if leader is not None else None,
                voters=[node_json(voter) for voter in voters])
    if state != 'Leader':
        data['replication'] = None
    data.update(extra)
    return json.dumps(data)


def seen(*statuses):
    """Observations for URLS: a JSON text per node, or None for a node that does not answer."""
    observations = []
    for url, text in zip(URLS, statuses):
        if text is None:
            observations.append({'url': url, 'status': None,
                                 'error': 'GET %s/v1/cluster/status failed: [Errno 111] Connection refused' % url})
        else:
            observations.append({'url': url, 'status': parse_meta_cluster_status(text), 'error': None})
    return observations


HEALTHY = (status_json(1, 'Leader', 1, 812), status_json(2, 'Follower', 1, 810), status_json(3, 'Follower', 1, 812))


# -- the documented status variants ------------------------------------------------------------------------------


@pytest.mark.parametrize('name, expected', [
    (CURRENT, {'url': URLS[0], 'id': 1, 'state': 'Leader', 'is_leader': True, 'leader': 1, 'last_applied_index': 812,
               'binary_version': 'v1.2.925-patch-9-3b0d1a2c4e(rust-1.88.0-nightly-2025-10-17T05:28:23.036793000Z)'}),
    (V636, {'url': URLS[0], 'id': 2, 'state': 'Follower', 'is_leader': False, 'leader': 1, 'last_applied_index': 9208,
            'binary_version': 'v1.2.636-nightly-5d2f0e1a7b-simd(1.80.0-nightly-2024-09-20T03:11:42.093124000Z)'}),
    (V660, {'url': URLS[0], 'id': 1, 'state': 'Leader', 'is_leader': True, 'leader': 1, 'last_applied_index': 9650,
            'binary_version': 'v1.2.660-nightly-0c9e4b2a61-simd(1.81.0-nightly-2024-10-28T09:40:17.551020000Z)'}),
    (V709_CANDIDATE, {'url': URLS[0], 'id': 3, 'state': 'Candidate', 'is_leader': False, 'leader': None,
                      'last_applied_index': 10110,
                      'binary_version': 'v1.2.709-nightly-6887233c0e-simd(1.85.0-nightly-2025-01-10T02:15:33.120044000Z)'}),
    (V828_NULL_ENDPOINT, {'url': URLS[0], 'id': 2, 'state': 'Follower', 'is_leader': False, 'leader': 3,
                          'last_applied_index': 12040,
                          'binary_version': 'v1.2.828-nightly-9f3e27c1d4-simd(1.86.0-nightly-2025-05-30T07:48:05.702316000Z)'}),
    ('databend/meta_cluster_status_docs.json', {'url': URLS[0], 'id': 1, 'state': 'Follower', 'is_leader': False,
                                                'leader': 2, 'last_applied_index': 53067}),
])
def test_node_entry_of_every_status_variant(name, expected):
    observation = {'url': URLS[0], 'status': parse_meta_cluster_status(fixture(name)), 'error': None}
    assert node_entry(observation) == expected


def test_the_variants_keep_their_size_fields():
    assert parse_meta_cluster_status(fixture(V636))['db_size'] == 4587520
    assert parse_meta_cluster_status(fixture(V636))['extra'] == {'key_num': 1203}
    assert parse_meta_cluster_status(fixture(V660))['raft_log_size'] == 3145728
    node = parse_meta_cluster_status(fixture(V828_NULL_ENDPOINT))['node']
    assert node == {'id': 2, 'raft': None, 'grpc': '10.89.0.12:9191'}


def test_a_cluster_of_mixed_variants_during_an_upgrade():
    """1.2.636 follower, 1.2.660 leader, 1.2.709 follower: one cluster mid-upgrade, every layout read alike."""
    observations = seen(fixture(V660), fixture(V636),
                        status_json(3, 'Follower', 1, 9649, template=V709_CANDIDATE))
    judgement = judge(observations, expected_voters=3, node=URLS[1], max_lag=10)
    assert judgement['quorum'] is True and judgement['leader'] == 1 and judgement['voters'] == [1, 2, 3]
    assert judgement['node_id'] == 2 and judgement['lag'] == 442
    assert judgement['caught_up_reasons'] == ['node n2 lags 442 behind the leader (max_lag 10)']


def test_a_node_entry_that_did_not_answer():
    assert node_entry({'url': URLS[1], 'status': None, 'error': 'boom'}) == {'url': URLS[1], 'error': 'boom'}


# -- quorum ------------------------------------------------------------------------------------------------------


def test_healthy_cluster():
    judgement = judge(seen(*HEALTHY), expected_voters=3)
    assert judgement['quorum'] is True and judgement['quorum_reasons'] == []
    assert judgement['leader'] == 1 and judgement['leader_url'] == URLS[0]
    assert judgement['voters'] == [1, 2, 3] and judgement['down'] == []
    assert [entry['last_applied_index'] for entry in judgement['nodes']] == [812, 810, 812]
    assert 'caught_up' not in judgement and 'lag' not in judgement
    assert judgement['all_voters'] is True and judgement['all_voters_reasons'] == []


def test_quorum_with_one_node_down_lists_it():
    judgement = judge(seen(HEALTHY[0], None, HEALTHY[2]), expected_voters=3)
    assert judgement['quorum'] is True and judgement['down'] == [URLS[1]]
    assert judgement['all_voters'] is False and judgement['all_voters_reasons'] == ['%s does not answer' % URLS[1]]
    assert judgement['nodes'][1] == {'url': URLS[1], 'error': 'GET %s/v1/cluster/status failed: [Errno 111] '
                                                              'Connection refused' % URLS[1]}


def test_no_leader_is_never_quorum():
    judgement = judge(seen(status_json(1, 'Candidate', None, 800), status_json(2, 'Candidate', None, 800),
                           status_json(3, 'Follower', None, 800)), expected_voters=3)
    assert judgement['quorum'] is False and judgement['leader'] is None and judgement['voters'] == []
    assert judgement['quorum_reasons'] == ['no leader']


def test_no_node_answers():
    judgement = judge(seen(None, None, None), expected_voters=3)
    assert judgement['quorum_reasons'] == ['no meta node answers'] and judgement['down'] == URLS


def test_nodes_that_disagree_on_the_leader():
    judgement = judge(seen(HEALTHY[0], HEALTHY[1], status_json(3, 'Candidate', None, 800)), expected_voters=3)
    assert judgement['quorum'] is False and judgement['leader'] is None
    assert judgement['quorum_reasons'] == ['the nodes do not agree on a leader (n1: n1, n2: n1, n3: none)']


def test_a_minority_that_answers_has_no_quorum():
    judgement = judge(seen(HEALTHY[0], None, None), expected_voters=3)
    assert judgement['leader'] == 1
    assert judgement['quorum_reasons'] == ['1 of 3 voters answer (a majority is 2)']


def test_voter_count_must_be_the_expected_one():
    observations = seen(status_json(1, 'Leader', 1, 812, voters=(1, 2)), status_json(2, 'Follower', 1, 812, voters=(1, 2)),
                        None)
    assert judge(observations, expected_voters=3)['quorum_reasons'] == ['voters 2 of 3']
    assert judge(observations, expected_voters=1)['quorum_reasons'] == ['2 voters, expected 1']
    assert judge(observations)['quorum'] is True  # no expected count


def test_the_named_leader_must_say_it_leads():
    judgement = judge(seen(status_json(1, 'Follower', 1, 812), HEALTHY[1], HEALTHY[2]), expected_voters=3)
    assert judgement['quorum_reasons'] == ['n1 is named the leader but reports Follower']


def test_two_urls_with_one_id():
    judgement = judge(seen(HEALTHY[0], HEALTHY[1], HEALTHY[1]), expected_voters=3)
    assert judgement['quorum_reasons'] == ['%s and %s both report id 2' % (URLS[1], URLS[2])]


def test_voters_come_from_a_follower_when_the_leader_is_not_asked():
    judgement = judge(seen(None, HEALTHY[1], HEALTHY[2]), expected_voters=3)
    assert judgement['quorum'] is True and judgement['leader'] == 1 and judgement['leader_url'] is None
    assert judgement['voters'] == [1, 2, 3]


# -- caught up ---------------------------------------------------------------------------------------------------


def test_caught_up_within_max_lag():
    judgement = judge(seen(*HEALTHY), expected_voters=3, node=URLS[1], max_lag=10)
    assert judgement['caught_up'] is True and judgement['lag'] == 2 and judgement['node_id'] == 2


@pytest.mark.parametrize('statuses, reasons, lag', [
    ((HEALTHY[0], status_json(2, 'Follower', 1, 659), HEALTHY[2]),
     ['node n2 lags 153 behind the leader (max_lag 10)'], 153),
    ((HEALTHY[0], status_json(2, 'Candidate', None, 812), HEALTHY[2]),
     ['the nodes do not agree on a leader (n1: n1, n2: none, n3: n1)', 'node n2 is Candidate'], None),
    ((HEALTHY[0], status_json(2, 'Learner', 1, 812), HEALTHY[2]), ['node n2 is Learner'], 0),
    ((HEALTHY[0], None, HEALTHY[2]), ['node %s does not answer' % URLS[1]], None),
    ((status_json(1, 'Leader', 1, 812, voters=(1, 3)), status_json(2, 'Follower', 1, 812, voters=(1, 3)),
      status_json(3, 'Follower', 1, 812, voters=(1, 3))), ['voters 2 of 3', 'node n2 is not a voter'], 0),
    ((status_json(1, 'Follower', 2, 812), status_json(2, 'Leader', 2, 812), status_json(3, 'Follower', 2, 812)),
     ['node n2 is Leader'], 0),
])
def test_not_caught_up(statuses, reasons, lag):
    judgement = judge(seen(*statuses), expected_voters=3, node=URLS[1], max_lag=10)
    assert judgement['caught_up'] is False
    assert judgement['caught_up_reasons'] == reasons
    assert judgement['lag'] == lag


def test_a_node_ahead_of_the_leader_reading_has_no_lag():
    judgement = judge(seen(HEALTHY[0], status_json(2, 'Follower', 1, 830), HEALTHY[2]), expected_voters=3,
                      node=URLS[1])
    assert judgement['lag'] == 0 and judgement['caught_up'] is True


def test_the_lag_is_unknown_when_the_leader_is_not_asked():
    judgement = judge(seen(None, HEALTHY[1], HEALTHY[2]), expected_voters=3, node=URLS[1])
    assert judgement['caught_up_reasons'] == ['the leader n1 answers at none of admin_urls, so the lag of node n2 is '
                                              'unknown']


def test_node_must_be_one_of_the_urls():
    with pytest.raises(DistsqlError) as caught:
        judge(seen(*HEALTHY), node='http://10.89.0.19:28002')
    assert str(caught.value) == 'node http://10.89.0.19:28002 is not one of admin_urls'


def test_trace_entry():
    healthy = judge(seen(*HEALTHY), expected_voters=3, node=URLS[1])
    assert trace_entry(healthy) == {'leader': 1, 'down': [], 'healthy': True, 'lag': 2}
    lagging = judge(seen(HEALTHY[0], status_json(2, 'Follower', 1, 659), None), expected_voters=3, node=URLS[1])
    assert trace_entry(lagging, 'caught_up') == {'leader': 1, 'down': [URLS[2]], 'healthy': False, 'lag': 153,
                                                 'reason': 'node n2 lags 153 behind the leader (max_lag 10)'}
    assert trace_entry(lagging, 'quorum')['healthy'] is True


# -- reading -----------------------------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, body):
        self.body = body

    def getcode(self):
        return 200

    def read(self):
        return self.body


class Opener:
    """Answers per URL: a body, or an exception to raise."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, url, **kwargs):
        self.calls.append(url)
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return FakeResponse(answer.encode())


def test_read_statuses_keeps_a_node_that_does_not_answer():
    opener = Opener({URLS[0] + '/v1/cluster/status': HEALTHY[0],
                     URLS[1] + '/v1/cluster/status': URLError(ConnectionRefusedError(111, 'Connection refused'))})
    observations = read_statuses(URLS[:2], opener=opener, request_timeout=1.0)
    assert observations[0]['status']['node']['id'] == 1 and observations[0]['error'] is None
    assert observations[1] == {'url': URLS[1], 'status': None,
                               'error': 'GET %s/v1/cluster/status failed: [Errno 111] Connection refused' % URLS[1]}


def test_a_wrong_url_is_an_endpoint_error():
    opener = Opener({URLS[0] + '/v1/cluster/status': HTTPError(URLS[0], 404, 'Not Found', {}, io.BytesIO(b''))})
    with pytest.raises(EndpointError) as caught:
        read_statuses(URLS[:1], opener=opener)
    assert str(caught.value) == ('GET http://10.89.0.11:28002/v1/cluster/status answered HTTP 404 with an empty body; '
                                 'expected the databend-meta admin API (admin_api_address, port 28002 by default)')


def test_a_body_that_is_not_the_status_is_an_endpoint_error():
    opener = Opener({URLS[0] + '/v1/cluster/status': '{"status":"pass"}'})
    with pytest.raises(EndpointError) as caught:
        read_status(URLS[0], opener=opener)
    assert str(caught.value) == ('GET http://10.89.0.11:28002/v1/cluster/status: cannot parse databend-meta '
                                 '/v1/cluster/status: expected a JSON object with "id" and "state"')
