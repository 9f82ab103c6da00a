# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`kwbase version` of KaiwuDB and KWDB builds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb.outputs import parse_kwbase_version
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


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
