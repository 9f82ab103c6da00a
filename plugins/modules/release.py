#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: release
short_description: Stage, activate and restore versioned releases of a database binary on a node
version_added: 0.1.0
description:
  - Keeps the releases of one engine's binary in versioned directories under O(releases_dir), switches the binary
    the service runs (O(link)) between them atomically, and keeps the previous release so that a rollback needs no
    download.
  - V(staged) with O(binary) copies a binary the operator built into the store the same way (checked, run to read
    its version, then renamed into place); the marker records the path it came from.
  - V(staged) unpacks a release archive that is already on the node (downloaded by M(ansible.builtin.get_url) or
    copied by M(ansible.builtin.copy)) into C(<releases_dir>/<engine>/<version>/). Before anything is unpacked it
    checks the archive's sha256, refuses unsafe members (absolute paths, C(..) components, links that leave the
    release directory, devices) and checks the free space. It unpacks into a temporary sibling directory, runs the
    binary to check that it reports O(version), and only then renames the directory into place with a marker file
    C(.distsql-release.json). It never touches O(link).
  - V(active) points O(link) at the binary of staged O(version). When O(link) is a regular file (a binary installed
    by hand or by a package) or a symlink to a binary outside the store, that binary is adopted first; its version
    is read and it is copied into the store as a release of its own, so that it can be restored later. The switch
    creates a symlink beside O(link) and renames it over O(link), so the service never sees a missing binary.
    C(<releases_dir>/<engine>/state.json) records the active and the previous release.
  - V(restored) switches back to O(version) or, by default, to the recorded previous release. A second V(restored)
    without O(version) changes nothing (it does not switch forward again).
  - V(query) only reads; it reports the active, previous and staged releases and where O(link) points.
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Checks the archive's sha256, its members and the free space, and reads the version of a binary it
      would adopt; it unpacks, copies and switches nothing. The binary of an archive is not run in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: >-
      V(active) and V(restored) show the active release before and after (C(active: <version>)); V(staged)
      shows the staged releases before and after (C(staged: <versions>)).
options:
  engine:
    description:
      - Which engine's binary the releases hold. Decides the default O(link), how the binary reports its version
        (C(cockroach version), C(kwbase version), C(databend-query --cmd ver), C(databend-meta --cmd ver)) and how
        versions are compared and ordered.
    type: str
    required: true
    choices: [cockroachdb, kwdb, databend_query, databend_meta]
  state:
    description:
      - V(staged) unpacks and verifies O(archive) as release O(version).
      - V(active) switches O(link) to staged release O(version).
      - V(restored) switches O(link) back to O(version) or to the recorded previous release.
      - V(query) reports the releases and the link without changing anything.
    type: str
    required: true
    choices: [staged, active, restored, query]
  version:
    description:
      - Release tag, for example C(v24.1.4) or C(v1.2.636-nightly); compared with the engine's version rules, so
        C(24.1.4) and C(v24.1.4) are the same release.
      - Required for O(state=staged) and O(state=active). For O(state=restored) it defaults to the recorded previous
        release; for O(state=query) it selects the release RV(release_dir) and RV(binary) describe.
    type: str
  archive:
    description:
      - Path on the node of the release archive (C(.tgz) or C(.tar.gz); any tar compression is read).
      - Required for O(state=staged) unless O(version) is already staged; when it is staged from an archive with
        O(sha256), the module reports no change without reading O(archive).
    type: path
  binary:
    description:
      - Path on the node of a binary the operator built (from source, say) to stage as release O(version) instead of
        an archive. It is copied into the store as O(binary_name) and must report O(version); O(sha256), when given,
        must match it. Mutually exclusive with O(archive).
    type: path
  sha256:
    description:
      - Expected sha256 of O(archive) (required with it) or of O(binary) (optional), 64 hexadecimal digits,
        optionally prefixed by C(sha256:) as in the C(checksum) of M(ansible.builtin.get_url).
      - Checked before anything is unpacked; a mismatch fails the task.
    type: str
  releases_dir:
    description:
      - Directory holding the releases, C(<releases_dir>/<engine>/<version>/), and C(<releases_dir>/<engine>/state.json).
      - The free space of its filesystem must be at least the uncompressed size of the archive times 1.1 plus 1 MiB.
    type: path
    default: /opt/distsql-upgrade/releases
  link:
    description:
      - The path of the binary the service runs; it becomes a symlink to the binary of the active release.
      - Defaults to C(/usr/local/bin/cockroach) for C(cockroachdb), C(/usr/local/kaiwudb/bin/kwbase) for C(kwdb),
        C(/usr/bin/databend-query) for C(databend_query) and C(/usr/bin/databend-meta) for C(databend_meta).
    type: path
  binary_name:
    description:
      - File name of the binary inside the archive, at any depth (C(cockroach-v24.1.4.linux-amd64/cockroach)).
        Exactly one file of the archive must have this name.
      - Defaults to the file name of O(link).
    type: str
  keep:
    description:
      - After a switch (O(state=active) or O(state=restored)), remove the lowest releases, in the engine's version
        order, beyond this count. The active and the previous release are never removed.
    type: int
    default: 3
  command_timeout:
    description:
      - Seconds the binary may take to print its version.
    type: int
    default: 30
