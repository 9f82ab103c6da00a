# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A running container's configuration, read from ``docker inspect``, turned back into the ``docker run`` argv
that recreates it on another image, and the check that two containers differ only where an image swap may
(pure: plain data in, plain data out; no docker call).

What the operator gave ``docker run`` is kept and what the old image supplied is left to the new image: an env
variable, a command, an entrypoint, a work dir, a user or a label equal to the old image's default is not passed,
so the new image's default applies (the vendor's runbook: "all parameters consistent with the original container
except for the image name").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

DEFAULT_SHM_SIZE = 64 * 1024 * 1024
DEFAULT_LOG_DRIVER = 'json-file'
DEFAULT_NETWORKS = ('', 'default', 'bridge')
# docker inspect paths an image swap changes by design (ids, times, state, per-container files, the image itself)
SWAP_CHANGES = (
    'Id', 'Created', 'State', 'Image', 'Config.Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath',
    'NetworkSettings', 'GraphDriver', 'RestartCount', 'Config.Hostname', 'ExecIDs', 'SizeRw', 'SizeRootFs',
)


def _config(inspect):
    return inspect.get('Config') or {}


def _host(inspect):
    return inspect.get('HostConfig') or {}


def container_name(inspect):
    name = str(inspect.get('Name') or '').lstrip('/')
    if not name:
        raise DistsqlError('docker inspect gave no container name: %r' % (inspect.get('Id'),))
    return name


def _own_env(config, image_config):
    """The env entries the operator set: those not identical to one of the old image's defaults."""
    defaults = set(image_config.get('Env') or [])
    return [entry for entry in config.get('Env') or [] if entry not in defaults]


def _own_labels(config, image_config):
    defaults = image_config.get('Labels') or {}
    return dict((key, value) for key, value in (config.get('Labels') or {}).items() if defaults.get(key) != value)


def _process_flags(config, image_config):
    """--entrypoint, the command and its args: only where they differ from the old image's."""
    entrypoint = config.get('Entrypoint') or []
    command = config.get('Cmd') or []
    image_entrypoint = image_config.get('Entrypoint') or []
    if entrypoint != image_entrypoint:
        # --entrypoint takes one word; the rest of a longer entrypoint goes before the command. Docker clears the
        # image's Cmd when the entrypoint is set, so the command is passed as it runs.
        flags = ['--entrypoint', entrypoint[0] if entrypoint else '']
        return flags, list(entrypoint[1:]) + list(command)
    if command != (image_config.get('Cmd') or []):
        return [], list(command)
    return [], []


def _port_flags(host):
    flags = []
    for port, bindings in sorted((host.get('PortBindings') or {}).items()):
        for binding in bindings or [{}]:
            host_ip, host_port = binding.get('HostIp') or '', binding.get('HostPort') or ''
            published = ':'.join(part for part in (host_ip, host_port) if part) if host_ip else host_port
            flags += ['--publish', '%s:%s' % (published, port) if published else port]
    return flags


def _mount_flags(host):
    flags = []
    for bind in host.get('Binds') or []:
        flags += ['--volume', bind]
    for mount in host.get('Mounts') or []:
        parts = ['type=%s' % mount.get('Type', 'bind'), 'source=%s' % mount.get('Source', ''),
                 'target=%s' % mount['Target']]
        if mount.get('ReadOnly'):
            parts.append('readonly')
        flags += ['--mount', ','.join(parts)]
    return flags


def _mounted_targets(host):
    targets = set(str(bind).split(':')[1] for bind in host.get('Binds') or [] if ':' in str(bind))
    return targets | set(mount['Target'] for mount in host.get('Mounts') or [])


def anonymous_volumes(inspect):
    """(name, destination, read_write) of the volumes docker created for the image's VOLUME paths: the data in them
    would stay behind with a new container, so the new one mounts them by name."""
    covered = _mounted_targets(_host(inspect))
    return [(mount['Name'], mount['Destination'], mount.get('RW', True)) for mount in inspect.get('Mounts') or []
            if mount.get('Type') == 'volume' and mount.get('Name') and mount['Destination'] not in covered]


def _anonymous_volume_flags(inspect):
    return _repeated('--volume', ['%s:%s%s' % (name, destination, '' if read_write else ':ro')
                                  for name, destination, read_write in anonymous_volumes(inspect)])


def _repeated(flag, values):
    flags = []
    for value in values or []:
        flags += [flag, value]
    return flags


def _ulimit_flags(host):
    return _repeated('--ulimit', ['%s=%s:%s' % (limit['Name'], limit['Soft'], limit['Hard'])
                                  for limit in host.get('Ulimits') or []])


def _device_flags(host):
    return _repeated('--device', ['%s:%s:%s' % (device['PathOnHost'], device['PathInContainer'],
                                                device.get('CgroupPermissions') or 'rwm')
                                  for device in host.get('Devices') or []])


