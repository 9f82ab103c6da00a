#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: kwdb_package
short_description: Stage and query KWDB release packages on a node
version_added: 0.1.0
description:
  - KWDB is upgraded by C(deploy.sh upgrade -l) run from an unpacked release package (M(distsql.upgrade.deploy_script)),
    and C(deploy.sh) keeps no previous release. The upgrade therefore stages both the target package and the package
    of the version the node runs now, so that a failed upgrade can reinstall it.
  - V(staged) unpacks a release tarball that is already on the node (C(KWDB-<basic>-debian12-x86_64.tar.gz), downloaded
    by M(ansible.builtin.get_url)) into C(<releases_dir>/kwdb/<version>/). Before anything is unpacked it checks the
    archive's sha256, refuses unsafe members (absolute paths, C(..) components, links that leave the package
    directory, devices), requires C(kwdb_install/deploy.sh) and C(kwdb_install/packages/.version) whose line 1 is the
    basic form of O(version) (C(3.1.0) for C(V3.1.0)), and checks the free space. It unpacks into a temporary
    directory beside the target and renames it into place with a marker C(.staged.json) recording the sha256.
  - A version that is already staged from an archive with the same sha256 (or when O(sha256) is not given) is not
    touched and O(archive) is not needed. Another sha256 for it (a fixed package after a bad one) replaces the staged
    copy once O(archive) passes every check, except for the installed release, whose staged copy is what a failed
    node is reinstalled from, where it fails the task.
  - V(query) only reads. Both states return the staged packages, the package directory of each and the version
    installed on the node according to C(<info_dir>/.version).
author:
  - distsql.upgrade team (@distsql)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Checks the archive's sha256, its members, its C(packages/.version) and the free space, and reports the
      result staging would have; it unpacks and writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: >-
      V(staged) shows the staged versions before and after (C(staged: <versions>)).
options:
  state:
    description:
      - V(staged) unpacks and verifies O(archive) as the package of O(version).
      - V(query) reports the staged packages and the installed version without changing anything.
    type: str
    required: true
    choices: [staged, query]
  version:
    description:
      - KWDB tag of the package, for example C(V3.1.0) or C(V2.0.3.2); compared with the KWDB version rules, so
        C(3.1.0) and C(V3.1.0) are the same package. The package directory is named by the tag as given.
      - Required for O(state=staged). For O(state=query) it selects the package RV(package_dir) describes.
    type: str
  archive:
    description:
      - Path on the node of the release tarball (any tar compression is read).
      - Required for O(state=staged) unless O(version) is already staged.
    type: path
  sha256:
    description:
      - Expected sha256 of O(archive), 64 hexadecimal digits, optionally prefixed by C(sha256:) as in the C(checksum)
        of M(ansible.builtin.get_url). Required with O(archive).
      - Checked before anything is unpacked; a mismatch fails the task and nothing is unpacked.
    type: str
  releases_dir:
    description:
      - Directory under which the packages are staged, C(<releases_dir>/kwdb/<version>/kwdb_install).
      - The free space of its filesystem must be at least the uncompressed size of the archive times 1.1 plus 1 MiB.
    type: path
    default: /opt/distsql-upgrade/releases
  info_dir:
    description:
      - KaiwuDB's info directory; line 1 of its C(.version) is the installed basic version, line 2 the extended tag.
    type: path
    default: /etc/kaiwudb/info
notes:
  - The module does not download; use M(ansible.builtin.get_url) with C(checksum=sha256:...) to put the tarball in
    C(<releases_dir>/downloads/) first.
  - A staged package is never replaced; remove C(<releases_dir>/kwdb/<version>) to stage another archive of it.
seealso:
  - module: distsql.upgrade.deploy_script
  - module: distsql.upgrade.release
  - module: ansible.builtin.get_url
'''

EXAMPLES = r'''
- name: Download the KWDB package
  ansible.builtin.get_url:
    url: https://mirror.example.com/kwdb/KWDB-3.1.0-debian12-x86_64.tar.gz
    dest: /opt/distsql-upgrade/releases/downloads/KWDB-3.1.0-debian12-x86_64.tar.gz
    checksum: "sha256:{{ kwdb_sha256 }}"
    mode: "0644"

- name: Stage it
  distsql.upgrade.kwdb_package:
    state: staged
    version: V3.1.0
    archive: /opt/distsql-upgrade/releases/downloads/KWDB-3.1.0-debian12-x86_64.tar.gz
    sha256: "{{ kwdb_sha256 }}"
  register: target_package

- name: Upgrade the node from the staged package
  distsql.upgrade.deploy_script:
    package_dir: "{{ target_package.package_dir }}"
  become: true

- name: Read what is staged and installed
  distsql.upgrade.kwdb_package:
    state: query
  register: kwdb_packages
'''

RETURN = r'''
staged_versions:
  description: Every staged package, in the KWDB version order (in check mode including the one it would stage).
  returned: always
  type: list
  elements: str
  sample: [V3.0.0, V3.1.0]
packages:
  description: The package directory (C(kwdb_install), where C(deploy.sh) is) of every staged version.
  returned: always
  type: dict
  sample: {V3.0.0: /opt/distsql-upgrade/releases/kwdb/V3.0.0/kwdb_install}
staged_sha256:
  description: The sha256 of the archive every staged version was unpacked from.
  returned: always
  type: dict
  sample: {V3.0.0: 0c1f4e8d9a6b0b3c8e1f2a4d5c6b7a8e9f0a1b2c3d4e5f60718293a4b5c6d7e8}
package_dir:
  description: The package directory of O(version); C(null) for O(state=query) without O(version) or when it is not
    staged.
  returned: always
  type: str
  sample: /opt/distsql-upgrade/releases/kwdb/V3.1.0/kwdb_install
installed_version:
  description: Line 1 of C(<info_dir>/.version) as a tag (C(V<basic>)); C(null) when that file is missing.
  returned: always
  type: str
  sample: V3.0.0
installed_extended:
  description: Line 2 of C(<info_dir>/.version), the extended tag (C(hotfix1), ...); empty when there is none.
  returned: always
  type: str
  sample: ""
free_bytes:
  description: Bytes available on the filesystem of O(releases_dir) (of its nearest existing parent before it exists).
  returned: always
  type: int
  sample: 20971520000
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

ENGINE = 'kwdb'
CAPABILITY = 'packages'


def argument_spec():
    return dict(
        state=dict(type='str', required=True, choices=['staged', 'query']),
        version=dict(type='str'),
        archive=dict(type='path'),
        sha256=dict(type='str'),
        releases_dir=dict(type='path', default='/opt/distsql-upgrade/releases'),
        info_dir=dict(type='path', default='/etc/kaiwudb/info'),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[('state', 'staged', ['version'])],
        required_by={'archive': 'sha256'},
        supports_check_mode=True,
    )
    params = module.params
    try:
        packages = get_engine(ENGINE).capability(CAPABILITY)
        store = packages.PackageStore(params['releases_dir'], params['info_dir'], check_mode=module.check_mode)
        if params['state'] == 'staged':
            result = store.stage(params['version'], archive=params['archive'], sha256=params['sha256'])
        else:
            result = store.query(params['version'])
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop('diff', None)
    if module._diff and diff is not None:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
