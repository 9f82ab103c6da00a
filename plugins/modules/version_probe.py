#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: version_probe
short_description: Read the version of a CockroachDB, KWDB or Databend binary and plan the upgrade to a target
version_added: 0.1.0
description:
  - Runs the binary's own version command (C(cockroach version), C(kwbase version), C(databend-query --cmd ver),
    C(databend-meta --cmd ver)) and returns the version as printed, parsed into its parts.
  - With O(target_binary) or O(target_version) it also plans the upgrade by the vendor's rules and returns
    whether it is allowed, what kind it is, the hops to go through and why.
  - CockroachDB rules are patch versus major, one major at a time before 24.1, the Regular/Innovation rules
    from 24.1 on, no downgrade except rolling back a major that is not finalized yet (give O(cluster_version)),
    and a multi-hop plan when the target is more than one allowed step away.
  - KWDB rules are no downgrade, no in-place move from 1.x/2.x to 3.x (export and import instead), and the
    C(deploy.sh) rules on the extended version (alpha, beta, hotfix, enhance, patch).
  - Databend needs both components, because query and meta must stay compatible in both directions in every
    mixed state a rolling upgrade passes through; give the other component's binaries in O(peer_binary) and
    O(peer_target_binary).
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
options:
  engine:
    description:
      - Which binary this is.
    type: str
    required: true
    choices: [cockroachdb, kwdb, databend_query, databend_meta]
  binary:
    description:
      - Path of the installed binary.
      - Defaults to C(/usr/local/bin/cockroach), C(/usr/local/kaiwudb/bin/kwbase), C(/usr/bin/databend-query) or
        C(/usr/bin/databend-meta).
    type: path
  target_binary:
    description:
      - Path of the new binary (for example unpacked from the release tarball); its version is read the same way.
    type: path
  target_version:
    description:
      - The target version as a string, for example C(v24.3.5) or C(V3.1.0). Not enough for Databend, whose
        compatibility depends on the target binaries' minimum compatible versions.
    type: str
  cluster_version:
    description:
      - CockroachDB only. The value of C(SHOW CLUSTER SETTING version). Needed to allow a rollback (only while the
        major upgrade is not finalized) and to refuse a new major while the last one is not finalized.
    type: str
  allow_prerelease:
    description:
      - CockroachDB only. Allow alpha, beta and rc versions as current or target.
    type: bool
    default: false
  extended_version:
    description:
      - KWDB only. Line 2 of C(/etc/kaiwudb/info/.version) of the installed version (for example C(beta1), empty for GA).
    type: str
  target_extended_version:
    description:
      - KWDB only. Line 2 of the package's C(packages/.version).
    type: str
  bypass_version_check:
    description:
      - KWDB only. Skip the extended version rules, like C(deploy.sh --bypass-version-check). Never allows a
        downgrade or a move that needs export and import.
    type: bool
    default: false
  peer_binary:
    description:
      - Databend only. The installed binary of the other component (C(databend-meta) when O(engine=databend_query)
        and the other way round).
    type: path
  peer_target_binary:
    description:
      - Databend only. The new binary of the other component; leave it out when that component stays as it is.
    type: path
  command_timeout:
    description:
      - Seconds one version command may take.
    type: int
    default: 30
  container:
    description:
      - Run the version commands inside this running container (C(docker exec <container> <binary> version)); the
        binary paths are then paths inside the container, as in a KWDB image's C(/kaiwudb/bin/kwbase).
    type: str
  image:
    description:
      - Run the version commands in a throwaway container of this image (C(docker run --rm --entrypoint <binary>
        <image> version)), for the version of an image whose container is stopped. Mutually exclusive with O(container).
    type: str
  docker:
    description:
      - The docker CLI that runs O(container)'s or O(image)'s commands.
    type: str
    default: docker
notes:
  - The binaries must run on the host the module runs on, or in O(container) on it.
seealso:
  - module: distsql.upgrade.node_status
'''

EXAMPLES = r'''
- name: Read the installed CockroachDB version
  distsql.upgrade.version_probe:
    engine: cockroachdb
  register: installed

