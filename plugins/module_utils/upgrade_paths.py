# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade-path rules for CockroachDB, KWDB/KaiwuDB and Databend (pure functions over versions and plain data).

Every plan function returns an UpgradePlan. ``hops`` lists what the cluster steps through: intermediate
CockroachDB hops are series ('v23.2' = latest patch of 23.2), Databend waypoints are exact builds, and the last
hop is the exact target tag. A refused plan has ``allowed`` False, no hops and a reason naming both versions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import deque

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import EngineVersion, as_version


class UpgradePlan:
    """The verdict of a plan function; engine-specific facts are kept in extra keys."""

    def __init__(self, allowed, kind, hops=None, reason='', warnings=None, **extra):
        self.allowed = allowed
        self.kind = kind
        self.hops = list(hops or [])
        self.reason = reason
        self.warnings = list(warnings or [])
        self.extra = extra

    def to_dict(self):
        result = dict(self.extra)
        result.update(allowed=self.allowed, kind=self.kind, hops=list(self.hops), reason=self.reason, warnings=list(self.warnings))
        return result

    def __repr__(self):
        return 'UpgradePlan(%r)' % (self.to_dict(),)


def _refused(kind, reason, **extra):
    return UpgradePlan(False, kind, [], reason, **extra)


# ---------------------------------------------------------------------------------------------------------------
# CockroachDB
# ---------------------------------------------------------------------------------------------------------------

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
    current = as_version('cockroachdb', current)
    target = as_version('cockroachdb', target)
    if cluster_version is not None:
        cluster_version = str(cluster_version).strip()
    kind, hops = _classify_cockroachdb(current, target)
    if kind == 'none':
        return UpgradePlan(True, 'none', [], "already at %s" % target.tag, finalization_needed=False)
    refusal = _prerelease_refusal(current, target, allow_prerelease) or _kind_refusal(kind, current, target, cluster_version)
    if refusal:
        return _refused(kind, refusal, finalization_needed=False)
    return UpgradePlan(True, kind, hops, _cockroachdb_reason(kind, current, target),
                       _cockroachdb_warnings(kind, current, target), finalization_needed=finalization_needed(kind))


# ---------------------------------------------------------------------------------------------------------------
# KWDB / KaiwuDB
# ---------------------------------------------------------------------------------------------------------------

_KWDB_EXTENDED_RE = re.compile(r'^(?P<line>alpha|beta|hotfix|enhance|patch)(?P<number>\d*)(?:(?P<sub>alpha|beta)(?P<subnumber>\d*))?$')
_KWDB_FIX_LINES = ('hotfix', 'enhance', 'patch')
_KWDB_PRE_LINES = ('alpha', 'beta')
_KWDB_NO_DOWNGRADE = "KWDB has no downgrade: uninstall it, reinstall the old version and restore a backup."
_KWDB_BYPASS_HINT = "Set bypass_version_check to skip the extended version check (deploy.sh --bypass-version-check)."


def parse_kwdb_extended(text):
    """Split line 2 of KWDB's .version ('', 'alpha1', 'beta2', 'hotfix1', 'enhance2', 'patch3', 'hotfix1beta1').

    Returns None for a GA release, else a dict with line, number, sub, subnumber (numbers as ints, 0 when absent).
    """
    value = (text or '').strip()
    if not value:
        return None
    match = _KWDB_EXTENDED_RE.match(value)
    if not match:
        raise VersionParseError('kwdb', text, 'unknown extended version tag (expected alpha, beta, hotfix, enhance or patch and a number)')
    return {
        'line': match.group('line'),
        'number': int(match.group('number') or 0),
        'sub': match.group('sub'),
        'subnumber': int(match.group('subnumber') or 0),
    }


def _not_met(old_text, new_text):
    return "The upgrade conditions are not met.(%s --> %s)" % (old_text, new_text)


def _same_line_refusal(old, new, old_text, new_text):
    """deploy.sh ext_compare for two tags of the same line (hotfix1 -> hotfix2, alpha1beta1 -> ...)."""
    if new['number'] < old['number']:
        return _not_met(old_text, new_text)
    if new['number'] > old['number']:
        # deploy.sh refuses hotfix/enhance increments without --bypass-version-check
        return _not_met(old_text, new_text) if old['line'] in ('hotfix', 'enhance') else None
    if old['sub'] is None:
        return _not_met(old_text, new_text)
    if new['sub'] is None:
        return None
    if old['sub'] == 'beta' and new['sub'] == 'alpha':
        return _not_met(old_text, new_text)
    if old['sub'] == new['sub'] and new['subnumber'] <= old['subnumber']:
        return _not_met(old_text, new_text)
    return None


