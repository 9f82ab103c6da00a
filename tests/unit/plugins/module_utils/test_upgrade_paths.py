# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upgrade-path rules of CockroachDB, KWDB and Databend."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.upgrade_paths import (
    UpgradePlan, cluster_version_series, databend_compatible, finalization_needed, kwdb_extended_refusal,
    meta_peers_compatible, next_majors, parse_kwdb_extended, plan_cockroachdb, plan_databend, plan_kwdb,
    previous_majors, release_type)
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version

BYPASS_HINT = "Set bypass_version_check to skip the extended version check (deploy.sh --bypass-version-check)."
NO_DOWNGRADE = "KWDB has no downgrade: uninstall it, reinstall the old version and restore a backup."


def test_upgrade_plan_to_dict_shape():
    plan = UpgradePlan(True, 'patch', ['v1'], 'why', ['careful'], order='x')
    assert plan.to_dict() == {'allowed': True, 'kind': 'patch', 'hops': ['v1'], 'reason': 'why', 'warnings': ['careful'], 'order': 'x'}


# --------------------------------------------------------------------------------------------------------------
# CockroachDB release calendar
# --------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------
# CockroachDB plans
# --------------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------------
# KWDB
# --------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('', None),
    (None, None),
    ('alpha1', {'line': 'alpha', 'number': 1, 'sub': None, 'subnumber': 0}),
    ('beta2', {'line': 'beta', 'number': 2, 'sub': None, 'subnumber': 0}),
    ('hotfix1', {'line': 'hotfix', 'number': 1, 'sub': None, 'subnumber': 0}),
    ('enhance2\n', {'line': 'enhance', 'number': 2, 'sub': None, 'subnumber': 0}),
    ('patch3', {'line': 'patch', 'number': 3, 'sub': None, 'subnumber': 0}),
    ('hotfix1beta1', {'line': 'hotfix', 'number': 1, 'sub': 'beta', 'subnumber': 1}),
    ('beta', {'line': 'beta', 'number': 0, 'sub': None, 'subnumber': 0}),
])
def test_parse_kwdb_extended(text, expected):
    assert parse_kwdb_extended(text) == expected


def test_parse_kwdb_extended_rejects_unknown():
    with pytest.raises(VersionParseError) as err:
        parse_kwdb_extended('gamma1')
    assert str(err.value) == ("cannot parse kwdb version string 'gamma1': unknown extended version tag "
                              "(expected alpha, beta, hotfix, enhance or patch and a number)")


@pytest.mark.parametrize('old, new, refusal', [
    ('', 'alpha1', 'Official version can not upgrade to alpha1.'),
    ('', 'beta1', 'Official version can not upgrade to beta1.'),
    ('beta1', 'alpha1', 'The upgrade conditions are not met.(beta1 --> alpha1)'),
    ('hotfix1', 'beta1', 'The upgrade conditions are not met.(hotfix1 --> beta1)'),
    ('patch2', 'alpha1', 'The upgrade conditions are not met.(patch2 --> alpha1)'),
    ('hotfix1', 'enhance1', 'The upgrade conditions are not met.(hotfix1 --> enhance1)'),
    ('enhance1', 'hotfix1', 'The upgrade conditions are not met.(enhance1 --> hotfix1)'),
    ('enhance1', 'patch1', 'The upgrade conditions are not met.(enhance1 --> patch1)'),
    ('patch1', 'enhance1', 'The upgrade conditions are not met.(patch1 --> enhance1)'),
    ('patch1', 'hotfix2', 'The upgrade conditions are not met.(patch1 --> hotfix2)'),
    ('hotfix1', 'patch1', 'The upgrade conditions are not met.(hotfix1 --> patch1)'),
    ('hotfix2', 'hotfix1', 'The upgrade conditions are not met.(hotfix2 --> hotfix1)'),
    ('alpha2', 'alpha1', 'The upgrade conditions are not met.(alpha2 --> alpha1)'),
    ('hotfix1', 'hotfix2', 'The upgrade conditions are not met.(hotfix1 --> hotfix2)'),
    ('enhance1', 'enhance2', 'The upgrade conditions are not met.(enhance1 --> enhance2)'),
    ('hotfix1', 'hotfix1alpha1', 'The upgrade conditions are not met.(hotfix1 --> hotfix1alpha1)'),
    ('hotfix1beta1', 'hotfix1alpha1', 'The upgrade conditions are not met.(hotfix1beta1 --> hotfix1alpha1)'),
    ('hotfix1alpha2', 'hotfix1alpha1', 'The upgrade conditions are not met.(hotfix1alpha2 --> hotfix1alpha1)'),
    ('alpha1', 'beta1', None),
    ('alpha1', '', None),
    ('beta2', '', None),
    ('alpha1', 'alpha2', None),
    ('beta1', 'beta2', None),
    ('patch1', 'patch2', None),
    ('', 'hotfix1', None),
    ('hotfix1', '', None),
    ('alpha1', 'hotfix1', None),
    ('hotfix1alpha1', 'hotfix1alpha2', None),
    ('hotfix1alpha1', 'hotfix1beta1', None),
    ('hotfix1beta1', 'hotfix1', None),
])
def test_kwdb_extended_refusal(old, new, refusal):
    assert kwdb_extended_refusal(old, new) == refusal


