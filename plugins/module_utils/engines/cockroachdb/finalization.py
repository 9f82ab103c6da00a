# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finalization of a CockroachDB major upgrade: its state, the hold that keeps a rollback possible, the finalize step.

Facts (anchors.md section 5, flow-surfaces-cockroachdb.md sections 2-3):
- From v23.2 `SET CLUSTER SETTING cluster.auto_upgrade.enabled = false` holds the finalization of the next major;
  before it `cluster.preserve_downgrade_option = '<cluster version>'` does (only the current version is accepted).
- `SET CLUSTER SETTING version = '<series>'` finalizes; it runs MIGRATION jobs (which wait for schema changes) and
  the cluster version steps through '23.2-upgrading-to-24.1-step-NNN' (before 24.1: '23.1-N') to '24.1'.
- Every node must be live and on the new release; a lagging node makes the statement fail before any job exists.

The finalization capability (``get_engine('cockroachdb').finalization``) offers query(engine, run, binary, connection),
hold(run, binary, connection, check_mode), release(run, binary, connection, check_mode) and
finalize(engine, runner, binary, connection, params, check_mode), plus the pure decisions they are built on
(version_state, hold_settings, holds_from, hold_changes, release_changes, node_view, finalize_target).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import parse_cluster_version_setting
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import jobs, settings, upgrades
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.versions import SCHEME, series_tuple
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError, DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import wait_until

AUTO_UPGRADE = 'cluster.auto_upgrade.enabled'
PRESERVE = 'cluster.preserve_downgrade_option'
AUTO_UPGRADE_SINCE = (23, 2)
# What RESET gives back (flow-surfaces-cockroachdb.md section 3)
HOLD_DEFAULTS = {AUTO_UPGRADE: 'true', PRESERVE: ''}


class FinalizationRefused(DistsqlError):
    """A hold or finalization that the cluster's state does not allow; nothing was changed."""


class FinalizationFailed(DetailedError):
    """A finalization that failed after it started; details carry the changes made and the last state seen."""


def version_state(value):
    """cluster_version (raw), active, upgrading_to and version_final (a plain X.Y) of a SHOW CLUSTER SETTING version value.

    upgrading_to is also derived for the pre-24.1 form '23.1-8' (on its way to the next release, 23.2).
    """
    parsed = parse_cluster_version_setting(value)
    active, upgrading_to = upgrades.cluster_version_series(parsed['version'])
    return {'cluster_version': parsed['version'], 'active': active, 'upgrading_to': upgrading_to,
            'version_final': parsed['finalized']}


def hold_setting(series):
    """The setting that holds the next finalization of a cluster at ``series``."""
    return AUTO_UPGRADE if series_tuple(series) >= AUTO_UPGRADE_SINCE else PRESERVE


def hold_settings(series):
    """The hold settings a cluster at ``series`` has: both from 23.2, only preserve_downgrade_option before."""
    return (AUTO_UPGRADE, PRESERVE) if series_tuple(series) >= AUTO_UPGRADE_SINCE else (PRESERVE,)


def holds_from(values):
    """[{setting, value}] of the settings in ``values`` ({name: printed value}) that hold the finalization."""
    found = []
    if AUTO_UPGRADE in values and values[AUTO_UPGRADE].strip().lower() == 'false':
        found.append({'setting': AUTO_UPGRADE, 'value': values[AUTO_UPGRADE]})
    if values.get(PRESERVE, ''):
        found.append({'setting': PRESERVE, 'value': values[PRESERVE]})
    return found


def _state_series(state):
    return state['active'] or state['upgrading_to']


def hold_changes(state, values):
    """The change that holds the next finalization ([] when a hold is already set).

    Refused while a finalization runs: preserve_downgrade_option only accepts the current (final) cluster version,
    and auto_upgrade.enabled does not stop an upgrade that has started.
    """
    if not state['version_final']:
        raise FinalizationRefused('cannot hold the finalization: the cluster is already finalizing to %s (cluster '
                                  'version %s)' % (state['upgrading_to'], state['cluster_version']))
    if holds_from(values):
        return []
    setting = hold_setting(state['active'])
    after = 'false' if setting == AUTO_UPGRADE else state['active']
    return [{'setting': setting, 'before': values[setting], 'after': after}]


def release_changes(values):
    """The RESETs that release every hold set in ``values``."""
    return [{'setting': hold['setting'], 'before': hold['value'], 'after': HOLD_DEFAULTS[hold['setting']]}
            for hold in holds_from(values)]


def node_view(nodes):
    """(nodes [{id, build, series, is_live}] of the member nodes, sorted unique series of the live ones)."""
    view = []
    for node in nodes:
        if node['membership'] == 'decommissioned':
            continue
        series = SCHEME.parse(node['build']).series if node['build'] else None
        view.append({'id': node['id'], 'build': node['build'], 'series': series, 'is_live': node['is_live'] is True})
    live_series = set(node['series'] for node in view if node['is_live'] and node['series'])
    return view, sorted(live_series, key=series_tuple)


