# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB finalization: the hold per version, the finalize refusals, and the finalize flow with its wait.

Node status fixtures *_constructed put made-up v23.2.9/v24.1.3 builds under the real v22.2+ `--all` csv header.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.node_status import parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import finalization as fin
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
CONNECTION = Connection(host='h:26257', insecure=True)
ENGINE = get_engine('cockroachdb')
TAG = 'SET CLUSTER SETTING\n'
NODES_24_1 = 'cockroach/node_status_all_csv_v24.1.3_constructed.txt'
NODES_MIXED = 'cockroach/node_status_all_csv_mixed_v23.2.9_v24.1.3_constructed.txt'
NODES_DEAD = 'cockroach/node_status_all_csv_v24.1.3_dead_constructed.txt'
NODES_23_2 = 'cockroach/node_status_all_csv_v23.2.9_constructed.txt'
JOBS_NONE = 'cockroach/show_jobs_csv_v24.1_empty_constructed.txt'
JOBS_RUNNING = 'cockroach/show_jobs_csv_v24.1_running_constructed.txt'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def show(name, value):
    return '%s\n%s\n' % (name, value)


class FakeCockroach:
    """run(argv): answers a statement (the text after -e) or 'node status' from a queue; the last answer repeats."""

    def __init__(self):
        self.answers = {}
        self.calls = []

    def on(self, key, *answers):
        self.answers[key] = list(answers)
        return self

    def __call__(self, argv):
        key = argv[argv.index('-e') + 1] if argv[1] == 'sql' else ' '.join(argv[1:3])
        self.calls.append(key)
        queue = self.answers[key]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer if isinstance(answer, tuple) else (0, answer, '')

    def changes(self):
        return [call for call in self.calls if call.startswith(('SET', 'RESET'))]


def cluster(version, nodes=NODES_24_1, jobs_output=JOBS_NONE, auto_upgrade='true', preserve=''):
    fake = (FakeCockroach()
            .on('SHOW CLUSTER SETTING version', *[show('version', value) for value in version])
            .on('SHOW JOBS', fixture(jobs_output))
            .on('node status', fixture(nodes))
            .on('SHOW CLUSTER SETTING cluster.preserve_downgrade_option', show('cluster.preserve_downgrade_option', preserve)))
    if auto_upgrade is not None:
        fake.on('SHOW CLUSTER SETTING cluster.auto_upgrade.enabled', show('cluster.auto_upgrade.enabled', auto_upgrade))
    return fake


def view(name):
    return fin.node_view(parse_node_status(fixture(name), 'csv', 'cockroachdb'))


def params(**extra):
    result = {'command_timeout': 30, 'timeout': 10.0, 'interval': 0.01, 'stable_checks': 1, 'wait': True, 'series': None}
    result.update(extra)
    return result


def runner_for(fake):
    return lambda seconds: fake


def test_the_engine_offers_the_finalization_capability():
    assert ENGINE.capability('finalization') is fin


@pytest.mark.parametrize('value, expected', [
    ('24.1', {'cluster_version': '24.1', 'active': '24.1', 'upgrading_to': None, 'version_final': True}),
    ('23.2-upgrading-to-24.1-step-004',
     {'cluster_version': '23.2-upgrading-to-24.1-step-004', 'active': '23.2', 'upgrading_to': '24.1', 'version_final': False}),
    ('23.1-8', {'cluster_version': '23.1-8', 'active': '23.1', 'upgrading_to': '23.2', 'version_final': False}),
    ('24.3-upgrading-final-step',
     {'cluster_version': '24.3-upgrading-final-step', 'active': None, 'upgrading_to': '24.3', 'version_final': False}),
    ('version\n23.2\n', {'cluster_version': '23.2', 'active': '23.2', 'upgrading_to': None, 'version_final': True}),
])
def test_version_state(value, expected):
    assert fin.version_state(value) == expected


@pytest.mark.parametrize('series, setting, readable', [
    ('23.1', fin.PRESERVE, (fin.PRESERVE,)),
    ('23.2', fin.AUTO_UPGRADE, (fin.AUTO_UPGRADE, fin.PRESERVE)),
    ('24.1', fin.AUTO_UPGRADE, (fin.AUTO_UPGRADE, fin.PRESERVE)),
    ('22.2', fin.PRESERVE, (fin.PRESERVE,)),
])
def test_the_hold_setting_follows_the_cluster_version(series, setting, readable):
    assert fin.hold_setting(series) == setting
    assert fin.hold_settings(series) == readable


