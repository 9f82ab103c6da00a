# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's plan: node versions, hops resolved to exact releases, sources, finalization, resume and every refusal."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.release_plan import (
    CLIENT_IMPACT, MAX_HOPS, plan_run, version_planned_engines)

CRDB = get_engine('cockroachdb')
SHA = '0123456789abcdef' * 4
URL = 'https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz'
SUMS = URL + '.sha256sum'
HELD = 'run finalize.yml, or rollback.yml to go back'


def node(host, installed, staged=None, active=True):
    return {'host': host, 'service_active': active, 'installed_version': installed,
            'staged_releases': list(staged if staged is not None else [installed]),
            'active_release': installed, 'previous_release': None, 'free_bytes': 10 ** 10}


def member(node_id, host, build, live=True, membership='active'):
    return {'id': node_id, 'address': '%s:26257' % host, 'sql_address': '%s:26257' % host, 'build': build,
            'is_live': live, 'is_available': live, 'membership': membership}


HOSTS = ['node1', 'node2', 'node3']


def params(target, versions, **overrides):
    """Three nodes (or as many as versions) all on the given installed versions, live in the cluster view."""
    hosts = ['node%d' % (number + 1) for number in range(len(versions))]
    result = {
        'engine': 'cockroachdb', 'target_version': target, 'flow': 'multi_replica', 'direction': 'upgrade',
        'nodes': [node(host, version) for host, version in zip(hosts, versions)],
        'cluster_nodes': [member(number + 1, host, version) for number, (host, version) in enumerate(zip(hosts, versions))],
        'cluster_version': None, 'releases': [], 'release_url_template': URL, 'release_checksum_url_template': SUMS,
        'release_src': None, 'release_sha256': None, 'hop_versions': {}, 'allow_prerelease': False,
        'hold_finalization': True,
    }
    result.update(overrides)
    return result


def plan(target, versions, **overrides):
    return plan_run(CRDB, params(target, versions, **overrides))


def refusal(target, versions, **overrides):
    result = plan(target, versions, **overrides)
    assert result['allowed'] is False
    return result['reason']


def template_source(version):
    return {'version': version, 'url': URL.replace('{version}', version), 'src': None, 'binary': None,
            'binary_on': None, 'sha256': None, 'checksum_url': SUMS.replace('{version}', version)}


def test_engines_planned_from_version_strings():
    assert version_planned_engines() == ('cockroachdb', 'kwdb')


# -- kinds of plan -----------------------------------------------------------------------------------------


def test_patch_upgrade():
    result = plan('v23.2.9', ['v23.2.5'] * 3, cluster_version='23.2')
    assert result == {
        'allowed': True, 'kind': 'patch', 'reason': 'patch upgrade from v23.2.5 to v23.2.9', 'notes': [],
        'from_version': 'v23.2.5', 'target_version': 'v23.2.9',
        'nodes': [{'host': 'node%d' % n, 'version': 'v23.2.5', 'service_active': True} for n in (1, 2, 3)],
        'resuming': False,
        'hops': [{'index': 0, 'version': 'v23.2.9', 'from_version': 'v23.2.5', 'series': '23.2', 'kind': 'patch',
                  'finalization_needed': False, 'hold': False, 'finalize_after': False, 'hosts': HOSTS}],
        'sources': [template_source('v23.2.9')],
        'finalization_needed': False, 'finalization': 'not needed (patch upgrade)',
        'client_impact': CLIENT_IMPACT['multi_replica'],
    }


def test_major_upgrade_held():
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2')
    assert (result['allowed'], result['kind']) == (True, 'major')
    assert result['hops'] == [{'index': 0, 'version': 'v24.1.4', 'from_version': 'v23.2.9', 'series': '24.1',
                               'kind': 'major', 'finalization_needed': True, 'hold': True, 'finalize_after': False, 'hosts': HOSTS}]
    assert result['finalization_needed'] is True
    assert result['finalization'] == 'held after 24.1: ' + HELD


def test_major_upgrade_not_held():
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', hold_finalization=False)
    assert result['hops'][0]['hold'] is False and result['hops'][0]['finalization_needed'] is True
    assert result['finalization'] == 'finalized at the end of the run'


