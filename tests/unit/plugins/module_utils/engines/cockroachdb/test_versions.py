# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB version parsing and ordering; packaging.version is the independent oracle for the ordering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re

import pytest
from packaging.version import Version

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version

# (engine, text, major, minor, patch, fourth, prerelease, build, product, tag)
PARSE_CASES = [
    ('cockroachdb', 'v23.1.8', 23, 1, 8, None, None, None, None, 'v23.1.8'),
    ('cockroachdb', '23.1.8', 23, 1, 8, None, None, None, None, '23.1.8'),
    ('cockroachdb', 'v25.4.1\n', 25, 4, 1, None, None, None, None, 'v25.4.1'),
    ('cockroachdb', 'v24.3.0-alpha.2', 24, 3, 0, None, 'alpha.2', None, None, 'v24.3.0-alpha.2'),
    ('cockroachdb', 'v23.2.0-beta.1', 23, 2, 0, None, 'beta.1', None, None, 'v23.2.0-beta.1'),
    ('cockroachdb', 'v24.1.0-rc.1', 24, 1, 0, None, 'rc.1', None, None, 'v24.1.0-rc.1'),
    ('cockroachdb', 'v22.1.22-29-g865aff1595', 22, 1, 22, None, None, '29-g865aff1595', None, 'v22.1.22-29-g865aff1595'),
    ('cockroachdb', 'v24.1.0-dev-2c1d4afd2c', 24, 1, 0, None, 'dev', '2c1d4afd2c', None, 'v24.1.0-dev-2c1d4afd2c'),
    ('cockroachdb', 'v25.2.0-alpha.00000000-dev-45b47f9044', 25, 2, 0, None, 'alpha.00000000', 'dev-45b47f9044', None,
     'v25.2.0-alpha.00000000-dev-45b47f9044'),
    ('cockroachdb', 'CockroachDB CCL v23.1.8 (x86_64-pc-linux-gnu, built 2023/08/04 18:11:44, go1.19.10)',
     23, 1, 8, None, None, None, None, 'v23.1.8'),
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
    ('cockroachdb', 'v24.3.0-alpha.2', True),
    ('cockroachdb', 'v24.1.0-rc.1', True),
    ('cockroachdb', 'v24.1.0-dev-2c1d4afd2c', True),
    ('cockroachdb', 'v22.1.22-29-g865aff1595', False),
    ('cockroachdb', 'v23.1.8', False),
])
def test_is_prerelease(engine, text, expected):
    assert parse_version(engine, text).is_prerelease is expected


@pytest.mark.parametrize('engine, text, message', [
    ('cockroachdb', 'banana', "cannot parse cockroachdb version string 'banana'"),
    ('cockroachdb', 'v23.1', "cannot parse cockroachdb version string 'v23.1'"),
    ('cockroachdb', 'v24.3.0-gamma.1', "cannot parse cockroachdb version string 'v24.3.0-gamma.1'"),
    ('cockroachdb', '', "cannot parse cockroachdb version string ''"),
    ('cockroachdb', None, "cannot parse cockroachdb version string None: expected a string"),
])
def test_parse_version_errors(engine, text, message):
    with pytest.raises(VersionParseError) as err:
        parse_version(engine, text)
    assert str(err.value) == message


def _pep440(text):
    """The PEP 440 spelling of a CockroachDB/Databend tag (the oracle's input)."""
    text = re.sub(r'^v', '', text)
    text = re.sub(r'-(alpha|beta|rc)\.(\d+)', lambda m: {'alpha': 'a', 'beta': 'b', 'rc': 'rc'}[m.group(1)] + m.group(2), text)
    text = re.sub(r'-(\d+)-g[0-9a-f]+$', r'.post\1', text)
    return re.sub(r'-dev-[0-9a-f]+$', '.dev0', text)


CRDB_ORDER_SAMPLE = [
    'v1.1.9', 'v2.1.0', 'v19.2.12', 'v21.2.17', 'v22.1.0', 'v22.1.22', 'v22.1.22-29-g865aff1595', 'v22.2.0-beta.1',
    'v22.2.0-rc.1', 'v22.2.0', 'v23.1.8', 'v23.1.10', 'v23.2.0-alpha.1', 'v23.2.0-alpha.11', 'v23.2.0-alpha.2',
    'v24.1.0-dev-2c1d4afd2c', 'v24.1.0-alpha.1', 'v24.1.0-rc.1', 'v24.1.0', 'v24.1.0-3-g0123abcd', 'v24.3.0-alpha.2',
    'v24.3.0-alpha.2-5-g45b47f9044', 'v24.3.5', 'v25.4.1', '100.0.0',
]


@pytest.mark.parametrize('engine, sample', [('cockroachdb', CRDB_ORDER_SAMPLE)])
def test_ordering_agrees_with_packaging(engine, sample):
    shuffled = list(sample)
    random.Random(4).shuffle(shuffled)
    ours = sorted(shuffled, key=lambda text: parse_version(engine, text))
    oracle = sorted(shuffled, key=lambda text: Version(_pep440(text)))
    assert ours == oracle
    for left, right in zip(sample, sample[1:]):
        assert (parse_version(engine, left) < parse_version(engine, right)) == (Version(_pep440(left)) < Version(_pep440(right)))


@pytest.mark.parametrize('engine, lower, higher', [
    ('cockroachdb', 'v24.1.0-alpha.3', 'v24.1.0-beta.1'),
    ('cockroachdb', 'v24.1.0-beta.3', 'v24.1.0-rc.1'),
    ('cockroachdb', 'v24.1.0-rc.3', 'v24.1.0'),
    ('cockroachdb', 'v22.1.22', 'v22.1.22-29-g865aff1595'),
    ('cockroachdb', 'v22.1.22-29-g865aff1595', 'v22.1.23'),
    ('cockroachdb', 'v24.1.0-dev-abc', 'v24.1.0-alpha.1'),
    ('cockroachdb', 'v25.2.0-alpha.00000000', 'v25.2.0-alpha.00000000-dev-45b47f9044'),
])
def test_strictly_ordered(engine, lower, higher):
    low, high = parse_version(engine, lower), parse_version(engine, higher)
    assert low < high and low <= high and high > low and high >= low and low != high
    assert (high < low) is False


@pytest.mark.parametrize('engine, left, right', [
    ('cockroachdb', 'v23.1.8', '23.1.8'),
])
def test_equal_in_ordering(engine, left, right):
    one, other = parse_version(engine, left), parse_version(engine, right)
    assert one == other and one <= other and one >= other and (one < other) is False
    assert hash(one) == hash(other)
