# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB upgrade rules: deploy.sh's extended-version checks, export/import generations."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb.upgrades import kwdb_extended_refusal, parse_kwdb_extended, plan_kwdb
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import VersionParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.versioning import parse_version


BYPASS_HINT = "Set bypass_version_check to skip the extended version check (deploy.sh --bypass-version-check)."


NO_DOWNGRADE = "KWDB has no downgrade: uninstall it, reinstall the old version and restore a backup."


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