def _restart_flags(host):
    policy = host.get('RestartPolicy') or {}
    name = policy.get('Name') or 'no'
    if name == 'on-failure' and policy.get('MaximumRetryCount'):
        name = 'on-failure:%d' % policy['MaximumRetryCount']
    return ['--restart', name]


def _log_flags(host):
    log = host.get('LogConfig') or {}
    if (log.get('Type') or DEFAULT_LOG_DRIVER) == DEFAULT_LOG_DRIVER and not log.get('Config'):
        return []
    return ['--log-driver', log.get('Type') or DEFAULT_LOG_DRIVER] + _repeated(
        '--log-opt', ['%s=%s' % item for item in sorted((log.get('Config') or {}).items())])


def _host_flags(host):
    flags = _port_flags(host) + _mount_flags(host) + _ulimit_flags(host) + _device_flags(host) + _restart_flags(host)
    if host.get('IpcMode'):
        flags += ['--ipc', host['IpcMode']]
    if host.get('PidMode'):
        flags += ['--pid', host['PidMode']]
    if host.get('Privileged'):
        flags.append('--privileged')
    if host.get('Init'):
        flags.append('--init')
    if host.get('NetworkMode') not in DEFAULT_NETWORKS and host.get('NetworkMode') is not None:
        flags += ['--network', host['NetworkMode']]
    if host.get('ShmSize') and host['ShmSize'] != DEFAULT_SHM_SIZE:
        flags += ['--shm-size', '%db' % host['ShmSize']]
    if host.get('Memory'):
        flags += ['--memory', '%db' % host['Memory']]
    if host.get('NanoCpus'):
        flags += ['--cpus', '%g' % (host['NanoCpus'] / 1e9)]
    flags += _repeated('--cap-add', host.get('CapAdd')) + _repeated('--cap-drop', host.get('CapDrop'))
    flags += _repeated('--security-opt', host.get('SecurityOpt')) + _repeated('--add-host', host.get('ExtraHosts'))
    flags += _repeated('--dns', host.get('Dns'))
    flags += _repeated('--sysctl', ['%s=%s' % item for item in sorted((host.get('Sysctls') or {}).items())])
    flags += _repeated('--tmpfs', ['%s:%s' % item if item[1] else item[0]
                                   for item in sorted((host.get('Tmpfs') or {}).items())])
    return flags + _log_flags(host)


def _config_flags(inspect, config, image_config):
    flags = []
    if config.get('Hostname') and not str(inspect.get('Id', '')).startswith(config['Hostname']):
        flags += ['--hostname', config['Hostname']]
    for key, flag in (('User', '--user'), ('WorkingDir', '--workdir'), ('StopSignal', '--stop-signal')):
        if config.get(key) and config[key] != image_config.get(key):
            flags += [flag, config[key]]
    if config.get('Tty'):
        flags.append('--tty')
    if config.get('OpenStdin'):
        flags.append('--interactive')
    flags += _repeated('--env', _own_env(config, image_config))
    flags += _repeated('--label', ['%s=%s' % item for item in sorted(_own_labels(config, image_config).items())])
    return flags


def run_argv(inspect, image_inspect, image, docker='docker', name=None, start_flag=None):
    """The ``docker run -d`` argv that recreates the container of ``inspect`` (one ``docker inspect`` entry) on
    ``image``, named ``name`` (default: as before); ``image_inspect`` is ``docker image inspect`` of the image it runs
    now (whose defaults are left out). With ``start_flag`` the command ends with that flag (command_with_flag), so
    the command is passed even where it is the image's default."""
    config, host = _config(inspect), _host(inspect)
    image_config = (image_inspect or {}).get('Config') or {}
    process_flags, arguments = _process_flags(config, image_config)
    if start_flag:
        arguments = command_with_flag(arguments or list(config.get('Cmd') or []), start_flag)
    head = [docker, 'run', '--detach', '--name', name or container_name(inspect)]
    flags = _config_flags(inspect, config, image_config) + _host_flags(host) + _anonymous_volume_flags(inspect)
    return head + flags + process_flags + [image] + arguments


# the line of a start script (or of a compose file) that starts the engine: deploy.sh's `/kaiwudb/bin/kwbase  start ...`
_START_LINE = re.compile(r'kwbase\s+start')


def has_flag(words, flag):
    """Whether ``flag`` is one of the words of a command (argv entries, or lines of a script inside one)."""
    return any(flag in str(word).split() for word in words or [])


def script_with_flag(text, flag):
    """A start script or compose file with `` <flag>`` at the end of every line that starts kwbase, as deploy.sh's
    ``sed 's/.*\\/kaiwudb\\/bin\\/kwbase.*/& --upgrade-complete/'`` puts it (trailing spaces of the line kept
    before it); unchanged when the flag is in it already (deploy.sh's ``sed -n '/--upgrade-complete/p'`` check)."""
    if has_flag(_lines(text), flag):
        return text
    lines = _lines(text)
    starts = [index for index, line in enumerate(lines) if _START_LINE.search(line)]
    if not starts:
        raise DistsqlError('no line starts kwbase (kwbase start...) to add %s to' % flag)
    for index in starts:
        body = lines[index].rstrip('\r\n')
        lines[index] = body + ' ' + flag + lines[index][len(body):]
    return ''.join(lines)


