#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: databend_meta_status
short_description: Judge the raft cluster of databend-meta from every node's admin API, optionally waiting for quorum or a node's catch-up
version_added: 0.1.0
description:
  - Reads C(GET <admin_url>/v1/cluster/status) of every databend-meta node in O(admin_urls) and judges the raft
    cluster from the answers. Every layout of that status since the 1.2 releases is read (C(db_size)/C(key_num)
    up to 1.2.657, C(raft_log_size)/C(snapshot_key_count) in 1.2.658 to 1.2.662, the C(raft_log) object from
    1.2.663, an C(endpoint) that may be C(null) from 1.2.819).
  - The cluster has quorum when every node that answers names the same leader, the voter set (as the leader reports
    it) has O(expected_voters) members, and a majority of the voters answers. Quorum is never claimed without a
    leader; the nodes that do not answer are listed in RV(down).
  - O(node) is caught up when the cluster has quorum and O(node) answers as a C(Follower) (not C(Leader),
    C(Candidate) or C(Learner)), is a voter, and its C(last_applied.index) is at most O(max_lag) behind the
    C(last_applied.index) the leader reports of itself.
  - With O(wait_for=quorum) or O(wait_for=caught_up) it polls until the condition holds for O(stable_checks)
    consecutive checks, and fails with the last observation and what was missing when O(timeout) passes first.
    A node that refuses the connection or answers HTTP 5xx counts as down for that check; an answer that waiting
    cannot change (HTTP 4xx, a body that is not the status JSON) fails at once.
  - Runs wherever the admin APIs are reachable, usually the controller (C(delegate_to=localhost)). The admin API
    has no authentication; keep it on the management network.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
  - distsql.upgrade.wait
  - distsql.upgrade.admin_http
