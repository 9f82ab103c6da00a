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
    COMPOSE_CHANGES, anonymous_volumes, command_with_flag, compose_image, compose_with_image, differences, has_flag,
    mode_image, mode_with_image, run_argv, script_with_flag)
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


def swapped(inspect):
    """``inspect`` as a new container on kwdb:3.1.0 shows it: other id, times, state and image."""
    after = copy.deepcopy(inspect)
    after.update(Id='77aa', Created='2026-12-01T11:00:00Z', Image='sha256:31')
    after['Config'].update(Image='kwdb:3.1.0', Hostname='77aa')
    return after


def test_differences_ignore_the_order_of_env_binds_and_mounts():
    after = swapped(INSPECT)
    after['Config']['Env'] = list(reversed(after['Config']['Env']))
    after['HostConfig']['Binds'] = list(reversed(after['HostConfig']['Binds']))
    after['Mounts'] = list(reversed(after['Mounts']))
    assert differences(INSPECT, after) == []


def test_differences_still_report_a_bind_that_changed():
    after = swapped(INSPECT)
    after['HostConfig']['Binds'] = ['/var/lib/kaiwudb2:/kaiwudb/deploy/kwdb-container', '/etc/kaiwudb/certs:/kaiwudb/certs']
    after['Mounts'] = [dict(after['Mounts'][1]), dict(after['Mounts'][0], Source='/var/lib/kaiwudb2')]
    assert differences(INSPECT, after) == [
        ('HostConfig.Binds', ['/etc/kaiwudb/certs:/kaiwudb/certs', '/var/lib/kaiwudb:/kaiwudb/deploy/kwdb-container'],
         ['/etc/kaiwudb/certs:/kaiwudb/certs', '/var/lib/kaiwudb2:/kaiwudb/deploy/kwdb-container']),
        ('Mounts', sorted(INSPECT['Mounts'], key=lambda mount: mount['Destination']),
         [after['Mounts'][0], after['Mounts'][1]])]


def test_an_image_default_change_covers_every_key_of_a_dict_such_as_the_labels():
    after = swapped(INSPECT)
    after['Config']['Labels'] = {'vendor': 'KaiwuDB', 'org.opencontainers.image.version': '3.1.0'}
    assert [path for path, _old, _new in differences(INSPECT, after)] == [
        'Config.Labels.org.opencontainers.image.version', 'Config.Labels.vendor']
    assert differences(INSPECT, after, image_default_changes=('Config.Labels',)) == []


def test_only_the_compose_config_hash_is_a_compose_change():
    before = copy.deepcopy(INSPECT)
    before['Config']['Labels'] = {'com.docker.compose.config-hash': 'aa11', 'com.docker.compose.project': 'script'}
    after = swapped(before)
    after['Config']['Labels'] = {'com.docker.compose.config-hash': 'bb22', 'com.docker.compose.project': 'kaiwudb'}
    assert differences(before, after, COMPOSE_CHANGES) == [
        ('Config.Labels.com.docker.compose.project', 'script', 'kaiwudb')]


def test_run_argv_names_the_new_container_as_asked():
    kept = dict(INSPECT, Name='/kwdb-distsql-previous')
    argv = run_argv(kept, IMAGE_30, 'kwdb:3.1.0', name='kwdb')
    assert argv == run_argv(INSPECT, IMAGE_30, 'kwdb:3.1.0')
    assert argv[3:5] == ['--name', 'kwdb']
    assert run_argv(kept, IMAGE_30, 'kwdb:3.1.0')[3:5] == ['--name', 'kwdb-distsql-previous']


