# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docker inspect -> the docker run argv that recreates the container on a new image, and the swap check.

The inspect entry is what dockerd 20.10 reports for the upgrade docs' secure line (flow-surfaces-kwdb.md section 3):
docker run -d --privileged --name kwdb --ulimit memlock=-1 --ulimit nofile=1048576 -p 26257:26257 -p 8080:8080
  -v /var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container -v /etc/kaiwudb/certs:/kaiwudb/certs --ipc shareable
  -w /kaiwudb/bin --restart always -e LD_LIBRARY_PATH=/kaiwudb/lib kwdb:3.0.0 ./kwbase start-single-node
  --certs-dir=/kaiwudb/certs --listen-addr=0.0.0.0:26257 --http-addr=0.0.0.0:8080 --store=/kaiwudb/deploy/kwdb-container
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.containers import (
    anonymous_volumes, differences, run_argv)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

COMMAND = ['./kwbase', 'start-single-node', '--certs-dir=/kaiwudb/certs', '--listen-addr=0.0.0.0:26257',
           '--http-addr=0.0.0.0:8080', '--store=/kaiwudb/deploy/kwdb-container']
IMAGE_30 = {'Id': 'sha256:30', 'Config': {'Env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
                                                  'KWDB_VERSION=3.0.0'],
                                          'Cmd': ['bash'], 'Entrypoint': None, 'WorkingDir': '/', 'Labels': {'vendor': 'kaiwudb'}}}
INSPECT = {
    'Id': '4f1c2d3e5a6b7c8d9e0f', 'Name': '/kwdb', 'Created': '2026-12-01T10:00:00Z', 'Image': 'sha256:30',
    'State': {'Status': 'running', 'Pid': 4242},
    'Config': {'Hostname': '4f1c2d3e5a6b', 'User': '', 'Tty': False, 'OpenStdin': False,
               'Env': IMAGE_30['Config']['Env'] + ['LD_LIBRARY_PATH=/kaiwudb/lib'],
               'Cmd': COMMAND, 'Image': 'kwdb:3.0.0', 'WorkingDir': '/kaiwudb/bin', 'Entrypoint': None,
               'Labels': {'vendor': 'kaiwudb'}},
    'HostConfig': {'Binds': ['/var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container', '/etc/kaiwudb/certs:/kaiwudb/certs'],
                   'NetworkMode': 'default',
                   'PortBindings': {'26257/tcp': [{'HostIp': '', 'HostPort': '26257'}],
                                    '8080/tcp': [{'HostIp': '', 'HostPort': '8080'}]},
                   'RestartPolicy': {'Name': 'always', 'MaximumRetryCount': 0}, 'IpcMode': 'shareable',
                   'Privileged': True, 'ShmSize': 67108864, 'LogConfig': {'Type': 'json-file', 'Config': {}},
                   'Ulimits': [{'Name': 'memlock', 'Soft': -1, 'Hard': -1},
                               {'Name': 'nofile', 'Soft': 1048576, 'Hard': 1048576}]},
    'Mounts': [{'Type': 'bind', 'Source': '/var/lib/kaiwudb', 'Destination': '/kaiwudb/deploy/kwdb-container',
                'RW': True}, {'Type': 'bind', 'Source': '/etc/kaiwudb/certs', 'Destination': '/kaiwudb/certs', 'RW': True}],
    'NetworkSettings': {'IPAddress': '172.17.0.2'},
}


def test_the_vendor_line_comes_back_with_only_the_image_changed():
    assert run_argv(INSPECT, IMAGE_30, 'kwdb:3.1.0') == [
        'docker', 'run', '--detach', '--name', 'kwdb', '--workdir', '/kaiwudb/bin', '--env', 'LD_LIBRARY_PATH=/kaiwudb/lib',
        '--publish', '26257:26257/tcp', '--publish', '8080:8080/tcp',
        '--volume', '/var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container', '--volume', '/etc/kaiwudb/certs:/kaiwudb/certs',
        '--ulimit', 'memlock=-1:-1', '--ulimit', 'nofile=1048576:1048576', '--restart', 'always', '--ipc', 'shareable',
        '--privileged', 'kwdb:3.1.0'] + COMMAND


def test_the_old_images_defaults_are_left_to_the_new_image():
    argv = run_argv(INSPECT, IMAGE_30, 'kwdb:3.1.0')
    assert 'KWDB_VERSION=3.0.0' not in argv and not any(item.startswith('PATH=') for item in argv)
    assert '--label' not in argv and '--hostname' not in argv