@pytest.mark.parametrize('values, holds', [
    ({fin.AUTO_UPGRADE: 'true', fin.PRESERVE: ''}, []),
    ({fin.AUTO_UPGRADE: 'false', fin.PRESERVE: ''}, [{'setting': fin.AUTO_UPGRADE, 'value': 'false'}]),
    ({fin.AUTO_UPGRADE: 'FALSE', fin.PRESERVE: ''}, [{'setting': fin.AUTO_UPGRADE, 'value': 'FALSE'}]),
    ({fin.PRESERVE: '23.1'}, [{'setting': fin.PRESERVE, 'value': '23.1'}]),
    ({fin.AUTO_UPGRADE: 'false', fin.PRESERVE: '24.1'},
     [{'setting': fin.AUTO_UPGRADE, 'value': 'false'}, {'setting': fin.PRESERVE, 'value': '24.1'}]),
])
def test_holds_from(values, holds):
    assert fin.holds_from(values) == holds


def test_hold_from_23_2_disables_auto_upgrade():
    state = fin.version_state('23.2')
    assert fin.hold_changes(state, {fin.AUTO_UPGRADE: 'true', fin.PRESERVE: ''}) == [
        {'setting': fin.AUTO_UPGRADE, 'before': 'true', 'after': 'false'}]


def test_hold_before_23_2_preserves_the_active_version():
    assert fin.hold_changes(fin.version_state('23.1'), {fin.PRESERVE: ''}) == [
        {'setting': fin.PRESERVE, 'before': '', 'after': '23.1'}]


def test_hold_when_already_held_changes_nothing():
    assert fin.hold_changes(fin.version_state('24.1'), {fin.AUTO_UPGRADE: 'true', fin.PRESERVE: '24.1'}) == []
    assert fin.hold_changes(fin.version_state('24.1'), {fin.AUTO_UPGRADE: 'false', fin.PRESERVE: ''}) == []


def test_hold_during_a_finalization_is_refused():
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.hold_changes(fin.version_state('23.2-upgrading-to-24.1-step-010'), {fin.AUTO_UPGRADE: 'true', fin.PRESERVE: ''})
    assert str(caught.value) == ('cannot hold the finalization: the cluster is already finalizing to 24.1 (cluster '
                                 'version 23.2-upgrading-to-24.1-step-010)')


def test_release_resets_every_hold():
    assert fin.release_changes({fin.AUTO_UPGRADE: 'false', fin.PRESERVE: '24.1'}) == [
        {'setting': fin.AUTO_UPGRADE, 'before': 'false', 'after': 'true'},
        {'setting': fin.PRESERVE, 'before': '24.1', 'after': ''}]
    assert fin.release_changes({fin.PRESERVE: ''}) == []


def test_node_view_leaves_out_decommissioned_nodes_and_sorts_series():
    nodes, series = view(NODES_MIXED)
    assert nodes == [{'id': 1, 'build': 'v24.1.3', 'series': '24.1', 'is_live': True},
                     {'id': 2, 'build': 'v24.1.3', 'series': '24.1', 'is_live': True},
                     {'id': 3, 'build': 'v23.2.9', 'series': '23.2', 'is_live': True}]
    assert series == ['23.2', '24.1']


def test_node_view_of_a_dead_node():
    nodes, series = view(NODES_DEAD)
    assert nodes[1] == {'id': 2, 'build': None, 'series': None, 'is_live': False}
    assert series == ['24.1']


def test_finalize_refuses_a_lagging_node():
    nodes, series = view(NODES_MIXED)
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.finalize_target(fin.version_state('23.2'), nodes, series)
    assert str(caught.value) == 'cannot finalize: node 3 runs v23.2.9 (23.2), the others 24.1'


def test_finalize_names_every_lagging_node():
    nodes = [{'id': 1, 'build': 'v24.1.3', 'series': '24.1', 'is_live': True},
             {'id': 4, 'build': 'v23.2.9', 'series': '23.2', 'is_live': True},
             {'id': 5, 'build': 'v23.2.8', 'series': '23.2', 'is_live': True}]
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.finalize_target(fin.version_state('23.2'), nodes, ['23.2', '24.1'])
    assert str(caught.value) == 'cannot finalize: node 4 runs v23.2.9 (23.2), node 5 runs v23.2.8 (23.2), the others 24.1'


def test_finalize_refuses_a_node_that_is_not_live():
    nodes, series = view(NODES_DEAD)
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.finalize_target(fin.version_state('23.2'), nodes, series)
    assert str(caught.value) == 'cannot finalize to 24.1: node 2 is not live; finalization needs every node live'


