# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend version parsing and ordering; packaging.version is the independent oracle for the ordering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

import pytest
from packaging.version import Version

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version

# (engine, text, major, minor, patch, fourth, prerelease, build, product, tag)
PARSE_CASES = [
    ('databend', 'v1.2.636-nightly', 1, 2, 636, None, 'nightly', None, None, 'v1.2.636-nightly'),
    ('databend', '1.2.770', 1, 2, 770, None, None, None, None, '1.2.770'),
    ('databend', 'v1.2.925-patch-9', 1, 2, 925, None, 'patch-9', None, None, 'v1.2.925-patch-9'),
    ('databend', 'v1.2.879-patch.2', 1, 2, 879, None, 'patch.2', None, None, 'v1.2.879-patch.2'),
    ('databend', 'v1.2.636-rc8.6', 1, 2, 636, None, 'rc8.6', None, None, 'v1.2.636-rc8.6'),
    ('databend', 'v1.2.680-p3', 1, 2, 680, None, 'p3', None, None, 'v1.2.680-p3'),
    ('databend', 'v1.2.925-fuse-recovery', 1, 2, 925, None, 'fuse-recovery', None, None, 'v1.2.925-fuse-recovery'),
    ('databend', '0.7.61-nightly', 0, 7, 61, None, 'nightly', None, None, '0.7.61-nightly'),
    ('databend_meta', '1.2.288', 1, 2, 288, None, None, None, None, '1.2.288'),
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
    ('databend', 'v1.2.636-nightly', False),
    ('databend', 'v1.2.636-rc8.6', False),
])
def test_is_prerelease(engine, text, expected):
    assert parse_version(engine, text).is_prerelease is expected


@pytest.mark.parametrize('engine, text, message', [
    ('databend', 'v1.2', "cannot parse databend version string 'v1.2'"),
    ('databend_query', 'nightly', "cannot parse databend version string 'nightly'"),
])
def test_parse_version_errors(engine, text, message):
    with pytest.raises(VersionParseError) as err:
        parse_version(engine, text)
    assert str(err.value) == message


def _pep440(text):
    """The PEP 440 spelling of a Databend tag (the oracle's input)."""
    return text[1:] if text.startswith('v') else text


DATABEND_ORDER_SAMPLE = ['0.7.59', '0.9.41', '1.1.32', '1.2.9', '1.2.53', '1.2.226', '1.2.258', '1.2.288', '1.2.307',
                         '1.2.311', '1.2.547', '1.2.636', '1.2.655', '1.2.709', '1.2.770', '1.10.0', '2.0.0']


@pytest.mark.parametrize('engine, sample', [('databend', DATABEND_ORDER_SAMPLE)])
def test_ordering_agrees_with_packaging(engine, sample):
    shuffled = list(sample)
    random.Random(4).shuffle(shuffled)
    ours = sorted(shuffled, key=lambda text: parse_version(engine, text))
    oracle = sorted(shuffled, key=lambda text: Version(_pep440(text)))
    assert ours == oracle
    for left, right in zip(sample, sample[1:]):
        assert (parse_version(engine, left) < parse_version(engine, right)) == (Version(_pep440(left)) < Version(_pep440(right)))


@pytest.mark.parametrize('engine, lower, higher', [
    ('databend', '1.2.636-nightly', '1.2.770'),
    ('databend', 'v1.2.9', 'v1.2.10'),
])
def test_strictly_ordered(engine, lower, higher):
    low, high = parse_version(engine, lower), parse_version(engine, higher)
    assert low < high and low <= high and high > low and high >= low and low != high
    assert (high < low) is False


@pytest.mark.parametrize('engine, left, right', [
    ('databend', '1.2.636-nightly', '1.2.636'),
    ('databend', 'v1.2.925-patch-9', '1.2.925-fuse-recovery'),
    ('databend', 'v1.2.636-rc8.6', 'v1.2.636-p3'),
])
def test_equal_in_ordering(engine, left, right):
    one, other = parse_version(engine, left), parse_version(engine, right)
    assert one == other and one <= other and one >= other and (one < other) is False
    assert hash(one) == hash(other)