def _nodes_text(ids, singular, plural):
    ids = [str(node_id) for node_id in ids]
    return ('node %s %s' % (ids[0], singular)) if len(ids) == 1 else ('nodes %s %s' % (', '.join(ids), plural))


def finalize_target(state, nodes, node_series, series=None):
    """(target series, 'done' | 'running' | 'set'), or FinalizationRefused saying why not.

    ``state`` is a version_state(), ``nodes`` and ``node_series`` what node_view() returns.

    The target is the one series every live node runs; it must be the release one major step after the active
    cluster version. 'done': already finalized there; 'running': the cluster is already finalizing to it.
    """
    live = [node for node in nodes if node['is_live']]
    unknown = [node['id'] for node in live if not node['series']]
    if unknown:
        raise FinalizationRefused('cannot finalize: %s' % _nodes_text(unknown, 'reports no build', 'report no build'))
    if not node_series:
        raise FinalizationRefused('cannot finalize: no live node found')
    target = node_series[-1]
    if len(node_series) > 1:
        laggers = ', '.join('node %s runs %s (%s)' % (node['id'], node['build'], node['series'])
                            for node in live if node['series'] != target)
        raise FinalizationRefused('cannot finalize: %s, the others %s' % (laggers, target))
    if series and series.lstrip('v') != target:
        raise FinalizationRefused('cannot finalize to %s: every live node runs %s' % (series, target))
    if state['version_final'] and state['active'] == target:
        return target, 'done'
    not_live = [node['id'] for node in nodes if not node['is_live']]
    if not_live:
        raise FinalizationRefused('cannot finalize to %s: %s; finalization needs every node live'
                                  % (target, _nodes_text(not_live, 'is not live', 'are not live')))
    if state['upgrading_to'] == target:
        return target, 'running'
    if state['upgrading_to']:
        raise FinalizationRefused('cannot finalize to %s: the cluster is finalizing to %s (cluster version %s)'
                                  % (target, state['upgrading_to'], state['cluster_version']))
    active = state['active']
    if series_tuple(target) <= series_tuple(active):
        raise FinalizationRefused('cannot finalize: every live node runs %s, which is not newer than the cluster '
                                  'version %s' % (target, state['cluster_version']))
    reachable = upgrades.next_majors(active)
    if target not in reachable:
        raise FinalizationRefused('cannot finalize from %s to %s: one major upgrade from %s reaches %s only'
                                  % (active, target, active, ' or '.join(reachable)))
    return target, 'set'


def read_version(run, binary, connection):
    return version_state(settings.show(run, binary, connection, settings.VERSION_SETTING))


def read_hold_values(run, binary, connection, state):
    """{setting: printed value} of the hold settings the cluster version has."""
    return dict((name, settings.show(run, binary, connection, name)) for name in hold_settings(_state_series(state)))


def _hold_keys(values):
    holds = holds_from(values)
    return {'held': bool(holds), 'hold': holds[0] if holds else None, 'holds': holds}


def observe_progress(run, binary, connection):
    """The cluster version and the jobs that have not ended: what a finalization is waited on."""
    state = read_version(run, binary, connection)
    running = jobs.running(jobs.show(run, binary, connection))
    migrating = any(job['job_type'] == jobs.MIGRATION for job in running)
    return {'cluster_version': state['cluster_version'], 'active': state['active'], 'upgrading_to': state['upgrading_to'],
            'finalized': state['version_final'] and not migrating, 'migrations_running': migrating,
            'jobs_running': [jobs.summary(job) for job in running]}


def read_state(engine, run, binary, connection):
    """(the query() state, {hold setting: printed value})."""
    result = observe_progress(run, binary, connection)
    nodes, node_series = node_view(engine.node_status(run, binary, connection))
    values = read_hold_values(run, binary, connection, result)
    result.update(nodes=nodes, node_series=node_series, **_hold_keys(values))
    return result, values


def query(engine, run, binary, connection):
    """The finalization state: cluster version, nodes and their series, holds, jobs that have not ended."""
    return read_state(engine, run, binary, connection)[0]


def _diff(changes):
    return {'before': dict((change['setting'], change['before']) for change in changes),
            'after': dict((change['setting'], change['after']) for change in changes)}


