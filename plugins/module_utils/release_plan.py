# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of one run, engine-neutral: which version each node runs, the engine's hops resolved to exact releases,
where every release that is not staged yet comes from, and what finalization and clients will see.

``plan_run(engine, params)`` takes the upgrade_plan module's options (what every node reported, the cluster's view,
the release sources) and returns the module result. It is pure: no network, no CLI. The engine contributes its
version grammar (``parse_version``) and its path rules (``plan_upgrade``); everything here compares EngineVersions.

Messages name the playbooks' variables (distsql_releases, distsql_hop_versions, ...): this is their planner.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import registered_engines
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.base import Engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.health import find_node

MAX_HOPS = 6
FLOWS = ('multi_replica', 'single_replica', 'standalone')
DIRECTIONS = ('upgrade', 'rollback')
HOP_KINDS = ('patch', 'major', 'rollback', 'patch_rollback')
CLIENT_IMPACT = {
    'multi_replica': ('none expected for clients behind a load balancer or with multi-node connection strings: '
                      'each node is drained before it stops and one node at a time is down'),
    'single_replica': 'an outage for every client from the first stop until the whole cluster is ready again',
    'standalone': 'an outage from the stop until the node is ready again',
}
NO_RESTART_IMPACT = 'none: no node is restarted'
HELD = 'run finalize.yml, or rollback.yml to go back'
SOURCE_KEYS = ('version', 'url', 'src', 'binary', 'binary_on', 'sha256', 'checksum_url')

NO_SOURCE = ("no release source for %s: add it to distsql_releases, or set distsql_release_url_template with "
             "distsql_release_checksum_url_template (or distsql_release_sha256)")
TEMPLATE_UNVERIFIED = ("distsql_release_url_template needs distsql_release_checksum_url_template or "
                       "distsql_release_sha256: every download is verified")
SRC_UNVERIFIED = "distsql_release_src needs distsql_release_sha256: every release is verified"

_SHA256 = re.compile(r'^[0-9a-f]{64}$')
_SERIES = re.compile(r'^v?(\d+)\.(\d+)$')


# The argument spec of one distsql_releases entry, shared by the planning modules.
RELEASE_OPTIONS = dict(
    version=dict(type='str', required=True),
    url=dict(type='str'),
    sha256=dict(type='str'),
    checksum_url=dict(type='str'),
    binary=dict(type='str'),
    binary_on=dict(type='str', choices=['controller', 'node'], default='controller'),
)


def exit_with_plan(module, plan):
    """A planning module's end: a refused plan fails with its reason and keeps the plan's keys in the result."""
    if not plan['allowed']:
        module.fail_json(msg=plan['reason'], changed=False, **plan)
    module.exit_json(changed=False, **plan)


class PlanRefused(DistsqlError):
    """The run cannot be planned as asked; the message says why and what to change."""


def version_planned_engines():
    """Registered engines whose plans need only version strings (Databend needs the binaries' min-compatible
    versions, so it overrides target_from_version to refuse)."""
    return tuple(engine.name for engine in registered_engines()
                 if type(engine).target_from_version is Engine.target_from_version)


def plan_run(engine, params):
    """The upgrade_plan result. A refusal is a result with allowed False and reason the refusal; the keys computed
    before it (kind, nodes, hops, ...) are kept."""
    plan = {
        'allowed': False, 'kind': None, 'reason': None, 'notes': [], 'from_version': None,
        'target_version': params.get('target_version'), 'nodes': [], 'resuming': False, 'hops': [], 'sources': [],
        'finalization_needed': False, 'finalization': None, 'client_impact': None,
    }
    try:
        _plan(plan, engine, params)
    except DistsqlError as exc:
        plan.update(allowed=False, reason=str(exc))
    return plan