def test_finalize_refuses_several_nodes_that_are_not_live():
    nodes = [{'id': 1, 'build': 'v24.1.3', 'series': '24.1', 'is_live': True},
             {'id': 2, 'build': None, 'series': None, 'is_live': False},
             {'id': 3, 'build': None, 'series': None, 'is_live': False}]
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.finalize_target(fin.version_state('23.2'), nodes, ['24.1'])
    assert str(caught.value) == 'cannot finalize to 24.1: nodes 2, 3 are not live; finalization needs every node live'


@pytest.mark.parametrize('version, mode', [
    ('23.2', 'set'), ('24.1', 'done'), ('23.2-upgrading-to-24.1-step-004', 'running'), ('24.1-upgrading-final-step', 'running'),
])
def test_finalize_target_modes(version, mode):
    nodes, series = view(NODES_24_1)
    assert fin.finalize_target(fin.version_state(version), nodes, series) == ('24.1', mode)


def test_already_finalized_is_done_even_with_a_node_down():
    nodes, series = view(NODES_DEAD)
    assert fin.finalize_target(fin.version_state('24.1'), nodes, series) == ('24.1', 'done')


@pytest.mark.parametrize('version, series, message', [
    ('23.2', '24.2', 'cannot finalize to 24.2: every live node runs 24.1'),
    ('24.1', None, None),
    ('24.2', None, 'cannot finalize: every live node runs 24.1, which is not newer than the cluster version 24.2'),
    ('23.1', None, 'cannot finalize from 23.1 to 24.1: one major upgrade from 23.1 reaches 23.2 only'),
    ('23.2-upgrading-to-23.3-step-004', None,
     'cannot finalize to 24.1: the cluster is finalizing to 23.3 (cluster version 23.2-upgrading-to-23.3-step-004)'),
])
def test_finalize_refusals(version, series, message):
    nodes, node_series = view(NODES_24_1)
    if message is None:
        assert fin.finalize_target(fin.version_state(version), nodes, node_series, series)[1] == 'done'
        return
    with pytest.raises(fin.FinalizationRefused) as caught:
        fin.finalize_target(fin.version_state(version), nodes, node_series, series)
    assert str(caught.value) == message


def test_finalize_accepts_a_v_prefixed_series():
    nodes, node_series = view(NODES_24_1)
    assert fin.finalize_target(fin.version_state('23.2'), nodes, node_series, 'v24.1') == ('24.1', 'set')


def test_query_reads_version_jobs_nodes_and_holds():
    fake = cluster(['23.2-upgrading-to-24.1-step-010'], jobs_output=JOBS_RUNNING, auto_upgrade='false')
    state = fin.query(ENGINE, fake, BINARY, CONNECTION)
    assert state['cluster_version'] == '23.2-upgrading-to-24.1-step-010'
    assert (state['active'], state['upgrading_to'], state['finalized']) == ('23.2', '24.1', False)
    assert state['node_series'] == ['24.1'] and len(state['nodes']) == 3
    assert state['held'] is True and state['hold'] == {'setting': fin.AUTO_UPGRADE, 'value': 'false'}
    assert [job['job_type'] for job in state['jobs_running']] == ['MIGRATION', 'NEW SCHEMA CHANGE']
    assert state['migrations_running'] is True
    assert fake.calls == ['SHOW CLUSTER SETTING version', 'SHOW JOBS', 'node status',
                          'SHOW CLUSTER SETTING cluster.auto_upgrade.enabled',
                          'SHOW CLUSTER SETTING cluster.preserve_downgrade_option']


def test_query_on_23_1_does_not_read_auto_upgrade():
    fake = cluster(['23.1'], nodes=NODES_23_2, auto_upgrade=None, preserve='23.1')
    state = fin.query(ENGINE, fake, BINARY, CONNECTION)
    assert state['holds'] == [{'setting': fin.PRESERVE, 'value': '23.1'}] and state['finalized'] is True
    assert 'SHOW CLUSTER SETTING cluster.auto_upgrade.enabled' not in fake.calls


def test_final_version_with_a_running_migration_is_not_finalized():
    state = fin.query(ENGINE, cluster(['24.1'], jobs_output=JOBS_RUNNING), BINARY, CONNECTION)
    assert state['finalized'] is False and state['migrations_running'] is True


def test_hold_on_23_2_sets_auto_upgrade_and_reads_it_back():
    fake = cluster(['23.2'], nodes=NODES_23_2)
    fake.on('SHOW CLUSTER SETTING cluster.auto_upgrade.enabled', show(fin.AUTO_UPGRADE, 'true'), show(fin.AUTO_UPGRADE, 'false'))
    fake.on("SET CLUSTER SETTING cluster.auto_upgrade.enabled = 'false'", TAG)
    result = fin.hold(fake, BINARY, CONNECTION)
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'true', 'after': 'false'}]
    assert result['changed'] is True and result['held'] is True
    assert result['diff'] == {'before': {fin.AUTO_UPGRADE: 'true'}, 'after': {fin.AUTO_UPGRADE: 'false'}}
    assert fake.changes() == ["SET CLUSTER SETTING cluster.auto_upgrade.enabled = 'false'"]