def test_multi_hop_series_resolved_from_releases():
    releases = [{'version': 'v23.2.0-rc.1', 'url': None, 'sha256': None, 'checksum_url': None},
                {'version': 'v23.2.5', 'url': None, 'sha256': None, 'checksum_url': None},
                {'version': 'v23.2.9', 'url': 'https://mirror/cockroach-v23.2.9.tgz', 'sha256': 'SHA256:' + SHA.upper(),
                 'checksum_url': None},
                {'version': 'v24.1.0-rc.1', 'url': None, 'sha256': None, 'checksum_url': None}]
    result = plan('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1', releases=releases)
    assert (result['allowed'], result['kind']) == (True, 'multi_major')
    assert result['reason'] == 'multi-major upgrade from v23.1.28 to v24.1.4'
    assert result['notes'] == ['each intermediate major (v23.2) must be finalized before the next hop']
    assert result['hops'] == [
        {'index': 0, 'version': 'v23.2.9', 'from_version': 'v23.1.28', 'series': '23.2', 'kind': 'major',
         'finalization_needed': True, 'hold': False, 'finalize_after': True, 'hosts': HOSTS},
        {'index': 1, 'version': 'v24.1.4', 'from_version': 'v23.2.9', 'series': '24.1', 'kind': 'major',
         'finalization_needed': True, 'hold': True, 'finalize_after': False, 'hosts': HOSTS}]
    assert result['sources'] == [
        {'version': 'v23.2.9', 'url': 'https://mirror/cockroach-v23.2.9.tgz', 'src': None, 'binary': None, 'binary_on': None, 'sha256': SHA,
         'checksum_url': None},
        template_source('v24.1.4')]
    assert result['finalization'] == ('each intermediate major is finalized before the next hop; the last (24.1) '
                                      'stays held: ' + HELD)


@pytest.mark.parametrize('key', ['23.2', 'v23.2'])
def test_multi_hop_series_resolved_from_hop_versions(key):
    releases = [{'version': 'v23.2.9', 'url': None, 'sha256': None, 'checksum_url': None}]
    result = plan('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1', releases=releases,
                  hop_versions={key: 'v23.2.5'}, hold_finalization=False)
    assert [hop['version'] for hop in result['hops']] == ['v23.2.5', 'v24.1.4']
    assert [source['version'] for source in result['sources']] == ['v23.2.5', 'v24.1.4']
    assert result['finalization'] == ('each intermediate major is finalized before the next hop; the last (24.1) '
                                      'is finalized at the end of the run')


def test_regular_to_regular_skips_the_innovation_release_in_one_hop():
    result = plan('v24.3.2', ['v24.1.4'] * 3, cluster_version='24.1')
    assert (result['kind'], [hop['version'] for hop in result['hops']]) == ('major', ['v24.3.2'])
    assert result['hops'][0]['kind'] == 'major' and result['hops'][0]['hold'] is True
    assert result['notes'] == ['read the release notes of the skipped release(s) v24.2 too']
    assert result['finalization'] == 'held after 24.3: ' + HELD


def test_regular_24_3_to_25_2_in_one_hop():
    result = plan('v25.2.1', ['v24.3.2'] * 3, cluster_version='24.3')
    assert (result['kind'], [hop['version'] for hop in result['hops']]) == ('major', ['v25.2.1'])
    assert result['notes'] == ['read the release notes of the skipped release(s) v25.1 too']


def test_innovation_target_is_one_hop_with_a_warning():
    result = plan('v24.2.3', ['v24.1.4'] * 3, cluster_version='24.1')
    assert [hop['version'] for hop in result['hops']] == ['v24.2.3']
    assert result['notes'] == ['v24.2 is an Innovation release: its only next major is v24.3']


def test_already_at_target_does_nothing():
    result = plan('v24.1.4', ['v24.1.4'] * 3, cluster_version='24.1')
    assert result['allowed'] is True and result['kind'] == 'none'
    assert result['reason'] == 'already at v24.1.4'
    assert (result['hops'], result['sources'], result['resuming']) == ([], [], False)
    assert result['finalization'] == 'not needed (already at v24.1.4)'
    assert result['client_impact'] == 'none: no node is restarted'