def _plan(plan, engine, params):
    flow = params['flow']
    if flow not in FLOWS:
        raise PlanRefused('unknown flow %r; expected one of %s' % (flow, ', '.join(FLOWS)))
    plan['client_impact'] = engine.client_impact.get(flow, CLIENT_IMPACT[flow])
    direction = params.get('direction') or 'upgrade'
    if direction not in DIRECTIONS:
        raise PlanRefused('unknown direction %r; expected one of %s' % (direction, ', '.join(DIRECTIONS)))
    allow_prerelease = bool(params.get('allow_prerelease'))
    target = engine.parse_version(params['target_version'])
    plan['target_version'] = target.tag
    releases = _releases(engine, params.get('releases') or [])
    hop_versions = _hop_versions(engine, params.get('hop_versions') or {}, allow_prerelease)
    sourcing = _sourcing(params)
    if params.get('inputs_only'):
        plan.update(allowed=True, reason='the versions and release sources given are well formed')
        return
    nodes = _nodes(engine, params.get('nodes') or [], params.get('cluster_nodes') or [])
    plan['nodes'] = [{'host': node['host'], 'version': node['version'].tag, 'service_active': node['service_active']}
                     for node in nodes]
    plan['notes'] = _node_warnings(nodes, params.get('cluster_nodes') or []) + sourcing['warnings']
    running = [node['version'] for node in nodes]
    current = min(running) if direction == 'upgrade' else max(running)
    plan['from_version'] = current.tag

    cluster_version = _text(params.get('cluster_version'))
    upgrade = engine.plan_upgrade(engine.target_from_version(current.tag), engine.target_from_version(target.tag),
                                  {'cluster_version': cluster_version, 'allow_prerelease': allow_prerelease}).to_dict()
    plan['kind'] = upgrade['kind']
    plan['notes'] = upgrade['warnings'] + plan['notes']
    _check_direction(direction, upgrade, current, target)

    steps = list(upgrade['hops'])
    if len(steps) > MAX_HOPS:
        raise PlanRefused('the path from %s to %s needs %d hops; one run does at most %d: upgrade to %s first'
                          % (current.tag, target.tag, len(steps), MAX_HOPS, steps[MAX_HOPS - 1]))
    resolved = [_resolve_hop(engine, step, current, target, hop_versions, releases, running) for step in steps]
    plan['resuming'] = _resuming(direction, current, target, resolved, running)
    if plan['resuming']:
        plan['notes'].append('resuming an interrupted run: nodes run %s' % _and(_distinct_tags(running)))
    finalizes = bool(upgrade.get('finalization_needed'))
    plan['hops'] = _hops(current, resolved, finalizes, bool(params.get('hold_finalization', True)),
                         [node['host'] for node in nodes])
    plan['finalization_needed'] = any(hop['finalization_needed'] for hop in plan['hops'])
    plan['finalization'] = _finalization_line(plan['hops'], upgrade['kind'], target)
    if not plan['hops']:
        plan['client_impact'] = NO_RESTART_IMPACT
    elif len(plan['hops']) > 1 and flow != 'multi_replica':
        plan['client_impact'] += ', once for each of the %d hops' % len(plan['hops'])
    plan['sources'] = _sources(resolved, target, nodes, releases, sourcing)
    if plan['hops'] and not engine.keeps_previous_release:
        plan['sources'] += _restore_sources(nodes, plan['sources'], target, releases, sourcing)
    plan.update(allowed=True, reason=upgrade['reason'])


# -- inputs ----------------------------------------------------------------------------------------------------