options:
  admin_urls:
    description:
      - Base URL of the admin API (C(admin_api_address), port 28002 by default) of every meta node, for example
        C(http://10.0.0.1:28002).
    type: list
    elements: str
    required: true
  expected_voters:
    description:
      - How many voters the cluster must have. Defaults to the number of O(admin_urls).
    type: int
  node:
    description:
      - Base URL of the node being upgraded, one of O(admin_urls). Its lag behind the leader is reported, and
        O(wait_for=caught_up) waits for it.
    type: str
  wait_for:
    description:
      - V(none) reads once and returns the judgement without failing.
      - V(quorum) waits until the cluster has quorum.
      - V(all_voters) waits until the cluster has quorum and every node of O(admin_urls) answers (none is down),
        the condition before a meta node stops, and after a full stop.
      - V(caught_up) waits until O(node) is caught up (and the cluster has quorum).
    type: str
    default: none
    choices: [none, quorum, all_voters, caught_up]
  max_lag:
    description:
      - How many log indexes O(node)'s C(last_applied.index) may be behind the leader's to count as caught up.
      - A lag is allowed because the leader keeps applying writes (query nodes refresh their registration every
        few seconds) between the reads of the two statuses, so an exact match would rarely hold for long.
    type: int
    default: 10
notes:
  - Node ids map to URLs through the C(id) each node reports in its own status, so the order of O(admin_urls) does
    not matter.
seealso:
  - module: distsql.upgrade.databend_meta_leader
  - module: distsql.upgrade.databend_query_node
'''

EXAMPLES = r'''
- name: Read the meta cluster once
  distsql.upgrade.databend_meta_status:
    admin_urls:
      - http://10.0.0.1:28002
      - http://10.0.0.2:28002
      - http://10.0.0.3:28002
  delegate_to: localhost
  register: meta

- name: Wait until the restarted meta node is a caught-up follower again
  distsql.upgrade.databend_meta_status:
    admin_urls: "{{ databend_meta_admin_urls }}"
    node: "http://{{ ansible_host }}:28002"
    wait_for: caught_up
    max_lag: 20
    timeout: 300
    interval: 2
    stable_checks: 3
  delegate_to: localhost

- name: Give the admin URLs once to every Databend module of a play
  module_defaults:
    group/distsql.upgrade.databend_meta:
      admin_urls: "{{ databend_meta_admin_urls }}"
  block:
    - name: Wait for quorum
      distsql.upgrade.databend_meta_status:
        wait_for: quorum
      delegate_to: localhost
'''

RETURN = r'''
leader:
  description: The node id every answering node names as leader; C(null) without one agreed leader.
  returned: success, and on a wait timeout (the last observation)
  type: int
  sample: 1
leader_url:
  description: The admin URL of the leader; C(null) when the leader does not answer at any of O(admin_urls).
  returned: success, and on a wait timeout
  type: str
  sample: http://10.0.0.1:28002
voters:
  description: Voter ids as the leader (or a node naming it) reports them; empty without a leader.
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: [1, 2, 3]
nodes:
  description: One entry per admin URL, in the order of O(admin_urls).
  returned: success, and on a wait timeout
  type: list
  elements: dict
  contains:
    url:
      description: The admin URL.
      type: str
    id:
      description: The node id it reports (absent when it did not answer).
      type: int
    state:
      description: C(Leader), C(Follower), C(Candidate), C(Learner) or C(Shutdown).
      type: str
    is_leader:
      description: It reports itself as the leader.
      type: bool
    leader:
      description: The leader id it names (C(null) when it knows none).
      type: int
    last_applied_index:
      description: The index of its C(last_applied) log id.
      type: int
    binary_version:
      description: Its C(binary_version), when the status has one.
      type: str
    error:
      description: Why it did not answer (only then).
      type: str
  sample:
    - {url: "http://10.0.0.1:28002", id: 1, state: Leader, is_leader: true, leader: 1, last_applied_index: 812,
       binary_version: "v1.2.770-nightly-3b0d1a2c4e-simd(1.85.0-nightly-2025-02-14T11:57:01.874747910Z)"}
    - {url: "http://10.0.0.2:28002", error: "GET http://10.0.0.2:28002/v1/cluster/status failed: [Errno 111] Connection refused"}
down:
  description: The admin URLs that did not answer.
  returned: success, and on a wait timeout
  type: list
  elements: str
  sample: ["http://10.0.0.2:28002"]
quorum:
  description: The cluster has quorum (see the description).
  returned: success, and on a wait timeout
  type: bool
  sample: true
all_voters:
  description: The cluster has quorum and every node of O(admin_urls) answers.
  returned: success, and on a wait timeout
  type: bool
  sample: true
caught_up:
  description: O(node) is caught up.
  returned: when O(node) is given
  type: bool
  sample: false
lag:
  description: How many log indexes O(node) is behind the leader (never below 0); C(null) when unknown.
  returned: when O(node) is given
  type: int
  sample: 3
node_id:
  description: The id O(node) reports; C(null) when it did not answer.
  returned: when O(node) is given
  type: int
  sample: 2
healthy:
  description: The O(wait_for) condition holds (RV(quorum) for V(none) and V(quorum), RV(all_voters) for
    V(all_voters), RV(caught_up) for V(caught_up)).
  returned: success, and on a wait timeout
  type: bool
  sample: true
reason:
  description: What is missing for O(wait_for)'s condition, C(; )-joined; C(null) when it holds.
  returned: success, and on a wait timeout
  type: str
  sample: "node n2 lags 153 behind the leader (max_lag 10)"
trace:
  description: One short entry per check (the last 100) while waiting.
  returned: when O(wait_for) is not V(none)
  type: list
  elements: dict
  sample:
    - {elapsed: 0.02, leader: null, down: ["http://10.0.0.2:28002"], healthy: false, reason: "no leader"}
    - {elapsed: 2.05, leader: 1, down: [], healthy: true}
checks:
  description: How many times the statuses were read.
  returned: always
  type: int
  sample: 4
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 6.1
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC, poll

CONDITION = {'none': 'quorum', 'quorum': 'quorum', 'all_voters': 'all_voters', 'caught_up': 'caught_up'}
DESCRIBE = {'quorum': 'the meta cluster to have quorum', 'all_voters': 'every meta node to answer in a cluster with quorum',
            'caught_up': 'meta node %s to catch up with the leader'}


def normalized_params(module, admin_api):
    params = dict(module.params)
    params['admin_urls'] = [admin_api.base_url(url, 'admin_urls') for url in params['admin_urls']]
    if not params['admin_urls']:
        raise DistsqlError('admin_urls is empty: give the admin API base URL of every meta node')
    duplicates = sorted(set(url for url in params['admin_urls'] if params['admin_urls'].count(url) > 1))
    if duplicates:
        raise DistsqlError('admin_urls lists %s more than once' % ', '.join(duplicates))
    if params['node'] is not None:
        params['node'] = admin_api.base_url(params['node'], 'node')
        if params['node'] not in params['admin_urls']:
            raise DistsqlError('node %s is not one of admin_urls (%s)' % (params['node'], ', '.join(params['admin_urls'])))
    if params['expected_voters'] is None:
        params['expected_voters'] = len(params['admin_urls'])
    if params['max_lag'] < 0:
        raise DistsqlError('max_lag must be 0 or more, got %d' % params['max_lag'])
    return params


def observe(meta_cluster, admin_api, params):
    """The judgement of one check; an EndpointError (wrong URL) propagates."""
    observations = meta_cluster.read_statuses(params['admin_urls'], **admin_api.request_options(params))
    judgement = meta_cluster.judge(observations, expected_voters=params['expected_voters'], node=params['node'],
                                   max_lag=params['max_lag'])
    condition = CONDITION[params['wait_for']]
    reasons = judgement['%s_reasons' % condition]
    judgement['healthy'] = not reasons
    judgement['reason'] = '; '.join(reasons) or None
    return judgement


def wait(meta_cluster, admin_api, params, condition, describe):
    """Poll until healthy; an answer waiting cannot change (EndpointError) ends the wait at once."""

    def checked():
        try:
            return observe(meta_cluster, admin_api, params)
        except meta_cluster.EndpointError as exc:
            return {'endpoint_error': exc}

    def satisfied(state):
        if 'endpoint_error' in state:
            raise state['endpoint_error']
        return state['healthy']

    return poll(checked, satisfied, params, describe, trace=lambda state: meta_cluster.trace_entry(state, condition))


def result_of(state):
    """The module result keys of an observation (the per-condition reason lists stay internal)."""
    return dict((key, value) for key, value in state.items() if not key.endswith('_reasons'))


def main():
    argument_spec = dict(
        admin_urls=dict(type='list', elements='str', required=True),
        expected_voters=dict(type='int'),
        node=dict(type='str'),
        wait_for=dict(type='str', default='none', choices=['none', 'quorum', 'all_voters', 'caught_up']),
        max_lag=dict(type='int', default=10),
    )
    engine = get_engine('databend_meta')
    admin_api, meta_cluster = engine.capability('admin_api'), engine.capability('meta_cluster')
    argument_spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    argument_spec.update(copy.deepcopy(admin_api.HTTP_ARGUMENT_SPEC))
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('wait_for', 'caught_up', ('node',))],
        supports_check_mode=True,
    )
    try:
        params = normalized_params(module, admin_api)
        condition = CONDITION[params['wait_for']]
        describe = DESCRIBE[condition] % params['node'] if condition == 'caught_up' else DESCRIBE[condition]
        if params['wait_for'] == 'none':
            result = poll(lambda: observe(meta_cluster, admin_api, params), None, params, describe)
        else:
            result = wait(meta_cluster, admin_api, params, condition, describe)
    except WaitTimeout as exc:
        failure = result_of(exc.as_result())
        why = failure.get('reason') or failure.get('error')
        if why:
            failure['msg'] = '%s: %s' % (failure['msg'], why)
        module.fail_json(**failure)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result_of(result.as_result()))


if __name__ == '__main__':
    main()