def test_hold_on_23_1_preserves_the_version():
    fake = cluster(['23.1'], auto_upgrade=None)
    fake.on('SHOW CLUSTER SETTING cluster.preserve_downgrade_option', show(fin.PRESERVE, ''), show(fin.PRESERVE, '23.1'))
    fake.on("SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'", TAG)
    result = fin.hold(fake, BINARY, CONNECTION)
    assert result['changes'] == [{'setting': fin.PRESERVE, 'before': '', 'after': '23.1'}]
    assert result['hold'] == {'setting': fin.PRESERVE, 'value': '23.1'}


def test_hold_in_check_mode_changes_nothing():
    fake = cluster(['24.1'])
    result = fin.hold(fake, BINARY, CONNECTION, check_mode=True)
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'true', 'after': 'false'}]
    assert result['held'] is True and fake.changes() == []


def test_release_resets_what_is_set():
    fake = cluster(['24.1'], auto_upgrade='false', preserve='24.1')
    fake.on('SHOW CLUSTER SETTING cluster.auto_upgrade.enabled', show(fin.AUTO_UPGRADE, 'false'), show(fin.AUTO_UPGRADE, 'true'))
    fake.on('SHOW CLUSTER SETTING cluster.preserve_downgrade_option', show(fin.PRESERVE, '24.1'), show(fin.PRESERVE, ''))
    fake.on('RESET CLUSTER SETTING cluster.auto_upgrade.enabled', TAG)
    fake.on('RESET CLUSTER SETTING cluster.preserve_downgrade_option', TAG)
    result = fin.release(fake, BINARY, CONNECTION)
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'false', 'after': 'true'},
                                 {'setting': fin.PRESERVE, 'before': '24.1', 'after': ''}]
    assert result['held'] is False and result['hold'] is None


def test_release_without_a_hold_changes_nothing():
    fake = cluster(['24.1'])
    result = fin.release(fake, BINARY, CONNECTION)
    assert result['changes'] == [] and result['changed'] is False and fake.changes() == []


def test_finalize_releases_sets_the_version_and_waits_through_the_steps():
    fake = cluster(['23.2', '23.2', '23.2-upgrading-to-24.1-step-004', '23.2-upgrading-to-24.1-step-010', '24.1'],
                   auto_upgrade='false')
    fake.on('SHOW CLUSTER SETTING cluster.auto_upgrade.enabled', show(fin.AUTO_UPGRADE, 'false'), show(fin.AUTO_UPGRADE, 'true'))
    fake.on('RESET CLUSTER SETTING cluster.auto_upgrade.enabled', TAG)
    fake.on("SET CLUSTER SETTING version = '24.1'", TAG)
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert result['changed'] is True and result['target'] == '24.1'
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'false', 'after': 'true'},
                                 {'setting': 'version', 'before': '23.2', 'after': '24.1'}]
    assert [entry['cluster_version'] for entry in result['trace']] == [
        '23.2', '23.2-upgrading-to-24.1-step-004', '23.2-upgrading-to-24.1-step-010', '24.1']
    assert result['checks'] == 4 and result['cluster_version'] == '24.1' and result['finalized'] is True
    assert fake.changes() == ['RESET CLUSTER SETTING cluster.auto_upgrade.enabled', "SET CLUSTER SETTING version = '24.1'"]


def test_finalize_gives_the_set_statement_what_is_left_of_the_timeout():
    fake = cluster(['23.2', '24.1'])
    fake.on("SET CLUSTER SETTING version = '24.1'", TAG)
    limits = []

    def runner(seconds):
        limits.append(seconds)
        return fake

    fin.finalize(ENGINE, runner, BINARY, CONNECTION, params(timeout=600.0))
    assert limits[0] == 30 and 595 <= limits[1] <= 600


def test_finalize_already_running_skips_the_set():
    fake = cluster(['23.2-upgrading-to-24.1-step-016', '24.1'])
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert result['changes'] == [] and result['changed'] is False and fake.changes() == []
    assert [entry['cluster_version'] for entry in result['trace']] == ['24.1']


