# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine-neutral version handling: engine names, EngineVersion behaviour, comparisons across engines.

Each engine's grammar and ordering are tested beside it, in engines/<engine>/test_versions.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import operator

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
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


def test_to_dict():
    assert parse_version('kwdb', 'KaiwuDB V2.0.3.2_RC3-3-gfe5eeb853e-dirty').to_dict() == {
        'engine': 'kwdb', 'major': 2, 'minor': 0, 'patch': 3, 'fourth': 2, 'prerelease': 'RC3',
        'build': '3-gfe5eeb853e-dirty', 'product': 'KaiwuDB', 'series': '2.0',
        'raw': 'KaiwuDB V2.0.3.2_RC3-3-gfe5eeb853e-dirty', 'tag': 'V2.0.3.2_RC3-3-gfe5eeb853e-dirty'}


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
