# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB cluster settings: SHOW/SET/RESET, the value comparison and the cluster_setting flow.

Fixtures: *_inferred are the reference's reconstructed csv outputs (flow-surfaces-cockroachdb.md section 3),
*_constructed are built from its format rules (an interval setting, an unknown-setting error with SQLSTATE).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import SqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import settings
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
CONNECTION = Connection(host='h:26257', insecure=True)
TAG = 'SET CLUSTER SETTING\n'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


class FakeSql:
    """run(argv): answers each statement (the text after -e) from a queue; the last answer repeats."""

    def __init__(self, **_unused):
        self.answers = {}
        self.statements = []

    def on(self, statement, *answers):
        self.answers[statement] = list(answers)
        return self

    def __call__(self, argv):
        statement = argv[argv.index('-e') + 1]
        self.statements.append(statement)
        queue = self.answers[statement]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer if isinstance(answer, tuple) else (0, answer, '')


def test_the_engine_offers_the_settings_capability():
    assert get_engine('cockroachdb').capability('settings') is settings


@pytest.mark.parametrize('text, seconds', [
    ('15m', 900), ('00:15:00', 900), ('900s', 900), ('1m30s', 90), ('10m0s', 600), ('1h0m0s', 3600), ('500ms', 0.5),
    ('1.5s', 1.5), ('0s', 0), ('00:00:00', 0), ('00:00:00.5', 0.5), ('00:00:10', 10), ('1 day 02:00:00', 93600),
    ('2 days', 172800), ('-5m', -300), ('-00:05:00', -300), (' 15m ', 900),
])
def test_parse_duration(text, seconds):
    assert settings.parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['0', '10', '', 'true', '24.1', '32 MiB', '15 minutes', '1:2:3', 'm', '23.2-upgrading-to-24.1-step-004'])
def test_not_a_duration(text):
    assert settings.parse_duration(text) is None


def test_go_duration_only_takes_the_go_form():
    assert settings.parse_go_duration('1m30s') == 90
    assert settings.parse_go_duration('00:01:30') is None


@pytest.mark.parametrize('seconds, text', [(35, '35s'), (90, '1m30s'), (600, '10m'), (3600, '1h'), (3605, '1h5s'),
                                           (0, '0s'), (10, '10s')])
def test_format_duration_is_a_go_duration(seconds, text):
    assert settings.format_duration(seconds) == text
    assert settings.parse_go_duration(text) == seconds


@pytest.mark.parametrize('current, desired', [
    ('00:15:00', '15m'), ('00:15:00', '900s'), ('15m', '900s'), ('00:00:10', '10s'), ('true', 'TRUE'),
    ('false', 'False'), ('', ''), ('24.1', '24.1'), ('23.2-upgrading-to-24.1-step-004', '23.2-upgrading-to-24.1-step-004'),
])
def test_same_value(current, desired):
    assert settings.same_value(current, desired)


@pytest.mark.parametrize('current, desired', [
    ('00:15:00', '16m'), ('true', 'false'), ('24.1', '24.1 '), ('abc', 'ABC'), ('0', '0s'), ('', '23.2'),
    ('32 MiB', '32MiB'),
])
def test_different_value(current, desired):
    assert not settings.same_value(current, desired)


def test_normalize_kinds():
    assert settings.normalize('00:15:00') == ('duration', 900)
    assert settings.normalize('TRUE') == ('bool', 'true')
    assert settings.normalize('23.2') == ('string', '23.2')
    assert settings.normalize(None) == ('string', '')


def test_statements_quote_the_value():
    assert settings.show_statement('version') == 'SHOW CLUSTER SETTING version'
    assert settings.set_statement('cluster.preserve_downgrade_option', '23.2') == \
        "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'"
    assert settings.set_statement('cluster.label', "it's") == "SET CLUSTER SETTING cluster.label = 'it''s'"
    assert settings.reset_statement('server.time_until_store_dead') == 'RESET CLUSTER SETTING server.time_until_store_dead'


@pytest.mark.parametrize('name', ['version; DROP TABLE t', 'a..b', '', 'x = 1', '.a'])
def test_invalid_setting_names_are_refused(name):
    with pytest.raises(DistsqlError) as caught:
        settings.show_statement(name)
    assert str(caught.value) == ('invalid cluster setting name %r: expected dotted words such as '
                                 'server.shutdown.initial_wait' % name)


