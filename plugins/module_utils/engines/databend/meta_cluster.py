# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raft cluster of databend-meta as its nodes' GET /v1/cluster/status answers show it.

read_statuses(urls, ...)       one observation per admin URL: the status.py-normalized status, or the error (HTTP)
judge(observations, ...)       leader, voters, who answers, quorum and (for one node) caught-up, with the reasons (pure)
trace_entry(judgement)         the short record of one check a wait keeps

Quorum: every node that answers names the same leader, the voter set has the expected size and a majority of the
voters answers. A node that does not answer is listed in ``down``; quorum is never claimed without a leader.
Caught up: quorum, and the node answers as a Follower, is a voter and applied the log to within ``max_lag`` indexes
of what the leader reports as applied (the leader keeps applying while the two are read, so an exact match would
rarely hold on a cluster that takes writes).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import admin_api
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.status import parse_meta_cluster_status
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

STATUS_PATH = '/v1/cluster/status'
DEFAULT_MAX_LAG = 10


class EndpointError(DistsqlError):
    """An answer waiting will not change: the URL is not a databend-meta admin API (HTTP 4xx, not its JSON)."""


# -- reading ---------------------------------------------------------------------------------------------------


def read_status(url, opener=None, **request):
    """parse_meta_cluster_status() of GET <url>/v1/cluster/status; DistsqlError when it does not answer."""
    kwargs = dict(request, opener=opener) if opener else request
    try:
        body = admin_api.get(url, STATUS_PATH, **kwargs)
    except admin_api.HttpStatusError as exc:
        raise EndpointError('%s; expected the databend-meta admin API (admin_api_address, port 28002 by default)'
                            % exc)
    try:
        return parse_meta_cluster_status(body)
    except OutputParseError as exc:
        raise EndpointError('GET %s%s: %s' % (url, STATUS_PATH, exc))


def read_statuses(urls, opener=None, **request):
    """[{'url', 'status', 'error'}] in the order of ``urls``; a node that does not answer has status None.

    EndpointError (a wrong URL) propagates: waiting does not fix it.
    """
    observations = []
    for url in urls:
        try:
            observations.append({'url': url, 'status': read_status(url, opener=opener, **request), 'error': None})
        except EndpointError:
            raise
        except DistsqlError as exc:
            observations.append({'url': url, 'status': None, 'error': str(exc)})
    return observations


# -- judging ---------------------------------------------------------------------------------------------------


def node_name(node_id):
    return 'n%s' % node_id


def _leader_id(status):
    return status['leader']['id'] if status['leader'] else None


def _applied_index(status):
    return status['last_applied']['index'] if status['last_applied'] else None


def node_entry(observation):
    """{url, id, state, is_leader, leader, last_applied_index[, binary_version]} or {url, error}."""
    status = observation['status']
    if status is None:
        return {'url': observation['url'], 'error': observation['error']}
    entry = {'url': observation['url'], 'id': status['node']['id'], 'state': status['state'],
             'is_leader': bool(status['is_leader']), 'leader': _leader_id(status),
             'last_applied_index': _applied_index(status)}
    if status.get('binary_version'):
        entry['binary_version'] = status['binary_version']
    return entry


def _agreed_leader(answering, reasons):
    """The one leader id every answering node names, else None with the reason appended."""
    named = [(entry, entry['leader']) for entry in answering]
    ids = set(leader for _entry, leader in named)
    if not answering:
        reasons.append('no meta node answers')
        return None
    if ids == set([None]):
        reasons.append('no leader')
        return None
    if len(ids) > 1:
        views = ', '.join('%s: %s' % (node_name(entry['id']), node_name(leader) if leader is not None else 'none')
                          for entry, leader in named)
        reasons.append('the nodes do not agree on a leader (%s)' % views)
        return None
    return ids.pop()


def _duplicate_ids(answering, reasons):
    seen = {}
    for entry in answering:
        if entry['id'] in seen:
            reasons.append('%s and %s both report id %s' % (seen[entry['id']], entry['url'], entry['id']))
        seen.setdefault(entry['id'], entry['url'])