# -- rollback ----------------------------------------------------------------------------------------------


def rollback_params(**overrides):
    values = params('v23.2.9', ['v24.1.4'] * 3, direction='rollback', cluster_version='23.2',
                    release_url_template=None, release_checksum_url_template=None)
    for entry in values['nodes']:
        entry['staged_releases'] = ['v23.2.9', 'v24.1.4']
        entry['previous_release'] = 'v23.2.9'
    values.update(overrides)
    return values


def test_rollback_of_an_unfinalized_major_needs_no_download():
    result = plan_run(CRDB, rollback_params())
    assert (result['allowed'], result['kind']) == (True, 'rollback')
    assert result['from_version'] == 'v24.1.4' and result['target_version'] == 'v23.2.9'
    assert result['hops'] == [{'index': 0, 'version': 'v23.2.9', 'from_version': 'v24.1.4', 'series': '23.2',
                               'kind': 'rollback', 'finalization_needed': False, 'hold': False,
                               'finalize_after': False, 'hosts': HOSTS}]
    assert result['sources'] == []
    assert result['finalization'] == 'not needed (rollback)'


def test_rollback_to_a_release_missing_on_a_node_names_its_source():
    values = rollback_params(releases=[{'version': 'v23.2.9', 'url': 'https://m/c-v23.2.9.tgz', 'sha256': SHA,
                                        'checksum_url': None}])
    values['nodes'][2]['staged_releases'] = ['v24.1.4']
    result = plan_run(CRDB, values)
    assert result['sources'] == [{'version': 'v23.2.9', 'url': 'https://m/c-v23.2.9.tgz', 'src': None, 'binary': None, 'binary_on': None, 'sha256': SHA,
                                  'checksum_url': None}]


def test_patch_rollback():
    values = params('v23.2.5', ['v23.2.9'] * 3, direction='rollback', cluster_version='23.2')
    for entry in values['nodes']:
        entry['staged_releases'] = ['v23.2.5', 'v23.2.9']
    result = plan_run(CRDB, values)
    assert result['kind'] == 'patch_rollback' and result['hops'][0]['kind'] == 'patch_rollback'
    assert result['sources'] == [] and result['finalization'] == 'not needed (patch rollback)'


def test_rollback_resumed_mid_roll_plans_from_the_highest_version():
    values = rollback_params()
    values['nodes'][0]['installed_version'] = 'v23.2.9'
    values['cluster_nodes'][0]['build'] = 'v23.2.9'
    result = plan_run(CRDB, values)
    assert result['allowed'] is True and result['resuming'] is True
    assert result['from_version'] == 'v24.1.4'
    assert [entry['version'] for entry in result['nodes']] == ['v23.2.9', 'v24.1.4', 'v24.1.4']


def test_rollback_after_finalization_is_the_engines_refusal():
    assert plan_run(CRDB, rollback_params(cluster_version='24.1'))['reason'] == (
        'cannot roll back from v24.1.4 to v23.2.9: the cluster version is already finalized at 24.1; only a restore '
        'into 23.2 remains')


def test_upgrade_playbook_refuses_a_rollback_plan():
    result = plan('v23.2.9', ['v24.1.4'] * 3, cluster_version='23.2')
    assert result['allowed'] is False and result['kind'] == 'rollback'
    assert result['reason'] == "v23.2.9 is older than the cluster's v24.1.4: that is a rollback; run rollback.yml"
    assert refusal('v24.1.2', ['v24.1.4'] * 3, cluster_version='24.1') == (
        "v24.1.2 is older than the cluster's v24.1.4: that is a rollback; run rollback.yml")


def test_rollback_playbook_refuses_an_upgrade_plan():
    assert refusal('v24.1.4', ['v23.2.9'] * 3, direction='rollback', cluster_version='23.2') == (
        'rollback.yml only rolls back: v24.1.4 is newer than v23.2.9; run an upgrade playbook')


# -- the nodes' versions and resuming -----------------------------------------------------------------------


