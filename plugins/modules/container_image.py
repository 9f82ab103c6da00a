#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: container_image
short_description: Swap the image of a docker run container, every other run parameter kept, the old one kept for a way back
version_added: 0.1.0
description:
  - Runs on the container host and talks to the engine through the docker CLI (argv, never a shell).
  - V(inspected) reads the container and the image it runs, and returns the C(docker run) argv that would recreate
    it on O(image) (RV(run_argv)).
  - V(swapped) loads O(image_file) first when given (C(docker load)), stops the container (C(docker stop --time
    O(stop_timeout))), renames it to C(<name>)C(O(previous_suffix)) instead of removing it, starts a new container of
    the same name on O(image) with every parameter the operator gave the old one (ports, volumes and binds,
    ulimits, ipc mode, privileged, work dir, env, restart policy, command and arguments, ...; what only the old
    image supplied is left to the new image), waits until it runs for O(stable_checks) checks in a row, and
    compares both C(docker inspect) entries; RV(differences) lists every difference beyond ids, times, state, the
    image and the image defaults that the new image changes. A new container that exits fails the module with its
    last log lines; the old container stays as it is for V(reverted).
  - V(loaded) loads O(image_file), or pulls O(image) when it is not on the host, before any outage; V(stopped) stops
    the container (C(docker stop)); V(started) starts a stopped one and waits as V(swapped) does.
  - V(reverted) removes a new container of that name that runs another image than the kept old one, renames the
    old one back and starts it, waiting until it runs.
  - V(cleaned) removes the kept old container, and with O(remove_old_image) its image; an image another container
    still uses is kept, with a warning.
  - With O(compose_file) the container is a docker-compose service (deploy.sh's container mode). V(swapped) keeps a
    copy of the file (C(<compose_file>)C(O(previous_suffix))), changes only its C(image:) line (and line 3 of
    O(mode_file)), runs C(docker-compose down) and C(up -d) and waits as above; V(reverted) puts the file (and
    O(mode_file)) back and starts the old image the same way (removing a C(.version) the swap created where there was
    none); V(cleaned) removes the copies.
  - A new container that exits or restarts ends the wait at once with its exit code and last log lines.
  - With O(start_flag) (KWDB's C(--upgrade-complete) in a rolling upgrade) the new container's command ends with
    that flag, as deploy.sh's container upgrade leaves it; V(reverted) then brings the old image back with the flag
    too (in run mode a container of the kept one's parameters plus the flag, the kept one removed once it runs; in
    compose mode the kept file with the flag added), since only a start with the flag clears the node's UPGRADING
    mark. RV(differences) leaves out the flag; RV(start_flag_added) tells whether it was added.
  - A container already on O(image) is not swapped again (a re-run resumes); V(reverted) and V(cleaned) without a
    kept old container change nothing. A loaded image that took the running image's name from it (same name, other
    id) is refused, as the old image would have no name to come back to.
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the container and the image and reports what it would do; loads, stops, runs and removes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
extends_documentation_fragment:
  - distsql.upgrade.wait
options:
  name:
    description: The container's name.
    type: str
    required: true
  state:
    description: What to do (see the description).
    type: str
    choices: [inspected, loaded, stopped, started, swapped, reverted, cleaned]
    default: inspected
  image:
    description:
      - The image the container must run, such as C(kwdb:3.1.0). Required for V(swapped) unless O(image_file)
        loads exactly one image.
    type: str
  image_file:
    description:
      - An image archive on the container host (the vendor's C(KaiwuDB.tar)) to C(docker load) before the swap.
    type: path
  stop_timeout:
    description: Seconds C(docker stop) gives the old container before it kills it.
    type: int
    default: 60
  previous_suffix:
    description: What the kept old container's name ends with.
    type: str
    default: -distsql-previous
  remove_old_image:
    description: With V(cleaned), also remove the image the old container ran (kept, with a warning, while another
      container uses it).
    type: bool
    default: false
  docker:
    description: The docker CLI to run.
    type: str
    default: docker
  compose_file:
    description:
      - The service's C(docker-compose.yml) (deploy.sh writes C(/etc/kaiwudb/script/docker-compose.yml)); O(name) is
        its C(container_name).
    type: path
  mode_file:
    description:
      - deploy.sh's C(/etc/kaiwudb/info/MODE), whose line 3 names the container image; kept consistent with
        O(compose_file).
    type: path
  version_file:
    description:
      - The new release's C(.version) (deploy.sh's packages keep it beside C(KaiwuDB.tar)), copied over the one in the
        directory of O(mode_file) as deploy.sh does; the old one is kept for V(reverted) (and let go by V(cleaned)).
        Nothing is copied when the file does not exist.
    type: path
  compose:
    description: The docker-compose CLI to run (the hyphenated command of the vendor's docs).
    type: str
    default: docker-compose
  start_flag:
    description:
      - A flag the command of the container V(swapped) or V(reverted) starts must end with, such as
        C(--upgrade-complete); added to the kwbase line of a C(bash -c) script or compose file, else as the last
        argument; never twice.
      - With V(inspected) and O(compose_file), a compose file with no line that starts kwbase is refused.
    type: str
notes:
  - The new container gets the old one's configuration, not its writable layer; data must live in volumes or binds
    (the vendor's layout binds the data directory). Volumes docker created for the image's C(VOLUME) paths are
    mounted by name in the new container, so their data stays too.
seealso:
  - module: distsql.upgrade.version_probe
'''

EXAMPLES = r'''
- name: Swap the KWDB container onto the new image, loaded from the vendor's archive
  distsql.upgrade.container_image:
    name: kwdb
    state: swapped
    image: kwdb:3.1.0
    image_file: /opt/kaiwudb/V3.1.0/KaiwuDB.tar
    timeout: 120
  register: swap

- name: Put the old container back
  distsql.upgrade.container_image:
    name: kwdb
    state: reverted

- name: Swap the image of deploy.sh's compose service, MODE kept consistent
  distsql.upgrade.container_image:
    name: kaiwudb-container
    state: swapped
    image_file: /opt/kaiwudb/V3.1.0/KaiwuDB.tar
    compose_file: /etc/kaiwudb/script/docker-compose.yml
    mode_file: /etc/kaiwudb/info/MODE

- name: Remove the old container once the new one is verified
  distsql.upgrade.container_image:
    name: kwdb
    state: cleaned
'''

RETURN = r'''
container:
  description: The container of O(name) at the end (C(name), C(id), C(image), C(image_id), C(status), C(running),
    C(exit_code), C(restart_count)).
  returned: always
  type: dict
previous:
  description: The kept old container (same keys), C(null) when there is none; with O(compose_file) only C(image),
    from the kept copy of the file.
  returned: always
  type: dict
run_argv:
  description: The C(docker run) argv that recreates the container on O(image) (V(inspected), V(swapped)).
  returned: when O(image) is known
  type: list
  elements: str
resumed:
  description: Whether V(swapped) resumed an interrupted swap (only the kept old container was left).
  returned: after V(swapped) changed something
  type: bool
differences:
  description: C([path, before, after]) for each C(docker inspect) field that differs beyond what an image swap
    changes; empty when only the image changed.
  returned: after V(swapped) started a new container
  type: list
  elements: list
image:
  description: The image O(image_file) loaded or O(image) names, with its C(id) (V(loaded)).
  returned: after V(loaded)
  type: dict
free_bytes:
  description: Free bytes where the daemon keeps its images (C(docker info)'s C(DockerRootDir)), for a space check.
  returned: after V(inspected)
  type: int
removed_image:
  description: The id of the old image V(cleaned) removed.
  returned: when O(remove_old_image) removed it
  type: str
start_flag_added:
  description: Whether O(start_flag) was added to the command (it was not in it yet).
  returned: after V(swapped) or V(reverted) changed something with O(start_flag)
  type: bool
loaded:
  description: The images C(docker load) printed.
  returned: when O(image_file) was loaded
  type: list
  elements: str
'''

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils import containers
from ansible_collections.distsql.upgrade.plugins.module_utils.docker_cli import ComposeCli, DockerCli
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DetailedError, DistsqlError, WaitTimeout
from ansible_collections.distsql.upgrade.plugins.module_utils.waiter import WAIT_ARGUMENT_SPEC, wait_until

# image defaults a new image may bring: a difference there is the new image's, not a lost parameter
IMAGE_DEFAULT_PATHS = {'Env': 'Config.Env', 'Cmd': 'Config.Cmd', 'Entrypoint': 'Config.Entrypoint',
                       'WorkingDir': 'Config.WorkingDir', 'User': 'Config.User', 'Labels': 'Config.Labels',
                       'ExposedPorts': 'Config.ExposedPorts', 'Volumes': 'Config.Volumes', 'StopSignal': 'Config.StopSignal'}


def summary(inspect):
    if not inspect:
        return None
    state = inspect.get('State') or {}
    return {'name': containers.container_name(inspect), 'id': inspect.get('Id'),
            'image': (inspect.get('Config') or {}).get('Image'), 'image_id': inspect.get('Image'),
            'status': state.get('Status'), 'running': bool(state.get('Running')) and not state.get('Restarting'),
            'exit_code': state.get('ExitCode'), 'restart_count': inspect.get('RestartCount', 0)}


def failure_words(state, restarts_before=0):
    """'exited with code 127[, restarted 2 times by its restart policy]', the restarts counted from the start of the
    wait. Seen between two restarts, a container that runs again reports exit code 0: then only the restarts are
    known."""
    restarts = (state['restart_count'] or 0) - restarts_before
    if restarts > 0 and not state['exit_code']:
        return 'keeps exiting: restarted %s times by its restart policy' % restarts
    words = 'exited with code %s' % state['exit_code']
    if restarts > 0:
        words += ', restarted %s times by its restart policy' % restarts
    return words


def has_failed(state, restarts_before=0):
    """A container that exited, or was restarted after an exit since the wait began (``restarts_before`` restarts
    are its history): waiting will not make it run."""
    return state.get('status') in ('exited', 'dead') or (state.get('restart_count') or 0) > restarts_before


class Swap:
    def __init__(self, module, docker):
        self.module, self.docker, self.params = module, docker, module.params
        self.previous_name = self.params['name'] + self.params['previous_suffix']
        self.result = {'changed': False}

    def current(self):
        return self.docker.container(self.params['name'])

    def previous(self):
        return self.docker.container(self.previous_name)

    def kept_summary(self):
        return summary(self.previous())

    def finish(self, **extra):
        self.result.update(container=summary(self.current()), previous=self.kept_summary(), **extra)
        return self.result

    def wait_running(self, name, restarts_before=0):
        def observe():
            return summary(self.docker.container(name)) or {'running': False, 'status': 'missing'}

        def satisfied(state):
            if has_failed(state, restarts_before):
                raise DetailedError('container %s %s, which waiting will not change'
                                    % (name, failure_words(state, restarts_before)), state)
            return state['running']
        params = self.params
        return wait_until(observe, satisfied, params['timeout'], params['interval'], params['stable_checks'],
                          describe='container %s to run' % name)

    def inspected(self):
        container = self.current()
        if container is None:
            # an interrupted swap: only the kept old container is left, and it is what the node runs
            self.required(self.previous(), 'inspect')
        root = os.statvfs(self.docker.root_dir())
        extra = {'free_bytes': root.f_bavail * root.f_frsize}
        if self.params['image'] and container is not None:
            extra['run_argv'] = containers.run_argv(container, self.docker.image(container['Image']), self.params['image'],
                                                    self.params['docker'])
        return self.finish(**extra)

    def loaded(self):
        if self.params['image_file'] is None and self.params['image'] is None:
            raise DistsqlError('state loaded needs image_file or image')
        if self.params['image_file'] and self.module.check_mode:
            # nothing is loaded, so the archive's image names are not known
            self.result['changed'] = True
            return self.finish(image={'name': self.params['image'], 'id': None})
        if self.params['image_file'] is None and self.docker.image(self.params['image']) is None:
            self.result['changed'] = True
            if not self.module.check_mode:
                self.docker.pull(self.params['image'])
        image = self.target_image()
        self.result['changed'] = self.result['changed'] or 'loaded' in self.result
        found = None if self.module.check_mode else self.docker.image(image)
        return self.finish(image={'name': image, 'id': (found or {}).get('Id')})

    def stopped(self):
        container = self.required(self.current(), 'stop')
        # a restarting container is not running (summary) but is not stopped either: docker would start it again
        state = container.get('State') or {}
        if state.get('Running') or state.get('Restarting'):
            self.result['changed'] = True
            if not self.module.check_mode:
                self.docker.stop(self.params['name'], self.params['stop_timeout'])
        return self.finish()

    def started(self):
        container = self.required(self.current(), 'start')
        # a running container's restarts are its history; `docker start` counts them from 0 again
        restarts_before = container.get('RestartCount') or 0
        if not summary(container)['running']:
            self.result['changed'] = True
            if self.module.check_mode:
                return self.finish()
            self.docker.start(self.params['name'])
            restarts_before = 0
        self.wait_or_fail(self.params['name'], restarts_before)
        return self.finish()

    def required(self, container, what):
        if container is None:
            raise DistsqlError('there is no container %s to %s' % (self.params['name'], what))
        return container

    def target_image(self):
        image = self.params['image']
        if self.params['image_file'] and not self.module.check_mode:
            loaded = self.docker.load(self.params['image_file'])
            self.result['loaded'] = loaded
            if image is None and len(loaded) == 1:
                image = loaded[0]
            elif image is not None and image not in loaded and self.docker.image(image) is None:
                raise DistsqlError('%s loaded %s, not %s' % (self.params['image_file'], ', '.join(loaded), image))
        if image is None:
            raise DistsqlError('state %s needs image (or an image_file that loads exactly one image)' % self.params['state'])
        return image

    def swapped(self):
        current, kept = self.current(), self.previous()
        # a swap interrupted between the rename and the new run left only the kept container: resume from it
        before = self.required(current or kept, 'swap')
        image = self.target_image()
        if current is not None and self.runs(current, image):
            return self.finish(already_on_image=True)
        if current is not None and kept is not None:
            raise DistsqlError('%s exists already (an earlier swap was neither reverted nor cleaned): run state '
                               'reverted or cleaned first' % self.previous_name)
        old_image = self.docker.image(before['Image'])
        flag = self.params['start_flag']
        argv = containers.run_argv(before, old_image, image, self.params['docker'], name=self.params['name'],
                                   start_flag=flag)
        self.result.update(run_argv=argv, changed=True, resumed=current is None)
        if flag:
            self.result['start_flag_added'] = not containers.has_flag(_command(before), flag)
        if self.module.check_mode:
            return self.finish()
        if current is not None:
            self.docker.stop(self.params['name'], self.params['stop_timeout'])
            self.docker.rename(self.params['name'], self.previous_name)
        self.docker.run(argv)
        self.wait_or_fail(self.params['name'])
        after = self.current()
        # the kept container's new name is not a parameter, and the start flag was asked for
        before = with_flag(dict(before, Name=after.get('Name')), flag)
        return self.finish(differences=[list(item) for item in containers.differences(
            before, after, self.default_changes(old_image, self.docker.image(after['Image'])))])

    def runs(self, container, image):
        """Whether the container runs ``image``; a same-named image with another id is refused."""
        if (container.get('Config') or {}).get('Image') != image:
            return False
        loaded = self.docker.image(image)
        if loaded is not None and loaded.get('Id') != container.get('Image'):
            raise DistsqlError('%s now names another image (%s) than the one %s runs (%s): the old image would have no '
                               'name to come back to; give the new image its own tag' % (
                                   image, loaded.get('Id'), self.params['name'], container.get('Image')))
        return True

    def wait_or_fail(self, name, restarts_before=0):
        try:
            self.wait_running(name, restarts_before)
        except (WaitTimeout, DetailedError) as exc:
            failure = exc.as_result()
            self.module.fail_json(msg='%s: the new container does not keep running; its last log lines: %s' % (
                failure['msg'], ' / '.join(distinct_tail(self.docker.logs(name), 3)) or 'none'), changed=True,
                container=summary(self.current()), previous=self.kept_summary())

    @staticmethod
    def default_changes(old_image, new_image):
        old, new = (old_image or {}).get('Config') or {}, (new_image or {}).get('Config') or {}
        return tuple(path for key, path in IMAGE_DEFAULT_PATHS.items() if old.get(key) != new.get(key))

    def reverted(self):
        previous = self.previous()
        if previous is None:
            return self.finish()
        self.result['changed'] = True
        if self.module.check_mode:
            return self.finish()
        current = self.current()
        if current is not None:
            self.docker.remove(self.params['name'])
        flag = self.params['start_flag']
        if flag and not containers.has_flag(_command(previous), flag):
            self.rerun_with_flag(previous, flag)
        else:
            self.docker.rename(self.previous_name, self.params['name'])
            self.docker.start(self.params['name'])
            self.wait_or_fail(self.params['name'])
        return self.finish()

    def rerun_with_flag(self, previous, flag):
        """The old image again, with the kept container's parameters and the start flag; the kept container goes once
        the new one runs (its parameters live on in it)."""
        image = (previous.get('Config') or {}).get('Image')
        named = self.docker.image(image) if image else None
        if named is None or named.get('Id') != previous['Image']:
            image = previous['Image']  # the name went to another image: the old one is known by its id only
        self.docker.run(containers.run_argv(previous, self.docker.image(previous['Image']), image, self.params['docker'],
                                            name=self.params['name'], start_flag=flag))
        self.wait_or_fail(self.params['name'])
        self.docker.remove(self.previous_name)
        self.result['start_flag_added'] = True

    def cleaned(self):
        previous = self.previous()
        if previous is None:
            return self.finish()
        self.result['changed'] = True
        if not self.module.check_mode:
            self.docker.remove(self.previous_name)
            if self.params['remove_old_image'] and previous['Image'] != (self.current() or {}).get('Image'):
                self.remove_old_image(previous['Image'])
        return self.finish()

    def remove_old_image(self, image_id):
        try:
            self.docker.remove_image(image_id)
            self.result['removed_image'] = image_id
        except DistsqlError as exc:
            # another container still runs it: the upgrade is done, the image stays
            self.module.warn('the old image %s was kept: %s' % (image_id, exc))


class ComposeSwap(Swap):
    """The same states for a docker-compose service: the file's image line is what changes, and its copy is the way
    back (docker-compose down removes the old container)."""

    def __init__(self, module, docker, compose):
        super(ComposeSwap, self).__init__(module, docker)
        self.compose = compose
        suffix = self.params['previous_suffix']
        self.installed_version = None
        if self.params['mode_file']:
            self.installed_version = os.path.join(os.path.dirname(self.params['mode_file']), '.version')
        self.kept = [(path, path + suffix) for path in (self.params['compose_file'], self.params['mode_file'],
                                                        self.installed_version) if path]

    def previous(self):
        copy = self.kept[0][1]
        return {'image': containers.compose_image(read(copy))} if os.path.exists(copy) else None

    def kept_summary(self):
        return self.previous()

    def swapped(self):
        before = self.required(self.current(), 'swap')
        image = self.target_image()
        text = read(self.params['compose_file'])
        if self.runs(before, image) and containers.compose_image(text) == image:
            return self.finish(already_on_image=True)
        if self.previous() is not None:
            raise DistsqlError('%s exists already (an earlier swap was neither reverted nor cleaned): run state '
                               'reverted or cleaned first' % self.kept[0][1])
        old_image = self.docker.image(before['Image'])
        texts = self.new_texts(text, image)
        self.result['changed'] = True
        if self.module.check_mode:
            return self.finish()
        self.keep_copies()
        for path, new_text in texts:
            self.write(path, new_text)
        self.restart()
        after = self.current()
        changes = self.default_changes(old_image, self.docker.image(after['Image'])) + containers.COMPOSE_CHANGES
        before = with_flag(before, self.params['start_flag'])
        return self.finish(differences=[list(item) for item in containers.differences(before, after, changes)])

    def inspected(self):
        if self.params['start_flag']:
            self.flagged(read(self.params['compose_file']))  # refused now, before any node is touched
            self.result.pop('start_flag_added')
        return super(ComposeSwap, self).inspected()

    def flagged(self, text):
        """The compose file with the start flag on its kwbase line, when asked for (deploy.sh's recover_node)."""
        flag = self.params['start_flag']
        if not flag:
            return text
        self.result['start_flag_added'] = not containers.has_flag(text.splitlines(), flag)
        try:
            return containers.script_with_flag(text, flag)
        except DistsqlError as exc:
            raise DistsqlError('%s: %s, which the node needs to clear its UPGRADING mark in a rolling upgrade'
                               % (self.params['compose_file'], exc))

    def new_texts(self, text, image):
        """(path, text) of each file the swap writes, all made before any is written: a file that cannot be changed
        (a MODE without line 3, say) is refused while every file is as it was."""
        texts = [(self.params['compose_file'], self.flagged(containers.compose_with_image(text, image)))]
        if self.params['mode_file']:
            texts.append((self.params['mode_file'], containers.mode_with_image(read(self.params['mode_file']), image)))
        if self.params['version_file'] and os.path.exists(self.params['version_file']):
            texts.append((self.installed_version, read(self.params['version_file'])))
        return texts

    def restart(self):
        self.compose.down(self.params['stop_timeout'])
        self.compose.up()
        self.wait_or_fail(self.params['name'])

    def keep_copies(self):
        """A copy of each file the swap writes; a file that was not there (an install without .version) is kept as
        a marker, so that reverted removes what the swap created."""
        for path, copy in self.kept:
            if os.path.exists(path):
                shutil.copy2(path, copy)
            else:
                with open(copy + ABSENT, 'w'):
                    pass

    def write(self, path, text):
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.distsql-')
        with os.fdopen(handle, 'w', newline='') as stream:
            stream.write(text)
        self.module.atomic_move(temporary, path)

    def reverted(self):
        if self.previous() is None:
            return self.finish()
        self.result['changed'] = True
        if self.module.check_mode:
            return self.finish()
        self.compose.down(self.params['stop_timeout'])
        for path, copy in self.kept:
            if os.path.exists(copy):
                self.module.atomic_move(copy, path)
            elif os.path.exists(copy + ABSENT):
                remove_if_there(path)
                os.remove(copy + ABSENT)
        if self.params['start_flag']:
            text = read(self.params['compose_file'])
            self.write(self.params['compose_file'], self.flagged(text))
        self.compose.up()
        self.wait_or_fail(self.params['name'])
        return self.finish()

    def cleaned(self):
        previous = self.previous()
        if previous is None:
            return self.finish()
        self.result['changed'] = True
        if self.module.check_mode:
            return self.finish()
        for _path, copy in self.kept:
            remove_if_there(copy)
            remove_if_there(copy + ABSENT)
        current = self.current() or {}
        if self.params['remove_old_image'] and previous['image'] != (current.get('Config') or {}).get('Image'):
            self.remove_old_image(previous['image'])
        return self.finish()


# what a kept copy's name ends with when the file did not exist before the swap
ABSENT = '.absent'


def remove_if_there(path):
    if os.path.exists(path):
        os.remove(path)


def _command(inspect):
    return (inspect.get('Config') or {}).get('Cmd') or []


def with_flag(inspect, flag):
    """The entry as it is expected after a swap with ``flag``: its command ends with the flag."""
    if not flag:
        return inspect
    return dict(inspect, Config=dict(inspect.get('Config') or {}, Cmd=containers.command_with_flag(_command(inspect), flag)))


def distinct_tail(lines, count):
    """The last ``count`` distinct lines, in order (a restarting container repeats its last words)."""
    tail = []
    for line in reversed(lines):
        if line not in tail:
            tail.insert(0, line)
        if len(tail) == count:
            break
    return tail


def read(path):
    """The text as it is on disk: no newline translation, so a file written back keeps its line endings."""
    with open(path, newline='') as stream:
        return stream.read()


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='inspected',
                   choices=['inspected', 'loaded', 'stopped', 'started', 'swapped', 'reverted', 'cleaned']),
        image=dict(type='str'),
        image_file=dict(type='path'),
        stop_timeout=dict(type='int', default=60),
        previous_suffix=dict(type='str', default='-distsql-previous'),
        remove_old_image=dict(type='bool', default=False),
        docker=dict(type='str', default='docker'),
        compose_file=dict(type='path'),
        mode_file=dict(type='path'),
        version_file=dict(type='path'),
        compose=dict(type='str', default='docker-compose'),
        start_flag=dict(type='str'),
    )
    argument_spec.update(WAIT_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_by={'mode_file': 'compose_file', 'version_file': 'mode_file'})
    start = time.monotonic()
    params = module.params
    docker = DockerCli(module.run_command, params['docker'])
    if params['compose_file']:
        swap = ComposeSwap(module, docker, ComposeCli(module.run_command, params['compose'], params['compose_file']))
    else:
        swap = Swap(module, docker)
    try:
        result = getattr(swap, module.params['state'])()
    except (DistsqlError, WaitTimeout) as exc:
        module.fail_json(msg=str(exc), **swap.result)
    result['elapsed'] = round(time.monotonic() - start, 3)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