@pytest.mark.parametrize('current, target, kind, reason, warnings', [
    ('V3.1.0', 'V3.1.1', 'patch', 'patch upgrade from V3.1.0 to V3.1.1', []),
    ('V2.0.3.2', 'V2.0.4', 'patch', 'patch upgrade from V2.0.3.2 to V2.0.4', []),
    ('V2.0.3.2_RC3-3-gfe5eeb853e-dirty', 'V2.0.3.2', 'patch', 'patch upgrade from V2.0.3.2_RC3-3-gfe5eeb853e-dirty to V2.0.3.2', []),
    ('V2.2.0', 'V2.2.2', 'patch', 'patch upgrade from V2.2.0 to V2.2.2', []),
    ('V3.0.0', 'V3.1.0', 'minor', 'minor upgrade from V3.0.0 to V3.1.0', []),
    ('KaiwuDB V2.0.3.2', 'KWDB 2.1.0', 'minor', 'minor upgrade from V2.0.3.2 to 2.1.0',
     ["after deploy.sh upgrade -l run 'sudo -u kaiwudb ./others/alter_tag <store_path>' (default /var/lib/kaiwudb) on each node "
      "(2.0.x -> 2.1.0 step)"]),
    ('V3.1.0', 'V3.2.1', 'minor', 'minor upgrade from V3.1.0 to V3.2.1',
     ["multi-replica clusters need SET CLUSTER SETTING ts.raft_log.sync_period = '0s' and a 5 minute wait before upgrading to 3.2.0"]),
    ('V3.2.0', 'V3.2.1', 'patch', 'patch upgrade from V3.2.0 to V3.2.1', []),
    ('v1.0.0', 'V2.0.4', 'major', 'major upgrade from v1.0.0 to V2.0.4', []),
])
def test_plan_kwdb_allowed(current, target, kind, reason, warnings):
    result = plan_kwdb(current, target).to_dict()
    hop = parse_version('kwdb', target).tag
    assert result == {'allowed': True, 'kind': kind, 'hops': [hop], 'reason': reason, 'warnings': warnings,
                      'bypass_version_check_needed': False}


@pytest.mark.parametrize('current, target, current_ext, target_ext', [
    ('V2.0.4', 'V2.0.4', '', ''),
    ('V2.0.4', 'V2.0.4.0', None, ''),
    ('V3.1.0', 'V3.1.0', 'hotfix1', 'hotfix1'),
])
def test_plan_kwdb_none(current, target, current_ext, target_ext):
    result = plan_kwdb(current, target, current_ext, target_ext).to_dict()
    assert (result['allowed'], result['kind'], result['hops']) == (True, 'none', [])


@pytest.mark.parametrize('current_ext, target_ext', [('alpha1', 'beta1'), ('alpha1', ''), ('beta1', ''), ('', 'hotfix1')])
def test_plan_kwdb_extended_allowed(current_ext, target_ext):
    result = plan_kwdb('V3.1.0', 'V3.1.0', current_ext, target_ext).to_dict()
    expected_reason = 'patch upgrade from %s to %s' % (
        'V3.1.0 (%s)' % current_ext if current_ext else 'V3.1.0', 'V3.1.0 (%s)' % target_ext if target_ext else 'V3.1.0')
    assert result == {'allowed': True, 'kind': 'patch', 'hops': ['V3.1.0'], 'reason': expected_reason, 'warnings': [],
                      'bypass_version_check_needed': False}