def test_node_version_is_the_cluster_build_when_live_else_the_installed_binary():
    values = params('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2')
    # node1 was swapped and is down: its binary is the new one, the cluster reports it dead with the old build
    values['nodes'][0]['installed_version'] = 'v24.1.4'
    values['nodes'][0]['service_active'] = False
    values['cluster_nodes'][0]['is_live'] = False
    # node2 runs the old build although its binary on disk was already replaced
    values['nodes'][1]['installed_version'] = 'v24.1.4'
    result = plan_run(CRDB, values)
    assert result['nodes'] == [{'host': 'node1', 'version': 'v24.1.4', 'service_active': False},
                               {'host': 'node2', 'version': 'v23.2.9', 'service_active': True},
                               {'host': 'node3', 'version': 'v23.2.9', 'service_active': True}]
    assert result['from_version'] == 'v23.2.9' and result['resuming'] is True
    assert result['notes'] == ['node1 is not live: its version is that of its binary, v24.1.4',
                               'resuming an interrupted run: nodes run v23.2.9 and v24.1.4']
    # v24.1.4 is installed on node1 and node2 only: node3 still needs it
    assert result['sources'] == [template_source('v24.1.4')]


def test_resume_mid_roll_of_a_major():
    result = plan('v24.1.4', ['v24.1.4', 'v23.2.9', 'v23.2.9'], cluster_version='23.2')
    assert result['allowed'] is True and result['resuming'] is True
    assert result['from_version'] == 'v23.2.9' and [hop['version'] for hop in result['hops']] == ['v24.1.4']


def test_resume_mid_multi_hop_uses_the_version_the_nodes_already_run():
    releases = [{'version': 'v23.2.11', 'url': None, 'sha256': None, 'checksum_url': None}]
    result = plan('v24.1.4', ['v23.2.9', 'v23.1.28', 'v23.1.28'], cluster_version='23.1', releases=releases)
    assert result['allowed'] is True and result['resuming'] is True
    assert [hop['version'] for hop in result['hops']] == ['v23.2.9', 'v24.1.4']
    assert result['notes'][-1] == 'resuming an interrupted run: nodes run v23.1.28 and v23.2.9'


def test_resume_in_the_second_hop_of_a_multi_hop_run():
    result = plan('v24.1.4', ['v24.1.4', 'v23.2.9', 'v23.2.9'], cluster_version='23.2')
    assert result['resuming'] is True and result['kind'] == 'major'


def test_mixed_versions_off_the_path_are_refused():
    assert refusal('v24.1.4', ['v23.1.28', 'v23.1.20', 'v23.1.28'], cluster_version='23.1',
                   hop_versions={'23.2': 'v23.2.9'}) == (
        'nodes run v23.1.20 and v23.1.28, which are not steps of one upgrade to v24.1.4: bring them to one build first')
    assert refusal('v24.1.4', ['v24.1.4', 'v24.1.5', 'v24.1.3'], cluster_version='24.1') == (
        'nodes run v24.1.3, v24.1.4 and v24.1.5, which are not steps of one upgrade to v24.1.4: bring them to one '
        'build first')


def test_cluster_members_outside_the_play_and_nodes_outside_the_cluster_are_warned_about():
    values = params('v24.1.4', ['v23.2.9'] * 2, cluster_version='23.2')
    values['cluster_nodes'].append(member(7, 'node7', 'v23.2.9'))
    values['cluster_nodes'].append(member(8, 'node8', None, live=False, membership='decommissioned'))
    values['nodes'].append(node('spare', 'v23.2.9'))
    result = plan_run(CRDB, values)
    assert result['notes'] == [
        'spare is not a member of the cluster the nodes report (no address of it matches): its version is that of its '
        'binary, v23.2.9',
        'the cluster has live node n7 (node7:26257, v23.2.9) that is not in the play: it is not upgraded']


# -- sources -----------------------------------------------------------------------------------------------


def test_staged_everywhere_needs_no_source():
    values = params('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template='',
                    release_checksum_url_template='')
    for entry in values['nodes']:
        entry['staged_releases'] = ['v23.2.9', '24.1.4']
    assert plan_run(CRDB, values)['sources'] == []


