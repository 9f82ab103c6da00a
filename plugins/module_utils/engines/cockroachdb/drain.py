# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`cockroach node drain` with a --drain-wait sized from the shutdown settings, re-run after a drain timeout.

--drain-wait must be greater than initial_wait + connections.timeout + 2 x transactions.timeout +
lease_transfer_iteration.timeout (anchors.md section 5). The CLI itself (pkg/cli/rpc_node_shutdown.go doDrain)
also counts server.shutdown.jobs.timeout, the jobs phase of the drain, and raises a shorter --drain-wait to that sum
with a warning; so the sizing adds jobs.timeout where the cluster has the setting. The settings got these names in
v23.2 (cockroachdb/cockroach#109415); 23.1 knows only the older ones (drain_wait, connection_wait, query_wait,
lease_transfer_wait, jobs_wait), which newer releases keep as aliases. A drain that runs out of --drain-wait ends with
`ERROR: drain timeout, ...` (exit 1) and is continued by running it again (flow-surfaces-cockroachdb.md section 7).

The drain capability (``get_engine('cockroachdb').drain``) offers:

plan(run, binary, connection, drain_wait=None)   the --drain-wait to use: the given one, or one sized from the settings
check_shutdown(version)                          refuse --shutdown before v24.2
drain(runner, binary, connection, plan, ...)     the rounds, until drained or the deadline passes (DrainFailed)

``runner(seconds)`` returns a ``run`` callable whose calls are stopped after ``seconds`` (runner.timed_runner).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import time

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import require_executable
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import (
    parse_cluster_version_setting, parse_drain_output)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import SqlError, parse_cli_error
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import settings
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.versions import series_tuple
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError, DistsqlError, OutputParseError

# (name from v23.2, name before v23.2, weight in the sum, whether every version has it), in the order of the sum
SIZING_SETTINGS = (
    ('server.shutdown.initial_wait', 'server.shutdown.drain_wait', 1, True),
    ('server.shutdown.connections.timeout', 'server.shutdown.connection_wait', 1, True),
    ('server.shutdown.transactions.timeout', 'server.shutdown.query_wait', 2, True),
    ('server.shutdown.lease_transfer_iteration.timeout', 'server.shutdown.lease_transfer_wait', 1, True),
    ('server.shutdown.jobs.timeout', 'server.shutdown.jobs_wait', 1, False),
)
UNKNOWN_SETTING = 'unknown cluster setting'
UNKNOWN_SETTING_SQLSTATE = '42704'
NEW_NAMES_SINCE = (23, 2)
SHUTDOWN_SINCE = (24, 2)
MIN_DRAIN_WAIT = 10
MARGIN_SECONDS = 10
MARGIN_FRACTION = 0.2


class DrainFailed(DetailedError):
    """A drain that failed or did not finish in time; details carry the rounds and the last progress."""


def setting_names(series):
    """The sizing settings by the names the cluster at ``series`` ('23.1', '24.1') knows, in SIZING_SETTINGS order."""
    new = series_tuple(series) >= NEW_NAMES_SINCE
    return tuple(new_name if new else old_name for new_name, old_name, _weight, _always in SIZING_SETTINGS)


def _weights(series):
    new = series_tuple(series) >= NEW_NAMES_SINCE
    return dict((new_name if new else old_name, weight) for new_name, old_name, weight, _always in SIZING_SETTINGS)


def required_seconds(values):
    """initial_wait + connections.timeout + 2 x transactions.timeout + lease_transfer_iteration.timeout (+ jobs.timeout).

    ``values`` maps setting names, new or old, to seconds; a setting the cluster lacks is left out.
    """
    weights = dict(_weights('23.2'), **_weights('23.1'))
    return sum(weights[name] * seconds for name, seconds in values.items())


def sized_drain_wait(required):
    """Whole seconds strictly greater than ``required``: required + max(10 s, 20 %), never below 10 s."""
    return max(MIN_DRAIN_WAIT, int(math.ceil(required + max(MARGIN_SECONDS, MARGIN_FRACTION * required))))