def judge(observations, expected_voters=None, node=None, max_lag=DEFAULT_MAX_LAG):
    """The cluster as plain data from read_statuses() observations.

    expected_voters: the voter count quorum requires (None: any). node: the URL of the node whose catch-up is judged.
    Returns leader, leader_url, voters, nodes, down, quorum, quorum_reasons, all_voters (quorum and every node
    answers), all_voters_reasons and, with ``node``: node_id, lag,
    caught_up, caught_up_reasons (the quorum reasons first). Reasons are short phrases, '; '-joined by callers.
    """
    nodes = [node_entry(observation) for observation in observations]
    answering = [entry for entry in nodes if 'error' not in entry]
    by_id = dict((entry['id'], entry) for entry in reversed(answering))
    statuses = dict((observation['url'], observation['status']) for observation in observations)
    reasons = []
    _duplicate_ids(answering, reasons)
    leader = _agreed_leader(answering, reasons)
    leader_entry = by_id.get(leader) if leader is not None else None
    if leader_entry is not None and not leader_entry['is_leader']:
        reasons.append('%s is named the leader but reports %s' % (node_name(leader), leader_entry['state']))
    voters = _voters(answering, statuses, leader, leader_entry)
    if leader is not None:
        _voter_checks(voters, answering, expected_voters, reasons)
    judgement = {
        'leader': leader,
        'leader_url': leader_entry['url'] if leader_entry else None,
        'voters': voters,
        'nodes': nodes,
        'down': [entry['url'] for entry in nodes if 'error' in entry],
        'quorum': not reasons,
        'quorum_reasons': reasons,
    }
    judgement['all_voters_reasons'] = reasons + ['%s does not answer' % url for url in judgement['down']]
    judgement['all_voters'] = not judgement['all_voters_reasons']
    if node is not None:
        judgement.update(_catch_up(judgement, nodes, leader_entry, node, max_lag))
    return judgement


def _voters(answering, statuses, leader, leader_entry):
    """Voter ids as the leader reports them, else as the first node naming that leader does."""
    if leader is None:
        return []
    source = leader_entry or next(entry for entry in answering if entry['leader'] == leader)
    return [member['id'] for member in statuses[source['url']]['voters']]


def _voter_checks(voters, answering, expected_voters, reasons):
    if expected_voters is not None and len(voters) < expected_voters:
        reasons.append('voters %d of %d' % (len(voters), expected_voters))
    elif expected_voters is not None and len(voters) > expected_voters:
        reasons.append('%d voters, expected %d' % (len(voters), expected_voters))
    majority = len(voters) // 2 + 1
    present = len(set(entry['id'] for entry in answering if entry['id'] in voters))
    if present < majority:
        reasons.append('%d of %d voters answer (a majority is %d)' % (present, len(voters), majority))


def _catch_up(judgement, nodes, leader_entry, node, max_lag):
    entry = next((item for item in nodes if item['url'] == node), None)
    if entry is None:
        raise DistsqlError('node %s is not one of admin_urls' % node)
    reasons = list(judgement['quorum_reasons'])
    result = {'node_id': entry.get('id'), 'lag': None}
    if 'error' in entry:
        reasons.append('node %s does not answer' % node)
    else:
        name = node_name(entry['id'])
        if entry['state'] != 'Follower':
            reasons.append('node %s is %s' % (name, entry['state']))
        if judgement['leader'] is not None and entry['id'] not in judgement['voters']:
            reasons.append('node %s is not a voter' % name)
        lag = _lag(entry, leader_entry, judgement, reasons)
        if lag is not None and lag > max_lag:
            reasons.append('node %s lags %s behind the leader (max_lag %s)' % (name, lag, max_lag))
        result['lag'] = lag
    result.update(caught_up=not reasons, caught_up_reasons=reasons)
    return result


def _lag(entry, leader_entry, judgement, reasons):
    """Leader's applied index minus the node's (never below 0), None when one of them is unknown."""
    if judgement['leader'] is None:
        return None
    if leader_entry is None:
        reasons.append('the leader %s answers at none of admin_urls, so the lag of node %s is unknown'
                       % (node_name(judgement['leader']), node_name(entry['id'])))
        return None
    if entry['last_applied_index'] is None or leader_entry['last_applied_index'] is None:
        reasons.append('the lag of node %s is unknown: no last_applied in a status' % node_name(entry['id']))
        return None
    return max(0, leader_entry['last_applied_index'] - entry['last_applied_index'])


def trace_entry(judgement, condition='quorum'):
    """{leader, down, healthy[, lag][, reason]} of one check."""
    reasons = judgement.get('%s_reasons' % condition, judgement['quorum_reasons'])
    entry = {'leader': judgement['leader'], 'down': judgement['down'], 'healthy': not reasons}
    if 'lag' in judgement:
        entry['lag'] = judgement['lag']
    if reasons:
        entry['reason'] = '; '.join(reasons)
    return entry
