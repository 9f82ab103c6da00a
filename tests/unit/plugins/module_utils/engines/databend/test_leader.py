# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving databend-meta leadership: the decision, the versions of the route, its answers (flow-surfaces section 1.1)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
from urllib.error import HTTPError

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.leader import (
    NotLeader, TransferRefused, binary_triple, decide, moved_reasons, parse_not_leader, parse_transfer_response,
    trigger_transfer)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.meta_cluster import judge
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

from .test_meta_cluster import HEALTHY, URLS, seen, status_json

# The exact 404 body of a node that is not the leader (code src/meta/service/src/api/http/v1/ctrl.rs).
NOT_LEADER = 'This node is not leader, can not transfer leadership;\nid=2\ncurrent_leader=Some(1)\nvoter_ids=[1, 2, 3]'
OLD = 'v1.2.598-nightly-1f2e3d4c5b-simd(1.78.0-nightly-2024-08-01T00:00:00.000000000Z)'


@pytest.mark.parametrize('text, triple', [
    ('v1.2.709-nightly-6887233c0e-simd(1.85.0-nightly-2025-01-10T02:15:33Z)', (1, 2, 709)),
    ('v1.2.925-patch-9-3b0d1a2c4e(rust-1.88.0)', (1, 2, 925)),
    ('1.2.600', (1, 2, 600)),
    (None, None), ('', None), ('unknown', None),
])
def test_binary_triple(text, triple):
    assert binary_triple(text) == triple


def test_parse_transfer_response_of_both_eras():
    expected = {'from': 1, 'to': 2, 'voter_ids': [1, 2, 3]}
    assert parse_transfer_response('{"from":1,"to":2,"voter_ids":[1,2,3]}') == expected
    assert parse_transfer_response('null') is None  # 1.2.599 and 1.2.600


@pytest.mark.parametrize('body, message', [
    ('<html/>', "cannot parse GET /v1/ctrl/trigger_transfer_leader response: the body is not JSON: '<html/>'"),
    ('{"from":1}', 'cannot parse GET /v1/ctrl/trigger_transfer_leader response: expected null or {"from", "to", '
                   '"voter_ids"}, got \'{"from":1}\''),
])
def test_parse_transfer_response_errors(body, message):
    with pytest.raises(OutputParseError) as caught:
        parse_transfer_response(body)
    assert str(caught.value) == message


def test_parse_not_leader():
    assert parse_not_leader(NOT_LEADER) == {'id': 2, 'current_leader': 1, 'voter_ids': [1, 2, 3]}
    no_leader = NOT_LEADER.replace('Some(1)', 'None')
    assert parse_not_leader(no_leader) == {'id': 2, 'current_leader': None, 'voter_ids': [1, 2, 3]}
    assert parse_not_leader('Not Found') is None
    assert parse_not_leader('') is None


# -- decide ------------------------------------------------------------------------------------------------------


def cluster(*statuses):
    return judge(seen(*statuses))


def test_away_from_a_follower_does_nothing():
    decision = decide(cluster(*HEALTHY), URLS[1])
    assert decision == {'action': 'none', 'reasons': [], 'from': None, 'to': None, 'leader': 1,
                        'leader_url': URLS[0], 'away_id': 2}


def test_away_from_the_leader_picks_the_first_caught_up_follower():
    statuses = (HEALTHY[0], status_json(2, 'Follower', 1, 700), HEALTHY[2])
    decision = decide(cluster(*statuses), URLS[0], max_lag=10)
    assert decision == {'action': 'transfer', 'reasons': [], 'from': 1, 'to': 3, 'leader': 1, 'leader_url': URLS[0],
                        'away_id': 1}


def test_the_given_to_is_used():
    assert decide(cluster(*HEALTHY), URLS[0], to=2)['to'] == 2


def test_waits_while_no_voter_can_take_over():
    statuses = (HEALTHY[0], status_json(2, 'Follower', 1, 700), None)
    decision = decide(cluster(*statuses), URLS[0], max_lag=10)
    assert decision['action'] == 'wait'
    assert decision['reasons'] == ['no other voter can take over leadership: n2 lags 112 behind the leader '
                                   '(max_lag 10); n3 answers at none of admin_urls']


def test_waits_for_the_given_to():
    statuses = (HEALTHY[0], HEALTHY[1], status_json(3, 'Learner', 1, 812))
    decision = decide(cluster(*statuses), URLS[0], to=3)
    assert decision['action'] == 'wait' and decision['reasons'] == ['n3 is Learner']


def test_waits_without_an_agreed_leader():
    statuses = (status_json(1, 'Candidate', None, 812), HEALTHY[1], HEALTHY[2])
    decision = decide(cluster(*statuses), URLS[0])
    assert decision['action'] == 'wait'
    assert decision['reasons'] == ['the nodes do not agree on a leader (n1: none, n2: n1, n3: n1)']


def test_away_from_a_node_that_does_not_answer():
    assert decide(cluster(HEALTHY[0], None, HEALTHY[2]), URLS[1])['action'] == 'none'
    decision = decide(cluster(None, HEALTHY[1], HEALTHY[2]), URLS[0])
    assert decision['action'] == 'wait'
    assert decision['reasons'] == ['cannot tell whether %s is the leader: it does not answer and the leader n1 '
                                   'answers at none of admin_urls' % URLS[0]]


def test_a_leader_older_than_the_route_is_refused():
    statuses = (status_json(1, 'Leader', 1, 812, binary_version=OLD), HEALTHY[1], HEALTHY[2])
    with pytest.raises(TransferRefused) as caught:
        decide(cluster(*statuses), URLS[0])
    assert str(caught.value) == (
        'cannot move leadership away from http://10.89.0.11:28002 (n1): it runs databend-meta 1.2.598, which has no '
        '/v1/ctrl/trigger_transfer_leader (added in 1.2.599); upgrade it with a restart while it leads, which costs '
        'one leader election (no meta writes until the other voters elect a new leader)')


