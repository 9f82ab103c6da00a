# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a Databend run: order from the two-way rule, meta leader last, refusals naming the rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import known_versions
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.deployment import plan_deployment

MIRROR = 'http://mirror/v{version}/databend-v{version}-x86_64-unknown-linux-gnu.tar.gz'
SHA = 'c' * 64


def meta(version, min_client='1.2.288', data='V004', active=True, staged=()):
    return {'version': version, 'min_compatible': min_client, 'data_version': data, 'service_active': active,
            'staged_releases': list(staged)}


def query(version, min_meta='1.2.259', active=True, staged=()):
    return {'version': version, 'min_compatible': min_meta, 'service_active': active, 'staged_releases': list(staged)}


def cluster(meta_versions, query_versions, **meta_kwargs):
    nodes = [{'host': 'node%d' % (n + 1), 'meta': meta(v, **meta_kwargs), 'query': None}
             for n, v in enumerate(meta_versions)]
    nodes += [{'host': 'node%d' % (len(meta_versions) + n + 1), 'meta': None, 'query': query(v)}
              for n, v in enumerate(query_versions)]
    return nodes


def params(target, nodes, **overrides):
    values = {'target_version': target, 'flow': 'multi_replica', 'nodes': nodes, 'components': None,
              'leader_host': 'node1', 'releases': [], 'release_url_template': MIRROR,
              'release_checksum_url_template': MIRROR + '.sha256sum', 'release_src': None, 'release_sha256': None}
    values.update(overrides)
    return values


def test_known_versions_follow_the_published_transitions():
    assert known_versions.min_compatible('1.2.680-nightly') == ('1.2.259', '1.2.288')
    assert known_versions.min_compatible('1.2.770-nightly') == ('1.2.677', '1.2.288')
    assert known_versions.min_compatible('1.2.828-nightly') == ('1.2.770', '1.2.288')
    assert known_versions.min_compatible('1.2.300') == ('1.2.226', '0.9.41')
    assert known_versions.min_compatible('1.2.880') is None
    assert known_versions.data_version('1.2.600') == 'V003'


def test_a_new_query_that_needs_a_new_meta_goes_meta_first_with_the_leader_last():
    nodes = cluster(['1.2.600-nightly'] * 3, ['1.2.710-nightly'] * 2, min_client='0.9.41', data='V003')
    plan = plan_deployment(params('1.2.770-nightly', nodes))
    assert plan['allowed'] is True, plan['reason']
    assert plan['order'] == 'meta_first'
    assert [(hop['component'], hop['version'], hop['hosts']) for hop in plan['hops']] == [
        ('meta', '1.2.770-nightly', ['node2', 'node3', 'node1']), ('query', '1.2.770-nightly', ['node4', 'node5'])]
    assert [(state['query'], state['meta'], state['compatible']) for state in plan['states']] == [
        ('1.2.710-nightly', '1.2.600-nightly', True), ('1.2.710-nightly', '1.2.770-nightly', True),
        ('1.2.770-nightly', '1.2.770-nightly', True)]
    assert plan['sources'] == [{'version': '1.2.770-nightly', 'src': None, 'binary': None, 'binary_on': None, 'sha256': None,
                                'url': 'http://mirror/v1.2.770-nightly/databend-v1.2.770-nightly-x86_64-unknown-linux-gnu.tar.gz',
                                'checksum_url': 'http://mirror/v1.2.770-nightly/databend-v1.2.770-nightly-x86_64-unknown-'
                                                'linux-gnu.tar.gz.sha256sum'}]
    assert plan['from_version'] == 'meta 1.2.600-nightly, query 1.2.710-nightly'


def test_query_only_keeps_the_meta_and_checks_the_rule_against_it():
    nodes = cluster(['1.2.770-nightly'] * 3, ['1.2.710-nightly'] * 2)
    plan = plan_deployment(params('1.2.770-nightly', nodes, components=['query']))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['hosts']) for hop in plan['hops']] == [('query', ['node4', 'node5'])]


