# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`databend-query` / `databend-meta` version reports: `--cmd ver` and `-V`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.outputs import parse_databend_long_version, parse_databend_ver
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


@pytest.mark.parametrize('name, expected', [
    ('databend/query_ver_0.7.61.txt', {
        'version': '0.7.61-nightly', 'min_compatible_metasrv_version': '0.7.59',
        'min_compatible_client_version': None, 'data_version': None, 'component': 'query'}),
    ('databend/meta_ver_0.7.61.txt', {
        'version': '0.7.61-nightly', 'min_compatible_metasrv_version': None,
        'min_compatible_client_version': '0.7.57', 'data_version': None, 'component': 'meta'}),
    ('databend/meta_ver_data_version.txt', {
        'version': '1.2.828-nightly', 'min_compatible_metasrv_version': None,
        'min_compatible_client_version': '1.2.288', 'data_version': 'V004', 'component': 'meta'}),
])
def test_databend_ver_fixtures(name, expected):
    assert parse_databend_ver(fixture(name)) == expected


def test_databend_ver_bare_data_version():
    result = parse_databend_ver('version: 1.2.925-patch-9\nmin-compatible-client-version: 1.2.676\ndata-version: V004\n')
    assert (result['version'], result['data_version']) == ('1.2.925-patch-9', 'V004')


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse databend --cmd ver: the output is empty'),
    ('min-compatible-metasrv-version: 0.7.59\n', 'cannot parse databend --cmd ver: no "version:" line'),
    ('version: 0.7.61-nightly\n', 'cannot parse databend --cmd ver: neither "min-compatible-metasrv-version:" nor '
                                  '"min-compatible-client-version:" is printed'),
    ('version: 1.2.828-nightly\nmin-compatible-client-version: 1.2.288\ndata-version: 4\n',
     "cannot parse databend --cmd ver: data-version '4' does not start with V<digits>"),
])
def test_databend_ver_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_databend_ver(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize('text, expected', [
    (fixture('databend/meta_long_version_v1.2.828.txt'), {
        'binary': 'databend-meta', 'version': '1.2.828-nightly', 'commit': '57bb43233f',
        'build': 'rust-1.88.0-nightly-2025-10-17T05:28:23.036793000Z',
        'min_compatible_client_version': '1.2.288', 'data_version': 'V004'}),
    (fixture('databend/meta_long_version_v0.8.69_simd.txt'), {
        'binary': 'databend-meta', 'version': '0.8.69-nightly', 'commit': '04590e7',
        'build': '1.66.0-nightly-2022-10-11T16:22:38.605212732Z',
        'min_compatible_client_version': None, 'data_version': None}),
    ('DatabendQuery v1.2.252-nightly-193ed56304(rust-1.75.0-nightly-2023-12-12T22:07:25.371440000Z)', {
        'binary': 'DatabendQuery', 'version': '1.2.252-nightly', 'commit': '193ed56304',
        'build': 'rust-1.75.0-nightly-2023-12-12T22:07:25.371440000Z',
        'min_compatible_client_version': None, 'data_version': None}),
    ('databend-query v1.2.925-patch-9-3b0d1a2c4e(rust-1.88.0-nightly-2025-10-17T05:28:23.036793000Z)\n', {
        'binary': 'databend-query', 'version': '1.2.925-patch-9', 'commit': '3b0d1a2c4e',
        'build': 'rust-1.88.0-nightly-2025-10-17T05:28:23.036793000Z',
        'min_compatible_client_version': None, 'data_version': None}),
    ('v1.2.697-0a1b2c3d4e', {
        'binary': None, 'version': '1.2.697', 'commit': '0a1b2c3d4e', 'build': None,
        'min_compatible_client_version': None, 'data_version': None}),
])
def test_databend_long_version(text, expected):
    assert parse_databend_long_version(text) == expected


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse databend long version: the output is empty'),
    ('databend-meta 1.2.828\n',
     "cannot parse databend long version: expected \"<binary> v<semver>-<commit>(<build>)\", got 'databend-meta 1.2.828'"),
])
def test_databend_long_version_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_databend_long_version(text)
    assert str(excinfo.value) == message