def _text(value):
    """None for unset values: the playbooks pass '' for a variable left at its default."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _sha256(value, where):
    text = _text(value)
    if text is None:
        return None
    digest = text.lower()
    if digest.startswith('sha256:'):
        digest = digest[len('sha256:'):]
    if not _SHA256.match(digest):
        raise PlanRefused('%s is not a sha256 (64 hexadecimal digits): %r' % (where, text))
    return digest


def _path(value):
    """A path as given, without a trailing slash (a directory of built binaries written as dir/)."""
    text = _text(value)
    return text.rstrip('/') or text if text else text


def _releases(engine, entries):
    """[(EngineVersion, entry)] with sha256 normalized; an entry with a url must say how to verify it."""
    releases = []
    for entry in entries:
        version = engine.parse_version(entry.get('version'))
        where = 'the sha256 of distsql_releases entry %s' % version.tag
        normalized = {'version': version.tag, 'url': _text(entry.get('url')),
                      'sha256': _sha256(entry.get('sha256'), where), 'checksum_url': _text(entry.get('checksum_url')),
                      'binary': _path(entry.get('binary')), 'binary_on': entry.get('binary_on') or 'controller'}
        if normalized['url'] and normalized['binary']:
            raise PlanRefused('distsql_releases entry %s has both a url and a binary: give one source per release'
                              % version.tag)
        if normalized['url'] and not (normalized['sha256'] or normalized['checksum_url']):
            raise PlanRefused('distsql_releases entry %s has a url but neither sha256 nor checksum_url: every '
                              'download is verified' % version.tag)
        if normalized['binary'] and not normalized['binary'].startswith('/'):
            raise PlanRefused('distsql_releases entry %s: binary must be an absolute path, got %s'
                              % (version.tag, normalized['binary']))
        releases.append((version, normalized))
    return releases


def _series_of(version):
    return (version.major, version.minor)


def _series_text(series):
    return '%d.%d' % series


def _hop_versions(engine, mapping, allow_prerelease):
    """{(major, minor): EngineVersion} from distsql_hop_versions ('23.2' or 'v23.2' -> an exact release of it)."""
    resolved = {}
    for key, value in mapping.items():
        match = _SERIES.match(str(key).strip())
        if not match:
            raise PlanRefused('distsql_hop_versions key %r is not a release series such as 23.2' % (key,))
        series = (int(match.group(1)), int(match.group(2)))
        version = engine.parse_version(value)
        if _series_of(version) != series:
            raise PlanRefused('distsql_hop_versions maps %s to %s, which is not a release of %s'
                              % (_series_text(series), version.tag, _series_text(series)))
        if version.is_prerelease and not allow_prerelease:
            raise PlanRefused('distsql_hop_versions maps %s to %s, a pre-release: set distsql_allow_prerelease to use it'
                              % (_series_text(series), version.tag))
        resolved[series] = version
    return resolved


# {version}: the tag as the engine spells it (v24.1.4, V3.1.0); {release}: the tag without its leading v or V
# (24.1.4, 3.1.0), where a vendor names files by the bare number under a tagged directory.
TEMPLATE_FIELDS = ('{version}', '{release}')


def expand_template(template, version):
    """The URL of ``version`` (an EngineVersion) from a release URL template."""
    return template.replace('{version}', version.tag).replace('{release}', version.tag.lstrip('vV'))


def _sourcing(params):
    """The controller-file and URL-template sources, checked: each must be verifiable."""
    url_template = _text(params.get('release_url_template'))
    checksum_template = _text(params.get('release_checksum_url_template'))
    src = _text(params.get('release_src'))
    sha256 = _sha256(params.get('release_sha256'), 'distsql_release_sha256')
    warnings = []
    for name, template in (('distsql_release_url_template', url_template),
                           ('distsql_release_checksum_url_template', checksum_template)):
        if template and not any(field in template for field in TEMPLATE_FIELDS):
            raise PlanRefused('%s has neither {version} nor {release}: every release would come from the same address'
                              % name)
    if url_template and not (checksum_template or sha256):
        raise PlanRefused(TEMPLATE_UNVERIFIED)
    if src and not sha256:
        raise PlanRefused(SRC_UNVERIFIED)
    if checksum_template and not url_template:
        warnings.append('distsql_release_checksum_url_template is not used without distsql_release_url_template')
    return {'url_template': url_template, 'checksum_template': checksum_template, 'src': src, 'sha256': sha256,
            'warnings': warnings}


def _nodes(engine, reported, cluster_nodes):
    """Each node with the version it runs: the cluster's build for it while it is live, else its binary on disk."""
    if not reported:
        raise PlanRefused('nodes is empty: there is nothing to plan for')
    for entry in cluster_nodes:
        if not isinstance(entry, dict) or 'id' not in entry:
            raise PlanRefused('cluster_nodes must be the nodes of distsql.upgrade.node_status (id, address, '
                              'sql_address, build, is_live, ...); got %r' % (entry,))
    nodes = []
    for entry in reported:
        member = find_node(cluster_nodes, entry.get('address') or entry['host'])
        if member is not None and member.get('membership') == 'decommissioned':
            member = None
        live_build = member.get('build') if member is not None and member.get('is_live') is True else None
        installed = engine.parse_version(entry['installed_version'])
        version = engine.parse_version(live_build) if live_build else installed
        nodes.append({
            'host': entry['host'],
            'service_active': bool(entry.get('service_active')),
            'version': version,
            'installed': installed,
            'staged': _staged(engine, entry.get('staged_releases') or []),
            'staged_sha256': _staged_sha256(engine, entry.get('staged_sha256') or {}),
            'member': member,
        })
    return nodes


def _staged_sha256(engine, by_version):
    """{EngineVersion: sha256} of the staged releases whose archive checksum the node recorded."""
    recorded = {}
    for text, sha256 in by_version.items():
        try:
            recorded[engine.parse_version(text)] = _sha256(sha256, 'the staged sha256 of %s' % text)
        except VersionParseError:
            continue
    return recorded


def _staged(engine, versions):
    """The staged releases that are versions of the engine (another name cannot be a hop, so it is skipped)."""
    staged = []
    for text in versions:
        try:
            staged.append(engine.parse_version(text))
        except VersionParseError:
            continue
    return staged


