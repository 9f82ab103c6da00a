# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to upgrade a Databend deployment: the mandatory query stops, the meta data-version waypoint, and the rolling
order (query first or meta first) that keeps every mixed state compatible (pure functions over plain data).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import known_versions
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.compat import (
    MIN_KEYS, databend_compatible, meta_peers_compatible, version_info)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.plan import UpgradePlan, refused

_QUERY_MANDATORY_STOPS = ((1, 2, 307), (1, 2, 311))
_QUERY_FUSE_PATH_CHANGE = (1, 2, 709)
# Meta builds from 1.2.769 no longer read the V002 on-disk format: pass a V003/V004 build first.
_META_V002_DROPPED = (1, 2, 769)
_META_V003_FIRST = (1, 2, 547)
_META_V002_WAYPOINT = '1.2.655'
# The builds each waypoint stands for: a query stop is that release (any build suffix); the meta data-version
# waypoint is any build that reads V002 and writes V003 or later.
WAYPOINT_RANGES = {
    '1.2.307': ((1, 2, 307), (1, 2, 308)),
    '1.2.311': ((1, 2, 311), (1, 2, 312)),
    _META_V002_WAYPOINT: (_META_V003_FIRST, _META_V002_DROPPED),
}


def waypoint_accepts(waypoint, version):
    """Whether ``version`` (a Version) is a build that serves as ``waypoint`` (one of WAYPOINT_RANGES)."""
    low, high = WAYPOINT_RANGES[waypoint]
    return low <= version.release < high


def waypoint_range_text(waypoint):
    low, high = WAYPOINT_RANGES[waypoint]
    return '[%s, %s)' % ('.'.join(map(str, low)), '.'.join(map(str, high)))


def _query_waypoints(current, target):
    """Mandatory query stops strictly between current and target (1.2.306 -> 1.2.307 -> 1.2.311 -> later)."""
    return ['%d.%d.%d' % stop for stop in _QUERY_MANDATORY_STOPS if current.release < stop < target.release]


def _meta_waypoints(meta_current, target):
    """A V003/V004-capable build when V002 data would meet a build that no longer reads it."""
    data_version = str(meta_current.get('data_version') or '').strip().upper()
    on_v002 = data_version == 'V002' or (not data_version and meta_current['version'].release < _META_V003_FIRST)
    if on_v002 and target.release >= _META_V002_DROPPED:
        return [_META_V002_WAYPOINT]
    return []


def _crosses_fuse_path_change(current, target):
    return current.release < _QUERY_FUSE_PATH_CHANGE <= target.release


def _waypoint_info(version_text, template, component):
    """Version info of a waypoint build: its published minimum, else the target's (minimums only grow)."""
    key = MIN_KEYS[component]
    known = known_versions.component_info(component, version_text)
    minimum = SCHEME.as_version(known[key]) if known else template[key]
    return {'version': SCHEME.as_version(version_text), key: minimum}


def _sequence(current, target, waypoints, component):
    middle = [_waypoint_info(text, target, component) for text in waypoints]
    return [current] + middle + ([target] if target['version'] != current['version'] else [])


def _order_pairs(queries, metas, order):
    if order == 'query_first':
        return [(q, metas[0]) for q in queries] + [(queries[-1], m) for m in metas[1:]]
    return [(queries[0], m) for m in metas] + [(q, metas[-1]) for q in queries[1:]]


def _evaluate_states(queries, metas, order):
    states = []
    for query, meta in _order_pairs(queries, metas, order):
        compatible, reason = databend_compatible(query, meta)
        states.append({'query': query['version'].tag, 'meta': meta['version'].tag, 'compatible': compatible, 'reason': reason})
    return states


def _first_failure(order, states):
    for state in states:
        if not state['compatible']:
            return "%s fails at query %s with meta %s (%s)" % (order, state['query'], state['meta'], state['reason'])
    return None


def _meta_peer_checks(metas):
    checks = []
    for old, new in zip(metas, metas[1:]):
        compatible, reason = meta_peers_compatible(old['version'], new['version'])
        checks.append({'a': old['version'].tag, 'b': new['version'].tag, 'compatible': compatible, 'reason': reason})
    return checks


def _databend_downgrade(component, current, target):
    if target['version'] < current['version']:
        return ("cannot downgrade databend-%s from %s to %s: Databend does not support rollback"
                % (component, current['version'].tag, target['version'].tag))
    return None


def _databend_extras(order=None, states=None, meta_hops=None, meta_peers=None, query_offline=False, meta_offline=False):
    return dict(order=order, states=states or [], meta_hops=meta_hops or [], meta_peers=meta_peers or [],
                query_offline_required=query_offline, meta_offline_required=meta_offline)


def _hop_names(sequence):
    if len(sequence) < 2:
        return []
    return ['v%s' % info['version'].tag for info in sequence[1:-1]] + [sequence[-1]['version'].tag]


def _endpoints(query_current, meta_current, query_target, meta_target):
    """The normalized (current, target) infos of both components, or a finished plan (a downgrade, nothing to do)."""
    q_cur, m_cur = version_info('query', query_current), version_info('meta', meta_current)
    q_tgt = version_info('query', query_target) if query_target is not None else q_cur
    m_tgt = version_info('meta', meta_target) if meta_target is not None else m_cur
    downgrade = _databend_downgrade('query', q_cur, q_tgt) or _databend_downgrade('meta', m_cur, m_tgt)
    if downgrade:
        return refused('downgrade', downgrade, **_databend_extras())
    if q_tgt['version'] == q_cur['version'] and m_tgt['version'] == m_cur['version']:
        return UpgradePlan(True, 'none', [], "databend-query %s and databend-meta %s are already at the target"
                           % (q_cur['version'].tag, m_cur['version'].tag), **_databend_extras())
    queries = _sequence(q_cur, q_tgt, _query_waypoints(q_cur['version'], q_tgt['version']), 'query')
    metas = _sequence(m_cur, m_tgt, _meta_waypoints(m_cur, m_tgt['version']), 'meta')
    return queries, metas