def kwdb_extended_refusal(old_text, new_text):
    """deploy.sh version_compare for two equal base versions: the refusal message, or None if allowed."""
    old, new = parse_kwdb_extended(old_text), parse_kwdb_extended(new_text)
    old_text, new_text = (old_text or '').strip(), (new_text or '').strip()
    new_line = new['line'] if new else None
    if old is None:
        return "Official version can not upgrade to %s." % new_text if new_line in _KWDB_PRE_LINES else None
    if new_line in _KWDB_PRE_LINES and (old['line'] == 'beta' and new_line == 'alpha' or old['line'] in _KWDB_FIX_LINES):
        return _not_met(old_text, new_text)
    if new is None or new_line != old['line']:
        crossing_fix_lines = old['line'] in _KWDB_FIX_LINES and new_line in _KWDB_FIX_LINES
        return _not_met(old_text, new_text) if crossing_fix_lines else None
    return _same_line_refusal(old, new, old_text, new_text)


def _kwdb_export_import_refusal(current, target):
    if current.major < 3 <= target.major:
        return ("cannot upgrade KWDB %s to %s in place: 1.x/2.x cannot be upgraded to 3.x; export the data, deploy a fresh "
                "%s cluster and import it" % (current.tag, target.tag, target.series))
    if current.release < (2, 2, 0) <= target.release:
        return ("cannot upgrade KWDB %s to %s in place: versions before 2.2.0 cannot be upgraded to 2.2.x or later; export "
                "the data, deploy a fresh %s cluster and import it" % (current.tag, target.tag, target.series))
    return None


def _kwdb_label(version, extended):
    extended = (extended or '').strip()
    return '%s (%s)' % (version.tag, extended) if extended else version.tag


def _kwdb_kind(current, target):
    if current.series == target.series:
        return 'patch'
    return 'minor' if current.major == target.major else 'major'


def _kwdb_warnings(current, target):
    warnings = []
    if current.release < (2, 1, 0) <= target.release:
        warnings.append("after deploy.sh upgrade -l run 'sudo -u kaiwudb ./others/alter_tag <store_path>' "
                        "(default /var/lib/kaiwudb) on each node (2.0.x -> 2.1.0 step)")
    if (3, 0, 0) <= current.release < (3, 2, 0) <= target.release:
        warnings.append("multi-replica clusters need SET CLUSTER SETTING ts.raft_log.sync_period = '0s' and a 5 minute "
                        "wait before upgrading to 3.2.0")
    return warnings


def plan_kwdb(current, target, current_extended=None, target_extended=None, bypass_version_check=False):
    """Plan a KWDB move; *_extended is line 2 of /etc/kaiwudb/info/.version and packages/.version.

    bypass_version_check mirrors deploy.sh --bypass-version-check: it skips the extended-tag rules only, never a base
    downgrade or a cross-generation (export/import) move. Extra key 'bypass_version_check_needed' is True when the
    plan is allowed only thanks to the bypass, so the caller must pass --bypass-version-check to deploy.sh.
    """
    current = as_version('kwdb', current)
    target = as_version('kwdb', target)
    if target < current:
        reason = ("The requested upgrade version is older than the current installed version.(current:%s new_version:%s) %s"
                  % (current.tag, target.tag, _KWDB_NO_DOWNGRADE))
        return _refused('downgrade', reason, bypass_version_check_needed=False)
    export_import = _kwdb_export_import_refusal(current, target)
    if export_import:
        return _refused('export_import', export_import, bypass_version_check_needed=False)
    warnings = _kwdb_warnings(current, target)
    bypass_needed = False
    if target == current:
        if (current_extended or '').strip() == (target_extended or '').strip():
            return UpgradePlan(True, 'none', [], "already at %s" % target.tag, bypass_version_check_needed=False)
        refusal = kwdb_extended_refusal(current_extended, target_extended)
        if refusal and not bypass_version_check:
            return _refused('patch', "%s %s" % (refusal, _KWDB_BYPASS_HINT), bypass_version_check_needed=True)
        if refusal:
            bypass_needed = True
            warnings.append("bypass_version_check skips a failed deploy.sh check: %s" % refusal)
    kind = _kwdb_kind(current, target)
    reason = "%s upgrade from %s to %s" % (kind, _kwdb_label(current, current_extended), _kwdb_label(target, target_extended))
    return UpgradePlan(True, kind, [target.tag], reason, warnings, bypass_version_check_needed=bypass_needed)


# ---------------------------------------------------------------------------------------------------------------
# Databend
# ---------------------------------------------------------------------------------------------------------------

_INF = (float('inf'),)
# (self range, accepted peer range): the newer meta of a pair decides. Rows 3-5 are the docs table; rows 1-2 come from
# src/meta/ver/compat_docs/meta_to_meta.txt (1.2.769 dropped V002 peers, 1.2.929 needs peers >= 1.2.818).
_META_PEER_TABLE = (
    (((1, 2, 929), _INF), ((1, 2, 818), _INF)),
    (((1, 2, 769), (1, 2, 929)), ((1, 2, 547), _INF)),
    (((1, 2, 655), (1, 2, 769)), ((1, 2, 288), _INF)),
    (((1, 2, 479), (1, 2, 655)), ((1, 2, 288), (1, 2, 655))),
    (((1, 2, 212), (1, 2, 479)), ((0, 9, 41), (1, 2, 479))),
)
_QUERY_MANDATORY_STOPS = ((1, 2, 307), (1, 2, 311))
_QUERY_FUSE_PATH_CHANGE = (1, 2, 709)
# Meta builds from 1.2.769 no longer read the V002 on-disk format: pass a V003/V004 build first.
_META_V002_DROPPED = (1, 2, 769)
_META_V003_FIRST = (1, 2, 547)
_META_V002_WAYPOINT = '1.2.655'


