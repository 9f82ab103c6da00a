# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`cockroach version` in every variant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.outputs import parse_cockroach_version
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


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
