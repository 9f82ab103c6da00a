# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which upgrades CockroachDB allows: the release calendar (Regular and Innovation releases from 24.1), patch versus
major, rollback before finalization, multi-hop plans (pure functions over versions and plain data).

plan_cockroachdb returns a plan.UpgradePlan whose intermediate hops are series ('v23.2' = latest patch of 23.2) and
whose last hop is the exact target tag.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import deque

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.plan import UpgradePlan, refused
from ansible_collections.distsql.upgrade.plugins.module_utils.version_scheme import EngineVersion

_CRDB_DEV_OFFSET = 1000000
# Successors before the calendar versioning of 19.1.
_CRDB_EARLY_SUCCESSORS = {(1, 0): (1, 1), (1, 1): (2, 0), (2, 0): (2, 1), (2, 1): (19, 1)}
_FIRST_RELEASE_TYPE_SERIES = (24, 1)


def _series_tuple(series):
    """(major, minor) of a 'MAJOR.MINOR' string ('24.1', 'v24.1'), a CockroachDB EngineVersion or a tuple."""
    if isinstance(series, EngineVersion):
        return (series.major, series.minor)
    if isinstance(series, tuple):
        return series
    match = re.match(r'^v?(\d+)\.(\d+)$', str(series).strip())
    if not match:
        raise DistsqlError("not a CockroachDB release series (MAJOR.MINOR): %r" % (series,))
    return (int(match.group(1)), int(match.group(2)))


def _series_text(series):
    return '%d.%d' % series


def _releases_per_year(major):
    if major < 24:
        return 2
    return 3 if major == 24 else 4


def _check_known_series(series):
    major, minor = series
    if series in _CRDB_EARLY_SUCCESSORS:
        return
    if major < 19 or not 1 <= minor <= _releases_per_year(major):
        raise DistsqlError("unknown CockroachDB release series %s" % _series_text(series))


def _series_after(series):
    if series in _CRDB_EARLY_SUCCESSORS:
        return _CRDB_EARLY_SUCCESSORS[series]
    major, minor = series
    if minor < _releases_per_year(major):
        return (major, minor + 1)
    return (major + 1, 1)


def release_type(series):
    """'legacy' before 24.1, else 'regular' (24.1, 24.3, even minors from 25) or 'innovation' (24.2, odd minors from 25)."""
    series = _series_tuple(series)
    _check_known_series(series)
    major, minor = series
    if series < _FIRST_RELEASE_TYPE_SERIES:
        return 'legacy'
    if major == 24:
        return 'innovation' if minor == 2 else 'regular'
    return 'regular' if minor % 2 == 0 else 'innovation'


def _next_series(series):
    """Series reachable in one major upgrade: the following ones up to and including the next non-Innovation one."""
    _check_known_series(series)
    reachable = []
    candidate = series
    while True:
        candidate = _series_after(candidate)
        reachable.append(candidate)
        if release_type(candidate) != 'innovation':
            return reachable


def next_majors(series):
    """The series a cluster at `series` may upgrade to in one major step, e.g. '24.1' -> ['24.2', '24.3']."""
    return [_series_text(s) for s in _next_series(_series_tuple(series))]


def _previous_series(series):
    """Series from which one major step reaches `series` (the series a rollback may return to)."""
    _check_known_series(series)
    candidates = [s for s, nxt in _CRDB_EARLY_SUCCESSORS.items() if nxt == series]
    major, minor = series
    for back in (1, 2):
        prior_minor, prior_major = minor - back, major
        while prior_minor < 1:
            prior_major -= 1
            prior_minor += _releases_per_year(prior_major)
        candidates.append((prior_major, prior_minor))
    return sorted(s for s in set(candidates) if _is_valid_series(s) and series in _next_series(s))


def _is_valid_series(series):
    try:
        _check_known_series(series)
    except DistsqlError:
        return False
    return True


def previous_majors(series):
    """The series a cluster at `series` may have come from in one major step, e.g. '24.3' -> ['24.1', '24.2']."""
    return [_series_text(s) for s in _previous_series(_series_tuple(series))]