def _apply(run, binary, connection, changes, applied=None):
    """SET (a hold) or RESET (back to the default) each change; its 'after' becomes what SHOW prints then.

    Each change made is appended to ``applied`` as soon as the server took it.
    """
    applied = [] if applied is None else applied
    for change in changes:
        if change['after'] == HOLD_DEFAULTS.get(change['setting']):
            settings.reset(run, binary, connection, change['setting'])
        else:
            settings.set_value(run, binary, connection, change['setting'], change['after'])
        applied.append(change)
        change['after'] = settings.show(run, binary, connection, change['setting'])
    return applied


def _change_holds(run, binary, connection, check_mode, decide):
    state = read_version(run, binary, connection)
    values = read_hold_values(run, binary, connection, state)
    changes = decide(state, values)
    if not check_mode:
        _apply(run, binary, connection, changes)
    after = dict(values, **dict((change['setting'], change['after']) for change in changes))
    result = {'cluster_version': state['cluster_version'], 'active': state['active'], 'upgrading_to': state['upgrading_to'],
              'changes': changes, 'changed': bool(changes), 'diff': _diff(changes)}
    result.update(_hold_keys(after))
    return result


def hold(run, binary, connection, check_mode=False):
    """Hold the finalization of the next major (idempotent); returns changes [{setting, before, after}]."""
    return _change_holds(run, binary, connection, check_mode, hold_changes)


def release(run, binary, connection, check_mode=False):
    """RESET every hold setting that is set (idempotent); returns changes [{setting, before, after}]."""
    return _change_holds(run, binary, connection, check_mode, lambda state, values: release_changes(values))


def _running_text(state):
    running = state.get('jobs_running') or []
    if not running:
        return 'no job running'
    return 'running jobs: %s' % '; '.join('%s %s %s (%s)' % (job['job_id'], job['job_type'], job['status'],
                                                             job['description']) for job in running)


def _timeout_message(target, exc):
    last = exc.last_state
    if 'error' in last:
        seen = 'the last check failed: %s' % last['error']
    else:
        seen = 'last cluster version %s; %s' % (last['cluster_version'], _running_text(last))
    return 'finalizing to %s: %s; %s' % (target, exc, seen)


def finalize(engine, runner, binary, connection, params, check_mode=False, clock=time.monotonic):
    """Finalize to the series every live node runs: release the hold, SET CLUSTER SETTING version (unless the
    cluster already finalizes to it), then wait until the version is that series and no MIGRATION job runs.

    ``params``: command_timeout, timeout, interval, stable_checks, wait, series. The SET statement returns only once
    the upgrade is done, so it may take what is left of ``timeout``. Returns the query() state afterwards plus target,
    changes, changed, diff and, after a wait, checks, elapsed and trace ([{elapsed, cluster_version}]).
    Raises FinalizationRefused before any change, FinalizationFailed after one.
    """
    start = clock()
    deadline = start + params['timeout']
    run = runner(params['command_timeout'])
    state, values = read_state(engine, run, binary, connection)
    target, mode = finalize_target(version_state(state['cluster_version']), state['nodes'], state['node_series'],
                                   params.get('series'))
    if mode == 'done':
        return dict(state, target=target, changes=[], changed=False, diff=_diff([]))
    releases = release_changes(values)
    version_change = {'setting': settings.VERSION_SETTING, 'before': state['cluster_version'], 'after': target}
    if check_mode:
        planned = releases + ([version_change] if mode == 'set' else [])
        return dict(state, target=target, changes=planned, changed=bool(planned), diff=_diff(planned))
    changes = []
    try:
        _apply(run, binary, connection, releases, changes)
        if mode == 'set':
            seconds = max(params['command_timeout'], int(deadline - clock()))
            settings.set_value(runner(seconds), binary, connection, settings.VERSION_SETTING, target)
            changes.append(version_change)
        waited = None
        if params['wait']:
            waited = wait_until(lambda: observe_progress(run, binary, connection),
                                lambda seen: seen['active'] == target and seen['finalized'],
                                timeout=max(0.0, deadline - clock()), interval=params['interval'],
                                stable_checks=params['stable_checks'],
                                describe='the cluster version to reach %s with no MIGRATION job running' % target,
                                trace=lambda seen: {'cluster_version': seen['cluster_version']})
        final = query(engine, run, binary, connection)
    except WaitTimeout as exc:
        details = exc.as_result()
        details.pop('msg')
        details.update(target=target, changes=changes)
        raise FinalizationFailed(_timeout_message(target, exc), details)
    except DistsqlError as exc:
        details = {'target': target, 'changes': changes}
        details.update(getattr(exc, 'as_result', dict)())
        raise FinalizationFailed('finalizing to %s: %s' % (target, exc), details)
    # A finalization that was already running and needed no release changed nothing itself: changed is False.
    result = dict(final, target=target, changes=changes, changed=bool(changes), diff=_diff(changes),
                  elapsed=round(clock() - start, 3))
    if waited is not None:
        result.update(checks=waited.checks, trace=waited.trace)
    return result