@pytest.mark.parametrize('name, output, value', [
    ('cluster.preserve_downgrade_option', 'cockroach/show_setting_preserve_downgrade_unset_inferred.txt', ''),
    ('cluster.auto_upgrade.enabled', 'cockroach/show_setting_auto_upgrade_enabled_inferred.txt', 'true'),
    ('version', 'cockroach/show_setting_version_24.1_inferred.txt', '24.1'),
    ('server.shutdown.transactions.timeout', 'cockroach/show_setting_duration_constructed.txt', '00:00:10'),
])
def test_show_reads_the_single_value(name, output, value):
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture(output))
    assert settings.show(run, BINARY, CONNECTION, name) == value


def test_ensure_reads_only_without_a_value():
    run = FakeSql().on('SHOW CLUSTER SETTING version', fixture('cockroach/show_setting_version_24.1_inferred.txt'))
    assert settings.ensure(run, BINARY, CONNECTION, 'version') == {
        'name': 'version', 'value': '24.1', 'previous': '24.1', 'changed': False, 'previous_is_default': False,
        'diff': {'before': {'version': '24.1'}, 'after': {'version': '24.1'}}}
    assert run.statements == ['SHOW CLUSTER SETTING version']


def test_ensure_sets_and_reads_back():
    name = 'server.shutdown.transactions.timeout'
    run = (FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture('cockroach/show_setting_duration_constructed.txt'),
                        '%s\n00:00:30\n' % name)
           .on("SET CLUSTER SETTING %s = '30s'" % name, TAG))
    result = settings.ensure(run, BINARY, CONNECTION, name, value='30s')
    assert result == {'name': name, 'value': '00:00:30', 'previous': '00:00:10', 'changed': True, 'previous_is_default': True,
                      'diff': {'before': {name: '00:00:10'}, 'after': {name: '00:00:30'}}}
    assert run.statements == ['SHOW CLUSTER SETTING %s' % name, "SET CLUSTER SETTING %s = '30s'" % name,
                              'SHOW CLUSTER SETTING %s' % name]


def test_ensure_is_idempotent_across_duration_forms():
    name = 'server.shutdown.transactions.timeout'
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture('cockroach/show_setting_duration_constructed.txt'))
    result = settings.ensure(run, BINARY, CONNECTION, name, value='10s')
    assert result['changed'] is False and result['value'] == '00:00:10'
    assert run.statements == ['SHOW CLUSTER SETTING %s' % name]


def test_ensure_in_check_mode_sets_nothing():
    name = 'cluster.auto_upgrade.enabled'
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture('cockroach/show_setting_auto_upgrade_enabled_inferred.txt'))
    result = settings.ensure(run, BINARY, CONNECTION, name, value='false', check_mode=True)
    assert result == {'name': name, 'value': 'false', 'previous': 'true', 'changed': True, 'previous_is_default': True,
                      'diff': {'before': {name: 'true'}, 'after': {name: 'false'}}}
    assert run.statements == ['SHOW CLUSTER SETTING %s' % name]


def test_absent_at_a_known_default_runs_no_reset():
    name = 'cluster.preserve_downgrade_option'
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture('cockroach/show_setting_preserve_downgrade_unset_inferred.txt'))
    result = settings.ensure(run, BINARY, CONNECTION, name, state='absent')
    assert result['changed'] is False and result['value'] == ''
    assert run.statements == ['SHOW CLUSTER SETTING %s' % name]


def test_absent_resets_and_compares_what_it_reads_back():
    name = 'kv.snapshot_rebalance.max_rate'
    run = (FakeSql().on('SHOW CLUSTER SETTING %s' % name, '%s\n64 MiB\n' % name, '%s\n32 MiB\n' % name)
           .on('RESET CLUSTER SETTING %s' % name, TAG))
    result = settings.ensure(run, BINARY, CONNECTION, name, state='absent')
    assert result == {'name': name, 'value': '32 MiB', 'previous': '64 MiB', 'changed': True, 'previous_is_default': False,
                      'diff': {'before': {name: '64 MiB'}, 'after': {name: '32 MiB'}}}