# deploy.sh's create_compose, rendered (flow-surfaces-kwdb.md section 2.10), verbatim: a 4-space line where $cpus is
# empty, trailing spaces after `networks:` and `command:`, two spaces after kwbase and before --join
DEPLOY_COMPOSE = (
    "version: '3.3'\n"
    "services:\n"
    "  kaiwudb-container:\n"
    "    image: kwdb/kwdb:3.2.1\n"
    "    container_name: kaiwudb-container\n"
    "    hostname: kaiwudb-container\n"
    "    ports:\n"
    "      - 8080:8080\n"
    "      - 26257:26257\n"
    "      - 27257:27257\n"
    "    \n"
    "    ulimits:\n"
    "      memlock: -1\n"
    "      nofile: 1048576\n"
    "    volumes:\n"
    "      - /etc/kaiwudb/certs:/kaiwudb/certs\n"
    "      - /var/lib/kaiwudb:/kaiwudb/deploy/kaiwudb-container\n"
    "      - /dev:/dev\n"
    "    networks: \n"
    "      - default\n"
    "    restart: on-failure\n"
    "    ipc: shareable\n"
    "    privileged: true\n"
    "    environment:\n"
    "      - LD_LIBRARY_PATH=/kaiwudb/lib\n"
    "    env_file:\n"
    "      - /etc/kaiwudb/script/kaiwudb_env\n"
    "    tty: true\n"
    "    working_dir: /kaiwudb/bin\n"
    "    command: \n"
    "      - /bin/bash\n"
    "      - -c\n"
    "      - |\n"
    "        /kaiwudb/bin/kwbase  start $KAIWUDB_START_ARG --certs-dir=/kaiwudb/certs --listen-addr=0.0.0.0:26257 "
    "--advertise-addr=10.0.0.2:26257 --http-addr=0.0.0.0:8080 --brpc-addr=0.0.0.0:27257 "
    "--store=/kaiwudb/deploy/kaiwudb-container  --join 10.0.0.1:26257\n")
IMAGE_LINE = '    image: kwdb/kwdb:3.2.1\n'


def test_the_deploy_sh_compose_file_changes_in_its_image_line_only():
    changed = compose_with_image(DEPLOY_COMPOSE, 'kwdb/kwdb:3.2.2')
    assert changed == DEPLOY_COMPOSE.replace(IMAGE_LINE, '    image: kwdb/kwdb:3.2.2\n')
    old_lines, new_lines = DEPLOY_COMPOSE.split('\n'), changed.split('\n')
    assert [index for index, line in enumerate(old_lines) if new_lines[index] != line] == [3]
    assert compose_image(DEPLOY_COMPOSE) == 'kwdb/kwdb:3.2.1' and compose_image(changed) == 'kwdb/kwdb:3.2.2'


@pytest.mark.parametrize('line, expected', [
    ('    image: "kwdb/kwdb:3.2.1"\n', '    image: "kwdb/kwdb:3.2.2"\n'),
    ("    image: 'kwdb/kwdb:3.2.1'   # pinned by the installer\n", "    image: 'kwdb/kwdb:3.2.2'   # pinned by the installer\n"),
    ('    image:   kwdb/kwdb:3.2.1  \r\n', '    image:   kwdb/kwdb:3.2.2  \r\n'),
])
def test_the_image_line_keeps_its_quotes_spacing_comment_and_ending(line, expected):
    assert compose_with_image(DEPLOY_COMPOSE.replace(IMAGE_LINE, line), 'kwdb/kwdb:3.2.2') == (
        DEPLOY_COMPOSE.replace(IMAGE_LINE, expected))


def test_a_last_line_without_newline_and_characters_str_splitlines_would_split_at_are_kept():
    text = DEPLOY_COMPOSE.replace('    ulimits:\n', '    # \x0c limits \x85\n    ulimits:\n') + '# end'
    assert compose_with_image(text, 'kwdb/kwdb:3.2.2') == text.replace(IMAGE_LINE, '    image: kwdb/kwdb:3.2.2\n')
    assert compose_with_image('image: a:1', 'a:2') == 'image: a:2'


@pytest.mark.parametrize('text, count', [
    (DEPLOY_COMPOSE.replace(IMAGE_LINE, '    build: .\n'), 0),
    (DEPLOY_COMPOSE.replace(IMAGE_LINE, '    # image: kwdb/kwdb:3.2.0\n'), 0),
    (DEPLOY_COMPOSE + '  kwdb-exporter:\n    image: kwdb/exporter:1.0\n', 2),
])
def test_a_compose_file_without_exactly_one_image_line_is_refused(text, count):
    message = ('the compose file has %d image lines; one service with one image is what deploy.sh writes and what can '
               'be swapped' % count)
    for call in (lambda: compose_with_image(text, 'kwdb/kwdb:3.2.2'), lambda: compose_image(text)):
        with pytest.raises(DistsqlError) as excinfo:
            call()
        assert str(excinfo.value) == message


# /etc/kaiwudb/info/MODE (flow-surfaces-kwdb.md section 2.9) of the node above
MODE = 'container\nmulti-replication\nkwdb/kwdb:3.2.1\n/var/lib/kaiwudb\n26257\n8080\nkaiwudb\ntls\nfalse\n10.0.0.2\n'


