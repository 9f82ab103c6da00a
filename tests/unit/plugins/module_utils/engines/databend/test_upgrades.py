# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend upgrade plans: waypoints and the rolling order of both components."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.upgrades import plan_databend


def query(version, min_meta):
    return {'version': version, 'min_compatible_metasrv_version': min_meta}


def meta(version, min_client, data_version=None):
    info = {'version': version, 'min_compatible_client_version': min_client}
    if data_version:
        info['data_version'] = data_version
    return info


def _state(query_version, meta_version, compatible=True, reason=None):
    return {'query': query_version, 'meta': meta_version, 'compatible': compatible,
            'reason': reason or 'query %s and meta %s are compatible' % (query_version, meta_version)}


def test_plan_databend_query_first_simple():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'),
                           query('1.2.650', '1.2.258'), meta('1.2.650', '1.2.288', 'V003')).to_dict()
    assert result == {
        'allowed': True, 'kind': 'upgrade', 'hops': ['1.2.650'],
        'reason': 'upgrade databend-query 1.2.600 -> 1.2.650 and databend-meta 1.2.600 -> 1.2.650 in query_first order',
        'warnings': [], 'order': 'query_first',
        'states': [_state('1.2.600', '1.2.600'), _state('1.2.650', '1.2.600'), _state('1.2.650', '1.2.650')],
        'meta_hops': ['1.2.650'],
        'meta_peers': [{'a': '1.2.600', 'b': '1.2.650', 'compatible': True,
                        'reason': 'meta 1.2.600 and 1.2.650 are compatible peers (1.2.650 accepts [1.2.288, 1.2.655))'}],
        'query_offline_required': False, 'meta_offline_required': False}


def test_plan_databend_meta_first_when_new_query_needs_new_meta():
    result = plan_databend(query('1.2.820', '1.2.600'), meta('1.2.820', '1.2.288', 'V004'),
                           query('1.2.929', '1.2.850'), meta('1.2.929', '1.2.676', 'V004')).to_dict()
    assert result['allowed'] and result['order'] == 'meta_first'
    assert result['states'] == [_state('1.2.820', '1.2.820'), _state('1.2.820', '1.2.929'), _state('1.2.929', '1.2.929')]
    assert result['meta_offline_required'] is False
    assert (result['hops'], result['meta_hops']) == (['1.2.929'], ['1.2.929'])


def test_plan_databend_refuses_when_no_order_works():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'),
                           query('1.2.800', '1.2.700'), meta('1.2.800', '1.2.650', 'V004')).to_dict()
    reason = ('no rolling order keeps databend-query and databend-meta compatible: query_first fails at query 1.2.800 with meta '
              '1.2.600 (incompatible: meta 1.2.600 is older than query 1.2.800 min-compatible-metasrv-version 1.2.700); '
              'meta_first fails at query 1.2.600 with meta 1.2.800 (incompatible: query 1.2.600 is older than meta 1.2.800 '
              'min-compatible-client-version 1.2.650)')
    assert (result['allowed'], result['kind'], result['hops'], result['reason'], result['order']) == (False, 'incompatible', [], reason, None)
    assert [state['compatible'] for state in result['states']] == [True, False, True]


def test_plan_databend_query_waypoints_307_311():
    result = plan_databend(query('1.2.306', '1.2.226'), meta('1.2.400', '1.2.288', 'V002'),
                           query('1.2.350', '1.2.226')).to_dict()
    assert (result['allowed'], result['order'], result['hops']) == (True, 'query_first', ['v1.2.307', 'v1.2.311', '1.2.350'])
    assert result['states'] == [_state('1.2.306', '1.2.400'), _state('1.2.307', '1.2.400'), _state('1.2.311', '1.2.400'),
                                _state('1.2.350', '1.2.400')]
    assert (result['meta_hops'], result['meta_peers'], result['warnings']) == ([], [], [])


