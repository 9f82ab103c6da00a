# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB/KaiwuDB version parsing and ordering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version

# (engine, text, major, minor, patch, fourth, prerelease, build, product, tag)
PARSE_CASES = [
    ('kwdb', 'V3.1.0', 3, 1, 0, None, None, None, None, 'V3.1.0'),
    ('kwdb', 'V2.0.3.2', 2, 0, 3, 2, None, None, None, 'V2.0.3.2'),
    ('kwdb', 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty', 2, 0, 3, 2, 'RC3', '3-gfe5eeb853e-dirty', None, 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty'),
    ('kwdb', 'v1.0.0', 1, 0, 0, None, None, None, None, 'v1.0.0'),
    ('kwdb', '2.2.0', 2, 2, 0, None, None, None, None, '2.2.0'),
    ('kwdb', 'KaiwuDB V2.0.3.2', 2, 0, 3, 2, None, None, 'KaiwuDB', 'V2.0.3.2'),
    ('kwdb', 'KWDB 2.0.4', 2, 0, 4, None, None, None, 'KWDB', '2.0.4'),
    ('kwdb', 'KaiwuDB 2.0.3.2', 2, 0, 3, 2, None, None, 'KaiwuDB', '2.0.3.2'),
    ('kwdb', 'KWDB 2.0.4 (x86_64-linux-gnu, built 2024/08/06 08:20:18, go1.19, gcc 11.4.0)', 2, 0, 4, None, None, None, 'KWDB', '2.0.4'),
    ('kwdb', 'V3.2.1-dirty', 3, 2, 1, None, None, 'dirty', None, 'V3.2.1-dirty'),
]


@pytest.mark.parametrize('engine, text, major, minor, patch, fourth, prerelease, build, product, tag', PARSE_CASES)
def test_parse_version_fields(engine, text, major, minor, patch, fourth, prerelease, build, product, tag):
    version = parse_version(engine, text)
    assert (version.major, version.minor, version.patch, version.fourth) == (major, minor, patch, fourth)
    assert (version.prerelease, version.build, version.product, version.tag) == (prerelease, build, product, tag)
    assert version.raw == text.strip()
    assert str(version) == text.strip()
    assert version.series == '%d.%d' % (major, minor)
    assert version.release == ((major, minor, patch) if fourth is None else (major, minor, patch, fourth))


@pytest.mark.parametrize('engine, text, expected', [
    ('kwdb', 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty', True),
    ('kwdb', 'V2.0.3.2', False),
])
def test_is_prerelease(engine, text, expected):
    assert parse_version(engine, text).is_prerelease is expected


@pytest.mark.parametrize('engine, text, message', [
    ('kwdb', 'V3', "cannot parse kwdb version string 'V3'"),
    ('kwdb', 'MySQL 8.0.1', "cannot parse kwdb version string 'MySQL 8.0.1'"),
])
def test_parse_version_errors(engine, text, message):
    with pytest.raises(VersionParseError) as err:
        parse_version(engine, text)
    assert str(err.value) == message


@pytest.mark.parametrize('engine, lower, higher', [
    ('kwdb', 'V2.0.3.2_RC3', 'V2.0.3.2'),
    ('kwdb', 'V2.0.3.2_RC3', 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty'),
    ('kwdb', 'V2.0.3.2', 'V2.0.4'),
    ('kwdb', 'V2.0.4', 'V2.0.4.1'),
    ('kwdb', 'KaiwuDB 2.0.3.2', 'KWDB 2.0.4'),
    ('kwdb', 'v1.0.0', 'V2.0.3.2'),
    ('kwdb', 'V2.2.2', 'V3.0.0'),
    ('kwdb', 'V3.0.1', 'V3.1.0'),
    ('kwdb', 'V3.2.0', 'V3.10.0'),
])
def test_strictly_ordered(engine, lower, higher):
    low, high = parse_version(engine, lower), parse_version(engine, higher)
    assert low < high and low <= high and high > low and high >= low and low != high
    assert (high < low) is False


@pytest.mark.parametrize('engine, left, right', [
    ('kwdb', 'V2.0.4', 'V2.0.4.0'),
    ('kwdb', 'KaiwuDB V2.0.3.2', 'V2.0.3.2'),
    ('kwdb', 'v1.0.0', '1.0.0'),
])
def test_equal_in_ordering(engine, left, right):
    one, other = parse_version(engine, left), parse_version(engine, right)
    assert one == other and one <= other and one >= other and (one < other) is False
    assert hash(one) == hash(other)