def parse_drain_wait(text):
    """Seconds of a --drain-wait value such as '10m', '90s' or '1m30s'; it must be positive."""
    seconds = settings.parse_go_duration(text)
    if seconds is None:
        raise DistsqlError('drain_wait %r is not a duration such as 10m, 90s or 1m30s' % (text,))
    if seconds <= 0:
        raise DistsqlError('drain_wait %r must be positive (0 would let one drain run without a limit)' % (text,))
    return seconds


def _unknown_setting(exc):
    return exc.sqlstate == UNKNOWN_SETTING_SQLSTATE or (exc.message or '').startswith(UNKNOWN_SETTING)


def read_settings(run, binary, connection):
    """(cluster version, {setting name: seconds}) of the sizing settings, named as the cluster version needs.

    jobs.timeout (jobs_wait) is left out when the cluster answers that it has no such setting.
    """
    version = parse_cluster_version_setting(settings.show(run, binary, connection, settings.VERSION_SETTING))
    series = version['active'] or version['upgrading_to']
    values = {}
    for name, (_new, _old, _weight, always) in zip(setting_names(series), SIZING_SETTINGS):
        try:
            printed = settings.show(run, binary, connection, name)
        except SqlError as exc:
            if always or not _unknown_setting(exc):
                raise
            continue
        seconds = settings.parse_duration(printed)
        if seconds is None:
            raise OutputParseError('SHOW CLUSTER SETTING %s' % name, 'expected a duration, got %r' % printed)
        values[name] = seconds
    return version['version'], values


def plan(run, binary, connection, drain_wait=None):
    """The --drain-wait to use: drain_wait as given, else sized from the cluster's shutdown settings.

    Returns drain_wait ({seconds, text}), settings ({name: seconds}, None when drain_wait was given),
    required_seconds (None when given) and cluster_version (None when given).
    """
    if drain_wait is not None:
        seconds = parse_drain_wait(drain_wait)
        return {'drain_wait': {'seconds': seconds, 'text': str(drain_wait).strip()}, 'settings': None,
                'required_seconds': None, 'cluster_version': None}
    cluster_version, values = read_settings(run, binary, connection)
    required = required_seconds(values)
    seconds = sized_drain_wait(required)
    return {'drain_wait': {'seconds': seconds, 'text': settings.format_duration(seconds)}, 'settings': values,
            'required_seconds': required, 'cluster_version': cluster_version}


def check_shutdown(version, binary):
    """Refuse --shutdown when the client binary (an EngineVersion) predates v24.2."""
    if (version.major, version.minor) < SHUTDOWN_SINCE:
        raise DistsqlError('shutdown=true needs `cockroach node drain --shutdown`, which exists from v24.2; the client '
                           'binary %s is %s' % (binary, version.tag))


def drain_argv(binary, connection, node, drain_wait_text, shutdown, self_flag=True):
    """``self_flag``: name the connected node with --self (v21.1+); older CLIs drain it without a flag."""
    target = [str(node)] if node is not None else (['--self'] if self_flag else [])
    argv = [binary, 'node', 'drain'] + target + ['--drain-wait=%s' % drain_wait_text]
    if shutdown:
        argv.append('--shutdown')
    return argv + connection.argv()


def describe_target(node, connection):
    if node is not None:
        return 'node %s' % node
    if connection.host:
        return 'the node at %s' % connection.host
    return 'the node the url connects to'


def _last_progress(progress):
    return 'remaining %s' % progress[-1] if progress else 'no progress reported'


def _warnings(stderr):
    return [line.strip() for line in (stderr or '').splitlines() if line.strip().startswith('warning:')]


def _round_minimum(drain_plan):
    """The shortest round worth starting: more than the settings require and at least 10 s (or the given
    drain_wait, when that is shorter)."""
    required = drain_plan.get('required_seconds')
    floor = MIN_DRAIN_WAIT if required is None else max(MIN_DRAIN_WAIT, int(math.floor(required)) + 1)
    return min(drain_plan['drain_wait']['seconds'], floor)