def test_finalize_already_running_still_releases_a_hold():
    fake = cluster(['23.2-upgrading-to-24.1-step-016', '24.1'], auto_upgrade='false')
    fake.on('SHOW CLUSTER SETTING cluster.auto_upgrade.enabled', show(fin.AUTO_UPGRADE, 'false'), show(fin.AUTO_UPGRADE, 'true'))
    fake.on('RESET CLUSTER SETTING cluster.auto_upgrade.enabled', TAG)
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert result['changed'] is True
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'false', 'after': 'true'}]
    assert fake.changes() == ['RESET CLUSTER SETTING cluster.auto_upgrade.enabled']


def test_finalize_already_done_is_no_change():
    fake = cluster(['24.1'])
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert (result['changed'], result['changes'], result['target']) == (False, [], '24.1')
    assert fake.changes() == []


def test_finalize_in_check_mode_plans_the_changes():
    fake = cluster(['23.2'], auto_upgrade='false')
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params(), check_mode=True)
    assert result['changes'] == [{'setting': fin.AUTO_UPGRADE, 'before': 'false', 'after': 'true'},
                                 {'setting': 'version', 'before': '23.2', 'after': '24.1'}]
    assert result['diff'] == {'before': {fin.AUTO_UPGRADE: 'false', 'version': '23.2'},
                              'after': {fin.AUTO_UPGRADE: 'true', 'version': '24.1'}}
    assert fake.changes() == []


def test_finalize_with_a_lagging_node_changes_nothing():
    fake = cluster(['23.2'], nodes=NODES_MIXED, auto_upgrade='false')
    with pytest.raises(fin.FinalizationRefused):
        fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert fake.changes() == []


def test_finalize_timeout_reports_the_last_version_and_the_running_jobs():
    fake = cluster(['23.2', '23.2-upgrading-to-24.1-step-010'], jobs_output=JOBS_RUNNING)
    fake.on("SET CLUSTER SETTING version = '24.1'", TAG)
    with pytest.raises(fin.FinalizationFailed) as caught:
        fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params(timeout=0.2, interval=0.05))
    message = str(caught.value)
    assert message.startswith('finalizing to 24.1: timed out after ')
    assert message.endswith(
        'waiting for the cluster version to reach 24.1 with no MIGRATION job running (%d checks, 0 consecutive passes of 1 '
        'needed); last cluster version 23.2-upgrading-to-24.1-step-010; running jobs: 1001234567890123501 MIGRATION '
        'running (Upgrade to 23.2-upgrading-to-24.1-step-010: "migrate old-style PTS records to the new style"); '
        '1001234567890123488 NEW SCHEMA CHANGE running (CREATE INDEX ON defaultdb.public.kv (v))'
        % caught.value.details['checks'])
    details = caught.value.as_result()
    assert details['changes'] == [{'setting': 'version', 'before': '23.2', 'after': '24.1'}]
    assert details['cluster_version'] == '23.2-upgrading-to-24.1-step-010' and details['migrations_running'] is True
    assert details['trace'][-1]['cluster_version'] == '23.2-upgrading-to-24.1-step-010'


def test_finalize_refused_by_the_server_after_the_release_reports_the_release():
    fake = cluster(['23.2'], preserve='23.2')
    fake.on('SHOW CLUSTER SETTING cluster.preserve_downgrade_option', show(fin.PRESERVE, '23.2'), show(fin.PRESERVE, ''))
    fake.on('RESET CLUSTER SETTING cluster.preserve_downgrade_option', TAG)
    fake.on("SET CLUSTER SETTING version = '24.1'", (1, '', fixture('cockroach/sql_error_finalize_lagging_node_v24_inferred.txt')))
    with pytest.raises(fin.FinalizationFailed) as caught:
        fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params())
    assert str(caught.value).startswith("finalizing to 24.1: `SET CLUSTER SETTING version = '24.1'` failed: error "
                                        "validating the version of one or more SQL server instances: ")
    details = caught.value.as_result()
    assert details['changes'] == [{'setting': fin.PRESERVE, 'before': '23.2', 'after': ''}]
    assert details['hint'].startswith('check the binary versions')


def test_finalize_without_wait_returns_after_the_statement():
    fake = cluster(['23.2', '24.1'])
    fake.on("SET CLUSTER SETTING version = '24.1'", TAG)
    result = fin.finalize(ENGINE, runner_for(fake), BINARY, CONNECTION, params(wait=False))
    assert 'trace' not in result and result['cluster_version'] == '24.1'


def test_the_runner_is_the_timed_runner_shape():
    calls = []
    run = timed_runner(lambda argv: calls.append(argv) or (0, '', ''), 45)
    run(['x'])
    assert calls == [['timeout', '--kill-after=5', '45', 'x']]