def test_controller_file_for_the_target():
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template='',
                  release_checksum_url_template='', release_src='/srv/cockroach-v24.1.4.tgz', release_sha256=SHA)
    assert result['sources'] == [{'version': 'v24.1.4', 'url': None, 'src': '/srv/cockroach-v24.1.4.tgz', 'binary': None,
                                  'binary_on': None, 'sha256': SHA, 'checksum_url': None}]


def test_url_template_with_the_targets_sha256():
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_checksum_url_template=None,
                  release_sha256=SHA)
    assert result['sources'] == [{'version': 'v24.1.4', 'url': URL.replace('{version}', 'v24.1.4'), 'src': None,
                                  'binary': None, 'binary_on': None, 'sha256': SHA, 'checksum_url': None}]


def test_release_field_is_the_tag_without_its_leading_letter():
    """A vendor layout with the tag as the directory and the bare number in the file name (KWDB's GitHub releases)."""
    layout = 'https://github.com/KWDB/KWDB/releases/download/{version}/KWDB-{release}-ubuntu22.04-x86_64-debs.tar.gz'
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template=layout,
                  release_checksum_url_template=layout + '.sha256')
    assert [source['url'] for source in result['sources']] == [
        'https://github.com/KWDB/KWDB/releases/download/v24.1.4/KWDB-24.1.4-ubuntu22.04-x86_64-debs.tar.gz']
    assert result['sources'][0]['checksum_url'].endswith('/v24.1.4/KWDB-24.1.4-ubuntu22.04-x86_64-debs.tar.gz.sha256')


def test_releases_win_over_src_and_templates():
    releases = [{'version': '24.1.4', 'url': 'https://m/c.tgz', 'sha256': None, 'checksum_url': 'https://m/c.sum'}]
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', releases=releases, release_src='/srv/c.tgz',
                  release_sha256=SHA)
    assert result['sources'] == [{'version': 'v24.1.4', 'url': 'https://m/c.tgz', 'src': None, 'binary': None, 'binary_on': None, 'sha256': None,
                                  'checksum_url': 'https://m/c.sum'}]


def test_no_source():
    assert refusal('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template='',
                   release_checksum_url_template='') == (
        'no release source for v24.1.4: add it to distsql_releases, or set distsql_release_url_template with '
        'distsql_release_checksum_url_template (or distsql_release_sha256)')


def test_sha256_for_the_target_does_not_verify_an_intermediate_hop():
    assert refusal('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1', release_checksum_url_template='',
                   release_sha256=SHA, hop_versions={'23.2': 'v23.2.9'}) == (
        'distsql_release_sha256 verifies the target v24.1.4 only: the hop to v23.2.9 needs '
        'distsql_release_checksum_url_template or a distsql_releases entry')


@pytest.mark.parametrize('overrides, message', [
    ({'release_checksum_url_template': ''},
     'distsql_release_url_template needs distsql_release_checksum_url_template or distsql_release_sha256: every '
     'download is verified'),
    ({'release_url_template': '', 'release_src': '/srv/c.tgz'},
     'distsql_release_src needs distsql_release_sha256: every release is verified'),
    ({'release_sha256': 'abc'}, "distsql_release_sha256 is not a sha256 (64 hexadecimal digits): 'abc'"),
    ({'release_sha256': SHA[:-1] + 'g'},
     "distsql_release_sha256 is not a sha256 (64 hexadecimal digits): '%s'" % (SHA[:-1] + 'g')),
    ({'releases': [{'version': 'v24.1.4', 'url': 'https://m/c.tgz', 'sha256': '1234', 'checksum_url': None}]},
     "the sha256 of distsql_releases entry v24.1.4 is not a sha256 (64 hexadecimal digits): '1234'"),
    ({'releases': [{'version': 'v24.1.4', 'url': 'https://m/c.tgz', 'sha256': None, 'checksum_url': None}]},
     'distsql_releases entry v24.1.4 has a url but neither sha256 nor checksum_url: every download is verified'),
    ({'release_url_template': 'https://m/cockroach.tgz'},
     'distsql_release_url_template has neither {version} nor {release}: every release would come from the same address'),
    ({'release_checksum_url_template': 'https://m/cockroach.sum'},
     'distsql_release_checksum_url_template has neither {version} nor {release}: every release would come from the same address'),
])
def test_unverifiable_sources_are_refused(overrides, message):
    assert refusal('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', **overrides) == message


