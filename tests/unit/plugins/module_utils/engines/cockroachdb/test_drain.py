# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`cockroach node drain`: --drain-wait sizing from the shutdown settings, the rounds after a drain timeout.

Drain outputs: drain_docs_* is the documented transcript, drain_timeout_error_exact.txt the exact error,
drain_timeout_stderr_constructed.txt that error after two progress lines (the partial line ended first, as the CLI
does), drain_shutdown_stdout_v24.2_inferred.txt the v24.2+ stdout with --shutdown.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import SqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import drain
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.versions import SCHEME
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake runner answers instead
CONNECTION = Connection(host='h:26257', insecure=True)
TIMEOUT_ERROR = 'drain timeout, consider adjusting --drain-wait, especially under custom server.shutdown cluster settings'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def drained():
    return (0, fixture('cockroach/drain_docs_stdout.txt'), fixture('cockroach/drain_docs_stderr.txt'))


def timed_out():
    return (1, '', fixture('cockroach/drain_timeout_stderr_constructed.txt'))


class FakeSql:
    def __init__(self, answers):
        self.answers = answers
        self.statements = []

    def __call__(self, argv):
        statement = argv[argv.index('-e') + 1]
        self.statements.append(statement)
        answer = self.answers[statement]
        return answer if isinstance(answer, tuple) else (0, answer, '')


def show(name, value):
    return '%s\n%s\n' % (name, value)


SETTINGS_24_1 = {
    'SHOW CLUSTER SETTING version': fixture('cockroach/show_setting_version_24.1_inferred.txt'),
    'SHOW CLUSTER SETTING server.shutdown.initial_wait': show('server.shutdown.initial_wait', '00:00:08'),
    'SHOW CLUSTER SETTING server.shutdown.connections.timeout': show('server.shutdown.connections.timeout', '00:00:00'),
    'SHOW CLUSTER SETTING server.shutdown.transactions.timeout': fixture('cockroach/show_setting_duration_constructed.txt'),
    'SHOW CLUSTER SETTING server.shutdown.lease_transfer_iteration.timeout':
        show('server.shutdown.lease_transfer_iteration.timeout', '00:00:05'),
    'SHOW CLUSTER SETTING server.shutdown.jobs.timeout': show('server.shutdown.jobs.timeout', '00:00:10'),
}
SETTINGS_23_1 = {
    'SHOW CLUSTER SETTING version': show('version', '23.1'),
    'SHOW CLUSTER SETTING server.shutdown.drain_wait': show('server.shutdown.drain_wait', '00:00:00'),
    'SHOW CLUSTER SETTING server.shutdown.connection_wait': show('server.shutdown.connection_wait', '00:00:00'),
    'SHOW CLUSTER SETTING server.shutdown.query_wait': show('server.shutdown.query_wait', '00:00:10'),
    'SHOW CLUSTER SETTING server.shutdown.lease_transfer_wait': show('server.shutdown.lease_transfer_wait', '00:00:05'),
    'SHOW CLUSTER SETTING server.shutdown.jobs_wait': (1, '', fixture('cockroach/sql_error_unknown_setting_v23.1_constructed.txt')
                                                       .replace('cluster.auto_upgrade.enabled', 'server.shutdown.jobs_wait')),
}