def command_with_flag(arguments, flag):
    """A container's command (argv) ending with ``flag``: appended to the script of ``sh -c <script>`` when the
    script starts kwbase, else as the last word; unchanged when the flag is in it already."""
    arguments = list(arguments)
    if has_flag(arguments, flag):
        return arguments
    if len(arguments) >= 2 and arguments[-2] == '-c' and _START_LINE.search(arguments[-1]):
        return arguments[:-1] + [script_with_flag(arguments[-1], flag)]
    return arguments + [flag]


def _flatten(value, prefix=''):
    if isinstance(value, dict):
        items = {}
        for key, item in value.items():
            items.update(_flatten(item, '%s.%s' % (prefix, key) if prefix else key))
        return items
    return {prefix: value}


def _under(path, paths):
    """Whether ``path`` is one of ``paths`` or inside one (a dict such as Config.Labels is flattened key by key)."""
    return any(path == changed or path.startswith(changed + '.') for changed in paths)


def _order_free(inspect):
    """The entry with the lists whose order carries no meaning sorted: Config.Env (docker puts the run's -e entries
    before the image's, so an entry the operator gave that is also an image default moves), HostConfig.Binds and
    Mounts (docker-compose 1.29 lists the volumes of a service in set order, which changes from one run to the next;
    docker mounts by destination depth whatever the order)."""
    config, host = dict(_config(inspect)), dict(_host(inspect))
    config['Env'] = sorted(config.get('Env') or [])
    host['Binds'] = sorted(host.get('Binds') or [])
    mounts = sorted(inspect.get('Mounts') or [], key=lambda mount: str(mount.get('Destination')))
    return dict(inspect, Config=config, HostConfig=host, Mounts=mounts)


def differences(before, after, image_default_changes=()):
    """[(path, before, after)] where two ``docker inspect`` entries differ beyond what an image swap changes (ids,
    times, state, the image); ``image_default_changes`` names further paths the new image's defaults may change
    (Config.Env, Config.Cmd, ...)."""
    old, new = _flatten(_order_free(before)), _flatten(_order_free(after))
    found = []
    for path in sorted(set(old) | set(new)):
        if _under(path, SWAP_CHANGES) or _under(path, image_default_changes):
            continue
        if old.get(path) != new.get(path):
            found.append((path, old.get(path), new.get(path)))
    return found


# docker-compose labels that change whenever the service's configuration does (the image is part of it)
COMPOSE_CHANGES = ('Config.Labels.com.docker.compose.config-hash',)
_LINE = re.compile(r'[^\n]*\n|[^\n]+')
_IMAGE_LINE = re.compile(r'^(?P<lead>\s*image:\s*)(?P<quote>["\']?)(?P<image>[^"\'\s#]+)(?P=quote)(?P<tail>\s*(#.*)?)$')


def compose_image(text):
    """The image of the one service of a compose file (deploy.sh's template has exactly one ``image:`` line)."""
    return _image_line(text)[1].group('image')


def compose_with_image(text, image):
    """The compose file with only its ``image:`` line changed to ``image``, every other byte as it was."""
    lines, match, index = _image_line(text)
    ending = lines[index][len(lines[index].rstrip('\r\n')):]
    lines[index] = '%s%s%s%s%s%s' % (match.group('lead'), match.group('quote'), image, match.group('quote'),
                                     match.group('tail'), ending)
    return ''.join(lines)


def _image_line(text):
    lines = _lines(text)
    found = [(index, _IMAGE_LINE.match(line.rstrip('\r\n'))) for index, line in enumerate(lines)]
    found = [(index, match) for index, match in found if match]
    if len(found) != 1:
        raise DistsqlError('the compose file has %d image lines; one service with one image is what deploy.sh '
                           'writes and what can be swapped' % len(found))
    index, match = found[0]
    return lines, match, index


def _lines(text):
    """The lines of ``text`` with their endings, split at line feeds only (as sed, which deploy.sh edits them with,
    does): str.splitlines also splits at form feeds, NEL and other separators, and joining would lose them."""
    return _LINE.findall(text)


def mode_with_image(text, image):
    """deploy.sh's MODE file with line 3 (the container image) set to ``image``."""
    lines = _lines(text)
    if len(lines) < 3:
        raise DistsqlError('MODE has %d lines; line 3 is the container image' % len(lines))
    ending = lines[2][len(lines[2].rstrip('\r\n')):] or '\n'
    lines[2] = image + ending
    return ''.join(lines)


def mode_image(text):
    lines = _lines(text)
    return lines[2].strip() if len(lines) >= 3 else None