def _node_warnings(nodes, cluster_nodes):
    warnings = []
    for node in nodes:
        if node['member'] is None and cluster_nodes:
            warnings.append('%s is not a member of the cluster the nodes report (no address of it matches): its '
                            'version is that of its binary, %s' % (node['host'], node['installed'].tag))
        elif node['member'] is not None and node['member'].get('is_live') is not True:
            warnings.append('%s is not live: its version is that of its binary, %s' % (node['host'], node['installed'].tag))
    matched = set(id(node['member']) for node in nodes if node['member'] is not None)
    for member in cluster_nodes:
        outside_the_play = id(member) not in matched and member.get('membership') != 'decommissioned'
        if outside_the_play and member.get('is_live') is True:
            warnings.append('the cluster has live node n%s (%s, %s) that is not in the play: it is not upgraded'
                            % (member['id'], member.get('address'), member.get('build')))
    return warnings


# -- the path ----------------------------------------------------------------------------------------------------


def _check_direction(direction, upgrade, current, target):
    """The engine's refusal, or the playbook's: an upgrade playbook does not roll back, rollback.yml does not upgrade."""
    if direction == 'rollback' and target > current:
        raise PlanRefused('rollback.yml only rolls back: %s is newer than %s; run an upgrade playbook'
                          % (target.tag, current.tag))
    if not upgrade['allowed']:
        raise PlanRefused(upgrade['reason'])
    if direction == 'upgrade' and target < current:
        raise PlanRefused("%s is older than the cluster's %s: that is a rollback; run rollback.yml"
                          % (target.tag, current.tag))


def _resolve_hop(engine, step, current, target, hop_versions, releases, running):
    """An exact version for one hop of the engine's plan; a series hop ('v23.2') becomes, in this order, the
    distsql_hop_versions entry of the series, the version of the series a node already runs (an interrupted run of
    this plan), or the highest release of the series in distsql_releases that is not a pre-release."""
    try:
        return engine.parse_version(step)
    except VersionParseError:
        match = _SERIES.match(str(step).strip())
        if not match:
            raise
    series = (int(match.group(1)), int(match.group(2)))
    if series in hop_versions:
        return hop_versions[series]
    on_nodes = [version for version in running if _series_of(version) == series]
    if on_nodes:
        return max(on_nodes)
    known = [version for version, _entry in releases if _series_of(version) == series and not version.is_prerelease]
    if known:
        return max(known)
    raise PlanRefused('no release of series %s is known for the hop from %s to %s: add one to distsql_releases or '
                      'distsql_hop_versions' % (_series_text(series), current.tag, target.tag))


def _distinct_tags(versions):
    seen = []
    for version in sorted(versions):
        if version not in seen:
            seen.append(version)
    return [version.tag for version in seen]


def _and(items):
    items = list(items)
    if len(items) < 2:
        return ''.join(items)
    return '%s and %s' % (', '.join(items[:-1]), items[-1])


def _resuming(direction, current, target, resolved, running):
    """True when the nodes run several versions, all of them steps of this plan; mixed versions off the path refuse."""
    distinct = _distinct_tags(running)
    if len(distinct) < 2:
        return False
    path = [current] + resolved
    if all(version in path for version in running):
        return True
    raise PlanRefused('nodes run %s, which are not steps of one %s to %s: bring them to one build first'
                      % (_and(distinct), direction, target.tag))


def _hop_kind(previous, version):
    same_series = _series_of(previous) == _series_of(version)
    if version > previous:
        return 'patch' if same_series else 'major'
    return 'patch_rollback' if same_series else 'rollback'


def _hops(current, resolved, finalizes, hold_finalization, hosts):
    """Every hop upgrades every node, in play order."""
    hops = []
    previous = current
    for index, version in enumerate(resolved):
        kind = _hop_kind(previous, version)
        last = index == len(resolved) - 1
        finalization_needed = finalizes and kind == 'major'
        hops.append({
            'index': index,
            'version': version.tag,
            'from_version': previous.tag,
            'series': version.series,
            'kind': kind,
            'finalization_needed': finalization_needed,
            'hold': last and hold_finalization and finalization_needed,
            'finalize_after': not last and finalization_needed,
            'hosts': list(hosts),
        })
        previous = version
    return hops


def _kind_label(kind):
    label = str(kind).replace('_', ' ')
    return label if ('upgrade' in label or 'rollback' in label) else label + ' upgrade'