def test_unused_checksum_template_is_warned_about():
    values = params('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template='',
                    release_src='/srv/c.tgz', release_sha256=SHA)
    assert plan_run(CRDB, values)['notes'][-1] == (
        'distsql_release_checksum_url_template is not used without distsql_release_url_template')


# -- hops that cannot be resolved, too many hops -------------------------------------------------------------


def test_series_hop_without_a_known_release():
    result = plan('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1',
                  releases=[{'version': 'v23.2.0-rc.1', 'url': None, 'sha256': None, 'checksum_url': None}])
    assert result['allowed'] is False and result['kind'] == 'multi_major'
    assert result['reason'] == ('no release of series 23.2 is known for the hop from v23.1.28 to v24.1.4: add one to '
                                'distsql_releases or distsql_hop_versions')


def test_at_most_six_hops():
    result = plan('v26.4.1', ['v23.1.28'] * 3, cluster_version='23.1')
    assert result['allowed'] is False
    assert result['reason'] == ('the path from v23.1.28 to v26.4.1 needs 7 hops; one run does at most %d: upgrade to '
                                'v26.2 first' % MAX_HOPS)


def test_six_hops_are_planned():
    hop_versions = {'23.2': 'v23.2.9', '24.1': 'v24.1.4', '24.3': 'v24.3.2', '25.2': 'v25.2.1', '25.4': 'v25.4.1'}
    result = plan('v26.2.0', ['v23.1.28'] * 3, cluster_version='23.1', hop_versions=hop_versions)
    assert result['allowed'] is True
    assert [hop['version'] for hop in result['hops']] == ['v23.2.9', 'v24.1.4', 'v24.3.2', 'v25.2.1', 'v25.4.1',
                                                          'v26.2.0']
    assert [hop['finalize_after'] for hop in result['hops']] == [True] * 5 + [False]
    assert result['hops'][-1]['hold'] is True


@pytest.mark.parametrize('hop_versions, message', [
    ({'23': 'v23.2.9'}, "distsql_hop_versions key '23' is not a release series such as 23.2"),
    ({'23.2': 'v24.1.4'}, 'distsql_hop_versions maps 23.2 to v24.1.4, which is not a release of 23.2'),
    ({'23.2': 'v23.2.0-rc.1'},
     'distsql_hop_versions maps 23.2 to v23.2.0-rc.1, a pre-release: set distsql_allow_prerelease to use it'),
])
def test_bad_hop_versions(hop_versions, message):
    assert refusal('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1', hop_versions=hop_versions) == message


def test_prerelease_hop_version_with_allow_prerelease():
    result = plan('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1', hop_versions={'23.2': 'v23.2.0-rc.1'},
                  allow_prerelease=True)
    assert [hop['version'] for hop in result['hops']] == ['v23.2.0-rc.1', 'v24.1.4']


# -- the engine's refusals and unparseable versions -----------------------------------------------------------


def test_engine_refusals_are_passed_on():
    assert refusal('v22.2.5', ['v24.1.4'] * 3, cluster_version='24.1') == (
        'cannot downgrade from v24.1.4 to v22.2.5: a rollback only returns to the series the cluster came from '
        '(23.2) and only before finalization; otherwise restore a backup into 22.2')
    assert refusal('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.1-8') == (
        'cannot upgrade from v23.2.9 to v24.1.4: the cluster version 23.1-8 is not finalized at 23.2; finalize the '
        'previous upgrade first')
    assert refusal('v24.1.0-rc.1', ['v23.2.9'] * 3) == (
        'refusing to plan from v23.2.9 to v24.1.0-rc.1: v24.1.0-rc.1 is a pre-release build (rc.1); set '
        'allow_prerelease to accept it')