def test_absent_of_a_setting_already_at_its_unknown_default_is_no_change():
    name = 'kv.snapshot_rebalance.max_rate'
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name, '%s\n32 MiB\n' % name).on('RESET CLUSTER SETTING %s' % name, TAG)
    assert settings.ensure(run, BINARY, CONNECTION, name, state='absent')['changed'] is False
    assert run.statements[1] == 'RESET CLUSTER SETTING %s' % name


def test_absent_in_check_mode_predicts_known_and_unknown_defaults():
    run = (FakeSql().on('SHOW CLUSTER SETTING cluster.preserve_downgrade_option', 'cluster.preserve_downgrade_option\n23.2\n')
           .on('SHOW CLUSTER SETTING kv.snapshot_rebalance.max_rate', 'kv.snapshot_rebalance.max_rate\n64 MiB\n'))
    known = settings.ensure(run, BINARY, CONNECTION, 'cluster.preserve_downgrade_option', state='absent', check_mode=True)
    assert (known['changed'], known['value'], known['previous']) == (True, '', '23.2')
    unknown = settings.ensure(run, BINARY, CONNECTION, 'kv.snapshot_rebalance.max_rate', state='absent', check_mode=True)
    assert (unknown['changed'], unknown['value']) == (True, None)
    assert [s for s in run.statements if not s.startswith('SHOW')] == []


@pytest.mark.parametrize('value, state', [('24.1', 'present'), (None, 'absent')])
def test_changing_the_cluster_version_is_refused(value, state):
    with pytest.raises(DistsqlError) as caught:
        settings.ensure(FakeSql(), BINARY, CONNECTION, 'version', value=value, state=state)
    assert str(caught.value) == (
        'cluster_setting does not change the cluster version: setting `version` finalizes a major upgrade and cannot be '
        'undone; use distsql.upgrade.finalization (state=finalized), which checks that every node runs the new release '
        'and waits until the upgrade jobs are done')


def test_a_refused_set_carries_the_server_message_and_the_previous_value():
    name = 'cluster.preserve_downgrade_option'
    run = (FakeSql().on('SHOW CLUSTER SETTING %s' % name, fixture('cockroach/show_setting_preserve_downgrade_unset_inferred.txt'))
           .on("SET CLUSTER SETTING %s = '23.2'" % name, (1, '', fixture('cockroach/sql_error_preserve_downgrade_inferred.txt'))))
    with pytest.raises(settings.SettingChangeFailed) as caught:
        settings.ensure(run, BINARY, CONNECTION, name, value='23.2')
    assert str(caught.value) == ("`SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'` failed: cannot set "
                                 "cluster.preserve_downgrade_option to 23.2 (cluster version is 24.1)")
    assert caught.value.as_result() == {'previous': '', 'sqlstate': None, 'detail': None, 'hint': None}


def test_an_unknown_setting_fails_with_its_sqlstate():
    name = 'cluster.auto_upgrade.enabled'
    run = FakeSql().on('SHOW CLUSTER SETTING %s' % name,
                       (1, '', fixture('cockroach/sql_error_unknown_setting_sqlstate_constructed.txt')))
    with pytest.raises(SqlError) as caught:
        settings.ensure(run, BINARY, CONNECTION, name, value='false')
    assert str(caught.value) == ("`SHOW CLUSTER SETTING cluster.auto_upgrade.enabled` failed: unknown cluster setting "
                                 "'cluster.auto_upgrade.enabled' (SQLSTATE 42704)")
    assert caught.value.as_result()['sqlstate'] == '42704'


@pytest.mark.parametrize('shown, settable', [
    ('00:15:00', '15m'),
    ('00:05:00', '5m'),
    ('01:00:30', '1h30s'),
    ('15m', '15m'),
    ('false', 'false'),
    ('23.2', '23.2'),
])
def test_a_value_read_back_from_show_is_set_as_a_go_duration(shown, settable):
    assert settings.settable(shown) == settable


def test_previous_is_default_only_for_known_defaults():
    assert settings.is_default('server.time_until_store_dead', '00:05:00') is True
    assert settings.is_default('server.time_until_store_dead', '00:15:00') is False
    assert settings.is_default('some.unknown.setting', '') is False