def _shortest_series_path(start, goal):
    """Series after `start` up to `goal` along allowed major steps; Regular releases win ties as waypoints."""
    parents = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        steps = sorted(_next_series(node), key=lambda s: release_type(s) == 'innovation')
        for step in steps:
            if step <= goal and step not in parents:
                parents[step] = node
                queue.append(step)
    path = []
    node = goal
    while node != start:
        path.append(node)
        node = parents[node]
    return list(reversed(path))


def cluster_version_series(text):
    """(active_series, upgrading_to_series or None) of a SHOW CLUSTER SETTING version value.

    Accepts '24.1', '23.2-upgrading-to-24.1-step-008', the pre-24.1 forms '23.1-8' / '22.2-102', the dev-offset
    forms '1000023.2-upgrading-to-1000024.1-step-008' and the fence '24.3-upgrading-final-step', for which
    active_series is None because the string does not say which series the cluster comes from.
    """
    value = str(text).strip()
    number = r'(\d+)\.(\d+)'
    final = re.match(r'^%s$' % number, value)
    upgrading = re.match(r'^%s-upgrading-to-%s-step-\d+$' % (number, number), value)
    internal = re.match(r'^%s-(?:upgrading-step-)?(\d+)$' % number, value)
    fence = re.match(r'^%s-upgrading-final-step$' % number, value)
    if final:
        return (_cluster_series(final.group(1), final.group(2)), None)
    if upgrading:
        return (_cluster_series(upgrading.group(1), upgrading.group(2)),
                _cluster_series(upgrading.group(3), upgrading.group(4)))
    if internal:
        active = _cluster_series(internal.group(1), internal.group(2))
        if int(internal.group(3)) == 0:
            return (active, None)
        return (active, _series_text(_series_after(_series_tuple(active))))
    if fence:
        return (None, _cluster_series(fence.group(1), fence.group(2)))
    raise VersionParseError('cockroachdb', text, 'not a cluster version (SHOW CLUSTER SETTING version)')


def _cluster_series(major, minor):
    major = int(major)
    if major > _CRDB_DEV_OFFSET:
        major -= _CRDB_DEV_OFFSET
    return '%d.%s' % (major, minor)


def finalization_needed(kind):
    """True for plan kinds that change the major version and so must be finalized."""
    return kind in ('major', 'multi_major')


def _classify_cockroachdb(current, target):
    """(kind, hops) for a move from current to target, ignoring pre-release and cluster-version gates."""
    cur_series, tgt_series = _series_tuple(current), _series_tuple(target)
    _check_known_series(cur_series)
    _check_known_series(tgt_series)
    if current == target:
        return 'none', []
    if cur_series == tgt_series:
        return ('patch' if target > current else 'patch_rollback'), [target.tag]
    if tgt_series > cur_series:
        path = _shortest_series_path(cur_series, tgt_series)
        hops = ['v%s' % _series_text(s) for s in path[:-1]] + [target.tag]
        return ('major' if len(path) == 1 else 'multi_major'), hops
    if tgt_series in _previous_series(cur_series):
        return 'rollback', [target.tag]
    return 'downgrade', []


def _prerelease_refusal(current, target, allow_prerelease):
    if allow_prerelease:
        return None
    for version in (current, target):
        if version.is_prerelease:
            return ("refusing to plan from %s to %s: %s is a pre-release build (%s); set allow_prerelease to accept it"
                    % (current.tag, target.tag, version.tag, version.prerelease))
    return None


def _rollback_refusal(current, target, cluster_version):
    """Why a rollback to the previous series is not possible, or None when the upgrade is not finalized."""
    prefix = "cannot roll back from %s to %s" % (current.tag, target.tag)
    if cluster_version is None:
        return ("%s without the cluster version: pass cluster_version (SHOW CLUSTER SETTING version) to prove "
                "the upgrade to %s is not finalized" % (prefix, current.series))
    active, upgrading_to = cluster_version_series(cluster_version)
    if upgrading_to is not None:
        return ("%s: finalization to %s is in progress (cluster version %s); once it completes only a restore into %s remains"
                % (prefix, upgrading_to, cluster_version, target.series))
    if active == current.series:
        return ("%s: the cluster version is already finalized at %s; only a restore into %s remains"
                % (prefix, current.series, target.series))
    if active != target.series:
        return "%s: the cluster version %s is neither %s nor %s" % (prefix, cluster_version, target.series, current.series)
    return None


