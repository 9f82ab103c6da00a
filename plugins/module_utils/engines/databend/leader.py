# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moving databend-meta raft leadership away from a node: GET /v1/ctrl/trigger_transfer_leader[?to=<id>].

Versions: the route exists from 1.2.599 (before, poem answers 404); 1.2.599 and 1.2.600 require ``to`` (400
``missing query to=...`` without it) and answer ``null``; from 1.2.601 ``to`` is optional (the server then takes the
next voter after itself in voter_ids, whether it is up or not) and the answer is ``{"from","to","voter_ids"}``; a node
that is not the leader answers 404 with a plain-text body naming the current leader. A 200 only means the request
was accepted: the new leader shows in /v1/cluster/status.

decide(judgement, away_from, to, max_lag)   nothing to do, wait, or transfer from whom to whom (pure)
moved_reasons(judgement, from_id)           why leadership has not visibly moved yet (pure)
parse_transfer_response(body)               the 200 body: {'from', 'to', 'voter_ids'} or None for ``null`` (pure)
parse_not_leader(body)                      the 404 "This node is not leader" body as data, None for another body (pure)
binary_triple(binary_version)               (1, 2, 709) of ``v1.2.709-nightly-<sha>-simd(...)`` (pure)
trigger_transfer(leader_url, to, ...)       the HTTP call

The target is always passed as ``to``: it is chosen among the voters that answer as caught-up Followers, so that
leadership never goes to a node that is down or behind, and the same call works on every version that has the route.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import admin_api
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.meta_cluster import (
    DEFAULT_MAX_LAG, node_name)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

TRANSFER_PATH = '/v1/ctrl/trigger_transfer_leader'
TRANSFER_SINCE = (1, 2, 599)
TO_OPTIONAL_SINCE = (1, 2, 601)
WHAT = 'GET %s response' % TRANSFER_PATH

_TRIPLE = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)')
_NOT_LEADER = re.compile(r'^This node is not leader, can not transfer leadership;\s*id=(?P<id>\d+)\s*'
                         r'current_leader=(?:Some\((?P<leader>\d+)\)|None)\s*voter_ids=\[(?P<voters>[\d,\s]*)\]')


class TransferRefused(DistsqlError):
    """A transfer that waiting will not make possible (an old binary, a bad ``to``, a route that is missing)."""


class NotLeader(DistsqlError):
    """The node asked is not the leader (HTTP 404): leadership changed between the read and the call."""

    def __init__(self, message, info):
        self.info = info
        super(NotLeader, self).__init__(message)


def binary_triple(binary_version):
    """The numeric version of a status's binary_version, None when it has none."""
    match = _TRIPLE.match(binary_version or '')
    return tuple(int(part) for part in match.groups()) if match else None


def _version_text(triple):
    return '.'.join(str(part) for part in triple)