def _finalization_line(hops, kind, target):
    """One line: whether the run finalizes, and what stays held at its end."""
    if not hops:
        return 'not needed (already at %s)' % target.tag
    majors = [hop for hop in hops if hop['finalization_needed']]
    if not majors:
        return 'not needed (%s)' % _kind_label(kind)
    last = majors[-1]
    if any(hop['finalize_after'] for hop in majors):
        ending = ('stays held: %s' % HELD) if last['hold'] else 'is finalized at the end of the run'
        return 'each intermediate major is finalized before the next hop; the last (%s) %s' % (last['series'], ending)
    if last['hold']:
        return 'held after %s: %s' % (last['series'], HELD)
    return 'finalized at the end of the run'


# -- sources -----------------------------------------------------------------------------------------------------


def _restore_sources(nodes, planned, target, releases, sourcing):
    """The release of every version a node runs, where the upgrade replaces it: staged for a restore (an installed
    release does not count as staged there, the upgrade removes it)."""
    planned_versions = set(source['version'] for source in planned)
    running = sorted(set(node['version'] for node in nodes if node['version'].tag not in planned_versions))
    staged_only = [dict(node, installed=None) for node in nodes]
    return _sources(running, target, staged_only, releases, sourcing)


def _present_everywhere(version, nodes, sha256=None):
    """Staged or installed on every node; a staged copy from another archive than the one ``sha256`` names (a bad
    package a re-run replaces) does not count."""
    def staged_as_expected(node):
        recorded = node['staged_sha256'].get(version)
        return version in node['staged'] and (sha256 is None or recorded is None or recorded == sha256)
    return all(version == node['installed'] or staged_as_expected(node) for node in nodes)


def _expected_sha256(entry, is_target, sourcing):
    """The sha256 the configured source of a version names, when the configuration names one."""
    if entry is not None and entry['sha256']:
        return entry['sha256']
    return sourcing['sha256'] if is_target else None


def _entry_for(releases, version):
    """The distsql_releases entry that says where ``version`` comes from (a url or a built binary), or None."""
    return next((item for known, item in releases if known == version and (item['url'] or item['binary'])), None)


def _source(**values):
    return dict((key, values.get(key)) for key in SOURCE_KEYS)


def _sources(resolved, target, nodes, releases, sourcing):
    """One verifiable source per hop version that some node has neither staged nor installed."""
    sources = []
    for version in resolved:
        entry = _entry_for(releases, version)
        if entry is not None and entry['binary']:
            # a build may have been staged before under the same version: staging it again checks its sha256
            if not all(node['installed'] == version for node in nodes):
                sources.append(source_for(version, target, releases, sourcing))
            continue
        if _present_everywhere(version, nodes, _expected_sha256(entry, version == target, sourcing)):
            continue
        sources.append(source_for(version, target, releases, sourcing))
    return sources


def source_for(version, target, releases, sourcing):
    """Where ``version`` comes from: its distsql_releases entry, the controller file (the target only) or the URL
    templates; ``releases`` and ``sourcing`` as release_entries() and release_sourcing() return them."""
    entry = _entry_for(releases, version)
    is_target = version == target
    if entry is not None and entry['binary']:
        # a binary the operator built: it is verified by the version it reports (and its sha256 when given)
        return _source(version=version.tag, binary=entry['binary'], binary_on=entry['binary_on'], sha256=entry['sha256'])
    if entry is not None:
        return _source(version=version.tag, url=entry['url'], sha256=entry['sha256'], checksum_url=entry['checksum_url'])
    if is_target and sourcing['src']:
        return _source(version=version.tag, src=sourcing['src'], sha256=sourcing['sha256'])
    if not sourcing['url_template']:
        raise PlanRefused(NO_SOURCE % version.tag)
    checksum_url = expand_template(sourcing['checksum_template'], version) if sourcing['checksum_template'] else None
    sha256 = sourcing['sha256'] if is_target else None
    if not (checksum_url or sha256):
        raise PlanRefused('distsql_release_sha256 verifies the target %s only: the hop to %s needs '
                          'distsql_release_checksum_url_template or a distsql_releases entry' % (target.tag, version.tag))
    return _source(version=version.tag, url=expand_template(sourcing['url_template'], version), sha256=sha256,
                   checksum_url=checksum_url)


def release_entries(engine, entries):
    """distsql_releases checked and parsed: [(EngineVersion, entry)]."""
    return _releases(engine, entries)


def release_sourcing(params):
    """The controller-file and URL-template sources of upgrade_plan-style params, checked."""
    return _sourcing(params)