def test_no_order_keeps_both_compatible_names_the_pairs_and_the_rule():
    nodes = cluster(['1.2.200-nightly'] * 3, ['1.2.200-nightly'] * 2, min_client='0.9.41', data='V002')
    for node in nodes[3:]:
        node['query']['min_compatible'] = '1.1.32'
    plan = plan_deployment(params('1.2.770-nightly', nodes))
    assert plan['allowed'] is False
    assert plan['reason'] == (
        'no rolling order keeps databend-query and databend-meta compatible: query_first fails at query 1.2.307 with '
        'meta 1.2.200-nightly (incompatible: meta 1.2.200-nightly is older than query 1.2.307 '
        'min-compatible-metasrv-version 1.2.226); meta_first fails at query 1.2.200-nightly with meta '
        '1.2.770-nightly (incompatible: query 1.2.200-nightly is older than meta 1.2.770-nightly '
        'min-compatible-client-version 1.2.288)')
    assert plan['hops'] == [] and plan['sources'] == []


def test_crossing_the_fuse_path_change_is_refused_for_a_rolling_run():
    nodes = cluster(['1.2.680-nightly'] * 3, ['1.2.680-nightly'] * 2)
    plan = plan_deployment(params('1.2.770-nightly', nodes))
    assert plan['allowed'] is False
    assert plan['reason'] == (
        'databend-query 1.2.680-nightly -> 1.2.770-nightly crosses 1.2.709, which changed the fuse storage path: the '
        'Databend docs say to upgrade every query node of a tenant together and never mix versions before and after '
        '1.2.709, which a rolling upgrade does')


def test_a_resumed_run_skips_nothing_and_says_so():
    nodes = cluster(['1.2.770-nightly', '1.2.600-nightly', '1.2.600-nightly'], ['1.2.710-nightly'] * 2,
                    min_client='0.9.41', data='V003')
    nodes[0]['meta'].update(min_compatible='1.2.288', data_version='V004')
    plan = plan_deployment(params('1.2.770-nightly', nodes))
    assert plan['allowed'] is True, plan['reason']
    assert plan['resuming'] is True
    assert 'resuming an interrupted run: databend-meta nodes run 1.2.600-nightly, 1.2.770-nightly' in plan['notes']


@pytest.mark.parametrize('overrides, reason', [
    ({'flow': 'single_replica', 'components': ['query']}, (
        'upgrading only databend-query breaks the compatibility rule at query 1.2.770-nightly with meta 1.2.600-nightly '
        '(incompatible: meta 1.2.600-nightly is older than query 1.2.770-nightly min-compatible-metasrv-version '
        '1.2.677): upgrade both components (engine_databend_components: [meta, query])')),
    ({'hop_versions': {'1.2.655': '1.2.770-nightly'}, 'target_version': '1.2.828-nightly'}, (
        'distsql_hop_versions maps waypoint 1.2.655 to 1.2.770-nightly, which is not one of its builds '
        '[1.2.547, 1.2.769)')),
    ({'target_version': '1.2.900'}, 'databend 1.2.900 is newer than the releases whose min-compatible versions this '
                                    'collection knows (up to 1.2.879; 1.2.880 moved them to CalVer feature sets): check '
                                    'the compatibility by hand and upgrade to 1.2.879 or older'),
    ({'target_version': '1.2.600-nightly'}, 'cannot downgrade databend-query from 1.2.710-nightly to 1.2.600-nightly: '
                                            'Databend does not support rollback'),
])
def test_refusals(overrides, reason):
    nodes = cluster(['1.2.600-nightly'] * 3, ['1.2.710-nightly'] * 2, min_client='0.9.41', data='V003')
    if 'hop_versions' in overrides:
        nodes = cluster(['1.2.500-nightly'] * 3, ['1.2.710-nightly'] * 2, min_client='0.9.41', data='V002')
    assert plan_deployment(params(overrides.pop('target_version', '1.2.770-nightly'), nodes, **overrides))['reason'] == reason