def parse_transfer_response(body):
    """{'from', 'to', 'voter_ids'} (1.2.601+), None for the ``null`` body of 1.2.599 and 1.2.600."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        raise OutputParseError(WHAT, 'the body is not JSON: %r' % (body or '')[:120])
    if data is None:
        return None
    if not isinstance(data, dict) or not all(key in data for key in ('from', 'to', 'voter_ids')):
        raise OutputParseError(WHAT, 'expected null or {"from", "to", "voter_ids"}, got %r' % (body[:200],))
    return {'from': data['from'], 'to': data['to'], 'voter_ids': list(data['voter_ids'])}


def parse_not_leader(body):
    """{'id', 'current_leader' (None when unknown), 'voter_ids'} of the 404 not-leader text, else None."""
    match = _NOT_LEADER.match((body or '').strip())
    if not match:
        return None
    voters = [int(item) for item in match.group('voters').replace(' ', '').split(',') if item]
    leader = match.group('leader')
    return {'id': int(match.group('id')), 'current_leader': int(leader) if leader is not None else None,
            'voter_ids': voters}


# -- deciding --------------------------------------------------------------------------------------------------


def _answering(judgement):
    return dict((entry['id'], entry) for entry in judgement['nodes'] if 'error' not in entry)


def _takeover_problem(entry, leader_entry, max_lag, voter):
    """Why a voter cannot take over leadership now (None when it can)."""
    name = node_name(voter)
    if entry is None:
        return '%s answers at none of admin_urls' % name
    if entry['state'] != 'Follower':
        return '%s is %s' % (name, entry['state'])
    if entry['last_applied_index'] is None or leader_entry['last_applied_index'] is None:
        return 'the lag of %s is unknown: no last_applied in a status' % name
    lag = leader_entry['last_applied_index'] - entry['last_applied_index']
    if lag > max_lag:
        return '%s lags %d behind the leader (max_lag %d)' % (name, lag, max_lag)
    return None


def decide(judgement, away_from, to=None, max_lag=DEFAULT_MAX_LAG):
    """What to do now about leadership on ``away_from`` (an admin URL), from a meta_cluster.judge() result.

    Returns {'action': 'none' | 'wait' | 'transfer', 'reasons', 'from', 'to', 'leader', 'leader_url', 'away_id'}:
    'none' when away_from is not the leader, 'wait' (with the reasons) while the cluster has no agreed leader, or no
    voter can take over yet, 'transfer' with the leader id (from) and the target voter id (to).
    Raises TransferRefused when the leader's binary predates the route or ``to`` names no other voter.
    """
    away = next((entry for entry in judgement['nodes'] if entry['url'] == away_from), None)
    if away is None:
        raise DistsqlError('away_from %s is not one of admin_urls' % away_from)
    away_id = away.get('id')
    decision = {'action': 'wait', 'reasons': [], 'from': None, 'to': None, 'leader': judgement['leader'],
                'leader_url': judgement['leader_url'], 'away_id': away_id}
    if not judgement['quorum']:
        decision['reasons'] = list(judgement['quorum_reasons'])
        return decision
    leader = judgement['leader']
    if 'error' in away:
        if judgement['leader_url'] is None:
            decision['reasons'] = ['cannot tell whether %s is the leader: it does not answer and the leader %s '
                                   'answers at none of admin_urls' % (away_from, node_name(leader))]
            return decision
        decision['action'] = 'none'
        return decision
    if leader != away_id:
        decision['action'] = 'none'
        return decision
    _check_version(away, away_from)
    target, reasons = _target(judgement, away, to, max_lag)
    if target is None:
        decision['reasons'] = reasons
        return decision
    decision.update(action='transfer', reasons=[], to=target)
    decision['from'] = leader
    return decision


def _check_version(leader_entry, url):
    triple = binary_triple(leader_entry.get('binary_version'))
    if triple is not None and triple < TRANSFER_SINCE:
        raise TransferRefused(
            'cannot move leadership away from %s (%s): it runs databend-meta %s, which has no %s (added in %s); '
            'upgrade it with a restart while it leads, which costs one leader election (no meta writes until the '
            'other voters elect a new leader)'
            % (url, node_name(leader_entry['id']), _version_text(triple), TRANSFER_PATH, _version_text(TRANSFER_SINCE)))


def _target(judgement, leader_entry, to, max_lag):
    """(voter id, []) of the node to hand leadership to, or (None, reasons) while none can take it."""
    leader, voters = leader_entry['id'], judgement['voters']
    answering = _answering(judgement)
    if to is not None:
        if to == leader:
            raise TransferRefused('to=%s is the leader that leadership must move away from' % to)
        if to not in voters:
            raise TransferRefused('to=%s is not a voter of the meta cluster (voters: %s)'
                                  % (to, ', '.join(str(voter) for voter in voters)))
        problem = _takeover_problem(answering.get(to), leader_entry, max_lag, to)
        return (None, [problem]) if problem else (to, [])
    reasons = []
    for voter in voters:
        if voter == leader:
            continue
        problem = _takeover_problem(answering.get(voter), leader_entry, max_lag, voter)
        if problem is None:
            return voter, []
        reasons.append(problem)
    return None, ['no other voter can take over leadership: %s' % ('; '.join(reasons) or 'there is none')]


def moved_reasons(judgement, from_id):
    """Why leadership has not moved away from ``from_id`` yet, as every answering node sees it ([] when it has)."""
    if not judgement['quorum']:
        return list(judgement['quorum_reasons'])
    if judgement['leader'] == from_id:
        return ['%s is still the leader' % node_name(from_id)]
    return []


# -- the call --------------------------------------------------------------------------------------------------


def trigger_transfer(leader_url, to, opener=None, **request):
    """GET <leader_url>/v1/ctrl/trigger_transfer_leader?to=<to>; the parsed 200 body (None for ``null``).

    Raises NotLeader for the 404 not-leader answer, TransferRefused for any other 4xx or a body that is not the
    route's, DistsqlError for a connection failure or HTTP 5xx (openraft refusing the transfer).
    """
    kwargs = dict(request, opener=opener) if opener else request
    try:
        body = admin_api.get(leader_url, TRANSFER_PATH, query={'to': to}, **kwargs)
    except admin_api.HttpStatusError as exc:
        info = parse_not_leader(exc.body) if exc.status == 404 else None
        if info is not None:
            raise NotLeader('%s is not the leader (it names %s)' % (
                leader_url, node_name(info['current_leader']) if info['current_leader'] is not None else 'none'),
                info)
        if exc.status == 404:
            raise TransferRefused('%s; databend-meta serves %s from %s on' % (
                exc, TRANSFER_PATH, _version_text(TRANSFER_SINCE)))
        raise TransferRefused(str(exc))
    try:
        return parse_transfer_response(body)
    except OutputParseError as exc:
        raise TransferRefused('GET %s%s?to=%s: %s' % (leader_url, TRANSFER_PATH, to, exc))
