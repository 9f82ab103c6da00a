#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: databend_meta_leader
short_description: Move databend-meta raft leadership away from a node before it is stopped
version_added: 0.1.0
description:
  - Reads C(GET <admin_url>/v1/cluster/status) of every meta node in O(admin_urls), waiting (within O(timeout))
    until the answering nodes agree on one leader and a majority of the voters answers.
  - When O(away_from) is not the leader, nothing is done (RV(changed=false)) and the current leader is returned.
  - When it is, the module asks it to hand leadership over with
    C(GET <away_from>/v1/ctrl/trigger_transfer_leader?to=<id>), then polls the statuses until every answering node
    names the same new leader, other than O(away_from), for O(stable_checks) consecutive checks.
  - The target is O(to), or else the first other voter (in the leader's voter order) that answers as a C(Follower)
    at most O(max_lag) log indexes behind the leader; the module waits for such a voter. It is always passed as
    C(to), although databend-meta 1.2.601 and later would pick one itself, because the server's own pick (the next
    voter in its list) may be down or behind.
  - Versions (of the leader's C(binary_version), when its status has one) - the route exists from 1.2.599; 1.2.599 and
    1.2.600 require C(to) and answer C(null); from 1.2.601 the answer is C({"from", "to", "voter_ids"}). A leader older
    than 1.2.599 is refused before any call, with a message saying that it has to be upgraded by a restart while it
    leads, which costs one leader election.
  - A node that is no longer the leader when it is asked answers HTTP 404 (C(This node is not leader)); the module then
    reads the statuses again and retries once.
  - The O(timeout) covers the whole run (the first read, the call and the wait for the new leader).
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the statuses and reports the transfer it would ask for (RV(from), RV(to)), without asking.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
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
  away_from:
    description:
      - Base URL of the node that must not stay leader (the one about to be stopped), one of O(admin_urls).
    type: str
    required: true
  to:
    description:
      - Id of the voter to hand leadership to. It must be a voter other than O(away_from), and the module waits until
        it answers as a caught-up C(Follower).
      - Without it the module picks the first other voter that answers as a caught-up C(Follower).
    type: int
  max_lag:
    description:
      - How many log indexes a voter may be behind the leader's C(last_applied.index) to take over leadership.
      - A lag is allowed because the leader keeps applying writes while the statuses are read.
    type: int
    default: 10
notes:
  - A C(200) answer only means the request was accepted; the module reports success only once the statuses show
    the new leader.
seealso:
  - module: distsql.upgrade.databend_meta_status
'''

EXAMPLES = r'''
- name: Move leadership away from the meta node about to be upgraded
  distsql.upgrade.databend_meta_leader:
    admin_urls:
      - http://10.0.0.1:28002
      - http://10.0.0.2:28002
      - http://10.0.0.3:28002
    away_from: http://10.0.0.1:28002
    timeout: 120
  delegate_to: localhost
  register: handover

- name: Hand leadership to node 3 with the admin URLs from module_defaults
  module_defaults:
    group/distsql.upgrade.databend_meta:
      admin_urls: "{{ databend_meta_admin_urls }}"
  distsql.upgrade.databend_meta_leader:
    away_from: "http://{{ ansible_host }}:28002"
    to: 3
  delegate_to: localhost
'''

RETURN = r'''
changed:
  description: Leadership was moved (in check mode - would be moved).
  returned: always
  type: bool
  sample: true
from:
  description: Id of the leader that leadership was moved away from; C(null) when nothing was done.
  returned: success, and on a wait timeout after the transfer was asked for
  type: int
  sample: 1
to:
  description: Id of the voter leadership was handed to (as the node answered, else as asked); C(null) when nothing was done.
  returned: success, and on a wait timeout after the transfer was asked for
  type: int
  sample: 2
leader:
  description: The leader every answering node names at the end.
  returned: success, and on a wait timeout (the last observation)
  type: int
  sample: 2
leader_url:
  description: Its admin URL (C(null) when it answers at none of O(admin_urls)).
  returned: success, and on a wait timeout
  type: str
  sample: http://10.0.0.2:28002
voters:
  description: Voter ids as the leader reports them.
  returned: success, and on a wait timeout
  type: list
  elements: int
  sample: [1, 2, 3]
nodes:
  description: What each admin URL answered last (see M(distsql.upgrade.databend_meta_status) for the keys).
  returned: success, and on a wait timeout
  type: list
  elements: dict
  sample:
    - {url: "http://10.0.0.1:28002", id: 1, state: Follower, is_leader: false, leader: 2, last_applied_index: 815}
retried:
  description: The first request got the 404 not-leader answer, so the statuses were read again.
  returned: success
  type: bool
  sample: false
reason:
  description: What was missing at the last check, C(null) when nothing was.
  returned: on a wait timeout
  type: str
  sample: n1 is still the leader
trace:
  description:
    - One short entry per check (the last 100 of each phase); C(phase) is C(before) for the reads until the
      decision, C(after) for the wait for the new leader.
  returned: always
  type: list
  elements: dict
  sample:
    - {elapsed: 0.01, phase: before, leader: 1, down: [], action: transfer}
    - {elapsed: 0.52, phase: after, leader: null, down: [], healthy: false, reason: no leader}
    - {elapsed: 1.03, phase: after, leader: 2, down: [], healthy: true}
checks:
  description: How many times the statuses were read.
  returned: always
  type: int
  sample: 5
elapsed:
  description: Seconds spent, including waiting.
  returned: always
  type: float
  sample: 3.2
'''

import copy
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC, poll

ENGINE = get_engine('databend_meta')
ADMIN_API = ENGINE.capability('admin_api')
META_CLUSTER = ENGINE.capability('meta_cluster')
LEADER = ENGINE.capability('leader')
PUBLIC = ('leader', 'leader_url', 'voters', 'nodes')
INTERNAL = ('trace_extra', 'decision', 'quorum_reasons', 'refused')


class Run:
    """One run: a deadline over every phase, the checks and trace of all of them."""

    def __init__(self, params):
        self.params = params
        self.start = time.monotonic()
        self.changed = False
        self.checks = 0
        self.trace = []
        self.request = ADMIN_API.request_options(params)

    def elapsed(self):
        return time.monotonic() - self.start

    def judge(self):
        observations = META_CLUSTER.read_statuses(self.params['admin_urls'], **self.request)
        return META_CLUSTER.judge(observations)

    def phase(self, name, observe, satisfied, describe, stable_checks):
        """poll() with what is left of the timeout; raises WaitTimeout with the run's totals."""
        offset = self.elapsed()
        params = dict(self.params, timeout=max(0.0, self.params['timeout'] - offset), stable_checks=stable_checks)

        def trace(state):
            entry = {'phase': name, 'leader': state.get('leader'), 'down': state.get('down')}
            entry.update(state.get('trace_extra') or {})
            return entry

        try:
            result = poll(observe, satisfied, params, describe, trace=trace)
        except WaitTimeout as exc:
            self._add(exc.last_state.pop('trace', None) or [], exc.checks, offset)
            failure = dict((key, value) for key, value in exc.as_result().items() if key not in INTERNAL)
            failure.update(checks=self.checks, elapsed=round(self.elapsed(), 3), trace=self.trace)
            if failure.get('reason'):
                failure['msg'] = '%s: %s' % (failure['msg'], failure['reason'])
            raise PhaseTimeout(failure)
        self._add(result.trace or [], result.checks, offset)
        return result.state

    def _add(self, entries, checks, offset):
        self.checks += checks
        for entry in entries:
            entry['elapsed'] = round(entry['elapsed'] + offset, 3)
        self.trace.extend(entries)

    def result(self, state, **extra):
        result = dict((key, state.get(key)) for key in PUBLIC)
        result.update(extra)
        result.update(checks=self.checks, elapsed=round(self.elapsed(), 3), trace=self.trace)
        return result


class PhaseTimeout(DistsqlError):
    def __init__(self, failure):
        self.failure = failure
        super(PhaseTimeout, self).__init__(failure['msg'])


def decide(run):
    """Read until the cluster has an agreed leader and the decision does not have to wait (a first read only)."""
    params = run.params

    def observe():
        try:
            judgement = run.judge()
        except META_CLUSTER.EndpointError as exc:
            return {'refused': exc}
        try:
            decision = LEADER.decide(judgement, params['away_from'], to=params['to'], max_lag=params['max_lag'])
        except LEADER.TransferRefused as exc:
            return {'refused': exc}
        state = dict(judgement, decision=decision, reason='; '.join(decision['reasons']) or None)
        state['trace_extra'] = {'action': decision['action']}
        if decision['reasons']:
            state['trace_extra']['reason'] = state['reason']
        return state

    def satisfied(state):
        if 'refused' in state:
            raise state['refused']
        return state['decision']['action'] != 'wait'

    return run.phase('before', observe, satisfied, 'a meta leader to move leadership away from %s'
                     % params['away_from'], 1)


def wait_moved(run, from_id):
    def observe():
        try:
            judgement = run.judge()
        except META_CLUSTER.EndpointError as exc:
            return {'refused': exc}
        reasons = LEADER.moved_reasons(judgement, from_id)
        state = dict(judgement, reason='; '.join(reasons) or None)
        state['trace_extra'] = {'healthy': not reasons}
        if reasons:
            state['trace_extra']['reason'] = state['reason']
        return state

    def satisfied(state):
        if 'refused' in state:
            raise state['refused']
        return state['reason'] is None

    return run.phase('after', observe, satisfied, 'leadership to move away from %s (n%s)'
                     % (run.params['away_from'], from_id), run.params['stable_checks'])


def transfer(run, check_mode):
    """The module result of the whole run."""
    retried = False
    while True:
        state = decide(run)
        decision = state['decision']
        if decision['action'] == 'none':
            return run.result(state, changed=False, retried=retried, **{'from': None, 'to': None})
        if check_mode:
            return run.result(state, changed=True, retried=retried, **{'from': decision['from'], 'to': decision['to']})
        try:
            response = LEADER.trigger_transfer(state['leader_url'], decision['to'], **run.request)
            run.changed = True
        except LEADER.NotLeader as exc:
            if retried:
                raise DistsqlError('moving leadership away from %s failed: %s, again after reading the statuses anew; '
                                   'leadership is changing on its own, check the meta cluster and run again'
                                   % (run.params['away_from'], exc))
            retried = True
            continue
        break
    target = response['to'] if response else decision['to']
    try:
        final = wait_moved(run, decision['from'])
    except PhaseTimeout as exc:
        exc.failure.update(changed=True, **{'from': decision['from'], 'to': target})
        raise
    return run.result(final, changed=True, retried=retried, **{'from': decision['from'], 'to': target})


def normalized_params(module):
    params = dict(module.params)
    params['admin_urls'] = [ADMIN_API.base_url(url, 'admin_urls') for url in params['admin_urls']]
    if not params['admin_urls']:
        raise DistsqlError('admin_urls is empty: give the admin API base URL of every meta node')
    duplicates = sorted(set(url for url in params['admin_urls'] if params['admin_urls'].count(url) > 1))
    if duplicates:
        raise DistsqlError('admin_urls lists %s more than once' % ', '.join(duplicates))
    params['away_from'] = ADMIN_API.base_url(params['away_from'], 'away_from')
    if params['away_from'] not in params['admin_urls']:
        raise DistsqlError('away_from %s is not one of admin_urls (%s)'
                           % (params['away_from'], ', '.join(params['admin_urls'])))
    if params['max_lag'] < 0:
        raise DistsqlError('max_lag must be 0 or more, got %d' % params['max_lag'])
    return params


def main():
    argument_spec = dict(
        admin_urls=dict(type='list', elements='str', required=True),
        away_from=dict(type='str', required=True),
        to=dict(type='int'),
        max_lag=dict(type='int', default=10),
    )
    argument_spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    argument_spec.update(copy.deepcopy(ADMIN_API.HTTP_ARGUMENT_SPEC))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run = None
    try:
        run = Run(normalized_params(module))
        result = transfer(run, module.check_mode)
    except PhaseTimeout as exc:
        module.fail_json(**exc.failure)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc), changed=bool(run and run.changed))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