def old_cluster():
    """A 1.2.200 cluster on V002 meta data: no rolling order fits its way to 1.2.770 (see above)."""
    nodes = cluster(['1.2.200-nightly'] * 3, ['1.2.200-nightly'] * 2, min_client='0.9.41', data='V002')
    for node in nodes[3:]:
        node['query']['min_compatible'] = '1.1.32'
    return nodes


def test_a_full_stop_steps_through_every_waypoint_moving_what_the_pair_needs():
    waypoints = {'1.2.307': '1.2.307-nightly', '1.2.311': '1.2.311-nightly', '1.2.655': '1.2.655-nightly'}
    plan = plan_deployment(params('1.2.770-nightly', old_cluster(), flow='single_replica', hop_versions=waypoints))
    assert plan['allowed'] is True, plan['reason']
    assert plan['order'] == 'offline'
    every_host = ['node1', 'node2', 'node3', 'node4', 'node5']
    assert [(hop['component'], hop['version'], hop['from_version'], hop['hosts']) for hop in plan['hops']] == [
        ('meta+query', '1.2.307-nightly', 'meta 1.2.200-nightly, query 1.2.200-nightly', every_host),
        ('query', '1.2.311-nightly', 'query 1.2.307-nightly', ['node4', 'node5']),
        ('meta+query', '1.2.655-nightly', 'meta 1.2.307-nightly, query 1.2.311-nightly', every_host),
        ('meta+query', '1.2.770-nightly', 'meta 1.2.655-nightly, query 1.2.655-nightly', every_host)]
    assert all(hop['offline'] for hop in plan['hops'])
    assert [(state['query'], state['meta']) for state in plan['states']] == [
        ('1.2.307', '1.2.307'), ('1.2.311', '1.2.307'), ('1.2.655', '1.2.655'), ('1.2.770-nightly', '1.2.770-nightly')]
    assert [source['version'] for source in plan['sources']] == [
        '1.2.307-nightly', '1.2.311-nightly', '1.2.655-nightly', '1.2.770-nightly']
    assert 'waypoint 1.2.307 is 1.2.307-nightly (distsql_hop_versions)' in plan['notes']
    # what each hop's binaries must print (--cmd ver), the published values the order was decided on
    assert plan['predicted'] == {
        '1.2.307-nightly': {'query': '1.2.226', 'meta': '0.9.41'}, '1.2.311-nightly': {'query': '1.2.226', 'meta': '0.9.41'},
        '1.2.655-nightly': {'query': '1.2.259', 'meta': '0.9.41'}, '1.2.770-nightly': {'query': '1.2.677', 'meta': '1.2.288'}}


def test_a_plan_without_hops_predicts_nothing():
    plan = plan_deployment(params('1.2.770-nightly', cluster(['1.2.770-nightly'] * 3, ['1.2.770-nightly'] * 2)))
    assert plan['hops'] == [] and plan['predicted'] == {}, plan


def test_a_waypoint_nobody_names_is_refused_with_the_builds_it_stands_for():
    plan = plan_deployment(params('1.2.770-nightly', old_cluster(), flow='single_replica'))
    assert plan['allowed'] is False
    assert plan['reason'] == (
        'the path to 1.2.770-nightly passes databend waypoint 1.2.307 (builds [1.2.307, 1.2.308)): name the exact '
        'release in distsql_hop_versions, e.g. {"1.2.307": "1.2.307-nightly"}, or list it in distsql_releases')


def test_a_waypoint_comes_from_a_staged_build_or_the_listed_releases():
    nodes = cluster(['1.2.500-nightly'] * 3, ['1.2.500-nightly'] * 2, min_client='0.9.41', data='V002')
    nodes[0]['meta']['staged_releases'] = ['1.2.600-nightly']
    listed = [{'version': '1.2.650-nightly', 'url': 'http://mirror/650.tar.gz', 'sha256': SHA}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='single_replica', releases=listed))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['version']) for hop in plan['hops']] == [
        ('meta+query', '1.2.600-nightly'), ('meta+query', '1.2.828-nightly')]
    assert 'waypoint 1.2.655 is 1.2.600-nightly (a node runs or has staged it)' in plan['notes']
    nodes[0]['meta']['staged_releases'] = []
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='single_replica', releases=listed))
    assert [(hop['component'], hop['version']) for hop in plan['hops']][:1] == [('meta+query', '1.2.650-nightly')]
    assert 'waypoint 1.2.655 is 1.2.650-nightly (distsql_releases)' in plan['notes']


