# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB upgrade paths: the release calendar and the plans."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.upgrades import (
    cluster_version_series, finalization_needed, next_majors, plan_cockroachdb, previous_majors, release_type)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version


@pytest.mark.parametrize('series, kind, following, preceding', [
    ('19.1', 'legacy', ['19.2'], ['2.1']),
    ('21.2', 'legacy', ['22.1'], ['21.1']),
    ('22.1', 'legacy', ['22.2'], ['21.2']),
    ('22.2', 'legacy', ['23.1'], ['22.1']),
    ('23.1', 'legacy', ['23.2'], ['22.2']),
    ('23.2', 'legacy', ['24.1'], ['23.1']),
    ('24.1', 'regular', ['24.2', '24.3'], ['23.2']),
    ('24.2', 'innovation', ['24.3'], ['24.1']),
    ('24.3', 'regular', ['25.1', '25.2'], ['24.1', '24.2']),
    ('25.1', 'innovation', ['25.2'], ['24.3']),
    ('25.2', 'regular', ['25.3', '25.4'], ['24.3', '25.1']),
    ('25.3', 'innovation', ['25.4'], ['25.2']),
    ('25.4', 'regular', ['26.1', '26.2'], ['25.2', '25.3']),
    ('26.1', 'innovation', ['26.2'], ['25.4']),
    ('v26.2', 'regular', ['26.3', '26.4'], ['25.4', '26.1']),
])
def test_release_calendar(series, kind, following, preceding):
    assert release_type(series) == kind
    assert next_majors(series) == following
    assert previous_majors(series) == preceding


def test_calendar_accepts_versions():
    version = parse_version('cockroachdb', 'v24.1.3')
    assert release_type(version) == 'regular'
    assert next_majors(version) == ['24.2', '24.3']


@pytest.mark.parametrize('series, message', [
    ('23.3', "unknown CockroachDB release series 23.3"),
    ('24.4', "unknown CockroachDB release series 24.4"),
    ('25.5', "unknown CockroachDB release series 25.5"),
    ('24', "not a CockroachDB release series (MAJOR.MINOR): '24'"),
])
def test_release_calendar_rejects_unknown_series(series, message):
    with pytest.raises(DistsqlError) as err:
        release_type(series)
    assert str(err.value) == message


@pytest.mark.parametrize('text, expected', [
    ('24.1', ('24.1', None)),
    ('24.1\n', ('24.1', None)),
    ('23.2-upgrading-to-24.1-step-008', ('23.2', '24.1')),
    ('24.1-upgrading-to-24.3-step-004', ('24.1', '24.3')),
    ('23.1-8', ('23.1', '23.2')),
    ('22.2-102', ('22.2', '23.1')),
    ('23.1-0', ('23.1', None)),
    ('23.1-upgrading-step-004', ('23.1', '23.2')),
    ('1000023.2-upgrading-to-1000024.1-step-008', ('23.2', '24.1')),
    ('1000024.1', ('24.1', None)),
    ('24.3-upgrading-final-step', (None, '24.3')),
])
def test_cluster_version_series(text, expected):
    assert cluster_version_series(text) == expected


def test_cluster_version_series_rejects_garbage():
    with pytest.raises(VersionParseError) as err:
        cluster_version_series('v24.1.0')
    assert str(err.value) == "cannot parse cockroachdb version string 'v24.1.0': not a cluster version (SHOW CLUSTER SETTING version)"


@pytest.mark.parametrize('kind, expected', [
    ('major', True), ('multi_major', True), ('patch', False), ('patch_rollback', False), ('rollback', False),
    ('none', False), ('downgrade', False),
])
def test_finalization_needed(kind, expected):
    assert finalization_needed(kind) is expected