@pytest.mark.parametrize('current, target, current_ext, target_ext, kind, reason', [
    ('V3.1.0', 'V3.0.0', '', '', 'downgrade',
     'The requested upgrade version is older than the current installed version.(current:V3.1.0 new_version:V3.0.0) ' + NO_DOWNGRADE),
    ('V2.0.4.1', 'V2.0.4', '', '', 'downgrade',
     'The requested upgrade version is older than the current installed version.(current:V2.0.4.1 new_version:V2.0.4) ' + NO_DOWNGRADE),
    ('V2.0.3.2', 'V2.0.3.2_RC3', '', '', 'downgrade',
     'The requested upgrade version is older than the current installed version.(current:V2.0.3.2 new_version:V2.0.3.2_RC3) '
     + NO_DOWNGRADE),
    ('V2.2.2', 'V3.0.0', '', '', 'export_import',
     'cannot upgrade KWDB V2.2.2 to V3.0.0 in place: 1.x/2.x cannot be upgraded to 3.x; export the data, deploy a fresh 3.0 '
     'cluster and import it'),
    ('v1.0.0', 'V3.2.1', '', '', 'export_import',
     'cannot upgrade KWDB v1.0.0 to V3.2.1 in place: 1.x/2.x cannot be upgraded to 3.x; export the data, deploy a fresh 3.2 '
     'cluster and import it'),
    ('V2.1.0', 'V2.2.1', '', '', 'export_import',
     'cannot upgrade KWDB V2.1.0 to V2.2.1 in place: versions before 2.2.0 cannot be upgraded to 2.2.x or later; export the data, '
     'deploy a fresh 2.2 cluster and import it'),
    ('V2.0.4', 'V2.2.0', '', '', 'export_import',
     'cannot upgrade KWDB V2.0.4 to V2.2.0 in place: versions before 2.2.0 cannot be upgraded to 2.2.x or later; export the data, '
     'deploy a fresh 2.2 cluster and import it'),
    ('V2.0.4', 'V2.0.4', '', 'beta1', 'patch', 'Official version can not upgrade to beta1. ' + BYPASS_HINT),
    ('V2.0.4', 'V2.0.4', 'beta2', 'alpha1', 'patch', 'The upgrade conditions are not met.(beta2 --> alpha1) ' + BYPASS_HINT),
    ('V2.0.4', 'V2.0.4', 'hotfix1', 'enhance1', 'patch', 'The upgrade conditions are not met.(hotfix1 --> enhance1) ' + BYPASS_HINT),
    ('V2.0.4', 'V2.0.4', 'patch3', 'patch2', 'patch', 'The upgrade conditions are not met.(patch3 --> patch2) ' + BYPASS_HINT),
])
def test_plan_kwdb_refused(current, target, current_ext, target_ext, kind, reason):
    result = plan_kwdb(current, target, current_ext, target_ext).to_dict()
    assert result == {'allowed': False, 'kind': kind, 'hops': [], 'reason': reason, 'warnings': [],
                      'bypass_version_check_needed': kind == 'patch'}


def test_plan_kwdb_bypass_allows_extended_rules_only():
    result = plan_kwdb('V2.0.4', 'V2.0.4', 'hotfix1', 'enhance1', bypass_version_check=True).to_dict()
    assert result == {
        'allowed': True, 'kind': 'patch', 'hops': ['V2.0.4'], 'reason': 'patch upgrade from V2.0.4 (hotfix1) to V2.0.4 (enhance1)',
        'warnings': ['bypass_version_check skips a failed deploy.sh check: The upgrade conditions are not met.(hotfix1 --> enhance1)'],
        'bypass_version_check_needed': True}
    assert plan_kwdb('V3.1.0', 'V3.0.0', bypass_version_check=True).kind == 'downgrade'
    assert plan_kwdb('V2.2.2', 'V3.0.0', bypass_version_check=True).kind == 'export_import'


# --------------------------------------------------------------------------------------------------------------
# Databend
# --------------------------------------------------------------------------------------------------------------

def query(version, min_meta):
    return {'version': version, 'min_compatible_metasrv_version': min_meta}


def meta(version, min_client, data_version=None):
    info = {'version': version, 'min_compatible_client_version': min_client}
    if data_version:
        info['data_version'] = data_version
    return info