def drain(runner, binary, connection, drain_plan, node=None, shutdown=False, timeout=900.0, interval=2.0,
          command_timeout=30, clock=time.monotonic, sleep=time.sleep, self_flag=True):
    """Drain until the CLI reports it done; after `drain timeout` run it again until ``timeout`` passes.

    A round's --drain-wait is the planned one, cut to the time left; a round that could not get more than the
    settings require (at least 10 s) is not started. Each call may take its --drain-wait plus command_timeout.
    Returns drained, shutdown, remaining, progress (every 'remaining' of every round), rounds
    [{drain_wait, remaining, timed_out, elapsed}], elapsed and warnings (the CLI's 'warning:' lines).
    Raises DrainFailed on another CLI error, or when the deadline passes.
    """
    start = clock()
    deadline = start + timeout
    planned = drain_plan['drain_wait']
    minimum = _round_minimum(drain_plan)
    target = describe_target(node, connection)
    state = {'drained': False, 'shutdown': False, 'remaining': None, 'progress': [], 'rounds': [], 'warnings': []}

    def details():
        return dict(state, elapsed=round(clock() - start, 3))

    while True:
        seconds = min(planned['seconds'], int(math.floor(deadline - clock())))
        if seconds < minimum:
            raise DrainFailed(_deadline_message(target, timeout, state, minimum), details())
        text = planned['text'] if seconds == planned['seconds'] else settings.format_duration(seconds)
        argv = drain_argv(binary, connection, node, text, shutdown, self_flag)
        require_executable(binary, os.path.basename(binary))
        round_start = clock()
        rc, stdout, stderr = runner(seconds + command_timeout)(argv)
        outcome = parse_drain_output(stdout, stderr)
        state['rounds'].append({'drain_wait': text, 'remaining': outcome['remaining'], 'timed_out': outcome['timed_out'],
                                'elapsed': round(clock() - round_start, 3)})
        state['progress'].extend(outcome['progress'])
        state['remaining'] = outcome['remaining'] if outcome['remaining'] is not None else state['remaining']
        state['warnings'].extend(line for line in _warnings(stderr) if line not in state['warnings'])
        if rc == 0 and outcome['drained']:
            state.update(drained=True, shutdown=outcome['shutdown'])
            if shutdown and not outcome['shutdown']:
                raise DrainFailed('draining %s: drained, but the CLI did not report the shutdown ("shutdown ok")'
                                  % target, details())
            return details()
        if not outcome['timed_out']:
            raise DrainFailed(_error_message(target, len(state['rounds']), rc, stdout, stderr, outcome, state), details())
        if min(planned['seconds'], int(math.floor(deadline - clock() - interval))) < minimum:
            raise DrainFailed(_deadline_message(target, timeout, state, minimum), details())
        sleep(interval)


def _error_message(target, number, rc, stdout, stderr, outcome, state):
    if rc == 0:
        reason = 'the CLI exited 0 without reporting the drain done (no "ok" or "drain ok" line)'
    else:
        reason = '%s (rc=%s)' % (parse_cli_error(stderr if (stderr or '').strip() else stdout)['message'] or '(no output)', rc)
    return 'draining %s failed in round %d: %s; last progress: %s' % (target, number, reason, _last_progress(state['progress']))


def _deadline_message(target, timeout, state, minimum):
    rounds = state['rounds']
    if not rounds:
        return ('draining %s: the %gs timeout leaves no room for one drain round of at least %gs; raise timeout'
                % (target, timeout, minimum))
    return ('draining %s: not drained within the %gs timeout; %d round(s) ended in a drain timeout (ERROR: drain '
            'timeout, consider adjusting --drain-wait) and the time left allows no further round of at least %gs; '
            'last progress: %s' % (target, timeout, len(rounds), minimum, _last_progress(state['progress'])))