def test_a_command_equal_to_the_images_is_not_passed_and_an_entrypoint_is_split():
    inspect = copy.deepcopy(INSPECT)
    inspect['Config'].update(Cmd=['bash'], Entrypoint=['/bin/sh', '-c'])
    argv = run_argv(inspect, IMAGE_30, 'kwdb:3.1.0', docker='/usr/bin/docker')
    assert argv[0] == '/usr/bin/docker'
    assert argv[argv.index('--entrypoint'):] == ['--entrypoint', '/bin/sh', 'kwdb:3.1.0', '-c', 'bash']
    inspect['Config'].update(Entrypoint=None)
    assert run_argv(inspect, IMAGE_30, 'kwdb:3.1.0')[-1] == 'kwdb:3.1.0'


def test_host_ips_restart_retries_and_the_rarer_flags():
    inspect = copy.deepcopy(INSPECT)
    inspect['Config'].update(Hostname='kwdb-experience', User='kaiwudb', Tty=True)
    inspect['HostConfig'].update(
        PortBindings={'26257/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '26258'}]},
        RestartPolicy={'Name': 'on-failure', 'MaximumRetryCount': 3}, NetworkMode='kwdb-net', ShmSize=268435456,
        CapAdd=['SYS_NICE'], ExtraHosts=['node1:10.0.0.1'], Sysctls={'net.core.somaxconn': '1024'},
        LogConfig={'Type': 'json-file', 'Config': {'max-size': '100m'}},
        Devices=[{'PathOnHost': '/dev/fuse', 'PathInContainer': '/dev/fuse', 'CgroupPermissions': 'rwm'}])
    argv = run_argv(inspect, IMAGE_30, 'kwdb:3.1.0')
    pairs = list(zip(argv, argv[1:]))
    for pair in [('--hostname', 'kwdb-experience'), ('--user', 'kaiwudb'), ('--publish', '127.0.0.1:26258:26257/tcp'),
                 ('--restart', 'on-failure:3'), ('--network', 'kwdb-net'), ('--shm-size', '268435456b'),
                 ('--cap-add', 'SYS_NICE'), ('--add-host', 'node1:10.0.0.1'), ('--sysctl', 'net.core.somaxconn=1024'),
                 ('--log-driver', 'json-file'), ('--log-opt', 'max-size=100m'), ('--device', '/dev/fuse:/dev/fuse:rwm')]:
        assert pair in pairs, pair
    assert '--tty' in argv


def test_an_anonymous_volume_of_the_image_is_mounted_again_by_name():
    inspect = copy.deepcopy(INSPECT)
    inspect['HostConfig']['Binds'] = []
    inspect['Mounts'] = [{'Type': 'volume', 'Name': '9a8b7c', 'Source': '/var/lib/docker/volumes/9a8b7c/_data',
                          'Destination': '/kaiwudb/deploy/kwdb-container', 'RW': True}]
    assert anonymous_volumes(inspect) == [('9a8b7c', '/kaiwudb/deploy/kwdb-container', True)]
    argv = run_argv(inspect, IMAGE_30, 'kwdb:3.1.0')
    assert ('--volume', '9a8b7c:/kaiwudb/deploy/kwdb-container') in list(zip(argv, argv[1:]))


def test_a_container_without_a_name_is_refused():
    with pytest.raises(DistsqlError, match="docker inspect gave no container name: '4f1c2d3e5a6b7c8d9e0f'"):
        run_argv(dict(INSPECT, Name=''), IMAGE_30, 'kwdb:3.1.0')


def test_differences_ignore_what_a_swap_changes_and_name_the_rest():
    after = copy.deepcopy(INSPECT)
    after.update(Id='77aa', Created='2026-12-01T11:00:00Z', Image='sha256:31', NetworkSettings={'IPAddress': '172.17.0.3'})
    after['Config'].update(Image='kwdb:3.1.0', Hostname='77aa')
    after['State'] = {'Status': 'running', 'Pid': 5151}
    assert differences(INSPECT, after) == []
    after['HostConfig']['IpcMode'] = 'private'
    after['Config']['Env'] = after['Config']['Env'][:-1]
    assert differences(INSPECT, after) == [
        ('Config.Env', sorted(INSPECT['Config']['Env']), sorted(after['Config']['Env'])),
        ('HostConfig.IpcMode', 'shareable', 'private')]
    assert differences(INSPECT, after, image_default_changes=('Config.Env',)) == [
        ('HostConfig.IpcMode', 'shareable', 'private')]