@pytest.mark.parametrize('mutate', [
    lambda values: values.update(target_version='v24.x'),
    lambda values: values['nodes'][1].update(installed_version='v24.x'),
    lambda values: values['cluster_nodes'][1].update(build='v24.x'),
    lambda values: values.update(releases=[{'version': 'v24.x', 'url': None, 'sha256': None, 'checksum_url': None}]),
    lambda values: values.update(hop_versions={'23.2': 'v24.x'}),
])
def test_unparseable_versions_give_the_engines_message(mutate):
    values = params('v24.1.4', ['v23.1.28'] * 3, cluster_version='23.1')
    mutate(values)
    result = plan_run(CRDB, values)
    assert result['allowed'] is False
    assert result['reason'] == "cannot parse cockroachdb version string 'v24.x'"


def test_refusal_keeps_what_was_planned():
    result = plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', release_url_template='',
                  release_checksum_url_template='')
    assert result['allowed'] is False and result['kind'] == 'major'
    assert result['from_version'] == 'v23.2.9' and [hop['version'] for hop in result['hops']] == ['v24.1.4']
    assert result['sources'] == [] and len(result['nodes']) == 3


def test_empty_nodes_are_refused():
    assert plan_run(CRDB, dict(params('v24.1.4', ['v23.2.9']), nodes=[]))['reason'] == (
        'nodes is empty: there is nothing to plan for')


def test_cluster_nodes_must_be_node_status_nodes():
    assert plan_run(CRDB, dict(params('v24.1.4', ['v23.2.9']), cluster_nodes=[{'host': 'node1'}]))['reason'] == (
        "cluster_nodes must be the nodes of distsql.upgrade.node_status (id, address, sql_address, build, is_live, "
        "...); got {'host': 'node1'}")


# -- what clients see --------------------------------------------------------------------------------------


@pytest.mark.parametrize('flow, impact', [
    ('multi_replica', 'none expected for clients behind a load balancer or with multi-node connection strings: '
                      'each node is drained before it stops and one node at a time is down'),
    ('single_replica', 'an outage for every client from the first stop until the whole cluster is ready again'),
    ('standalone', 'an outage from the stop until the node is ready again'),
])
def test_client_impact_by_flow(flow, impact):
    assert plan('v24.1.4', ['v23.2.9'] * 3, cluster_version='23.2', flow=flow)['client_impact'] == impact


def test_client_impact_of_a_multi_hop_full_stop():
    result = plan('v24.1.4', ['v23.1.28'], cluster_version='23.1', flow='standalone', hop_versions={'23.2': 'v23.2.9'})
    assert result['client_impact'] == 'an outage from the stop until the node is ready again, once for each of the 2 hops'


def test_kwdb_stages_the_running_release_too_because_deploy_sh_replaces_it():
    kwdb = get_engine('kwdb')
    upgrade = params('V3.1.0', ['V3.0.0'] * 3, engine='kwdb', cluster_nodes=[],
                     nodes=[node('node%d' % n, 'V3.0.0', staged=[]) for n in (1, 2, 3)])
    result = plan_run(kwdb, upgrade)
    assert result['allowed'] is True, result['reason']
    assert [source['version'] for source in result['sources']] == ['V3.1.0', 'V3.0.0']
    assert result['sources'][1] == template_source('V3.0.0')
    staged = dict(upgrade, nodes=[node('node%d' % n, 'V3.0.0', staged=['V3.0.0', 'V3.1.0']) for n in (1, 2, 3)])
    assert plan_run(kwdb, staged)['sources'] == []