class Clock:
    """A monotonic clock the fake runner and sleep() move forward."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class FakeDrain:
    """runner(seconds) -> run; each drain call takes `takes` seconds of the fake clock and gives the next answer."""

    def __init__(self, clock, *answers, **kwargs):
        self.clock = clock
        self.answers = list(answers)
        self.takes = kwargs.get('takes', 1.0)
        self.calls = []
        self.limits = []

    def __call__(self, seconds):
        self.limits.append(seconds)

        def run(argv):
            self.calls.append(argv)
            self.clock.now += self.takes
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return run


def sized_plan(seconds=35, required=25):
    return {'drain_wait': {'seconds': seconds, 'text': '%ds' % seconds}, 'settings': {}, 'required_seconds': required,
            'cluster_version': '24.1'}


def test_the_engine_offers_the_drain_capability():
    assert get_engine('cockroachdb').capability('drain') is drain


NEW_NAMES = ('server.shutdown.initial_wait', 'server.shutdown.connections.timeout', 'server.shutdown.transactions.timeout',
             'server.shutdown.lease_transfer_iteration.timeout', 'server.shutdown.jobs.timeout')
OLD_NAMES = ('server.shutdown.drain_wait', 'server.shutdown.connection_wait', 'server.shutdown.query_wait',
             'server.shutdown.lease_transfer_wait', 'server.shutdown.jobs_wait')


@pytest.mark.parametrize('series, names', [('23.1', OLD_NAMES), ('23.2', NEW_NAMES), ('25.2', NEW_NAMES)])
def test_setting_names_by_version(series, names):
    assert drain.setting_names(series) == names


def test_required_seconds_counts_transactions_twice():
    assert drain.required_seconds(dict(zip(NEW_NAMES[:4], [0, 0, 10, 5]))) == 25
    assert drain.required_seconds(dict(zip(NEW_NAMES[:4], [8, 30, 10, 5]))) == 63
    assert drain.required_seconds(dict(zip(OLD_NAMES[:4], [0, 0, 10, 5]))) == 25


def test_required_seconds_adds_the_jobs_phase_when_present():
    assert drain.required_seconds(dict(zip(NEW_NAMES, [0, 0, 10, 5, 10]))) == 35


@pytest.mark.parametrize('required, sized', [(25, 35), (0, 10), (63, 76), (100, 120), (25.5, 36), (49, 59), (51, 62)])
def test_sized_drain_wait_has_a_margin_of_ten_seconds_or_twenty_percent(required, sized):
    assert drain.sized_drain_wait(required) == sized
    assert sized > required and sized >= 10


@pytest.mark.parametrize('text, seconds', [('10m', 600), ('90s', 90), ('1m30s', 90), ('1.5s', 1.5)])
def test_parse_drain_wait(text, seconds):
    assert drain.parse_drain_wait(text) == seconds


@pytest.mark.parametrize('text, message', [
    ('00:10:00', "drain_wait '00:10:00' is not a duration such as 10m, 90s or 1m30s"),
    ('10', "drain_wait '10' is not a duration such as 10m, 90s or 1m30s"),
    ('0s', "drain_wait '0s' must be positive (0 would let one drain run without a limit)"),
])
def test_bad_drain_wait(text, message):
    with pytest.raises(DistsqlError) as caught:
        drain.parse_drain_wait(text)
    assert str(caught.value) == message


def test_plan_sizes_from_the_24_1_settings():
    run = FakeSql(SETTINGS_24_1)
    assert drain.plan(run, BINARY, CONNECTION) == {
        'drain_wait': {'seconds': 53, 'text': '53s'},
        'settings': {'server.shutdown.initial_wait': 8, 'server.shutdown.connections.timeout': 0,
                     'server.shutdown.transactions.timeout': 10, 'server.shutdown.lease_transfer_iteration.timeout': 5,
                     'server.shutdown.jobs.timeout': 10},
        'required_seconds': 43, 'cluster_version': '24.1'}
    assert run.statements == list(SETTINGS_24_1)


def test_plan_reads_the_old_names_on_23_1_and_skips_an_unknown_jobs_wait():
    run = FakeSql(SETTINGS_23_1)
    plan = drain.plan(run, BINARY, CONNECTION)
    assert run.statements[-1] == 'SHOW CLUSTER SETTING server.shutdown.jobs_wait'
    assert plan['settings'] == {'server.shutdown.drain_wait': 0, 'server.shutdown.connection_wait': 0,
                                'server.shutdown.query_wait': 10, 'server.shutdown.lease_transfer_wait': 5}
    assert plan['drain_wait'] == {'seconds': 35, 'text': '35s'} and plan['required_seconds'] == 25


def test_plan_during_a_finalization_uses_the_active_series():
    answers = dict(SETTINGS_23_1)
    answers['SHOW CLUSTER SETTING version'] = show('version', '23.1-8')
    assert drain.plan(FakeSql(answers), BINARY, CONNECTION)['cluster_version'] == '23.1-8'


def test_plan_with_a_given_drain_wait_reads_nothing():
    run = FakeSql({})
    assert drain.plan(run, BINARY, CONNECTION, drain_wait='10m') == {
        'drain_wait': {'seconds': 600, 'text': '10m'}, 'settings': None, 'required_seconds': None, 'cluster_version': None}
    assert run.statements == []


def test_plan_skips_an_unknown_jobs_timeout_with_sqlstate():
    answers = dict(SETTINGS_24_1)
    answers['SHOW CLUSTER SETTING server.shutdown.jobs.timeout'] = (
        1, '', fixture('cockroach/sql_error_unknown_setting_sqlstate_constructed.txt'))
    plan = drain.plan(FakeSql(answers), BINARY, CONNECTION)
    assert 'server.shutdown.jobs.timeout' not in plan['settings'] and plan['required_seconds'] == 33


def test_plan_fails_when_a_required_setting_is_unknown():
    answers = dict(SETTINGS_24_1)
    answers['SHOW CLUSTER SETTING server.shutdown.initial_wait'] = (
        1, '', fixture('cockroach/sql_error_unknown_setting_sqlstate_constructed.txt'))
    with pytest.raises(SqlError):
        drain.plan(FakeSql(answers), BINARY, CONNECTION)


def test_plan_fails_on_another_error_reading_jobs_timeout():
    answers = dict(SETTINGS_24_1)
    answers['SHOW CLUSTER SETTING server.shutdown.jobs.timeout'] = (1, '', fixture('cockroach/sql_error_cannot_dial_docs.txt'))
    with pytest.raises(SqlError):
        drain.plan(FakeSql(answers), BINARY, CONNECTION)


def test_plan_refuses_a_setting_that_is_not_a_duration():
    answers = dict(SETTINGS_24_1)
    answers['SHOW CLUSTER SETTING server.shutdown.initial_wait'] = show('server.shutdown.initial_wait', 'soon')
    with pytest.raises(OutputParseError) as caught:
        drain.plan(FakeSql(answers), BINARY, CONNECTION)
    assert str(caught.value) == "cannot parse SHOW CLUSTER SETTING server.shutdown.initial_wait: expected a duration, got 'soon'"


@pytest.mark.parametrize('tag', ['v24.2.0', 'v24.3.0-alpha.2', 'v25.2.1'])
def test_shutdown_is_accepted_from_24_2(tag):
    drain.check_shutdown(SCHEME.parse(tag), '/usr/local/bin/cockroach')


def test_shutdown_is_refused_before_24_2():
    with pytest.raises(DistsqlError) as caught:
        drain.check_shutdown(SCHEME.parse('v24.1.3'), '/usr/local/bin/cockroach')
    assert str(caught.value) == ('shutdown=true needs `cockroach node drain --shutdown`, which exists from v24.2; the '
                                 'client binary /usr/local/bin/cockroach is v24.1.3')


def test_drain_argv():
    assert drain.drain_argv(BINARY, CONNECTION, None, '35s', False) == [
        BINARY, 'node', 'drain', '--self', '--drain-wait=35s', '--host=h:26257', '--insecure']
    assert drain.drain_argv(BINARY, Connection(url='postgresql://root@h:26257'), 3, '10m', True) == [
        BINARY, 'node', 'drain', '3', '--drain-wait=10m', '--shutdown', '--url=postgresql://root@h:26257']


def test_drained_in_one_round():
    clock = Clock()
    runner = FakeDrain(clock, drained(), takes=2.5)
    result = drain.drain(runner, BINARY, CONNECTION, sized_plan(), clock=clock, sleep=clock.sleep)
    assert result == {'drained': True, 'shutdown': False, 'remaining': 0, 'progress': [50, 0],
                      'rounds': [{'drain_wait': '35s', 'remaining': 0, 'timed_out': False, 'elapsed': 2.5}],
                      'warnings': [], 'elapsed': 2.5}
    assert runner.calls == [[BINARY, 'node', 'drain', '--self', '--drain-wait=35s', '--host=h:26257', '--insecure']]
    assert runner.limits == [65]


def test_drain_timeout_is_followed_by_another_round():
    clock = Clock()
    runner = FakeDrain(clock, timed_out(), drained(), takes=35)
    result = drain.drain(runner, BINARY, CONNECTION, sized_plan(), node=2, interval=2, clock=clock, sleep=clock.sleep)
    assert result['drained'] is True
    assert result['rounds'] == [{'drain_wait': '35s', 'remaining': 12, 'timed_out': True, 'elapsed': 35},
                                {'drain_wait': '35s', 'remaining': 0, 'timed_out': False, 'elapsed': 35}]
    assert result['progress'] == [50, 12, 50, 0] and result['elapsed'] == 72
    assert [call[3] for call in runner.calls] == ['2', '2']


def test_the_last_round_is_cut_to_the_time_left():
    clock = Clock()
    runner = FakeDrain(clock, timed_out(), timed_out(), drained(), takes=35)
    result = drain.drain(runner, BINARY, CONNECTION, sized_plan(), timeout=100, interval=2, clock=clock, sleep=clock.sleep)
    assert [entry['drain_wait'] for entry in result['rounds']] == ['35s', '35s', '26s']
    assert runner.limits == [65, 65, 56]


def test_the_deadline_ends_the_rounds_with_the_last_progress():
    clock = Clock()
    runner = FakeDrain(clock, timed_out(), takes=35)
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(runner, BINARY, CONNECTION, sized_plan(), timeout=90, interval=2, clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ('draining the node at h:26257: not drained within the 90s timeout; 2 round(s) ended in '
                                 'a drain timeout (ERROR: drain timeout, consider adjusting --drain-wait) and the time '
                                 'left allows no further round of at least 26s; last progress: remaining 12')
    details = caught.value.as_result()
    assert [entry['drain_wait'] for entry in details['rounds']] == ['35s', '35s']
    assert details['drained'] is False and details['remaining'] == 12 and details['elapsed'] == 72


def test_a_round_shorter_than_the_settings_need_is_not_started():
    clock = Clock()
    runner = FakeDrain(clock, timed_out(), takes=35)
    with pytest.raises(drain.DrainFailed):
        drain.drain(runner, BINARY, CONNECTION, sized_plan(), timeout=60, interval=2, clock=clock, sleep=clock.sleep)
    # 60 - 35 - 2 = 23 s left: not more than the 25 s the settings require, so no second round.
    assert len(runner.calls) == 1


def test_a_timeout_too_short_for_one_round_is_refused():
    clock = Clock()
    runner = FakeDrain(clock, drained())
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(runner, BINARY, CONNECTION, sized_plan(), timeout=20, clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ('draining the node at h:26257: the 20s timeout leaves no room for one drain round of at '
                                 'least 26s; raise timeout')
    assert runner.calls == []


def test_a_given_short_drain_wait_is_used_as_is():
    clock = Clock()
    plan = {'drain_wait': {'seconds': 5, 'text': '5s'}, 'settings': None, 'required_seconds': None, 'cluster_version': None}
    result = drain.drain(FakeDrain(clock, drained()), BINARY, CONNECTION, plan, timeout=30, clock=clock, sleep=clock.sleep)
    assert result['rounds'][0]['drain_wait'] == '5s'


def test_another_cli_error_fails_at_once():
    clock = Clock()
    error = (1, '', 'node is draining... \nERROR: node cannot be drained before it has been initialized\n'
                    'Failed running "node drain"\n')
    runner = FakeDrain(clock, error)
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(runner, BINARY, CONNECTION, sized_plan(), node=4, clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ('draining node 4 failed in round 1: node cannot be drained before it has been initialized '
                                 '(rc=1); last progress: no progress reported')
    assert len(runner.calls) == 1


def test_the_runner_timeout_is_a_cli_error():
    clock = Clock()
    runner = FakeDrain(clock, (124, '', 'node is draining... remaining: 7\n\n/bin/true did not answer within 65s'))
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(runner, BINARY, CONNECTION, sized_plan(), clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ('draining the node at h:26257 failed in round 1: node is draining... remaining: 7 / '
                                 '/bin/true did not answer within 65s (rc=124); last progress: remaining 7')


def test_exit_zero_without_ok_is_an_error():
    clock = Clock()
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(FakeDrain(clock, (0, '', '')), BINARY, CONNECTION, sized_plan(), clock=clock, sleep=clock.sleep)
    assert str(caught.value) == ('draining the node at h:26257 failed in round 1: the CLI exited 0 without reporting the '
                                 'drain done (no "ok" or "drain ok" line); last progress: no progress reported')


def test_shutdown_is_reported():
    clock = Clock()
    answer = (0, fixture('cockroach/drain_shutdown_stdout_v24.2_inferred.txt'), fixture('cockroach/drain_docs_stderr.txt'))
    runner = FakeDrain(clock, answer)
    result = drain.drain(runner, BINARY, CONNECTION, sized_plan(), shutdown=True, clock=clock, sleep=clock.sleep)
    assert result['drained'] is True and result['shutdown'] is True
    assert runner.calls[0][-3] == '--shutdown'


def test_a_shutdown_the_cli_did_not_report_fails():
    clock = Clock()
    with pytest.raises(drain.DrainFailed) as caught:
        drain.drain(FakeDrain(clock, drained()), BINARY, CONNECTION, sized_plan(), shutdown=True, clock=clock,
                    sleep=clock.sleep)
    assert str(caught.value) == 'draining the node at h:26257: drained, but the CLI did not report the shutdown ("shutdown ok")'


def test_cli_warnings_are_collected_once():
    clock = Clock()
    answer = (0, 'drain ok\n', fixture('cockroach/drain_warning_stderr_constructed.txt'))
    result = drain.drain(FakeDrain(clock, answer), BINARY, CONNECTION, sized_plan(), clock=clock, sleep=clock.sleep)
    assert result['warnings'] == [
        'warning: --drain-wait is 10s, but the server.shutdown.{drain,query,jobs,connection,lease_transfer}_wait cluster '
        'settings require a value of at least 35s; using the larger value']
    assert result['progress'] == [3, 0]


def test_the_exact_timeout_error_alone_counts_as_a_timeout():
    clock = Clock()
    runner = FakeDrain(clock, (1, '', fixture('cockroach/drain_timeout_error_exact.txt')), drained())
    result = drain.drain(runner, BINARY, CONNECTION, sized_plan(), interval=1, clock=clock, sleep=clock.sleep)
    assert result['rounds'][0] == {'drain_wait': '35s', 'remaining': None, 'timed_out': True, 'elapsed': 1.0}
    assert TIMEOUT_ERROR in fixture('cockroach/drain_timeout_error_exact.txt')