- name: Plan the upgrade to a staged binary, knowing the cluster version
  distsql.upgrade.version_probe:
    engine: cockroachdb
    target_binary: /opt/cockroach-v24.3.5.linux-amd64/cockroach
    cluster_version: "{{ cluster_version }}"
  register: probe

- name: Stop when the plan refuses
  ansible.builtin.assert:
    that: probe.upgrade.allowed
    fail_msg: "{{ probe.upgrade.reason }}"

- name: Read the KWDB version a container runs
  distsql.upgrade.version_probe:
    engine: kwdb
    binary: /kaiwudb/bin/kwbase
    container: kaiwudb-container

- name: Plan a Databend query upgrade against the installed meta service
  distsql.upgrade.version_probe:
    engine: databend_query
    target_binary: /opt/databend-v1.2.770/bin/databend-query
    peer_binary: /usr/bin/databend-meta
'''

RETURN = r'''
version:
  description: The version exactly as the binary prints it.
  returned: always
  type: str
  sample: v24.1.3
parsed:
  description: The version's parts.
  returned: always
  type: dict
  sample: {major: 24, minor: 1, patch: 3, fourth: null, prerelease: null, build: null, series: "24.1", raw: v24.1.3}
details:
  description: Everything the version command printed, by field (build time, commit, platform, ...).
  returned: always
  type: dict
min_compatible:
  description: Databend only. The oldest peer version this binary works with.
  returned: when O(engine) is a Databend component
  type: dict
  sample: {metasrv: 1.2.258}
target:
  description: The target's version, parsed, and (when read from O(target_binary)) its details.
  returned: when a target is given
  type: dict
upgrade:
  description: The upgrade plan from the installed version to the target.
  returned: when a target is given
  type: dict
  contains:
    allowed:
      description: Whether the vendor's rules allow the move.
      type: bool
    kind:
      description: >-
        V(none), V(patch), V(major), V(multi_major), V(rollback), V(patch_rollback), V(downgrade) for CockroachDB;
        V(none), V(patch), V(minor), V(major), V(downgrade), V(export_import), V(extended) for KWDB; V(none),
        V(upgrade), V(downgrade), V(incompatible) for Databend.
      type: str
    hops:
      description: Versions to go through in order, ending with the target; intermediate CockroachDB hops are series.
      type: list
      elements: str
    reason:
      description: Why the plan is what it is, naming both versions.
      type: str
    warnings:
      description: Things the operator must know (release notes of skipped majors, finalization, tenant rules).
      type: list
      elements: str
  sample:
    allowed: true
    kind: multi_major
    hops: [v23.2, v24.1, v24.3.5]
    reason: "v23.1.8 -> v24.3.5 needs 3 major upgrades, each finalized before the next"
    warnings: []
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.runner import container_exec_runner, image_run_runner, timed_runner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type='str', required=True, choices=['cockroachdb', 'kwdb', 'databend_query', 'databend_meta']),
            binary=dict(type='path'),
            target_binary=dict(type='path'),
            target_version=dict(type='str'),
            cluster_version=dict(type='str'),
            allow_prerelease=dict(type='bool', default=False),
            extended_version=dict(type='str'),
            target_extended_version=dict(type='str'),
            bypass_version_check=dict(type='bool', default=False),
            peer_binary=dict(type='path'),
            peer_target_binary=dict(type='path'),
            command_timeout=dict(type='int', default=30),
            container=dict(type='str'),
            image=dict(type='str'),
            docker=dict(type='str', default='docker'),
        ),
        mutually_exclusive=[('target_binary', 'target_version'), ('container', 'image')],
        supports_check_mode=True,
    )
    params = module.params
    try:
        engine = get_engine(params['engine'])
        run = timed_runner(module.run_command, params['command_timeout'])
        if params['container'] or params['image']:
            docker = module.get_bin_path(params['docker'], required=True)
            run = (container_exec_runner(run, docker, params['container']) if params['container']
                   else image_run_runner(run, docker, params['image']))
        result = engine.probe(run, params)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