def _unfinalized_refusal(current, target, cluster_version):
    """Why a major upgrade cannot start while the previous one is not finalized (only checked when known)."""
    if cluster_version is None:
        return None
    active, upgrading_to = cluster_version_series(cluster_version)
    if active == current.series and upgrading_to is None:
        return None
    return ("cannot upgrade from %s to %s: the cluster version %s is not finalized at %s; finalize the previous upgrade first"
            % (current.tag, target.tag, cluster_version, current.series))


def _kind_refusal(kind, current, target, cluster_version):
    if kind == 'downgrade':
        previous = ', '.join(previous_majors(current.series))
        return ("cannot downgrade from %s to %s: a rollback only returns to the series the cluster came from (%s) and only "
                "before finalization; otherwise restore a backup into %s" % (current.tag, target.tag, previous, target.series))
    if kind == 'rollback':
        return _rollback_refusal(current, target, cluster_version)
    if finalization_needed(kind):
        return _unfinalized_refusal(current, target, cluster_version)
    return None


def _cockroachdb_warnings(kind, current, target):
    if not finalization_needed(kind):
        return []
    start, goal = _series_tuple(current), _series_tuple(target)
    path = _shortest_series_path(start, goal)
    warnings = []
    skipped = [s for s in _series_between(start, goal) if s not in path]
    if skipped:
        warnings.append("read the release notes of the skipped release(s) %s too" % ', '.join('v%s' % _series_text(s) for s in skipped))
    if kind == 'multi_major':
        warnings.append("each intermediate major (%s) must be finalized before the next hop"
                        % ', '.join('v%s' % _series_text(s) for s in path[:-1]))
    if release_type(goal) == 'innovation':
        warnings.append("v%s is an Innovation release: its only next major is v%s"
                        % (_series_text(goal), _series_text(_next_series(goal)[-1])))
    return warnings


def _series_between(start, goal):
    series, found = start, []
    while True:
        series = _series_after(series)
        if series >= goal:
            return found
        found.append(series)


def _cockroachdb_reason(kind, current, target):
    descriptions = {
        'patch': 'patch upgrade',
        'patch_rollback': 'patch rollback',
        'major': 'major upgrade',
        'multi_major': 'multi-major upgrade',
        'rollback': 'rollback of an unfinalized major upgrade',
    }
    return "%s from %s to %s" % (descriptions[kind], current.tag, target.tag)


def plan_cockroachdb(current, target, cluster_version=None, allow_prerelease=False):
    """Plan a CockroachDB move from current to target (strings or EngineVersion).

    cluster_version is the SHOW CLUSTER SETTING version value. It is required for a 'rollback' (allowed only while
    the cluster version is still the target series), and when given it also blocks a major upgrade that would start
    before the previous one is finalized. Extra key: 'finalization_needed'.
    """
    current = SCHEME.as_version(current)
    target = SCHEME.as_version(target)
    if cluster_version is not None:
        cluster_version = str(cluster_version).strip()
    kind, hops = _classify_cockroachdb(current, target)
    if kind == 'none':
        return UpgradePlan(True, 'none', [], "already at %s" % target.tag, finalization_needed=False)
    refusal = _prerelease_refusal(current, target, allow_prerelease) or _kind_refusal(kind, current, target, cluster_version)
    if refusal:
        return refused(kind, refusal, finalization_needed=False)
    return UpgradePlan(True, kind, hops, _cockroachdb_reason(kind, current, target),
                       _cockroachdb_warnings(kind, current, target), finalization_needed=finalization_needed(kind))