notes:
  - The module does not download; use M(ansible.builtin.get_url) with C(checksum=sha256:...) or
    M(ansible.builtin.copy) to put the archive in C(<releases_dir>/downloads/) first.
  - Restarting the service after a switch is up to the play; the running process keeps the binary it started with.
  - A release that is already staged is never replaced, also not by an archive with another sha256 for the same
    version; that fails the task.
seealso:
  - module: distsql.upgrade.version_probe
  - module: ansible.builtin.get_url
'''

EXAMPLES = r'''
- name: Download the CockroachDB release
  ansible.builtin.get_url:
    url: https://binaries.cockroachdb.com/cockroach-v24.1.4.linux-amd64.tgz
    dest: /opt/distsql-upgrade/releases/downloads/cockroach-v24.1.4.linux-amd64.tgz
    checksum: "sha256:{{ cockroach_sha256 }}"
    mode: "0644"

- name: Stage it (verified, not yet active)
  distsql.upgrade.release:
    engine: cockroachdb
    state: staged
    version: v24.1.4
    archive: /opt/distsql-upgrade/releases/downloads/cockroach-v24.1.4.linux-amd64.tgz
    sha256: "{{ cockroach_sha256 }}"

- name: Switch the binary the service runs (adopts a hand-installed binary first)
  distsql.upgrade.release:
    engine: cockroachdb
    state: active
    version: v24.1.4
  register: switched

- name: Roll back to the release that was active before
  distsql.upgrade.release:
    engine: cockroachdb
    state: restored

- name: Read what is staged and active
  distsql.upgrade.release:
    engine: databend_query
    state: query
  register: releases
'''

RETURN = r'''
active_version:
  description: Version of the release O(link) points to; C(null) when O(link) is not a symlink to a staged release.
    In check mode, the version it would point to.
  returned: always
  type: str
  sample: v24.1.4
previous_version:
  description: The recorded previous release, the one the last switch left. V(restored) without O(version) switches
    back to it, unless that last switch was itself a restore.
  returned: always
  type: str
  sample: v23.1.8
staged_versions:
  description: Every staged release, in the engine's version order.
  returned: always
  type: list
  elements: str
  sample: [v23.1.8, v24.1.4]
link:
  description: The path of the binary the service runs.
  returned: always
  type: str
  sample: /usr/local/bin/cockroach
link_target:
  description: Where O(link) points (the symlink's target); C(null) when it is a regular file or missing.
  returned: always
  type: str
  sample: /opt/distsql-upgrade/releases/cockroachdb/v24.1.4/cockroach-v24.1.4.linux-amd64/cockroach
link_managed:
  description: O(link) is a symlink to the binary of a staged release.
  returned: always
  type: bool
  sample: true
release_dir:
  description: Directory of the release this run is about (O(version), the restored one, or for O(state=query)
    without O(version) the active one); C(null) when there is none.
  returned: always
  type: str
  sample: /opt/distsql-upgrade/releases/cockroachdb/v24.1.4
binary:
  description: Full path of the binary in RV(release_dir).
  returned: always
  type: str
  sample: /opt/distsql-upgrade/releases/cockroachdb/v24.1.4/cockroach-v24.1.4.linux-amd64/cockroach
adopted:
  description: This run adopted (or in check mode would adopt) the binary O(link) held before as a release of its own.
  returned: always
  type: bool
  sample: false
pruned_versions:
  description: Releases removed (or in check mode that would be removed) because of O(keep).
  returned: always
  type: list
  elements: str
  sample: [v23.1.6]
free_bytes:
  description: Bytes available on the filesystem of O(releases_dir) (of its nearest existing parent before it exists).
  returned: always
  type: int
  sample: 20971520000
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_store import DEFAULT_RELEASES_DIR, ReleaseStore
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import timed_runner


def apply_state(store, params):
    state = params['state']
    if state == 'staged' and params['binary']:
        return store.stage_binary(params['version'], params['binary'], sha256=params['sha256'])
    if state == 'staged':
        return store.stage(params['version'], archive=params['archive'], sha256=params['sha256'])
    if state == 'active':
        return store.activate(params['version'], keep=params['keep'])
    if state == 'restored':
        return store.restore(params['version'], keep=params['keep'])
    return store.query(params['version'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type='str', required=True, choices=['cockroachdb', 'kwdb', 'databend_query', 'databend_meta']),
            state=dict(type='str', required=True, choices=['staged', 'active', 'restored', 'query']),
            version=dict(type='str'),
            archive=dict(type='path'),
            binary=dict(type='path'),
            sha256=dict(type='str'),
            releases_dir=dict(type='path', default=DEFAULT_RELEASES_DIR),
            link=dict(type='path'),
            binary_name=dict(type='str'),
            keep=dict(type='int', default=3),
            command_timeout=dict(type='int', default=30),
        ),
        required_if=[
            ('state', 'staged', ['version']),
            ('state', 'active', ['version']),
        ],
        required_by={'archive': 'sha256'},
        mutually_exclusive=[('archive', 'binary')],
        supports_check_mode=True,
    )
    params = module.params
    try:
        store = ReleaseStore(get_engine(params['engine']), params['releases_dir'],
                             link=params['link'], binary_name=params['binary_name'],
                             run=timed_runner(module.run_command, params['command_timeout']),
                             check_mode=module.check_mode)
        result = apply_state(store, params)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop('diff', None)
    if module._diff and diff is not None:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