@pytest.mark.parametrize('current, target, kind, hops, reason', [
    ('v24.1.2', 'v24.1.5', 'patch', ['v24.1.5'], 'patch upgrade from v24.1.2 to v24.1.5'),
    ('v22.1.22', 'v22.1.22-29-g865aff1595', 'patch', ['v22.1.22-29-g865aff1595'],
     'patch upgrade from v22.1.22 to v22.1.22-29-g865aff1595'),
    ('v24.1.5', 'v24.1.2', 'patch_rollback', ['v24.1.2'], 'patch rollback from v24.1.5 to v24.1.2'),
    ('v22.1.22-29-g865aff1595', 'v22.1.22', 'patch_rollback', ['v22.1.22'], 'patch rollback from v22.1.22-29-g865aff1595 to v22.1.22'),
    ('v22.1.22', 'v22.2.0', 'major', ['v22.2.0'], 'major upgrade from v22.1.22 to v22.2.0'),
    ('v22.2.5', 'v23.1.8', 'major', ['v23.1.8'], 'major upgrade from v22.2.5 to v23.1.8'),
    ('v23.2.5', 'v24.1.0', 'major', ['v24.1.0'], 'major upgrade from v23.2.5 to v24.1.0'),
    ('v24.1.5', 'v24.3.1', 'major', ['v24.3.1'], 'major upgrade from v24.1.5 to v24.3.1'),
    ('v24.2.1', 'v24.3.1', 'major', ['v24.3.1'], 'major upgrade from v24.2.1 to v24.3.1'),
    ('v24.3.1', 'v25.1.0', 'major', ['v25.1.0'], 'major upgrade from v24.3.1 to v25.1.0'),
    ('v24.3.1', 'v25.2.0', 'major', ['v25.2.0'], 'major upgrade from v24.3.1 to v25.2.0'),
    ('v25.4.0', 'v26.2.0', 'major', ['v26.2.0'], 'major upgrade from v25.4.0 to v26.2.0'),
    ('v23.1.8', 'v24.3.5', 'multi_major', ['v23.2', 'v24.1', 'v24.3.5'], 'multi-major upgrade from v23.1.8 to v24.3.5'),
    ('v22.1.22', 'v23.2.0', 'multi_major', ['v22.2', 'v23.1', 'v23.2.0'], 'multi-major upgrade from v22.1.22 to v23.2.0'),
    ('v24.2.1', 'v25.2.0', 'multi_major', ['v24.3', 'v25.2.0'], 'multi-major upgrade from v24.2.1 to v25.2.0'),
    ('v24.1.2', 'v25.3.0', 'multi_major', ['v24.3', 'v25.2', 'v25.3.0'], 'multi-major upgrade from v24.1.2 to v25.3.0'),
    ('v24.1.0', 'v26.2.0', 'multi_major', ['v24.3', 'v25.2', 'v25.4', 'v26.2.0'], 'multi-major upgrade from v24.1.0 to v26.2.0'),
    ('v24.3.1', 'v24.1.5', 'rollback', ['v24.1.5'], 'rollback of an unfinalized major upgrade from v24.3.1 to v24.1.5'),
])
def test_plan_cockroachdb_allowed(current, target, kind, hops, reason):
    plan = plan_cockroachdb(current, target, cluster_version='24.1')
    if kind not in ('rollback',):
        plan = plan_cockroachdb(current, target)
    result = plan.to_dict()
    assert (result['allowed'], result['kind'], result['hops'], result['reason']) == (True, kind, hops, reason)
    assert result['finalization_needed'] is finalization_needed(kind)


def test_plan_cockroachdb_none():
    assert plan_cockroachdb('v23.1.8', '23.1.8').to_dict() == {
        'allowed': True, 'kind': 'none', 'hops': [], 'reason': 'already at 23.1.8', 'warnings': [], 'finalization_needed': False}


def test_plan_cockroachdb_accepts_engine_versions():
    plan = plan_cockroachdb(parse_version('cockroachdb', 'v24.1.2'), parse_version('cockroachdb', 'v24.1.5'))
    assert (plan.allowed, plan.kind) == (True, 'patch')


@pytest.mark.parametrize('current, target, warnings', [
    ('v24.1.5', 'v24.3.1', ['read the release notes of the skipped release(s) v24.2 too']),
    ('v24.1.5', 'v24.2.1', ['v24.2 is an Innovation release: its only next major is v24.3']),
    ('v23.2.5', 'v24.1.0', []),
    ('v23.1.8', 'v24.3.5', ['read the release notes of the skipped release(s) v24.2 too',
                            'each intermediate major (v23.2, v24.1) must be finalized before the next hop']),
    ('v24.1.2', 'v25.3.0', ['read the release notes of the skipped release(s) v24.2, v25.1 too',
                            'each intermediate major (v24.3, v25.2) must be finalized before the next hop',
                            'v25.3 is an Innovation release: its only next major is v25.4']),
    ('v24.1.2', 'v24.1.5', []),
])
def test_plan_cockroachdb_warnings(current, target, warnings):
    assert plan_cockroachdb(current, target).warnings == warnings


@pytest.mark.parametrize('cluster_version', ['24.1', '24.1\n', '1000024.1'])
def test_rollback_allowed_while_unfinalized(cluster_version):
    plan = plan_cockroachdb('v24.3.1', 'v24.1.5', cluster_version=cluster_version)
    assert (plan.allowed, plan.kind, plan.hops) == (True, 'rollback', ['v24.1.5'])


