# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runners that put a client's argv inside a container (docker exec) or a throwaway one of an image (docker run
--rm), and run_checked, which checks a binary on this host before running it but leaves one in a container alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import run_checked
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import (
    container_exec_runner, image_run_runner, timed_runner)

KWBASE = '/kaiwudb/bin/kwbase'


class Recorder:
    """A run_command that records each argv and answers (rc, stdout, stderr)."""

    def __init__(self, rc=0, stdout='KaiwuDB Version:  V3.1.0\n', stderr=''):
        self.argvs = []
        self.answer = (rc, stdout, stderr)

    def __call__(self, argv):
        self.argvs.append(list(argv))
        return self.answer


def test_container_exec_runner_runs_the_argv_inside_the_container():
    record = Recorder()
    run = container_exec_runner(record, '/usr/bin/docker', 'kaiwudb-container')
    assert run((KWBASE, 'version')) == record.answer
    assert record.argvs == [['/usr/bin/docker', 'exec', 'kaiwudb-container', KWBASE, 'version']]
    assert run.runs_on_host is False


def test_image_run_runner_makes_the_binary_the_entrypoint_of_a_throwaway_container():
    record = Recorder()
    run = image_run_runner(record, '/usr/bin/docker', 'sha256:0123abcd')
    assert run([KWBASE, 'version']) == record.answer
    assert record.argvs == [['/usr/bin/docker', 'run', '--rm', '--entrypoint', KWBASE, 'sha256:0123abcd', 'version']]
    assert run.runs_on_host is False


def test_the_time_limit_wraps_the_docker_command():
    record = Recorder()
    container_exec_runner(timed_runner(record, 30), 'docker', 'kwdb')([KWBASE, 'version'])
    assert record.argvs == [['timeout', '--kill-after=5', '30', 'docker', 'exec', 'kwdb', KWBASE, 'version']]


def test_run_checked_leaves_a_binary_in_the_container_to_the_container():
    record = Recorder()
    assert run_checked(container_exec_runner(record, 'docker', 'kwdb'), [KWBASE, 'version']) == (
        'KaiwuDB Version:  V3.1.0\n', '')
    assert run_checked(image_run_runner(record, 'docker', 'kwdb/kwdb:3.1.0'), [KWBASE, 'version'])[1] == ''
    assert len(record.argvs) == 2


def test_run_checked_checks_a_binary_on_this_host_before_running_it(tmp_path):
    record = Recorder()
    missing = str(tmp_path / 'kwbase')
    with pytest.raises(DistsqlError) as excinfo:
        run_checked(timed_runner(record, 30), [missing, 'version'])
    assert str(excinfo.value) == 'kwbase binary %s does not exist or is not executable' % missing
    assert record.argvs == []


def test_a_failing_command_in_the_container_is_a_command_error_naming_the_binary():
    record = Recorder(rc=1, stdout='', stderr='Error response from daemon: Container 4f1c is not running\n')
    with pytest.raises(CommandError) as excinfo:
        run_checked(container_exec_runner(record, 'docker', 'kwdb'), [KWBASE, 'version'])
    assert str(excinfo.value) == ('`/kaiwudb/bin/kwbase version` failed (rc=1): Error response from daemon: '
                                  'Container 4f1c is not running')