def plan_databend(query_current, meta_current, query_target=None, meta_target=None):
    """Plan a rolling Databend upgrade from --cmd ver dicts; a missing target means that component stays as it is.

    Extra keys: 'order' ('query_first' | 'meta_first' | None), 'states' (every query/meta pair the chosen order
    passes through), 'meta_hops', 'meta_peers' (old/new meta pairs), 'query_offline_required' (crossing 1.2.709:
    no mixed query versions in one tenant), 'meta_offline_required' (old and new meta cannot be peers: full stop).
    'hops' are the query hops.
    """
    endpoints = _endpoints(query_current, meta_current, query_target, meta_target)
    if isinstance(endpoints, UpgradePlan):
        return endpoints
    return _choose_databend_order(*endpoints)


def plan_databend_offline(query_current, meta_current, query_target=None, meta_target=None):
    """Plan a full-stop Databend upgrade: every node of a moving component stops, switches and starts together, so
    no two query versions and no two meta versions ever run side by side; only the query/meta pair that runs
    between two steps must be compatible.

    Each step is one version: the query stops (1.2.307, 1.2.311) and the meta data-version waypoint, then the target.
    A step moves the components whose own path passes that version, and the other one too (when it is older) if
    the pair would not work together otherwise; a meta step takes query along when query is headed past it. Extra
    keys: 'steps' ([{version, components}]), 'states' (the pair after each step, with the rule's verdict), 'order'
    'offline'.
    """
    endpoints = _endpoints(query_current, meta_current, query_target, meta_target)
    if isinstance(endpoints, UpgradePlan):
        return endpoints
    paths = dict(zip(('query', 'meta'), endpoints))
    running = dict((component, path[0]) for component, path in paths.items())
    steps, states = [], []
    for version in sorted(set(info['version'] for path in paths.values() for info in path[1:])):
        moving = [c for c in ('meta', 'query') if any(info['version'] == version for info in paths[c][1:])]
        if moving == ['meta'] and running['query']['version'] < version <= paths['query'][-1]['version']:
            moving = ['meta', 'query']  # every query stops while meta moves: it takes the step too
        after = _after_step(running, paths, moving, version)
        compatible, reason = databend_compatible(after['query'], after['meta'])
        if not compatible:
            others = [c for c in ('meta', 'query') if c not in moving and running[c]['version'] < version]
            if others and paths[others[0]][-1]['version'] >= version:
                moving = ['meta', 'query']
                after = _after_step(running, paths, moving, version)
                compatible, reason = databend_compatible(after['query'], after['meta'])
        states.append({'query': after['query']['version'].tag, 'meta': after['meta']['version'].tag,
                       'compatible': compatible, 'reason': reason})
        if not compatible:
            return refused('incompatible', 'the full-stop upgrade would start databend-query %s with databend-meta %s '
                           'after the step to %s: %s' % (states[-1]['query'], states[-1]['meta'], version.tag, reason),
                           **_databend_extras(order='offline', states=states))
        steps.append({'version': version.tag, 'components': moving})
        running = after
    reason = ("upgrade databend-query %s -> %s and databend-meta %s -> %s with every node stopped (%d step%s)"
              % (paths['query'][0]['version'].tag, paths['query'][-1]['version'].tag, paths['meta'][0]['version'].tag,
                 paths['meta'][-1]['version'].tag, len(steps), '' if len(steps) == 1 else 's'))
    return UpgradePlan(True, 'upgrade', [step['version'] for step in steps], reason, steps=steps,
                       **_databend_extras(order='offline', states=states))


def _after_step(running, paths, moving, version):
    """The infos both components run after a step to ``version`` that moves ``moving``."""
    after = dict(running)
    for component in moving:
        known = [info for info in paths[component][1:] if info['version'] == version]
        after[component] = known[0] if known else _waypoint_info(version.tag, paths[component][-1], component)
    return after


def _choose_databend_order(queries, metas):
    peers = _meta_peer_checks(metas)
    extras = dict(meta_hops=_hop_names(metas), meta_peers=peers,
                  query_offline=_crosses_fuse_path_change(queries[0]['version'], queries[-1]['version']),
                  meta_offline=not all(check['compatible'] for check in peers))
    failures = []
    for order in ('query_first', 'meta_first'):
        states = _evaluate_states(queries, metas, order)
        failure = _first_failure(order, states)
        if failure is None:
            return UpgradePlan(True, 'upgrade', _hop_names(queries), _databend_reason(queries, metas, order),
                               _databend_warnings(extras), **_databend_extras(order=order, states=states, **extras))
        failures.append(failure)
    reason = "no rolling order keeps databend-query and databend-meta compatible: %s" % '; '.join(failures)
    return refused('incompatible', reason, **_databend_extras(states=_evaluate_states(queries, metas, 'query_first'), **extras))


def _databend_reason(queries, metas, order):
    return ("upgrade databend-query %s -> %s and databend-meta %s -> %s in %s order"
            % (queries[0]['version'].tag, queries[-1]['version'].tag, metas[0]['version'].tag, metas[-1]['version'].tag, order))


def _databend_warnings(extras):
    warnings = []
    if extras['query_offline']:
        warnings.append("databend-query 1.2.709 changed the fuse storage path: upgrade all query nodes of a tenant "
                        "together, never mixing versions before and after 1.2.709")
    for check in extras['meta_peers']:
        if not check['compatible']:
            warnings.append("%s; stop all databend-meta nodes and upgrade them together" % check['reason'])
    return warnings