@pytest.mark.parametrize('current, target, hops', [
    ('1.2.306', '1.2.307', ['1.2.307']),
    ('1.2.306', '1.2.311', ['v1.2.307', '1.2.311']),
    ('1.2.307', '1.2.320', ['v1.2.311', '1.2.320']),
    ('1.2.200', '1.2.320', ['v1.2.307', 'v1.2.311', '1.2.320']),
    ('1.2.311', '1.2.320', ['1.2.320']),
])
def test_plan_databend_query_hops(current, target, hops):
    plan = plan_databend(query(current, '1.2.226'), meta('1.2.400', '1.2.0', 'V002'), query(target, '1.2.226'))
    assert plan.hops == hops


def test_plan_databend_fuse_path_change_needs_query_offline():
    result = plan_databend(query('1.2.700', '1.2.258'), meta('1.2.700', '1.2.288', 'V004'), query('1.2.709', '1.2.258')).to_dict()
    assert (result['allowed'], result['query_offline_required'], result['meta_offline_required']) == (True, True, False)
    assert result['warnings'] == ['databend-query 1.2.709 changed the fuse storage path: upgrade all query nodes of a tenant '
                                  'together, never mixing versions before and after 1.2.709']


@pytest.mark.parametrize('meta_current, expected_hops', [
    (meta('1.2.500', '1.2.288', 'V002'), ['v1.2.655', '1.2.800']),
    (meta('1.2.500', '1.2.288'), ['v1.2.655', '1.2.800']),
    (meta('1.2.600', '1.2.288', 'V003'), ['1.2.800']),
    (meta('1.2.600', '1.2.288'), ['1.2.800']),
])
def test_plan_databend_meta_v002_waypoint(meta_current, expected_hops):
    result = plan_databend(query('1.2.800', '1.2.258'), meta_current, None, meta('1.2.800', '1.2.288', 'V004')).to_dict()
    assert result['allowed'] and result['meta_hops'] == expected_hops
    assert result['hops'] == []


def test_plan_databend_meta_waypoint_states_and_peers():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.400', '1.2.288', 'V002'),
                           query('1.2.800', '1.2.600'), meta('1.2.800', '1.2.288', 'V004')).to_dict()
    assert result['order'] == 'meta_first'
    assert result['states'] == [_state('1.2.600', '1.2.400'), _state('1.2.600', '1.2.655'), _state('1.2.600', '1.2.800'),
                                _state('1.2.800', '1.2.800')]
    assert [peer['compatible'] for peer in result['meta_peers']] == [True, True]
    assert result['meta_offline_required'] is False


def test_plan_databend_incompatible_meta_peers_need_full_stop():
    result = plan_databend(query('1.2.800', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'), None, meta('1.2.929', '1.2.288')).to_dict()
    assert (result['allowed'], result['kind'], result['meta_offline_required']) == (True, 'upgrade', True)
    assert result['warnings'] == ['meta 1.2.600 and 1.2.929 are not compatible peers: 1.2.929 accepts peers in [1.2.818, +inf); '
                                  'stop all databend-meta nodes and upgrade them together']


def test_plan_databend_none():
    result = plan_databend(query('1.2.636-nightly', '1.2.258'), meta('1.2.636', '1.2.288'),
                           query('1.2.636', '1.2.258'), meta('1.2.636', '1.2.288')).to_dict()
    assert result == {'allowed': True, 'kind': 'none', 'hops': [], 'warnings': [],
                      'reason': 'databend-query 1.2.636-nightly and databend-meta 1.2.636 are already at the target',
                      'order': None, 'states': [], 'meta_hops': [], 'meta_peers': [],
                      'query_offline_required': False, 'meta_offline_required': False}


@pytest.mark.parametrize('query_target, meta_target, reason', [
    (query('1.2.600', '1.2.258'), None, 'cannot downgrade databend-query from 1.2.700 to 1.2.600: Databend does not support rollback'),
    (None, meta('1.2.655', '1.2.288'), 'cannot downgrade databend-meta from 1.2.700 to 1.2.655: Databend does not support rollback'),
])
def test_plan_databend_downgrade(query_target, meta_target, reason):
    result = plan_databend(query('1.2.700', '1.2.258'), meta('1.2.700', '1.2.288'), query_target, meta_target).to_dict()
    assert (result['allowed'], result['kind'], result['hops'], result['reason']) == (False, 'downgrade', [], reason)