def test_mode_line_3_is_the_image():
    assert mode_image(MODE) == 'kwdb/kwdb:3.2.1'
    changed = mode_with_image(MODE, 'kwdb/kwdb:3.2.2')
    assert changed == MODE.replace('\nkwdb/kwdb:3.2.1\n', '\nkwdb/kwdb:3.2.2\n')
    assert len(changed.split('\n')) == 11 and mode_image(changed) == 'kwdb/kwdb:3.2.2'
    assert mode_with_image(MODE.replace('\n', '\r\n'), 'kwdb/kwdb:3.2.2') == changed.replace('\n', '\r\n')


@pytest.mark.parametrize('text, count', [('container\nsingle\n', 2), ('', 0)])
def test_a_mode_without_line_3_is_refused(text, count):
    assert mode_image(text) is None
    with pytest.raises(DistsqlError) as excinfo:
        mode_with_image(text, 'kwdb/kwdb:3.2.2')
    assert str(excinfo.value) == 'MODE has %d lines; line 3 is the container image' % count


# --upgrade-complete: where deploy.sh's container upgrade puts it, and where the rolling flow puts it

FLAG = '--upgrade-complete'
COMPOSE_START = ('        /kaiwudb/bin/kwbase  start $KAIWUDB_START_ARG --insecure --listen-addr=0.0.0.0:26257 '
                 '--store=/kaiwudb/deploy/kaiwudb-container  \n')


def test_the_flag_goes_at_the_end_of_the_kwbase_line_of_a_compose_file_after_its_trailing_spaces():
    text = '    command: \n      - /bin/bash\n      - -c\n      - |\n' + COMPOSE_START
    flagged = script_with_flag(text, FLAG)
    # deploy.sh's sed 's/.*\\/kaiwudb\\/bin\\/kwbase.*/& --upgrade-complete/': the line, one space, the flag
    assert flagged == text.replace('kaiwudb-container  \n', 'kaiwudb-container   --upgrade-complete\n')
    assert script_with_flag(flagged, FLAG) == flagged


def test_a_compose_file_with_crlf_endings_gets_the_flag_before_the_ending():
    text = COMPOSE_START.replace('\n', '\r\n')
    assert script_with_flag(text, FLAG) == COMPOSE_START.replace('  \n', '   --upgrade-complete\r\n')


def test_a_script_that_starts_no_kwbase_is_refused():
    with pytest.raises(DistsqlError) as failed:
        script_with_flag('image: kwdb/kwdb:3.1.0\ncommand: sleep infinity\n', FLAG)
    assert str(failed.value) == 'no line starts kwbase (kwbase start...) to add --upgrade-complete to'


@pytest.mark.parametrize('command, expected', [
    (COMMAND, COMMAND + [FLAG]),
    (COMMAND + [FLAG], COMMAND + [FLAG]),
    (['/bin/bash', '-c', COMPOSE_START.strip() + '\n'],
     ['/bin/bash', '-c', COMPOSE_START.strip() + ' --upgrade-complete\n']),
    (['/bin/bash', '-c', 'exec ./kwbase start-single-node --insecure --upgrade-complete'],
     ['/bin/bash', '-c', 'exec ./kwbase start-single-node --insecure --upgrade-complete']),
    # a script that does not start kwbase itself: the flag is one more argument of the shell
    (['/bin/sh', '-c', '/start.sh'], ['/bin/sh', '-c', '/start.sh', FLAG]),
    ([], [FLAG]),
])
def test_the_command_ends_with_the_flag_once(command, expected):
    assert command_with_flag(command, FLAG) == expected
    assert has_flag(expected, FLAG)


def test_a_flag_that_is_only_part_of_a_word_is_not_the_flag():
    assert not has_flag(['--upgrade-complete-later', '--no-upgrade-complete=1'], FLAG)


def test_the_run_line_with_the_start_flag_passes_the_command_and_the_flag():
    argv = run_argv(INSPECT, IMAGE_30, 'kwdb:3.1.0', start_flag=FLAG)
    assert argv[argv.index('kwdb:3.1.0') + 1:] == COMMAND + [FLAG]


def test_the_run_line_with_the_start_flag_passes_a_command_that_is_the_images_default():
    default = dict(INSPECT, Config=dict(INSPECT['Config'], Cmd=['bash']))
    assert run_argv(default, IMAGE_30, 'kwdb:3.1.0')[-1] == 'kwdb:3.1.0'
    argv = run_argv(default, IMAGE_30, 'kwdb:3.1.0', start_flag=FLAG)
    assert argv[argv.index('kwdb:3.1.0') + 1:] == ['bash', FLAG]