@pytest.mark.parametrize('current, target, cluster_version, allow_prerelease, kind, reason', [
    ('v24.3.1', 'v24.1.5', '24.3', False, 'rollback',
     'cannot roll back from v24.3.1 to v24.1.5: the cluster version is already finalized at 24.3; only a restore into 24.1 remains'),
    ('v24.3.1', 'v24.1.5', None, False, 'rollback',
     'cannot roll back from v24.3.1 to v24.1.5 without the cluster version: pass cluster_version (SHOW CLUSTER SETTING version) '
     'to prove the upgrade to 24.3 is not finalized'),
    ('v24.3.1', 'v24.1.5', '24.1-upgrading-to-24.3-step-004', False, 'rollback',
     'cannot roll back from v24.3.1 to v24.1.5: finalization to 24.3 is in progress (cluster version '
     '24.1-upgrading-to-24.3-step-004); once it completes only a restore into 24.1 remains'),
    ('v24.3.1', 'v24.1.5', '24.3-upgrading-final-step', False, 'rollback',
     'cannot roll back from v24.3.1 to v24.1.5: finalization to 24.3 is in progress (cluster version '
     '24.3-upgrading-final-step); once it completes only a restore into 24.1 remains'),
    ('v24.3.1', 'v24.2.1', '24.1', False, 'rollback',
     'cannot roll back from v24.3.1 to v24.2.1: the cluster version 24.1 is neither 24.2 nor 24.3'),
    ('v23.2.5', 'v23.1.8', '23.2', False, 'rollback',
     'cannot roll back from v23.2.5 to v23.1.8: the cluster version is already finalized at 23.2; only a restore into 23.1 remains'),
    ('v24.3.1', 'v23.2.5', None, False, 'downgrade',
     'cannot downgrade from v24.3.1 to v23.2.5: a rollback only returns to the series the cluster came from (24.1, 24.2) and '
     'only before finalization; otherwise restore a backup into 23.2'),
    ('v25.1.0', 'v24.2.3', '24.2', False, 'downgrade',
     'cannot downgrade from v25.1.0 to v24.2.3: a rollback only returns to the series the cluster came from (24.3) and '
     'only before finalization; otherwise restore a backup into 24.2'),
    ('v24.1.5', 'v24.3.0-alpha.2', None, False, 'major',
     'refusing to plan from v24.1.5 to v24.3.0-alpha.2: v24.3.0-alpha.2 is a pre-release build (alpha.2); '
     'set allow_prerelease to accept it'),
    ('v24.1.0-rc.1', 'v24.1.0-rc.2', None, False, 'patch',
     'refusing to plan from v24.1.0-rc.1 to v24.1.0-rc.2: v24.1.0-rc.1 is a pre-release build (rc.1); set allow_prerelease to accept it'),
    ('v23.2.0-beta.1', 'v24.1.0', None, False, 'major',
     'refusing to plan from v23.2.0-beta.1 to v24.1.0: v23.2.0-beta.1 is a pre-release build (beta.1); set allow_prerelease to accept it'),
    ('v24.1.5', 'v24.1.6-dev-2c1d4afd2c', None, False, 'patch',
     'refusing to plan from v24.1.5 to v24.1.6-dev-2c1d4afd2c: v24.1.6-dev-2c1d4afd2c is a pre-release build (dev); '
     'set allow_prerelease to accept it'),
    ('v24.1.5', 'v24.3.1', '23.2\n', False, 'major',
     'cannot upgrade from v24.1.5 to v24.3.1: the cluster version 23.2 is not finalized at 24.1; finalize the previous upgrade first'),
    ('v24.1.5', 'v24.3.1', '23.2-upgrading-to-24.1-step-008', False, 'major',
     'cannot upgrade from v24.1.5 to v24.3.1: the cluster version 23.2-upgrading-to-24.1-step-008 is not finalized at 24.1; '
     'finalize the previous upgrade first'),
    ('v23.1.8', 'v24.3.5', '22.2', False, 'multi_major',
     'cannot upgrade from v23.1.8 to v24.3.5: the cluster version 22.2 is not finalized at 23.1; finalize the previous upgrade first'),
])
def test_plan_cockroachdb_refused(current, target, cluster_version, allow_prerelease, kind, reason):
    result = plan_cockroachdb(current, target, cluster_version=cluster_version, allow_prerelease=allow_prerelease).to_dict()
    assert result == {'allowed': False, 'kind': kind, 'hops': [], 'reason': reason, 'warnings': [], 'finalization_needed': False}


@pytest.mark.parametrize('current, target, kind', [
    ('v24.1.5', 'v24.3.0-alpha.2', 'major'),
    ('v24.1.0-rc.1', 'v24.1.0-rc.2', 'patch'),
    ('v24.1.0-rc.1', 'v24.1.0', 'patch'),
    ('v24.3.0-alpha.2', 'v24.3.0-alpha.2-5-g45b47f9044', 'patch'),
])
def test_plan_cockroachdb_prerelease_allowed_on_request(current, target, kind):
    plan = plan_cockroachdb(current, target, allow_prerelease=True)
    assert (plan.allowed, plan.kind, plan.hops) == (True, kind, [parse_version('cockroachdb', target).tag])


def test_patch_upgrade_ignores_unfinalized_cluster_version():
    plan = plan_cockroachdb('v24.3.1', 'v24.3.2', cluster_version='24.1')
    assert (plan.allowed, plan.kind) == (True, 'patch')


def test_plan_cockroachdb_unknown_series():
    with pytest.raises(DistsqlError) as err:
        plan_cockroachdb('v23.1.8', 'v23.3.0')
    assert str(err.value) == 'unknown CockroachDB release series 23.3'


def test_plan_cockroachdb_bad_version():
    with pytest.raises(VersionParseError) as err:
        plan_cockroachdb('v23.1.8', 'banana')
    assert str(err.value) == "cannot parse cockroachdb version string 'banana'"
