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
    assert plan['sources'] == [{'version': '1.2.770-nightly', 'src': None, 'sha256': None,
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
    ({'flow': 'standalone'}, 'Databend runs with upgrade-multi-replica.yml (rolling); the standalone flow is not '
                             'available for Databend yet'),
    ({'target_version': '1.2.900'}, 'databend 1.2.900 is newer than the releases whose min-compatible versions this '
                                    'collection knows (up to 1.2.879; 1.2.880 moved them to CalVer feature sets): check '
                                    'the compatibility by hand and upgrade to 1.2.879 or older'),
    ({'target_version': '1.2.600-nightly'}, 'cannot downgrade databend-query from 1.2.710-nightly to 1.2.600-nightly: '
                                            'Databend does not support rollback'),
])
def test_refusals(overrides, reason):
    nodes = cluster(['1.2.600-nightly'] * 3, ['1.2.710-nightly'] * 2, min_client='0.9.41', data='V003')
    assert plan_deployment(params(overrides.pop('target_version', '1.2.770-nightly'), nodes, **overrides))['reason'] == reason
