# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Poll an observation until a condition holds N checks in a row, against a monotonic deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout

TRACE_LIMIT = 100

WAIT_ARGUMENT_SPEC = dict(
    timeout=dict(type='float', default=300.0),
    interval=dict(type='float', default=2.0),
    stable_checks=dict(type='int', default=3),
)


class WaitResult:
    """What a wait saw: the last state, how many checks ran, and how long it took."""

    def __init__(self, state, checks, elapsed, trace=None):
        self.state = state
        self.checks = checks
        self.elapsed = elapsed
        self.trace = trace

    def as_result(self):
        """The module result: the observed state plus checks and elapsed."""
        result = dict(self.state)
        result.update(checks=self.checks, elapsed=round(self.elapsed, 3))
        if self.trace is not None:
            result['trace'] = self.trace
        return result


def wait_until(observe, satisfied, timeout, interval, stable_checks, describe='condition',
               clock=time.monotonic, sleep=time.sleep, trace=None):
    """Call ``observe()`` until ``satisfied(state)`` is true for ``stable_checks`` consecutive checks.

    An observation that raises DistsqlError (a node refusing connections while it restarts, say)
    counts as an unsatisfied check; its message becomes the state. Raises WaitTimeout carrying the
    last observed state when the deadline passes first. With ``trace(state) -> dict``, the result
    also keeps a short record per check (the last TRACE_LIMIT), so progress such as a catch-up is visible.
    """
    if timeout < 0 or interval <= 0 or stable_checks < 1:
        raise DistsqlError('invalid wait settings: timeout=%s interval=%s stable_checks=%s (need timeout >= 0, '
                           'interval > 0, stable_checks >= 1)' % (timeout, interval, stable_checks))
    start = clock()
    deadline = start + timeout
    checks = consecutive = 0
    history = [] if trace else None
    while True:
        checks += 1
        state, ok = _observe_once(observe, satisfied)
        consecutive = consecutive + 1 if ok else 0
        now = clock()
        if trace:
            history = (history + [_trace_entry(trace, state, now - start)])[-TRACE_LIMIT:]
        if consecutive >= stable_checks:
            return WaitResult(state, checks, now - start, history)
        if now + interval > deadline:
            last_state = dict(state, trace=history) if trace else state
            raise WaitTimeout(
                'timed out after %.1fs waiting for %s (%d checks, %d consecutive passes of %d needed)'
                % (now - start, describe, checks, consecutive, stable_checks),
                last_state=last_state, checks=checks, elapsed=now - start)
        sleep(interval)


def _trace_entry(trace, state, elapsed):
    entry = {'elapsed': round(elapsed, 3)}
    entry.update(state if 'error' in state else trace(state))
    return entry


def _observe_once(observe, satisfied):
    try:
        state = observe()
    except DistsqlError as exc:
        return {'error': str(exc)}, False
    return state, bool(satisfied(state))


def read_once(observe, clock=time.monotonic):
    """One observation, timed like a wait; errors propagate."""
    start = clock()
    state = observe()
    return WaitResult(state, 1, clock() - start)


def poll(observe, satisfied, params, describe, trace=None):
    """Read once when ``satisfied`` is None, else wait with the module's timeout/interval/stable_checks."""
    if satisfied is None:
        return read_once(observe)
    return wait_until(observe, satisfied, timeout=params['timeout'], interval=params['interval'],
                      stable_checks=params['stable_checks'], describe=describe, trace=trace)