@pytest.mark.parametrize('query_info, meta_info, expected', [
    (query('1.2.636-nightly', '1.2.258'), meta('1.2.636-nightly', '1.2.288'),
     (True, 'query 1.2.636-nightly and meta 1.2.636-nightly are compatible')),
    (query('0.7.61-nightly', '0.7.59'), meta('0.7.61-nightly', '0.7.57'),
     (True, 'query 0.7.61-nightly and meta 0.7.61-nightly are compatible')),
    (query('1.2.258', '1.2.258'), meta('1.2.258', '1.2.258'), (True, 'query 1.2.258 and meta 1.2.258 are compatible')),
    (query('1.2.200', '1.1.32'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: query 1.2.200 is older than meta 1.2.700 min-compatible-client-version 1.2.288')),
    (query('1.2.929', '1.2.770'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: meta 1.2.700 is older than query 1.2.929 min-compatible-metasrv-version 1.2.770')),
    (query('1.2.200', '1.2.800'), meta('1.2.700', '1.2.288'),
     (False, 'incompatible: query 1.2.200 is older than meta 1.2.700 min-compatible-client-version 1.2.288; '
             'meta 1.2.700 is older than query 1.2.200 min-compatible-metasrv-version 1.2.800')),
    ({'version': '1.2.636', 'min-compatible-metasrv-version': '1.2.258'},
     {'version': '1.2.636', 'min-compatible-client-version': '1.2.288', 'data-version': 'V004'},
     (True, 'query 1.2.636 and meta 1.2.636 are compatible')),
])
def test_databend_compatible(query_info, meta_info, expected):
    assert databend_compatible(query_info, meta_info) == expected


@pytest.mark.parametrize('query_info, meta_info, message', [
    ({'version': '1.2.636'}, meta('1.2.636', '1.2.288'),
     "databend-query version info lacks 'min_compatible_metasrv_version': {'version': '1.2.636'}"),
    (query('1.2.636', '1.2.258'), {'version': '1.2.636'},
     "databend-meta version info lacks 'min_compatible_client_version': {'version': '1.2.636'}"),
    ('1.2.636', meta('1.2.636', '1.2.288'), "databend-query version info must be a dict with a 'version' key, got '1.2.636'"),
])
def test_databend_compatible_rejects_bad_info(query_info, meta_info, message):
    with pytest.raises(DistsqlError) as err:
        databend_compatible(query_info, meta_info)
    assert str(err.value) == message


@pytest.mark.parametrize('a_version, b_version, expected', [
    ('1.2.700', '1.2.700', (True, 'meta 1.2.700 and 1.2.700 are the same version')),
    ('1.2.700', '1.2.300', (True, 'meta 1.2.300 and 1.2.700 are compatible peers (1.2.700 accepts [1.2.288, +inf))')),
    ('1.2.655', '1.2.288', (True, 'meta 1.2.288 and 1.2.655 are compatible peers (1.2.655 accepts [1.2.288, +inf))')),
    ('1.2.287', '1.2.655', (False, 'meta 1.2.287 and 1.2.655 are not compatible peers: 1.2.655 accepts peers in [1.2.288, +inf)')),
    ('1.2.500', '1.2.300', (True, 'meta 1.2.300 and 1.2.500 are compatible peers (1.2.500 accepts [1.2.288, 1.2.655))')),
    ('1.2.479', '1.2.250', (False, 'meta 1.2.250 and 1.2.479 are not compatible peers: 1.2.479 accepts peers in [1.2.288, 1.2.655)')),
    ('1.2.300', '0.9.41', (True, 'meta 0.9.41 and 1.2.300 are compatible peers (1.2.300 accepts [0.9.41, 1.2.479))')),
    ('1.2.212', '0.9.40', (False, 'meta 0.9.40 and 1.2.212 are not compatible peers: 1.2.212 accepts peers in [0.9.41, 1.2.479)')),
    ('1.2.800', '1.2.547', (True, 'meta 1.2.547 and 1.2.800 are compatible peers (1.2.800 accepts [1.2.547, +inf))')),
    ('1.2.800', '1.2.546', (False, 'meta 1.2.546 and 1.2.800 are not compatible peers: 1.2.800 accepts peers in [1.2.547, +inf)')),
    ('1.2.929', '1.2.818', (True, 'meta 1.2.818 and 1.2.929 are compatible peers (1.2.929 accepts [1.2.818, +inf))')),
    ('v1.2.934-nightly', '1.2.817',
     (False, 'meta 1.2.817 and v1.2.934-nightly are not compatible peers: v1.2.934-nightly accepts peers in [1.2.818, +inf)')),
    ('1.2.100', '1.2.150', (False, 'meta 1.2.100 and 1.2.150 are not compatible peers: 1.2.150 is outside the meta-to-meta '
                                   'compatibility table')),
])
def test_meta_peers_compatible(a_version, b_version, expected):
    assert meta_peers_compatible(a_version, b_version) == expected


def _state(query_version, meta_version, compatible=True, reason=None):
    return {'query': query_version, 'meta': meta_version, 'compatible': compatible,
            'reason': reason or 'query %s and meta %s are compatible' % (query_version, meta_version)}


def test_plan_databend_query_first_simple():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'),
                           query('1.2.650', '1.2.258'), meta('1.2.650', '1.2.288', 'V003')).to_dict()
    assert result == {
        'allowed': True, 'kind': 'upgrade', 'hops': ['1.2.650'],
        'reason': 'upgrade databend-query 1.2.600 -> 1.2.650 and databend-meta 1.2.600 -> 1.2.650 in query_first order',
        'warnings': [], 'order': 'query_first',
        'states': [_state('1.2.600', '1.2.600'), _state('1.2.650', '1.2.600'), _state('1.2.650', '1.2.650')],
        'meta_hops': ['1.2.650'],
        'meta_peers': [{'a': '1.2.600', 'b': '1.2.650', 'compatible': True,
                        'reason': 'meta 1.2.600 and 1.2.650 are compatible peers (1.2.650 accepts [1.2.288, 1.2.655))'}],
        'query_offline_required': False, 'meta_offline_required': False}


def test_plan_databend_meta_first_when_new_query_needs_new_meta():
    result = plan_databend(query('1.2.820', '1.2.600'), meta('1.2.820', '1.2.288', 'V004'),
                           query('1.2.929', '1.2.850'), meta('1.2.929', '1.2.676', 'V004')).to_dict()
    assert result['allowed'] and result['order'] == 'meta_first'
    assert result['states'] == [_state('1.2.820', '1.2.820'), _state('1.2.820', '1.2.929'), _state('1.2.929', '1.2.929')]
    assert result['meta_offline_required'] is False
    assert (result['hops'], result['meta_hops']) == (['1.2.929'], ['1.2.929'])


def test_plan_databend_refuses_when_no_order_works():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'),
                           query('1.2.800', '1.2.700'), meta('1.2.800', '1.2.650', 'V004')).to_dict()
    reason = ('no rolling order keeps databend-query and databend-meta compatible: query_first fails at query 1.2.800 with meta '
              '1.2.600 (incompatible: meta 1.2.600 is older than query 1.2.800 min-compatible-metasrv-version 1.2.700); '
              'meta_first fails at query 1.2.600 with meta 1.2.800 (incompatible: query 1.2.600 is older than meta 1.2.800 '
              'min-compatible-client-version 1.2.650)')
    assert (result['allowed'], result['kind'], result['hops'], result['reason'], result['order']) == (False, 'incompatible', [], reason, None)
    assert [state['compatible'] for state in result['states']] == [True, False, True]


def test_plan_databend_query_waypoints_307_311():
    result = plan_databend(query('1.2.306', '1.2.226'), meta('1.2.400', '1.2.288', 'V002'),
                           query('1.2.350', '1.2.226')).to_dict()
    assert (result['allowed'], result['order'], result['hops']) == (True, 'query_first', ['v1.2.307', 'v1.2.311', '1.2.350'])
    assert result['states'] == [_state('1.2.306', '1.2.400'), _state('1.2.307', '1.2.400'), _state('1.2.311', '1.2.400'),
                                _state('1.2.350', '1.2.400')]
    assert (result['meta_hops'], result['meta_peers'], result['warnings']) == ([], [], [])


@pytest.mark.parametrize('current, target, hops', [
    ('1.2.306', '1.2.307', ['1.2.307']),
    ('1.2.306', '1.2.311', ['v1.2.307', '1.2.311']),
    ('1.2.307', '1.2.320', ['v1.2.311', '1.2.320']),
    ('1.2.200', '1.2.320', ['v1.2.307', 'v1.2.311', '1.2.320']),
    ('1.2.311', '1.2.320', ['1.2.320']),
])
def test_plan_databend_query_hops(current, target, hops):
    plan = plan_databend(query(current, '1.2.226'), meta('1.2.400', '1.2.0', 'V002'), query(target, '1.2.226'))
    assert plan.hops == hops


def test_plan_databend_fuse_path_change_needs_query_offline():
    result = plan_databend(query('1.2.700', '1.2.258'), meta('1.2.700', '1.2.288', 'V004'), query('1.2.709', '1.2.258')).to_dict()
    assert (result['allowed'], result['query_offline_required'], result['meta_offline_required']) == (True, True, False)
    assert result['warnings'] == ['databend-query 1.2.709 changed the fuse storage path: upgrade all query nodes of a tenant '
                                  'together, never mixing versions before and after 1.2.709']


@pytest.mark.parametrize('meta_current, expected_hops', [
    (meta('1.2.500', '1.2.288', 'V002'), ['v1.2.655', '1.2.800']),
    (meta('1.2.500', '1.2.288'), ['v1.2.655', '1.2.800']),
    (meta('1.2.600', '1.2.288', 'V003'), ['1.2.800']),
    (meta('1.2.600', '1.2.288'), ['1.2.800']),
])
def test_plan_databend_meta_v002_waypoint(meta_current, expected_hops):
    result = plan_databend(query('1.2.800', '1.2.258'), meta_current, None, meta('1.2.800', '1.2.288', 'V004')).to_dict()
    assert result['allowed'] and result['meta_hops'] == expected_hops
    assert result['hops'] == []


def test_plan_databend_meta_waypoint_states_and_peers():
    result = plan_databend(query('1.2.600', '1.2.258'), meta('1.2.400', '1.2.288', 'V002'),
                           query('1.2.800', '1.2.600'), meta('1.2.800', '1.2.288', 'V004')).to_dict()
    assert result['order'] == 'meta_first'
    assert result['states'] == [_state('1.2.600', '1.2.400'), _state('1.2.600', '1.2.655'), _state('1.2.600', '1.2.800'),
                                _state('1.2.800', '1.2.800')]
    assert [peer['compatible'] for peer in result['meta_peers']] == [True, True]
    assert result['meta_offline_required'] is False


def test_plan_databend_incompatible_meta_peers_need_full_stop():
    result = plan_databend(query('1.2.800', '1.2.258'), meta('1.2.600', '1.2.288', 'V003'), None, meta('1.2.929', '1.2.288')).to_dict()
    assert (result['allowed'], result['kind'], result['meta_offline_required']) == (True, 'upgrade', True)
    assert result['warnings'] == ['meta 1.2.600 and 1.2.929 are not compatible peers: 1.2.929 accepts peers in [1.2.818, +inf); '
                                  'stop all databend-meta nodes and upgrade them together']


def test_plan_databend_none():
    result = plan_databend(query('1.2.636-nightly', '1.2.258'), meta('1.2.636', '1.2.288'),
                           query('1.2.636', '1.2.258'), meta('1.2.636', '1.2.288')).to_dict()
    assert result == {'allowed': True, 'kind': 'none', 'hops': [], 'warnings': [],
                      'reason': 'databend-query 1.2.636-nightly and databend-meta 1.2.636 are already at the target',
                      'order': None, 'states': [], 'meta_hops': [], 'meta_peers': [],
                      'query_offline_required': False, 'meta_offline_required': False}


@pytest.mark.parametrize('query_target, meta_target, reason', [
    (query('1.2.600', '1.2.258'), None, 'cannot downgrade databend-query from 1.2.700 to 1.2.600: Databend does not support rollback'),
    (None, meta('1.2.655', '1.2.288'), 'cannot downgrade databend-meta from 1.2.700 to 1.2.655: Databend does not support rollback'),
])
def test_plan_databend_downgrade(query_target, meta_target, reason):
    result = plan_databend(query('1.2.700', '1.2.258'), meta('1.2.700', '1.2.288'), query_target, meta_target).to_dict()
    assert (result['allowed'], result['kind'], result['hops'], result['reason']) == (False, 'downgrade', [], reason)
