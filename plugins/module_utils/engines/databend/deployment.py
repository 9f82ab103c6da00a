# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a Databend run: the hops of each component in the order the two-way rule allows, the hosts of each
hop (meta followers first, the raft leader last), and where each release comes from. Pure: no network, no CLI.

A release comes from a tarball (both components in bin/) or from binaries the operator built: a distsql_releases
entry whose ``binary`` names a directory holding databend-meta and databend-query (cargo's target/release, or an
unpacked tarball's bin/). Each component stages its own file of it, verified by the version it reports; a
directory has no sha256, and its version must be one whose min-compatible versions known_versions predicts.

``plan_deployment(params)`` takes the databend_plan module's options and returns its result, shaped like the
upgrade_plan result (allowed, reason, notes, hops, sources, client_impact, ...) plus Databend's own keys: order,
states (every query/meta pair the run passes through, with the rule's verdict), meta_peers and query_splits.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import known_versions
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.compat import MIN_KEYS
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.upgrades import (
    WAYPOINT_RANGES, plan_databend, plan_databend_offline, waypoint_accepts, waypoint_range_text)
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_plan import (
    PlanRefused, release_entries, release_sourcing, source_for)

COMPONENTS = ('meta', 'query')
# query releases that move the cluster registration key (__fd_clusters_v2.._v6): query nodes on either side of one
# do not see each other (flow-surfaces-databend.md 4.2)
QUERY_PREFIX_CHANGES = ((1, 2, 628), (1, 2, 647), (1, 2, 671), (1, 2, 684))
CLIENT_IMPACT = {
    'multi_replica': ('none expected through a load balancer: one databend-meta node at a time is down and the raft '
                      'leader moves before its node stops; one databend-query node at a time stops gracefully (its '
                      'listeners close first, the load balancer retries on the others)'),
    'single_replica': ('an outage of every step: each step stops every databend-query, then every databend-meta when '
                       'meta moves, switches the binaries and starts meta (until it has a leader) and then query'),
    'standalone': ('an outage of every step: the host stops databend-query (and databend-meta when meta moves), '
                   'switches the binaries and starts meta and then query'),
}
OFFLINE_FLOWS = ('single_replica', 'standalone')
BUILT_SHA256 = ('distsql_releases entry %s: sha256 does not apply to a Databend binary entry, whose binary names the '
                'directory holding the built databend-meta and databend-query; each is verified by the version it '
                'reports: remove sha256')
BUILT_UNKNOWN = ('distsql_releases entry %s: databend %s is newer than the releases whose min-compatible versions '
                 'this collection knows (up to 1.2.879; 1.2.880 moved them to CalVer feature sets), so the binaries '
                 'built in %s cannot be planned: check the compatibility by hand and build 1.2.879 or older')


def plan_deployment(params):
    plan = {
        'allowed': False, 'kind': None, 'reason': None, 'notes': [], 'from_version': None,
        'target_version': params.get('target_version'), 'nodes': [], 'resuming': False, 'hops': [], 'sources': [],
        'finalization_needed': False, 'finalization': 'not needed (Databend has no cluster version to finalize)',
        'client_impact': None, 'order': None, 'states': [], 'meta_peers': [], 'query_splits': [], 'predicted': {},
        'leader_host': params.get('leader_host'),
    }
    try:
        _plan(plan, params)
    except DistsqlError as exc:
        plan.update(allowed=False, reason=str(exc))
    return plan


def _plan(plan, params):
    offline = params['flow'] in OFFLINE_FLOWS
    plan['client_impact'] = CLIENT_IMPACT[params['flow']]
    target = _version(params['target_version'], 'target_version')
    plan['target_version'] = target.tag
    releases = _built_entries_checked(release_entries(_SCHEME_ENGINE, params.get('releases') or []))
    sourcing = release_sourcing(params)
    if params.get('inputs_only'):
        plan.update(allowed=True, reason='the versions and release sources given are well formed')
        return
    nodes = _nodes(params.get('nodes') or [])
    plan['nodes'] = [_node_line(node) for node in nodes]
    upgrading = _components(params.get('components') or list(COMPONENTS), nodes)
    running = dict((component, _running(nodes, component)) for component in COMPONENTS)
    current = dict((component, min(running[component])) for component in COMPONENTS)
    plan['from_version'] = ', '.join('%s %s' % (c, current[c].tag) for c in COMPONENTS)
    targets = dict((c, _target_info(c, target) if c in upgrading else _current_info(nodes, c, current[c]))
                   for c in COMPONENTS)
    planner = plan_databend_offline if offline else plan_databend
    result = planner(_current_info(nodes, 'query', current['query']),
                     _current_info(nodes, 'meta', current['meta']), targets['query'], targets['meta']).to_dict()
    plan.update(kind='databend' if result['kind'] == 'upgrade' else result['kind'], order=result['order'],
                states=result['states'],
                meta_peers=result['meta_peers'])
    plan['notes'] = result['warnings'] + plan['notes']
    if not result['allowed']:
        raise PlanRefused(_refusal(result, upgrading))
    waypoints = _Waypoints(target, nodes, releases, params.get('hop_versions') or {}, plan['notes'])
    if offline:
        plan['resuming'] = any(len(set(running[c])) > 1 for c in COMPONENTS)
        plan['hops'] = _offline_hops(result, current, nodes, waypoints)
    else:
        _refuse_offline_only(result, current, target)
        plan['resuming'] = _resuming(running, current, result, plan)
        plan['query_splits'] = _query_splits(current['query'], SCHEME.as_version(targets['query']['version']))
        plan['notes'] += [split['note'] for split in plan['query_splits']]
        plan['hops'] = _hops(result, current, nodes, params.get('leader_host'), waypoints)
    plan['sources'] = _sources(plan['hops'], target, nodes, releases, sourcing)
    plan['predicted'] = _predicted(plan['hops'])
    if not plan['hops']:
        plan['client_impact'] = 'none: no node is restarted'
    plan.update(allowed=True, reason=result['reason'])


class _SchemeEngine:
    """What release_entries() needs of an engine: its version grammar."""

    @staticmethod
    def parse_version(text):
        return SCHEME.parse(text)


_SCHEME_ENGINE = _SchemeEngine()


def _built_entries_checked(releases):
    """distsql_releases as release_entries() returns them, with the Databend rules of a built-binary entry: its binary
    is a directory of both components (no sha256 to check) of a release the min-compatible table covers."""
    for version, entry in releases:
        if not entry['binary']:
            continue
        if entry['sha256']:
            raise PlanRefused(BUILT_SHA256 % version.tag)
        if known_versions.min_compatible(version.tag) is None:
            raise PlanRefused(BUILT_UNKNOWN % (version.tag, version.tag, entry['binary']))
    return releases


def _version(text, what):
    try:
        return SCHEME.parse(str(text))
    except VersionParseError as exc:
        raise PlanRefused('%s: %s' % (what, exc))


# -- the nodes -------------------------------------------------------------------------------------------------


def _nodes(reported):
    if not reported:
        raise PlanRefused('nodes is empty: there is nothing to plan for')
    nodes = []
    for entry in reported:
        node = {'host': entry['host']}
        for component in COMPONENTS:
            node[component] = _component_state(entry, component)
        if node['meta'] is None and node['query'] is None:
            raise PlanRefused('%s runs neither databend-meta nor databend-query: put it in databend_meta or '
                              'databend_query' % entry['host'])
        nodes.append(node)
    return nodes


def _component_state(entry, component):
    state = entry.get(component)
    if not state:
        return None
    where = '%s databend-%s' % (entry['host'], component)
    return {
        'version': _version(state['version'], where + ' version'),
        'min_compatible': state.get('min_compatible'),
        'data_version': state.get('data_version'),
        'service_active': bool(state.get('service_active')),
        'staged': [_version(text, where + ' staged release') for text in state.get('staged_releases') or []],
    }


def _node_line(node):
    parts = ['%s %s' % (c, node[c]['version'].tag) for c in COMPONENTS if node[c] is not None]
    return {'host': node['host'], 'version': ', '.join(parts),
            'service_active': all(node[c]['service_active'] for c in COMPONENTS if node[c] is not None)}


def _components(asked, nodes):
    unknown = [c for c in asked if c not in COMPONENTS]
    if unknown or not asked:
        raise PlanRefused('components must list meta and/or query, got %s' % ', '.join(map(str, asked)))
    for component in COMPONENTS:
        if not any(node[component] is not None for node in nodes):
            raise PlanRefused('no host of the play runs databend-%s: a Databend plan needs both components (the '
                              'rule is two-way)' % component)
    return asked


def _running(nodes, component):
    return [node[component]['version'] for node in nodes if node[component] is not None]


def _current_info(nodes, component, version):
    """The --cmd ver dict of the oldest running version of ``component``, as its binary printed it."""
    state = next(node[component] for node in nodes if node[component] is not None and node[component]['version'] == version)
    if not state['min_compatible']:
        raise PlanRefused('databend-%s %s reported no min-compatible version: node_state reads it from --cmd ver'
                          % (component, version.tag))
    info = {'version': version.tag, MIN_KEYS[component]: state['min_compatible']}
    if component == 'meta':
        info['data_version'] = state['data_version']
    return info


def _target_info(component, target):
    info = known_versions.component_info(component, target.tag)
    if info is None:
        raise PlanRefused('databend %s is newer than the releases whose min-compatible versions this collection '
                          'knows (up to 1.2.879; 1.2.880 moved them to CalVer feature sets): check the compatibility '
                          'by hand and upgrade to 1.2.879 or older' % target.tag)
    return info


# -- the path --------------------------------------------------------------------------------------------------


def _refusal(result, upgrading):
    """The planner's reason; when one component moves alone, the state that breaks the rule, in one line."""
    failing = [state for state in result['states'] if not state['compatible']]
    if len(upgrading) == 1 and failing:
        return ('upgrading only databend-%s breaks the compatibility rule at query %s with meta %s (%s): upgrade both '
                'components (engine_databend_components: [meta, query])'
                % (upgrading[0], failing[0]['query'], failing[0]['meta'], failing[0]['reason']))
    return result['reason']


def _refuse_offline_only(result, current, target):
    if result['meta_offline_required']:
        failing = [peer['reason'] for peer in result['meta_peers'] if not peer['compatible']]
        raise PlanRefused('a rolling upgrade of databend-meta %s -> %s would mix raft peers that cannot work '
                          'together: %s; every databend-meta must be stopped and upgraded together, which '
                          'upgrade-multi-replica.yml does not do' % (current['meta'].tag, target.tag, '; '.join(failing)))
    if result['query_offline_required']:
        raise PlanRefused('databend-query %s -> %s crosses 1.2.709, which changed the fuse storage path: the Databend '
                          'docs say to upgrade every query node of a tenant together and never mix versions before '
                          'and after 1.2.709, which a rolling upgrade does' % (current['query'].tag, target.tag))


def _resuming(running, current, result, plan):
    """True when a component's nodes run two versions that are both steps of this plan (an interrupted run)."""
    resuming = False
    for component in COMPONENTS:
        distinct = sorted(set(running[component]))
        if len(distinct) < 2:
            continue
        path = [current[component]] + [SCHEME.as_version(v) for v in _component_hops(result, component)]
        if not all(version in path for version in distinct):
            raise PlanRefused('databend-%s nodes run %s, which are not steps of one upgrade to %s: Databend needs '
                              'every node of a component on one version; bring them to one version first'
                              % (component, ', '.join(v.tag for v in distinct), plan['target_version']))
        resuming = True
        plan['notes'].append('resuming an interrupted run: databend-%s nodes run %s'
                             % (component, ', '.join(v.tag for v in distinct)))
    return resuming


def _component_hops(result, component):
    return result['meta_hops'] if component == 'meta' else result['hops']


def _query_splits(current, target):
    splits = []
    for change in QUERY_PREFIX_CHANGES:
        if current.release < change <= target.release:
            text = '.'.join(str(n) for n in change)
            splits.append({'release': text, 'note': (
                'databend-query %s changed the cluster registration key: while the query nodes are rolled, those '
                'on %s and those on %s form separate clusters (each sees only its own); the report records how long'
                % (text, current.tag, target.tag))})
    return splits[-1:]


class _Waypoints:
    """Turns a waypoint of the plan (1.2.307, 1.2.311, 1.2.655) into an exact release: the one distsql_hop_versions
    names, else the newest build it stands for that a node runs or has staged, else the newest in distsql_releases."""

    def __init__(self, target, nodes, releases, hop_versions, notes):
        self.target, self.notes, self.hop_versions = target, notes, hop_versions
        self.on_nodes = [state['version'] for node in nodes for state in (node['meta'], node['query']) if state]
        self.on_nodes += [version for node in nodes for state in (node['meta'], node['query']) if state
                          for version in state['staged']]
        self.listed = [version for version, _entry in releases]

    def exact(self, text):
        version = SCHEME.as_version(text)
        if text not in WAYPOINT_RANGES or version == self.target:
            return version
        if text in self.hop_versions:
            return self._named(text)
        for where, known in (('a node runs or has staged it', self.on_nodes), ('distsql_releases', self.listed)):
            builds = [build for build in known if waypoint_accepts(text, build)]
            if builds:
                self.notes.append('waypoint %s is %s (%s)' % (text, max(builds).tag, where))
                return max(builds)
        raise PlanRefused('the path to %s passes databend waypoint %s (builds %s): name the exact release in '
                          'distsql_hop_versions, e.g. {"%s": "%s-nightly"}, or list it in distsql_releases'
                          % (self.target.tag, text, waypoint_range_text(text), text, text))

    def _named(self, text):
        version = _version(self.hop_versions[text], 'distsql_hop_versions %s' % text)
        if not waypoint_accepts(text, version):
            raise PlanRefused('distsql_hop_versions maps waypoint %s to %s, which is not one of its builds %s'
                              % (text, version.tag, waypoint_range_text(text)))
        self.notes.append('waypoint %s is %s (distsql_hop_versions)' % (text, version.tag))
        return version


def _hops(result, current, nodes, leader_host, waypoints):
    order = ('meta', 'query') if result['order'] == 'meta_first' else ('query', 'meta')
    hops = []
    for component in order:
        previous = current[component]
        for text in _component_hops(result, component):
            # plan_databend names waypoints v1.2.307; the hop takes the exact release the binaries print
            version = waypoints.exact(text.lstrip('v'))
            if version == previous:
                continue
            hops.append({'index': len(hops), 'component': component, 'version': version.tag,
                         'from_version': previous.tag, 'hosts': _hop_hosts(nodes, component, leader_host),
                         'kind': 'upgrade', 'series': None, 'finalization_needed': False, 'hold': False,
                         'finalize_after': False})
            previous = version
    return hops


def _offline_hops(result, current, nodes, waypoints):
    """One hop per step, on every host that runs a component the step moves."""
    hops, previous = [], dict(current)
    for step in result.get('steps', []):
        version = waypoints.exact(step['version'])
        components = step['components']
        hosts = [node['host'] for node in nodes if any(node[c] is not None for c in components)]
        hops.append({'index': len(hops), 'component': '+'.join(components), 'components': components,
                     'offline': True, 'version': version.tag,
                     'from_version': ', '.join('%s %s' % (c, previous[c].tag) for c in components),
                     'hosts': hosts, 'kind': 'upgrade', 'series': None, 'finalization_needed': False,
                     'hold': False, 'finalize_after': False})
        previous.update((c, version) for c in components)
    return hops


def _hop_components(hop):
    return hop.get('components') or [hop['component']]


def _hop_hosts(nodes, component, leader_host):
    hosts = [node['host'] for node in nodes if node[component] is not None]
    if component == 'meta' and leader_host in hosts:
        hosts = [host for host in hosts if host != leader_host] + [leader_host]
    return hosts


def _sources(hops, target, nodes, releases, sourcing):
    """One source per hop version that some host of that hop has not staged yet (the tarball holds both binaries); a
    built binary's directory while some host of a hop to it does not run it (staging it again checks a rebuild)."""
    sources, seen = [], set()
    built = [version for version, entry in releases if entry['binary']]
    for hop in hops:
        version = SCHEME.as_version(hop['version'])
        if version.tag in seen:
            continue
        in_hop = [node for node in nodes if node['host'] in hop['hosts']]
        missing = [node for node in in_hop
                   if any(node[c] is not None and not _present(node[c], version, version in built)
                          for c in _hop_components(hop))]
        if missing:
            seen.add(version.tag)
            sources.append(source_for(version, target, releases, sourcing))
    return sources


def _predicted(hops):
    """{version: {query: its min-compatible-metasrv-version, meta: its min-compatible-client-version}} of every hop
    version, as the published table gives them: the order was decided on these, so each staged binary must print
    them (a build of a branch may not)."""
    predicted = {}
    for hop in hops:
        known = known_versions.min_compatible(hop['version'])
        if known is not None:
            predicted[hop['version']] = {'query': known[0], 'meta': known[1]}
    return predicted


def _present(state, version, built):
    """A component has what a hop to ``version`` needs: a staged tarball release, or for a built binary the version
    running (a staged copy may be an older build of that version)."""
    return state['version'] == version if built else version in state['staged']
