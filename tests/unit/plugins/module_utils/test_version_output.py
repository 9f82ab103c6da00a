# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.version_output import (
    parse_cockroach_version, parse_databend_long_version, parse_databend_ver, parse_kwbase_version)

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


@pytest.mark.parametrize('name, expected', [
    ('cockroach/version_v23.1.8.txt', {
        'build_tag': 'v23.1.8', 'build_time': '2023/08/04 18:11:44', 'distribution': 'CCL',
        'platform': 'linux amd64 (x86_64-pc-linux-gnu)', 'go_version': 'go1.19.10', 'c_compiler': 'gcc 6.5.0',
        'build_commit_id': '2c1d4afd2c2de091a00a4dba4392ceeaf8504a95', 'build_type': 'release',
        'enabled_assertions': False}),
    ('cockroach/version_v24.3.0-alpha.2.txt', {
        'build_tag': 'v24.3.0-alpha.2', 'build_time': '2024/10/14 18:12:53', 'distribution': 'CCL',
        'platform': 'darwin amd64 (x86_64-apple-darwin19)', 'go_version': 'go1.22.5 X:nocoverageredesign',
        'c_compiler': 'Clang 10.0.0', 'build_commit_id': '45b47f90445fdb0e0c8e07df863c3bbe17daa491',
        'build_type': 'release', 'enabled_assertions': False}),
    ('cockroach/version_docs_no_assertions.txt', {
        'build_tag': '{{page.release_info.version}}', 'build_time': '{{page.release_info.build_time}}',
        'distribution': 'CCL', 'platform': 'darwin amd64 (x86_64-apple-darwin19)', 'go_version': 'go1.15.11',
        'c_compiler': 'Clang 10.0.0', 'build_commit_id': 'ac916850f403f083ea62e2b0dfdfecbbeaaa4d05',
        'build_type': 'release', 'enabled_assertions': None}),
])
def test_cockroach_version_fixtures(name, expected):
    assert parse_cockroach_version(fixture(name)) == expected


def test_cockroach_version_fixture_keeps_the_trailing_space():
    assert 'C Compiler:       Clang 10.0.0 \n' in fixture('cockroach/version_v24.3.0-alpha.2.txt')


def test_cockroach_version_v1_build_sha1_and_assertions_true():
    text = 'Build Tag:   v1.1.3\nBuild Time:  2017/11/27 13:59:10\nBuild SHA-1: abc123\nEnabled Assertions: true\n'
    result = parse_cockroach_version(text)
    assert (result['build_tag'], result['build_commit_id'], result['enabled_assertions']) == ('v1.1.3', 'abc123', True)
    assert result['build_type'] is None


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse cockroach version: the output is empty'),
    (None, 'cannot parse cockroach version: the output is empty'),
    ('Build Time:       2023/08/04 18:11:44\n', 'cannot parse cockroach version: no "Build Tag:" line'),
    ('Build Tag:\n', 'cannot parse cockroach version: no "Build Tag:" line'),
    ('Build Tag:        v23.1.8\nEnabled Assertions: maybe\n',
     "cannot parse cockroach version: Enabled Assertions is 'maybe', expected true or false"),
])
def test_cockroach_version_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_cockroach_version(text)
    assert str(excinfo.value) == message


KWBASE_V2_0_3_2 = {
    'product': 'KaiwuDB', 'build_tag': 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty', 'build_time': '2024/07/19 06:24:00',
    'distribution': '', 'platform': 'linux amd64 (x86_64-linux-gnu)', 'go_version': 'go1.22.5',
    'c_compiler': 'gcc 11.4.0', 'build_commit_id': 'fe5eeb853e0884a963fd43b380a0b0057f88fb19'}


@pytest.mark.parametrize('name', ['kwdb/version_V2.0.3.2_RC3.txt', 'kwdb/version_V2.0.3.2_RC3_source_padding.txt'])
def test_kwbase_version_fixtures(name):
    assert parse_kwbase_version(fixture(name)) == KWBASE_V2_0_3_2


def test_kwbase_version_kwdb_product_name():
    text = 'KWDB Version:     V3.2.1\nBuild Time:       2026/06/30 02:28:59\nBuild SHA-1:      0123abcd\n'
    result = parse_kwbase_version(text)
    assert (result['product'], result['build_tag'], result['build_commit_id']) == ('KWDB', 'V3.2.1', '0123abcd')
    assert result['platform'] is None


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse kwbase version: the output is empty'),
    (fixture('cockroach/version_v23.1.8.txt'),
     'cannot parse kwbase version: the first line is not "KaiwuDB Version:" or "KWDB Version:": \'Build Tag:        v23.1.8\''),
    ('KaiwuDB 2.0.3.2 (x86_64-linux-gnu, built 2024/04/15 03:12:30, go1.15.14, gcc 9.4.0)\n',
     'cannot parse kwbase version: the first line is not "KaiwuDB Version:" or "KWDB Version:": '
     "'KaiwuDB 2.0.3.2 (x86_64-linux-gnu, built 2024/04/15 03:12:30, go1.15.14, gcc 9.4.0)'"),
    ('KWDB Version:\nBuild Time:       2026/06/30 02:28:59\n', 'cannot parse kwbase version: the KWDB Version line is empty'),
])
def test_kwbase_version_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_kwbase_version(text)
    assert str(excinfo.value) == message


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
