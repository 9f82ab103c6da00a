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
  - V(reverted) removes a new container of that name that runs another image than the kept old one, renames the
    old one back and starts it, waiting until it runs.
  - V(cleaned) removes the kept old container, and with O(remove_old_image) its image; an image another container
    still uses is kept, with a warning.
  - A container already on O(image) is not swapped again (a re-run resumes); V(reverted) and V(cleaned) without a
    kept old container change nothing.
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
    choices: [inspected, swapped, reverted, cleaned]
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

- name: Remove the old container once the new one is verified
  distsql.upgrade.container_image:
    name: kwdb
    state: cleaned
'''

RETURN = r'''
container:
  description: The container of O(name) at the end (C(name), C(id), C(image), C(image_id), C(status), C(running)).
  returned: always
  type: dict
previous:
  description: The kept old container (same keys), C(null) when there is none.
  returned: always
  type: dict
run_argv:
  description: The C(docker run) argv that recreates the container on O(image) (V(inspected), V(swapped)).
  returned: when O(image) is known
  type: list
  elements: str
differences:
  description: C([path, before, after]) for each C(docker inspect) field that differs beyond what an image swap
    changes; empty when only the image changed.
  returned: after V(swapped) started a new container
  type: list
  elements: list
removed_image:
  description: The id of the old image V(cleaned) removed.
  returned: when O(remove_old_image) removed it
  type: str
loaded:
  description: The images C(docker load) printed.
  returned: when O(image_file) was loaded
  type: list
  elements: str
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils import containers
from ansible_collections.distsql.upgrade.plugins.module_utils.docker_cli import DockerCli
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, WaitTimeout
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
            'status': state.get('Status'), 'running': bool(state.get('Running')) and not state.get('Restarting')}


class Swap:
    def __init__(self, module, docker):
        self.module, self.docker, self.params = module, docker, module.params
        self.previous_name = self.params['name'] + self.params['previous_suffix']
        self.result = {'changed': False}

    def current(self):
        return self.docker.container(self.params['name'])

    def previous(self):
        return self.docker.container(self.previous_name)

    def finish(self, **extra):
        self.result.update(container=summary(self.current()), previous=summary(self.previous()), **extra)
        return self.result

    def wait_running(self, name):
        def observe():
            return summary(self.docker.container(name)) or {'running': False, 'status': 'missing'}
        params = self.params
        return wait_until(observe, lambda state: state['running'], params['timeout'], params['interval'],
                          params['stable_checks'], describe='container %s to run' % name)

    def inspected(self):
        container = self.required(self.current(), 'inspect')
        extra = {}
        if self.params['image']:
            extra['run_argv'] = containers.run_argv(container, self.docker.image(container['Image']), self.params['image'],
                                                    self.params['docker'])
        return self.finish(**extra)

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
            raise DistsqlError('state swapped needs image (or an image_file that loads exactly one image)')
        return image

    def swapped(self):
        before = self.required(self.current(), 'swap')
        image = self.target_image()
        if (before.get('Config') or {}).get('Image') == image:
            return self.finish(already_on_image=True)
        if self.previous() is not None:
            raise DistsqlError('%s exists already (an earlier swap was neither reverted nor cleaned): run state '
                               'reverted or cleaned first' % self.previous_name)
        old_image = self.docker.image(before['Image'])
        argv = containers.run_argv(before, old_image, image, self.params['docker'])
        self.result.update(run_argv=argv, changed=True)
        if self.module.check_mode:
            return self.finish()
        self.docker.stop(self.params['name'], self.params['stop_timeout'])
        self.docker.rename(self.params['name'], self.previous_name)
        self.docker.run(argv)
        self.wait_or_fail(self.params['name'])
        after = self.current()
        return self.finish(differences=[list(item) for item in containers.differences(
            before, after, self.default_changes(old_image, self.docker.image(after['Image'])))])

    def wait_or_fail(self, name):
        try:
            self.wait_running(name)
        except WaitTimeout as exc:
            failure = exc.as_result()
            self.module.fail_json(msg='%s: the new container does not keep running; its last log lines: %s' % (
                failure['msg'], ' / '.join(self.docker.logs(name)[-5:]) or 'none'), changed=True,
                container=summary(self.current()), previous=summary(self.previous()))

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
        self.docker.rename(self.previous_name, self.params['name'])
        self.docker.start(self.params['name'])
        self.wait_or_fail(self.params['name'])
        return self.finish()

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


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='inspected', choices=['inspected', 'swapped', 'reverted', 'cleaned']),
        image=dict(type='str'),
        image_file=dict(type='path'),
        stop_timeout=dict(type='int', default=60),
        previous_suffix=dict(type='str', default='-distsql-previous'),
        remove_old_image=dict(type='bool', default=False),
        docker=dict(type='str', default='docker'),
    )
    argument_spec.update(WAIT_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    start = time.monotonic()
    swap = Swap(module, DockerCli(module.run_command, module.params['docker']))
    try:
        result = getattr(swap, module.params['state'])()
    except (DistsqlError, WaitTimeout) as exc:
        module.fail_json(msg=str(exc), **swap.result)
    result['elapsed'] = round(time.monotonic() - start, 3)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