def test_crossing_the_fuse_path_change_is_one_full_stop_step():
    nodes = cluster(['1.2.680-nightly'] * 3, ['1.2.680-nightly'] * 2)
    plan = plan_deployment(params('1.2.770-nightly', nodes, flow='single_replica'))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['components'], hop['hosts']) for hop in plan['hops']] == [
        ('meta+query', ['meta', 'query'], ['node1', 'node2', 'node3', 'node4', 'node5'])]
    assert plan['query_splits'] == []


def test_standalone_moves_both_components_of_its_one_host_in_one_step():
    nodes = [{'host': 'node1', 'meta': meta('1.2.680-nightly'), 'query': query('1.2.770-nightly', min_meta='1.2.677')}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='standalone'))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['version'], hop['from_version'], hop['hosts']) for hop in plan['hops']] == [
        ('meta+query', '1.2.828-nightly', 'meta 1.2.680-nightly, query 1.2.770-nightly', ['node1'])]
    assert plan['client_impact'].startswith('an outage of every step')


def test_a_full_stop_of_the_query_only_leaves_the_meta_hosts_out():
    nodes = cluster(['1.2.828-nightly'] * 3, ['1.2.770-nightly'] * 2)
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='single_replica', components=['query']))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['hosts']) for hop in plan['hops']] == [('query', ['node4', 'node5'])]


def test_a_full_stop_of_the_meta_only_runs_on_the_meta_hosts():
    nodes = cluster(['1.2.680-nightly'] * 3, ['1.2.770-nightly'] * 2)
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='single_replica', components=['meta']))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['hosts']) for hop in plan['hops']] == [('meta', ['node1', 'node2', 'node3'])]


def test_a_full_stop_on_the_target_already_has_no_hop():
    nodes = [{'host': 'node1', 'meta': meta('1.2.828-nightly'), 'query': query('1.2.828-nightly', min_meta='1.2.770')}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, flow='standalone'))
    assert plan['allowed'] is True, plan['reason']
    assert plan['hops'] == [] and plan['client_impact'] == 'none: no node is restarted'


# -- binaries the operator built: a directory holding databend-meta and databend-query --------------------------

BUILT = '/srv/build/databend/target/release'


def standalone(meta_version='1.2.680-nightly', query_version='1.2.770-nightly', staged=()):
    return [{'host': 'node1', 'meta': meta(meta_version, staged=staged),
             'query': query(query_version, min_meta='1.2.677', staged=staged)}]


def built_source(version='1.2.828-nightly', binary=BUILT, binary_on='controller'):
    return {'version': version, 'url': None, 'src': None, 'binary': binary, 'binary_on': binary_on, 'sha256': None,
            'checksum_url': None}


def test_a_directory_of_built_binaries_is_the_source_of_its_version():
    releases = [{'version': '1.2.828-nightly', 'binary': BUILT}]
    plan = plan_deployment(params('1.2.828-nightly', standalone(), flow='standalone', releases=releases))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['version'], hop['hosts']) for hop in plan['hops']] == [
        ('meta+query', '1.2.828-nightly', ['node1'])]
    assert plan['sources'] == [built_source()]
    # the target's min-compatible versions come from the published table, as for a tarball
    assert plan['states'][-1] == {'query': '1.2.828-nightly', 'meta': '1.2.828-nightly', 'compatible': True,
                                  'reason': 'query 1.2.828-nightly and meta 1.2.828-nightly are compatible'}


def test_a_built_directory_on_the_nodes_keeps_binary_on_and_a_rolling_run_sources_it_once():
    nodes = cluster(['1.2.680-nightly'] * 3, ['1.2.770-nightly'] * 2)
    for node in nodes[3:]:
        node['query']['min_compatible'] = '1.2.677'
    releases = [{'version': '1.2.828-nightly', 'binary': BUILT, 'binary_on': 'node'}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, releases=releases))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['version']) for hop in plan['hops']] == [
        ('meta', '1.2.828-nightly'), ('query', '1.2.828-nightly')]
    assert plan['sources'] == [built_source(binary_on='node')]


