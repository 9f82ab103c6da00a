#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: upgrade_plan
short_description: Plan an upgrade or rollback run from what every node reported and the release sources
version_added: 0.1.0
description:
  - The planner of the collection's playbooks; runs on the controller (C(delegate_to=localhost)), reads no network
    and runs no command.
  - Takes each node's version from the cluster's view (O(cluster_nodes), the build a live node runs) or, for a node
    that is not live, from its binary on disk (O(nodes[].installed_version)), and plans from the lowest of them
    (the highest for O(direction=rollback)) to O(target_version) by the engine's upgrade rules.
  - Resolves every intermediate hop the rules name by series (CockroachDB C(v23.2)) to an exact release, names the
    source of every release some node has neither staged nor installed (each verifiable by a sha256 or a checksum
    URL), and says how finalization ends and what clients will see.
  - Nodes on several versions that are all steps of the plan are an interrupted run of it (RV(resuming)); other
    mixes are refused.
  - A refusal fails the task with the reason as message and the plan's keys (RV(allowed) false) in the result.
    Messages name the playbooks' variables (C(distsql_releases), C(distsql_hop_versions), ...).
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
options:
  engine:
    description:
      - Which database the nodes run; engines whose upgrade rules need only version strings.
    type: str
    required: true
    choices: [cockroachdb, kwdb]
  target_version:
    description:
      - The version to end the run on, for example C(v24.1.4).
    type: str
    required: true
  flow:
    description:
      - How the nodes are restarted, for RV(client_impact). V(multi_replica) rolls one node at a time,
        V(single_replica) stops every node of a cluster without replicas, V(standalone) is one node.
    type: str
    required: true
    choices: [multi_replica, single_replica, standalone]
  direction:
    description:
      - V(upgrade) for the upgrade playbooks (a rollback plan is refused), V(rollback) for C(rollback.yml)
        (an upgrade plan is refused).
    type: str
    default: upgrade
    choices: [upgrade, rollback]
  nodes:
    description:
      - What each node reported, in play order (the C(distsql_node_state) of every host).
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description:
          - The node's host name, matched against the host part of the C(address) and C(sql_address) of the
            O(cluster_nodes).
        type: str
        required: true
      address:
        description:
          - How the cluster names the node (C(distsql_node_address)), matched instead of O(nodes[].host) when given.
        type: str
      service_active:
        description:
          - The database service runs on the node.
        type: bool
        required: true
      service_state:
        description:
          - The unit's state as systemd reports it (informational).
        type: str
      installed_version:
        description:
          - The version the binary on disk prints.
        type: str
        required: true
      active_release:
        description:
          - The staged release the binary link points to (informational).
        type: str
      previous_release:
        description:
          - The release active before the last switch (informational).
        type: str
      staged_releases:
        description:
          - Every release staged on the node; a hop version staged (or installed) on every node needs no source.
        type: list
        elements: str
        default: []
      staged_sha256:
        description:
          - The sha256 of the archive each staged release came from, where the node records it (KWDB's staged
            packages). A staged copy whose sha256 differs from the one the configured source names (a bad package
            being replaced) does not count as staged, so the plan sources that version again.
        type: dict
        default: {}
      free_bytes:
        description:
          - Free bytes of the releases directory's filesystem (informational; the release module checks the space).
        type: int
      binary_present:
        description:
          - The binary is on disk (informational; KWDB after a failed package swap has none).
        type: bool
      installed_extended:
        description:
          - KWDB's extended version tag of the installed release (line 2 of C(.version); informational).
        type: str
      packages:
        description:
          - KWDB's staged packages, version to package directory (informational).
        type: dict
  cluster_nodes:
    description:
      - The cluster's nodes, the C(nodes) that M(distsql.upgrade.node_status) returns (id, address, sql_address,
        build, is_live, membership, ...).
    type: list
    elements: dict
    default: []
  cluster_version:
    description:
      - The cluster version (CockroachDB C(SHOW CLUSTER SETTING version)); needed for a rollback, and it refuses a
        new major while the last one is not finalized.
    type: str
  releases:
    description:
      - Known releases (C(distsql_releases)). An entry with a O(releases[].url) is the source of its version; every
        entry names a release of its series for resolving a series hop.
    type: list
    elements: dict
    default: []
    suboptions:
      version:
        description:
          - The release's exact version.
        type: str
        required: true
      url:
        description:
          - Where to download its archive.
        type: str
      sha256:
        description:
          - The archive's sha256 (64 hexadecimal digits, optionally prefixed by C(sha256:)).
        type: str
      checksum_url:
        description:
          - URL of a checksum file for the archive (as C(checksum) of M(ansible.builtin.get_url) takes it).
        type: str
      binary:
        description:
          - Instead of O(releases[].url), the absolute path of a binary the operator built; it is verified by the
            version it reports (and O(releases[].sha256) when given) when it is staged, and planned again until
            every node runs it (a rebuild of the same version replaces a staged one).
        type: str
      binary_on:
        description:
          - Where O(releases[].binary) is, on the controller (copied to each node) or on each node.
        type: str
        choices: [controller, node]
        default: controller
  release_url_template:
    description:
      - Download URL of any release, with C({version}) replaced by the version
        (C(https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz)) and C({release}) by the version
        without its leading v or V (KWDB's C(.../download/{version}/KWDB-{release}-ubuntu22.04-x86_64-debs.tar.gz)). Needs
        O(release_checksum_url_template) or, for the target only, O(release_sha256).
    type: str
  release_checksum_url_template:
    description:
      - Checksum URL of any release, with C({version}) and C({release}) replaced as in O(release_url_template)
        (C(https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz.sha256sum)).
    type: str
  release_src:
    description:
      - The target's archive as a file on the controller; needs O(release_sha256).
    type: str
  release_sha256:
    description:
      - The sha256 of the target's archive (O(release_src), or the download from O(release_url_template)).
    type: str
  hop_versions:
    description:
      - The exact release to use for a series hop, by series, for example C(23.2) mapped to C(v23.2.9); keys are
        written C(23.2) or C(v23.2).
      - Without an entry a series hop is the version of that series a node already runs, else the highest release
        of the series in O(releases) that is not a pre-release.
    type: dict
    default: {}
  allow_prerelease:
    description:
      - Accept alpha, beta and rc versions as current or target versions, and as O(hop_versions) values.
    type: bool
    default: false
  inputs_only:
    description:
      - Only check that the inputs are well formed (O(target_version), O(releases), O(hop_versions), the release
        source rules), without planning; O(nodes) may then be empty. The playbooks run this first, on the controller,
        so that a malformed version is refused before any host is contacted.
    type: bool
    default: false
  hold_finalization:
    description:
      - Keep the finalization of the last major hop held at the end of the run (run C(finalize.yml) later, or
        C(rollback.yml) to go back). Intermediate majors are always finalized before the next hop.
    type: bool
    default: true
notes:
  - The version strings C(target_version), C(installed_version), C(cluster_nodes[].build), C(releases[].version) and
    the values of O(hop_versions) follow the engine's version grammar; a string that does not is refused with the
    engine's parse message.
seealso:
  - module: distsql.upgrade.version_probe
  - module: distsql.upgrade.node_status
  - module: distsql.upgrade.release
'''

EXAMPLES = r'''
- name: Plan the run from what every node reported
  distsql.upgrade.upgrade_plan:
    engine: cockroachdb
    target_version: v24.1.4
    flow: multi_replica
    nodes: "{{ ansible_play_hosts_all | map('extract', hostvars, 'distsql_node_state') | list }}"
    cluster_nodes: "{{ cluster.nodes }}"
    cluster_version: "23.1"
    releases:
      - version: v23.2.9
        url: https://binaries.cockroachdb.com/cockroach-v23.2.9.linux-amd64.tgz
        checksum_url: https://binaries.cockroachdb.com/cockroach-v23.2.9.linux-amd64.tgz.sha256sum
    release_url_template: https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz
    release_checksum_url_template: https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz.sha256sum
  register: plan
  run_once: true
  delegate_to: localhost

- name: Show it
  ansible.builtin.debug:
    msg: "{{ plan.hops | map(attribute='version') | join(' -> ') }}; finalization {{ plan.finalization }}"
'''

RETURN = r'''
allowed:
  description: The run may go ahead (always true in a successful result; false in a refusal's failed result).
  returned: always
  type: bool
  sample: true
kind:
  description: The engine's plan kind (CockroachDB V(none), V(patch), V(major), V(multi_major), V(rollback),
    V(patch_rollback), V(downgrade)); C(null) when the refusal came before the plan.
  returned: always
  type: str
  sample: multi_major
reason:
  description: What the plan is, or why it is refused.
  returned: always
  type: str
  sample: multi-major upgrade from v23.1.28 to v24.1.4
notes:
  description: What the operator must know (release notes of skipped majors, nodes not live, a resumed run).
  returned: always
  type: list
  elements: str
from_version:
  description: The version the plan starts from (the lowest node version; the highest for a rollback).
  returned: always
  type: str
  sample: v23.1.28
target_version:
  description: O(target_version) as the engine writes its tag.
  returned: always
  type: str
  sample: v24.1.4
nodes:
  description: Each node of O(nodes), in the given order, with the version it runs.
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: O(nodes[].host).
      type: str
    version:
      description: The cluster's build for a live node, else the node's installed version.
      type: str
    service_active:
      description: O(nodes[].service_active).
      type: bool
  sample: [{host: node1, version: v23.1.28, service_active: true}]
resuming:
  description: The nodes run several versions, all steps of this plan (an interrupted run of it).
  returned: always
  type: bool
  sample: false
hops:
  description: The versions to roll the nodes to, in order, each an exact release.
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: Position, from 0.
      type: int
    version:
      description: The exact release of the hop.
      type: str
    from_version:
      description: The version before the hop (RV(from_version), or the previous hop's).
      type: str
    series:
      description: The hop version's series (C(MAJOR.MINOR)).
      type: str
    hosts:
      description: The hosts the hop upgrades, in the order it upgrades them (every node, in play order).
      type: list
      elements: str
    kind:
      description: V(patch) and V(patch_rollback) stay in the series (C(MAJOR.MINOR)), V(major) and V(rollback) change
        it (up or down).
      type: str
    finalization_needed:
      description: The hop changes the major version and the engine's rules require finalizing it.
      type: bool
    hold:
      description: The finalization stays held after this hop (the last hop, with O(hold_finalization)).
      type: bool
    finalize_after:
      description: An intermediate major hop, finalized before the next hop.
      type: bool
  sample:
    - {index: 0, version: v23.2.9, from_version: v23.1.28, series: "23.2", kind: major, finalization_needed: true,
       hold: false, finalize_after: true}
    - {index: 1, version: v24.1.4, from_version: v23.2.9, series: "24.1", kind: major, finalization_needed: true,
       hold: true, finalize_after: false}
sources:
  description: Where each hop version that some node has neither staged nor installed comes from; keys not set are
    C(null). A download has C(url) and C(sha256) or C(checksum_url); a controller file has C(src) and C(sha256).
  returned: always
  type: list
  elements: dict
  sample:
    - {version: v24.1.4, url: "https://binaries.cockroachdb.com/cockroach-v24.1.4.linux-amd64.tgz", src: null,
       sha256: null, checksum_url: "https://binaries.cockroachdb.com/cockroach-v24.1.4.linux-amd64.tgz.sha256sum"}
finalization_needed:
  description: Any hop needs finalization.
  returned: always
  type: bool
  sample: true
finalization:
  description: One line on how the run ends with respect to finalization.
  returned: always
  type: str
  sample: "each intermediate major is finalized before the next hop; the last (24.1) stays held: run finalize.yml,
    or rollback.yml to go back"
client_impact:
  description: One line on what clients see during the run, by O(flow).
  returned: always
  type: str
  sample: "an outage from the stop until the node is ready again"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_plan import (
    DIRECTIONS, FLOWS, RELEASE_OPTIONS, exit_with_plan, plan_run, version_planned_engines)

NODE_OPTIONS = dict(
    host=dict(type='str', required=True),
    address=dict(type='str'),
    service_active=dict(type='bool', required=True),
    service_state=dict(type='str'),
    installed_version=dict(type='str', required=True),
    active_release=dict(type='str'),
    previous_release=dict(type='str'),
    staged_releases=dict(type='list', elements='str', default=[]),
    staged_sha256=dict(type='dict', default={}),
    free_bytes=dict(type='int'),
    binary_present=dict(type='bool'),
    installed_extended=dict(type='str'),
    packages=dict(type='dict'),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type='str', required=True, choices=list(version_planned_engines())),
            target_version=dict(type='str', required=True),
            flow=dict(type='str', required=True, choices=list(FLOWS)),
            direction=dict(type='str', default='upgrade', choices=list(DIRECTIONS)),
            nodes=dict(type='list', elements='dict', required=True, options=NODE_OPTIONS),
            cluster_nodes=dict(type='list', elements='dict', default=[]),
            cluster_version=dict(type='str'),
            releases=dict(type='list', elements='dict', default=[], options=RELEASE_OPTIONS),
            release_url_template=dict(type='str'),
            release_checksum_url_template=dict(type='str'),
            release_src=dict(type='str'),
            release_sha256=dict(type='str'),
            hop_versions=dict(type='dict', default={}),
            allow_prerelease=dict(type='bool', default=False),
            hold_finalization=dict(type='bool', default=True),
            inputs_only=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    try:
        plan = plan_run(get_engine(module.params['engine']), module.params)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    exit_with_plan(module, plan)


if __name__ == '__main__':
    main()
