# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker and docker-compose CLIs as argv (never a shell): inspect, load, stop, rename, run, start, remove,
logs; compose down and up.

``run(argv) -> (rc, stdout, stderr)`` is AnsibleModule.run_command in a module. Errors name the command and what
docker printed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import os
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

_LOADED = re.compile(r'^Loaded image(?: ID)?: (.+)$', re.MULTILINE)
_NO_SUCH = ('No such object', 'No such container', 'No such image')


def checked_call(run, argv):
    """stdout of argv; a non-zero exit raises DistsqlError naming the command and what it printed."""
    rc, out, err = run(argv)
    if rc != 0:
        raise DistsqlError('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
    return out


class DockerCli:
    def __init__(self, run, docker='docker'):
        self.run_command = run
        self.docker = docker

    def _call(self, *args):
        return checked_call(self.run_command, [self.docker] + list(args))

    def _inspect(self, kind, ref):
        argv = [self.docker, kind, 'inspect', ref] if kind else [self.docker, 'inspect', '--type', 'container', ref]
        rc, out, err = self.run_command(argv)
        if rc != 0:
            if any(marker in (err or '') + (out or '') for marker in _NO_SUCH):
                return None
            raise DistsqlError('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()))
        try:
            entries = json.loads(out)
        except ValueError:
            raise DistsqlError('%s printed no JSON: %r' % (' '.join(argv), out[:200]))
        return entries[0] if entries else None

    def container(self, name):
        """docker inspect of the container, or None when there is none of that name."""
        return self._inspect(None, name)

    def image(self, ref):
        """docker image inspect of an image (name or id), or None when it is not on the host."""
        return self._inspect('image', ref)

    def load(self, path):
        """docker load -i: the image names (or ids) it printed."""
        loaded = _LOADED.findall(self._call('load', '--input', path))
        if not loaded:
            raise DistsqlError('docker load --input %s loaded no image' % path)
        return [name.strip().strip('"') for name in loaded]

    def pull(self, image):
        self._call('pull', image)

    def root_dir(self):
        """Where the daemon keeps images and containers (docker info's DockerRootDir)."""
        return self._call('info', '--format', '{{.DockerRootDir}}').strip()

    def stop(self, name, timeout):
        self._call('stop', '--time', str(int(timeout)), name)

    def rename(self, name, new_name):
        self._call('rename', name, new_name)

    def run(self, argv):
        """Runs a ``docker run`` argv of containers.run_argv (its first word is this CLI); returns the new id."""
        out = self._call(*argv[1:]).strip()
        return out.splitlines()[-1] if out else None

    def start(self, name):
        self._call('start', name)

    def remove(self, name):
        self._call('rm', '--force', name)

    def remove_image(self, ref):
        self._call('rmi', ref)

    def logs(self, name, lines=20):
        argv = [self.docker, 'logs', '--tail', str(lines), name]
        rc, out, err = self.run_command(argv)
        return ((out or '') + (err or '')).strip().splitlines() if rc == 0 else []


class ComposeCli:
    """docker-compose in the directory of a compose file, the way deploy.sh runs it (``cd /etc/kaiwudb/script``):
    the project, and the config_files label on the container, are the same as the installer's. ``run(argv, cwd)``."""

    def __init__(self, run, compose, compose_file):
        self.run_command = functools.partial(run, cwd=os.path.dirname(compose_file))
        self.argv = [compose] + ([] if os.path.basename(compose_file) == 'docker-compose.yml'
                                 else ['--file', os.path.basename(compose_file)])

    def _call(self, *args):
        return checked_call(self.run_command, self.argv + list(args))

    def down(self, timeout):
        self._call('down', '--timeout', str(int(timeout)))

    def up(self):
        self._call('up', '-d')