def test_a_built_directory_is_planned_again_while_a_node_does_not_run_it():
    staged = ['1.2.680-nightly', '1.2.770-nightly', '1.2.828-nightly']
    releases = [{'version': '1.2.828-nightly', 'binary': BUILT}]
    plan = plan_deployment(params('1.2.828-nightly', standalone(staged=staged), flow='standalone', releases=releases))
    assert plan['sources'] == [built_source()], 'a staged copy may be an older build of 1.2.828-nightly'
    listed = [{'version': '1.2.828-nightly', 'url': 'http://mirror/828.tar.gz', 'sha256': SHA}]
    plan = plan_deployment(params('1.2.828-nightly', standalone(staged=staged), flow='standalone', releases=listed))
    assert plan['sources'] == [], 'a staged tarball release needs no source'


def test_a_resumed_rolling_run_plans_the_built_directory_until_every_node_runs_it():
    nodes = cluster(['1.2.828-nightly', '1.2.680-nightly', '1.2.680-nightly'], ['1.2.770-nightly'] * 2,
                    staged=['1.2.828-nightly'])
    for node in nodes[3:]:
        node['query'].update(min_compatible='1.2.677', staged_releases=['1.2.828-nightly'])
    releases = [{'version': '1.2.828-nightly', 'binary': BUILT}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, releases=releases))
    assert plan['allowed'] is True and plan['resuming'] is True, plan['reason']
    assert plan['sources'] == [built_source()]


def test_only_the_query_moving_to_a_built_version_sources_it_for_the_query_hop():
    nodes = cluster(['1.2.828-nightly'] * 3, ['1.2.770-nightly'] * 2, staged=['1.2.828-nightly'])
    releases = [{'version': '1.2.828-nightly', 'binary': BUILT}]
    plan = plan_deployment(params('1.2.828-nightly', nodes, components=['query'], releases=releases))
    assert plan['allowed'] is True, plan['reason']
    assert [(hop['component'], hop['hosts']) for hop in plan['hops']] == [('query', ['node4', 'node5'])]
    assert plan['sources'] == [built_source()]


@pytest.mark.parametrize('entry, reason', [
    ({'version': '1.2.828-nightly', 'binary': BUILT, 'sha256': SHA}, (
        'distsql_releases entry 1.2.828-nightly: sha256 does not apply to a Databend binary entry, whose binary names '
        'the directory holding the built databend-meta and databend-query; each is verified by the version it '
        'reports: remove sha256')),
    ({'version': '1.2.900', 'binary': BUILT}, (
        'distsql_releases entry 1.2.900: databend 1.2.900 is newer than the releases whose min-compatible versions '
        'this collection knows (up to 1.2.879; 1.2.880 moved them to CalVer feature sets), so the binaries built in '
        '/srv/build/databend/target/release cannot be planned: check the compatibility by hand and build 1.2.879 or '
        'older')),
    ({'version': '1.2.828-nightly', 'binary': 'target/release'}, (
        'distsql_releases entry 1.2.828-nightly: binary must be an absolute path, got target/release')),
    ({'version': '1.2.828-nightly', 'binary': BUILT, 'url': 'http://mirror/828.tar.gz', 'sha256': SHA}, (
        'distsql_releases entry 1.2.828-nightly has both a url and a binary: give one source per release')),
])
@pytest.mark.parametrize('inputs_only', [True, False])
def test_built_binary_entries_that_cannot_be_staged_or_planned_are_refused_before_any_host_is_read(
        entry, reason, inputs_only):
    values = params('1.2.828-nightly', standalone(), flow='standalone', releases=[entry], inputs_only=inputs_only)
    if inputs_only:
        values['nodes'] = []
    plan = plan_deployment(values)
    assert plan['allowed'] is False and plan['reason'] == reason
    assert plan['hops'] == [] and plan['sources'] == []