def test_a_staged_package_from_another_archive_is_sourced_again():
    """The re-run after a bad package: the fixed archive's sha256 differs from the staged copy's, so it is staged
    again; a staged copy whose archive is the configured one needs nothing."""
    kwdb = get_engine('kwdb')
    bad, fixed = 'a' * 64, 'b' * 64

    def staged_from(sha256):
        nodes = [dict(node('node%d' % n, 'V3.0.0', staged=['V3.0.0', 'V3.1.0']), staged_sha256={'V3.1.0': sha256})
                 for n in (1, 2, 3)]
        return params('V3.1.0', ['V3.0.0'] * 3, engine='kwdb', cluster_nodes=[], nodes=nodes,
                      release_url_template='', release_checksum_url_template='', release_src='/srv/KWDB-3.1.0.tgz',
                      release_sha256=fixed)

    assert plan_run(kwdb, staged_from(bad))['sources'] == [
        {'version': 'V3.1.0', 'url': None, 'src': '/srv/KWDB-3.1.0.tgz', 'binary': None, 'binary_on': None, 'sha256': fixed, 'checksum_url': None}]
    assert plan_run(kwdb, staged_from(fixed))['sources'] == []


def test_cockroachdb_keeps_its_previous_release_and_stages_only_the_hops():
    assert [source['version'] for source in plan('v23.2.11', ['v23.2.9'] * 3, cluster_version='23.2')['sources']] == [
        'v23.2.11']


def test_kwdb_names_what_a_client_of_the_upgrading_node_sees():
    upgrade = params('V3.1.0', ['V3.0.0'] * 3, engine='kwdb', cluster_nodes=[])
    assert plan_run(get_engine('kwdb'), upgrade)['client_impact'].startswith(
        'none expected through a load balancer or multi-node connection strings; a client connected to the node being '
        'upgraded has its writes refused while the node is marked UPGRADING (reads continue)')
    full_stop = dict(upgrade, flow='single_replica')
    assert plan_run(get_engine('kwdb'), full_stop)['client_impact'] == (
        'an outage for every client from the first stop until the whole cluster is ready again')


def test_a_built_binary_is_the_source_of_its_version():
    releases = [{'version': 'v24.1.4', 'binary': '/home/op/build/cockroach', 'binary_on': 'node'}]
    result = plan('v24.1.4', ['v24.1.3'] * 3, releases=releases)
    assert result['sources'] == [{'version': 'v24.1.4', 'url': None, 'src': None, 'binary': '/home/op/build/cockroach',
                                  'binary_on': 'node', 'sha256': None, 'checksum_url': None}]


def test_a_built_binary_defaults_to_the_controller_and_keeps_its_sha256():
    releases = [{'version': 'v24.1.4', 'binary': '/srv/cockroach', 'sha256': SHA}]
    assert plan('v24.1.4', ['v24.1.3'] * 3, releases=releases)['sources'][0]['binary_on'] == 'controller'
    assert plan('v24.1.4', ['v24.1.3'] * 3, releases=releases)['sources'][0]['sha256'] == SHA


def test_a_release_entry_with_a_url_and_a_binary_is_refused():
    releases = [{'version': 'v24.1.4', 'url': 'https://m/c.tgz', 'sha256': SHA, 'binary': '/srv/cockroach'}]
    assert refusal('v24.1.4', ['v24.1.3'] * 3, releases=releases) == (
        'distsql_releases entry v24.1.4 has both a url and a binary: give one source per release')


def test_a_relative_built_binary_is_refused():
    releases = [{'version': 'v24.1.4', 'binary': 'build/cockroach'}]
    assert refusal('v24.1.4', ['v24.1.3'] * 3, releases=releases) == (
        'distsql_releases entry v24.1.4: binary must be an absolute path, got build/cockroach')


def test_a_built_binary_is_staged_again_while_a_node_does_not_run_it():
    """A build staged before under the same version may be another one: staging it again compares the sha256."""
    releases = [{'version': 'v24.1.4', 'binary': '/srv/cockroach'}]
    nodes = [node('node%d' % index, 'v24.1.3', staged=['v24.1.3', 'v24.1.4']) for index in (1, 2, 3)]
    result = plan_run(CRDB, dict(params('v24.1.4', ['v24.1.3'] * 3, releases=releases), nodes=nodes))
    assert [source['binary'] for source in result['sources']] == ['/srv/cockroach'], result


def test_a_built_binary_path_loses_its_trailing_slash():
    releases = [{'version': 'v24.1.4', 'binary': '/srv/build/'}]
    assert [source['binary'] for source in plan('v24.1.4', ['v24.1.3'] * 3, releases=releases)['sources']] == ['/srv/build']
