# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version parsing and ordering; packaging.version is the independent oracle for the ordering."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import operator
import random
import re

import pytest
from packaging.version import Version

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import (
    ENGINES, EngineVersion, as_version, normalize_engine, parse_version)


@pytest.mark.parametrize('name, expected', [
    ('cockroachdb', 'cockroachdb'),
    ('CockroachDB', 'cockroachdb'),
    ('crdb', 'cockroachdb'),
    ('kwdb', 'kwdb'),
    ('KaiwuDB', 'kwdb'),
    ('databend', 'databend'),
    ('databend_query', 'databend'),
    ('databend_meta', 'databend'),
    ('databend-meta', 'databend'),
])
def test_normalize_engine(name, expected):
    assert normalize_engine(name) == expected


def test_engines_constant():
    assert ENGINES == ('cockroachdb', 'kwdb', 'databend')


def test_normalize_engine_rejects_unknown():
    with pytest.raises(DistsqlError) as err:
        normalize_engine('postgres')
    assert str(err.value) == "unknown engine 'postgres': expected one of cockroachdb, kwdb, databend"


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


def test_to_dict():
    assert parse_version('kwdb', 'KaiwuDB V2.0.3.2_RC3-3-gfe5eeb853e-dirty').to_dict() == {
        'engine': 'kwdb', 'major': 2, 'minor': 0, 'patch': 3, 'fourth': 2, 'prerelease': 'RC3',
        'build': '3-gfe5eeb853e-dirty', 'product': 'KaiwuDB', 'series': '2.0',
        'raw': 'KaiwuDB V2.0.3.2_RC3-3-gfe5eeb853e-dirty', 'tag': 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty'}


@pytest.mark.parametrize('engine, text, expected', [
    ('cockroachdb', 'v24.3.0-alpha.2', True),
    ('cockroachdb', 'v24.1.0-rc.1', True),
    ('cockroachdb', 'v24.1.0-dev-2c1d4afd2c', True),
    ('cockroachdb', 'v22.1.22-29-g865aff1595', False),
    ('cockroachdb', 'v23.1.8', False),
    ('kwdb', 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty', True),
    ('kwdb', 'V2.0.3.2', False),
    ('databend', 'v1.2.636-nightly', False),
    ('databend', 'v1.2.636-rc8.6', False),
])
def test_is_prerelease(engine, text, expected):
    assert parse_version(engine, text).is_prerelease is expected


@pytest.mark.parametrize('engine, text, message', [
    ('cockroachdb', 'banana', "cannot parse cockroachdb version string 'banana'"),
    ('cockroachdb', 'v23.1', "cannot parse cockroachdb version string 'v23.1'"),
    ('cockroachdb', 'v24.3.0-gamma.1', "cannot parse cockroachdb version string 'v24.3.0-gamma.1'"),
    ('cockroachdb', '', "cannot parse cockroachdb version string ''"),
    ('kwdb', 'V3', "cannot parse kwdb version string 'V3'"),
    ('kwdb', 'MySQL 8.0.1', "cannot parse kwdb version string 'MySQL 8.0.1'"),
    ('databend', 'v1.2', "cannot parse databend version string 'v1.2'"),
    ('databend_query', 'nightly', "cannot parse databend version string 'nightly'"),
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
DATABEND_ORDER_SAMPLE = ['0.7.59', '0.9.41', '1.1.32', '1.2.9', '1.2.53', '1.2.226', '1.2.258', '1.2.288', '1.2.307',
                         '1.2.311', '1.2.547', '1.2.636', '1.2.655', '1.2.709', '1.2.770', '1.10.0', '2.0.0']


@pytest.mark.parametrize('engine, sample', [('cockroachdb', CRDB_ORDER_SAMPLE), ('databend', DATABEND_ORDER_SAMPLE)])
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
    ('kwdb', 'V2.0.3.2_RC3', 'V2.0.3.2'),
    ('kwdb', 'V2.0.3.2_RC3', 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty'),
    ('kwdb', 'V2.0.3.2', 'V2.0.4'),
    ('kwdb', 'V2.0.4', 'V2.0.4.1'),
    ('kwdb', 'KaiwuDB 2.0.3.2', 'KWDB 2.0.4'),
    ('kwdb', 'v1.0.0', 'V2.0.3.2'),
    ('kwdb', 'V2.2.2', 'V3.0.0'),
    ('kwdb', 'V3.0.1', 'V3.1.0'),
    ('kwdb', 'V3.2.0', 'V3.10.0'),
    ('databend', '1.2.636-nightly', '1.2.770'),
    ('databend', 'v1.2.9', 'v1.2.10'),
])
def test_strictly_ordered(engine, lower, higher):
    low, high = parse_version(engine, lower), parse_version(engine, higher)
    assert low < high and low <= high and high > low and high >= low and low != high
    assert (high < low) is False


@pytest.mark.parametrize('engine, left, right', [
    ('kwdb', 'V2.0.4', 'V2.0.4.0'),
    ('kwdb', 'KaiwuDB V2.0.3.2', 'V2.0.3.2'),
    ('kwdb', 'v1.0.0', '1.0.0'),
    ('cockroachdb', 'v23.1.8', '23.1.8'),
    ('databend', '1.2.636-nightly', '1.2.636'),
    ('databend', 'v1.2.925-patch-9', '1.2.925-fuse-recovery'),
    ('databend', 'v1.2.636-rc8.6', 'v1.2.636-p3'),
])
def test_equal_in_ordering(engine, left, right):
    one, other = parse_version(engine, left), parse_version(engine, right)
    assert one == other and one <= other and one >= other and (one < other) is False
    assert hash(one) == hash(other)


def test_comparing_engines_raises():
    crdb, kwdb = parse_version('cockroachdb', 'v1.0.0'), parse_version('kwdb', 'v1.0.0')
    assert crdb != kwdb
    with pytest.raises(DistsqlError) as err:
        operator.lt(crdb, kwdb)
    assert str(err.value) == "cannot compare cockroachdb version v1.0.0 with kwdb version v1.0.0"


def test_comparing_with_a_string_is_unsupported():
    with pytest.raises(TypeError):
        operator.lt(parse_version('cockroachdb', 'v1.0.0'), 'v2.0.0')
    assert parse_version('cockroachdb', 'v1.0.0') != 'v1.0.0'


def test_engine_version_is_frozen():
    version = parse_version('cockroachdb', 'v23.1.8')
    with pytest.raises(AttributeError):
        version.major = 24


def test_as_version():
    version = parse_version('databend', '1.2.770')
    assert as_version('databend_meta', version) is version
    assert isinstance(as_version('kwdb', 'V3.1.0'), EngineVersion)
    with pytest.raises(DistsqlError) as err:
        as_version('kwdb', version)
    assert str(err.value) == "expected a kwdb version, got databend version 1.2.770"
