# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend compatibility: query against meta both ways, meta against its peers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.compat import databend_compatible, meta_peers_compatible
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


def query(version, min_meta):
    return {'version': version, 'min_compatible_metasrv_version': min_meta}


def meta(version, min_client, data_version=None):
    info = {'version': version, 'min_compatible_client_version': min_client}
    if data_version:
        info['data_version'] = data_version
    return info


@pytest.mark.parametrize('query_info, meta_info, expected', [
    (query('1.2.636-nightly', '1.2.258'), meta('1.2.636-nightly', '1.2.288'),
     (True, 'query 1.2.636-nightly and meta 1.2.636-nightly are compatible')),
    (query('0.7.61-nightly', '0.7.59'), meta('0.7.61-nightly', '0.7.57'),
     (True, 'query 0.7.61-nightly and meta 0.7.61-nightly are compatible')),
    (query('1.2.258', '1.2.258'), meta('1.2.258', '1.2.258'), (True, 'query 1.2.258 and meta 1.2.258 are compatible')),
    (query('1.2.200', '1.1.32'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: query 1.2.200 is older than meta 1.2.700 min-compatible-client-version 1.2.288')),
    (query('1.2.929', '1.2.770'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: meta 1.2.700 is older than query 1.2.929 min-compatible-metasrv-version 1.2.770')),
    (query('1.2.200', '1.2.800'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: query 1.2.200 is older than meta 1.2.700 min-compatible-client-version 1.2.288; '
             'meta 1.2.700 is older than query 1.2.200 min-compatible-metasrv-version 1.2.800')),
    ({'version': '1.2.636', 'min-compatible-metasrv-version': '1.2.258'},
     {'version': '1.2.636', 'min-compatible-client-version': '1.2.288', 'data-version': 'V004'},
     (True, 'query 1.2.636 and meta 1.2.636 are compatible')),
])
def test_databend_compatible(query_info, meta_info, expected):
    assert databend_compatible(query_info, meta_info) == expected


@pytest.mark.parametrize('query_info, meta_info, message', [
    ({'version': '1.2.636'}, meta('1.2.636', '1.2.288'),
     "databend-query version info lacks 'min_compatible_metasrv_version': {'version': '1.2.636'}"),
    (query('1.2.636', '1.2.258'), {'version': '1.2.636'},
     "databend-meta version info lacks 'min_compatible_client_version': {'version': '1.2.636'}"),
    ('1.2.636', meta('1.2.636', '1.2.288'), "databend-query version info must be a dict with a 'version' key, got '1.2.636'"),
])
def test_databend_compatible_rejects_bad_info(query_info, meta_info, message):
    with pytest.raises(DistsqlError) as err:
        databend_compatible(query_info, meta_info)
    assert str(err.value) == message


@pytest.mark.parametrize('a_version, b_version, expected', [
    ('1.2.700', '1.2.700', (True, 'meta 1.2.700 and 1.2.700 are the same version')),
    ('1.2.700', '1.2.300', (True, 'meta 1.2.300 and 1.2.700 are compatible peers (1.2.700 accepts [1.2.288, +inf))')),
    ('1.2.655', '1.2.288', (True, 'meta 1.2.288 and 1.2.655 are compatible peers (1.2.655 accepts [1.2.288, +inf))')),
    ('1.2.287', '1.2.655', (False, 'meta 1.2.287 and 1.2.655 are not compatible peers: 1.2.655 accepts peers in [1.2.288, +inf)')),
    ('1.2.500', '1.2.300', (True, 'meta 1.2.300 and 1.2.500 are compatible peers (1.2.500 accepts [1.2.288, 1.2.655))')),
    ('1.2.479', '1.2.250', (False, 'meta 1.2.250 and 1.2.479 are not compatible peers: 1.2.479 accepts peers in [1.2.288, 1.2.655)')),
    ('1.2.300', '0.9.41', (True, 'meta 0.9.41 and 1.2.300 are compatible peers (1.2.300 accepts [0.9.41, 1.2.479))')),
    ('1.2.212', '0.9.40', (False, 'meta 0.9.40 and 1.2.212 are not compatible peers: 1.2.212 accepts peers in [0.9.41, 1.2.479)')),
    ('1.2.800', '1.2.547', (True, 'meta 1.2.547 and 1.2.800 are compatible peers (1.2.800 accepts [1.2.547, +inf))')),
    ('1.2.800', '1.2.546', (False, 'meta 1.2.546 and 1.2.800 are not compatible peers: 1.2.800 accepts peers in [1.2.547, +inf)')),
    ('1.2.929', '1.2.818', (True, 'meta 1.2.818 and 1.2.929 are compatible peers (1.2.929 accepts [1.2.818, +inf))')),
    ('v1.2.934-nightly', '1.2.817',
     (False, 'meta 1.2.817 and v1.2.934-nightly are not compatible peers: v1.2.934-nightly accepts peers in [1.2.818, +inf)')),
    ('1.2.100', '1.2.150', (False, 'meta 1.2.100 and 1.2.150 are not compatible peers: 1.2.150 is outside the meta-to-meta '
                                   'compatibility table')),
])
def test_meta_peers_compatible(a_version, b_version, expected):
    assert meta_peers_compatible(a_version, b_version) == expected