@pytest.mark.parametrize('version', ['v1.2.599-nightly-aaaaaaaaaa-simd(x)', 'v1.2.600-nightly-aaaaaaaaaa-simd(x)'])
def test_the_first_versions_with_the_route_get_a_to(version):
    statuses = (status_json(1, 'Leader', 1, 812, binary_version=version), HEALTHY[1], HEALTHY[2])
    assert decide(cluster(*statuses), URLS[0])['to'] == 2


def test_a_status_without_binary_version_is_not_refused():
    statuses = (status_json(1, 'Leader', 1, 812), HEALTHY[1], HEALTHY[2])
    judgement = cluster(*statuses)
    del judgement['nodes'][0]['binary_version']
    assert decide(judgement, URLS[0])['action'] == 'transfer'


@pytest.mark.parametrize('to, message', [
    (1, 'to=1 is the leader that leadership must move away from'),
    (7, 'to=7 is not a voter of the meta cluster (voters: 1, 2, 3)'),
])
def test_a_bad_to_is_refused(to, message):
    with pytest.raises(TransferRefused) as caught:
        decide(cluster(*HEALTHY), URLS[0], to=to)
    assert str(caught.value) == message


def test_away_from_must_be_one_of_the_urls():
    with pytest.raises(DistsqlError) as caught:
        decide(cluster(*HEALTHY), 'http://10.89.0.19:28002')
    assert str(caught.value) == 'away_from http://10.89.0.19:28002 is not one of admin_urls'


def test_moved_reasons():
    moved = (status_json(1, 'Follower', 2, 812), status_json(2, 'Leader', 2, 812), status_json(3, 'Follower', 2, 812))
    assert moved_reasons(cluster(*moved), 1) == []
    assert moved_reasons(cluster(*HEALTHY), 1) == ['n1 is still the leader']
    electing = (status_json(1, 'Follower', None, 812), status_json(2, 'Candidate', None, 812), HEALTHY[2])
    assert moved_reasons(cluster(*electing), 1) == ['the nodes do not agree on a leader (n1: none, n2: none, n3: n1)']


# -- the call ----------------------------------------------------------------------------------------------------


class Answer:
    def __init__(self, body):
        self.body = body

    def getcode(self):
        return 200

    def read(self):
        return self.body.encode()


class Opener:
    def __init__(self, answer):
        self.answer, self.urls = answer, []

    def __call__(self, url, **_kwargs):
        self.urls.append(url)
        if isinstance(self.answer, Exception):
            raise self.answer
        return Answer(self.answer)


def http_error(code, body):
    return HTTPError('x', code, 'reason', {}, io.BytesIO(body.encode()))


def test_trigger_transfer_passes_to():
    opener = Opener('{"from":1,"to":3,"voter_ids":[1,2,3]}')
    assert trigger_transfer(URLS[0], 3, opener=opener) == {'from': 1, 'to': 3, 'voter_ids': [1, 2, 3]}
    assert opener.urls == ['http://10.89.0.11:28002/v1/ctrl/trigger_transfer_leader?to=3']


def test_trigger_transfer_null_answer():
    assert trigger_transfer(URLS[0], 2, opener=Opener('null')) is None


def test_trigger_transfer_not_leader():
    with pytest.raises(NotLeader) as caught:
        trigger_transfer(URLS[1], 3, opener=Opener(http_error(404, NOT_LEADER)))
    assert str(caught.value) == 'http://10.89.0.12:28002 is not the leader (it names n1)'
    assert caught.value.info == {'id': 2, 'current_leader': 1, 'voter_ids': [1, 2, 3]}


@pytest.mark.parametrize('error, message', [
    (http_error(404, ''), 'GET http://10.89.0.11:28002/v1/ctrl/trigger_transfer_leader?to=2 answered HTTP 404 with '
                          'an empty body; databend-meta serves /v1/ctrl/trigger_transfer_leader from 1.2.599 on'),
    (http_error(400, 'missing query to=<node_id_to_transfer_leader_to>'),
     'GET http://10.89.0.11:28002/v1/ctrl/trigger_transfer_leader?to=2 answered HTTP 400: missing query '
     'to=<node_id_to_transfer_leader_to>'),
])
def test_trigger_transfer_refusals(error, message):
    with pytest.raises(TransferRefused) as caught:
        trigger_transfer(URLS[0], 2, opener=Opener(error))
    assert str(caught.value) == message


def test_trigger_transfer_server_error():
    with pytest.raises(DistsqlError) as caught:
        trigger_transfer(URLS[0], 2, opener=Opener(http_error(500, 'has to forward request')))
    assert not isinstance(caught.value, TransferRefused)
    assert str(caught.value) == ('GET http://10.89.0.11:28002/v1/ctrl/trigger_transfer_leader?to=2 answered HTTP 500: '
                                 'has to forward request')


def test_trigger_transfer_body_that_is_not_the_route():
    with pytest.raises(TransferRefused) as caught:
        trigger_transfer(URLS[0], 2, opener=Opener('{"status":"pass"}'))
    assert str(caught.value) == ('GET http://10.89.0.11:28002/v1/ctrl/trigger_transfer_leader?to=2: cannot parse GET '
                                 '/v1/ctrl/trigger_transfer_leader response: expected null or {"from", "to", '
                                 '"voter_ids"}, got \'{"status":"pass"}\'')
