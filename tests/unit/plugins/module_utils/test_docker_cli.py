# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker and docker-compose CLIs as argv: what each call runs, where, and the error that names it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.docker_cli import ComposeCli, DockerCli, checked_call
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


class Recorder:
    """A run_command that records (argv, keyword arguments) and answers each call with the next answer."""

    def __init__(self, *answers):
        self.calls = []
        self.answers = list(answers) or [(0, '', '')]

    def __call__(self, argv, **kwargs):
        self.calls.append((list(argv), kwargs))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_checked_call_names_the_command_and_what_it_printed():
    with pytest.raises(DistsqlError) as excinfo:
        checked_call(Recorder((1, '', 'Error response from daemon: manifest unknown\n')), ['docker', 'pull', 'kwdb:9'])
    assert str(excinfo.value) == 'docker pull kwdb:9 failed (rc 1): Error response from daemon: manifest unknown'


def test_pull_and_the_root_dir():
    record = Recorder((0, 'Status: Downloaded newer image for kwdb/kwdb:3.1.0\n', ''), (0, '/var/lib/docker\n', ''))
    docker = DockerCli(record, '/usr/bin/docker')
    docker.pull('kwdb/kwdb:3.1.0')
    assert docker.root_dir() == '/var/lib/docker'
    assert [argv for argv, _kwargs in record.calls] == [['/usr/bin/docker', 'pull', 'kwdb/kwdb:3.1.0'],
                                                        ['/usr/bin/docker', 'info', '--format', '{{.DockerRootDir}}']]


def test_load_reads_the_image_names_quoted_or_not():
    record = Recorder((0, 'Loaded image: "kwdb/kwdb:3.0.0"\nLoaded image: kwdb:3.1.0\n', ''))
    assert DockerCli(record).load('/opt/KaiwuDB.tar') == ['kwdb/kwdb:3.0.0', 'kwdb:3.1.0']


def test_compose_runs_in_the_directory_of_the_file_without_file_option_for_the_default_name():
    record = Recorder()
    compose = ComposeCli(record, '/usr/bin/docker-compose', '/etc/kaiwudb/script/docker-compose.yml')
    compose.down(60)
    compose.up()
    assert record.calls == [(['/usr/bin/docker-compose', 'down', '--timeout', '60'], {'cwd': '/etc/kaiwudb/script'}),
                            (['/usr/bin/docker-compose', 'up', '-d'], {'cwd': '/etc/kaiwudb/script'})]


def test_compose_names_a_file_of_another_name():
    record = Recorder()
    ComposeCli(record, 'docker-compose', '/srv/kwdb/kwdb.yml').up()
    assert record.calls == [(['docker-compose', '--file', 'kwdb.yml', 'up', '-d'], {'cwd': '/srv/kwdb'})]


def test_a_failing_compose_call_names_it():
    record = Recorder((1, '', "ERROR: Couldn't find env file: /etc/kaiwudb/script/kaiwudb_env\n"))
    with pytest.raises(DistsqlError) as excinfo:
        ComposeCli(record, 'docker-compose', '/etc/kaiwudb/script/docker-compose.yml').up()
    assert str(excinfo.value) == ("docker-compose up -d failed (rc 1): ERROR: Couldn't find env file: "
                                  "/etc/kaiwudb/script/kaiwudb_env")