def _range_text(bounds):
    low, high = bounds
    return "[%s, %s)" % ('.'.join(str(n) for n in low), '+inf' if high == _INF else '.'.join(str(n) for n in high))


def _in_range(release, bounds):
    return bounds[0] <= release < bounds[1]


def _info(component, info):
    """Normalize a --cmd ver dict (keys with '-' or '_') and parse its version fields."""
    if not isinstance(info, dict) or 'version' not in info:
        raise DistsqlError("databend-%s version info must be a dict with a 'version' key, got %r" % (component, info))
    normalized = dict((str(key).replace('-', '_'), value) for key, value in info.items())
    required = 'min_compatible_metasrv_version' if component == 'query' else 'min_compatible_client_version'
    if required not in normalized:
        raise DistsqlError("databend-%s version info lacks %r: %r" % (component, required, info))
    normalized['version'] = as_version('databend', normalized['version'])
    normalized[required] = as_version('databend', normalized[required])
    return normalized


def databend_compatible(query, meta):
    """(bool, reason): query and meta work together iff each one's version meets the other's minimum."""
    query, meta = _info('query', query), _info('meta', meta)
    q_version, m_version = query['version'], meta['version']
    failures = []
    if q_version < meta['min_compatible_client_version']:
        failures.append("query %s is older than meta %s min-compatible-client-version %s"
                        % (q_version.tag, m_version.tag, meta['min_compatible_client_version'].tag))
    if m_version < query['min_compatible_metasrv_version']:
        failures.append("meta %s is older than query %s min-compatible-metasrv-version %s"
                        % (m_version.tag, q_version.tag, query['min_compatible_metasrv_version'].tag))
    if failures:
        return False, "incompatible: %s" % '; '.join(failures)
    return True, "query %s and meta %s are compatible" % (q_version.tag, m_version.tag)


def meta_peers_compatible(a_version, b_version):
    """(bool, reason): can two databend-meta versions run in one raft cluster? The newer one's table row decides."""
    older, newer = sorted((as_version('databend', a_version), as_version('databend', b_version)))
    pair = "meta %s and %s" % (older.tag, newer.tag)
    if older == newer:
        return True, "%s are the same version" % pair
    for own_range, peer_range in _META_PEER_TABLE:
        if _in_range(newer.release, own_range):
            if _in_range(older.release, peer_range):
                return True, "%s are compatible peers (%s accepts %s)" % (pair, newer.tag, _range_text(peer_range))
            return False, "%s are not compatible peers: %s accepts peers in %s" % (pair, newer.tag, _range_text(peer_range))
    return False, "%s are not compatible peers: %s is outside the meta-to-meta compatibility table" % (pair, newer.tag)


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


def _waypoint_info(version_text, template, key):
    """Version info of a waypoint build; it borrows the target's minimum, which only grows between releases."""
    return {'version': as_version('databend', version_text), key: template[key]}


def _sequence(current, target, waypoints, key):
    middle = [_waypoint_info(text, target, key) for text in waypoints]
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


def plan_databend(query_current, meta_current, query_target=None, meta_target=None):
    """Plan a Databend upgrade from --cmd ver dicts; a missing target means that component stays as it is.

    Extra keys: 'order' ('query_first' | 'meta_first' | None), 'states' (every query/meta pair the chosen order
    passes through), 'meta_hops', 'meta_peers' (old/new meta pairs), 'query_offline_required' (crossing 1.2.709:
    no mixed query versions in one tenant), 'meta_offline_required' (old and new meta cannot be peers: full stop).
    'hops' are the query hops.
    """
    q_cur, m_cur = _info('query', query_current), _info('meta', meta_current)
    q_tgt = _info('query', query_target) if query_target is not None else q_cur
    m_tgt = _info('meta', meta_target) if meta_target is not None else m_cur
    downgrade = _databend_downgrade('query', q_cur, q_tgt) or _databend_downgrade('meta', m_cur, m_tgt)
    if downgrade:
        return _refused('downgrade', downgrade, **_databend_extras())
    if q_tgt['version'] == q_cur['version'] and m_tgt['version'] == m_cur['version']:
        return UpgradePlan(True, 'none', [], "databend-query %s and databend-meta %s are already at the target"
                           % (q_cur['version'].tag, m_cur['version'].tag), **_databend_extras())
    queries = _sequence(q_cur, q_tgt, _query_waypoints(q_cur['version'], q_tgt['version']), 'min_compatible_metasrv_version')
    metas = _sequence(m_cur, m_tgt, _meta_waypoints(m_cur, m_tgt['version']), 'min_compatible_client_version')
    return _choose_databend_order(queries, metas)


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
    return _refused('incompatible', reason, **_databend_extras(states=_evaluate_states(queries, metas, 'query_first'), **extras))


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
