#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: databend_plan
short_description: Plan a Databend run, the order of query and meta chosen by the two-way compatibility rule
version_added: 0.1.0
description:
  - The Databend planner of the collection's playbooks; runs on the controller (C(delegate_to=localhost)), reads no
    network and runs no command. Its result has the keys of M(distsql.upgrade.upgrade_plan) plus Databend's own.
  - Takes each component's version from what its nodes' binaries print (C(--cmd ver)) and the target's
    min-compatible versions from the table Databend publishes per release, then checks the rule (query version
    at least meta's min-compatible-client-version and meta version at least query's min-compatible-metasrv-version)
    for every mixed state of both orders, query first and meta first, and takes the first order that keeps every
    state compatible. Waypoints (query 1.2.307 and 1.2.311, a V003-capable meta for V002 data) become hops.
  - Refuses, naming the pair and the side of the rule that fails, when no order works; refuses a rolling run that
    would mix raft peers that cannot work together or query nodes on both sides of 1.2.709 (the fuse path change).
  - Each hop names its component and its hosts in the order they are upgraded; for meta, the raft leader
    (O(leader_host)) comes last.
  - The full-stop flows (V(single_replica), V(standalone)) mix no two versions of a component, so neither the raft
    peer table nor 1.2.709 limits them; only the query/meta pair that runs between two steps must fit the rule. A
    step moves the components whose path passes its version (the other one too, when the pair needs it), and its
    hop (component C(meta+query), C(meta) or C(query)) covers every host when meta moves, else the query hosts.
author:
  - distsql.upgrade team (@distsql)
extends_documentation_fragment:
  - distsql.upgrade.attributes.read_only
options:
  target_version:
    description:
      - The release to end the run on, as Databend prints it (C(1.2.770-nightly)); both components come from its
        tarball, or from the directory of binaries built for it (O(releases[].binary)).
    type: str
    required: true
  components:
    description:
      - The components to upgrade; the other stays on its version and the rule is checked against it.
    type: list
    elements: str
    choices: [meta, query]
    default: [meta, query]
  flow:
    description:
      - How the nodes are restarted. V(multi_replica) rolls one node at a time in the order the rule allows;
        V(single_replica) and V(standalone) stop every node of the moving components for each step.
    type: str
    required: true
    choices: [multi_replica, single_replica, standalone]
  nodes:
    description:
      - What each host reported, in play order (the C(__distsql_node_state) of every host).
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: The inventory host name.
        type: str
        required: true
      meta:
        description:
          - The databend-meta of the host (null when it runs none) with C(version), C(min_compatible) (its
            min-compatible-client-version), C(data_version), C(service_active) and C(staged_releases).
        type: dict
      query:
        description:
          - The databend-query of the host (null when it runs none) with C(version), C(min_compatible) (its
            min-compatible-metasrv-version), C(service_active) and C(staged_releases).
        type: dict
  leader_host:
    description:
      - The host of the meta raft leader; it is upgraded last among the meta nodes.
    type: str
  releases:
    description:
      - Known releases, each with C(version) and either C(url) and C(sha256) or C(checksum_url) (a tarball), or
        C(binary) (binaries the operator built).
    type: list
    elements: dict
    default: []
    suboptions:
      version:
        description: The release, as Databend prints it.
        type: str
        required: true
      url:
        description: Where its tarball is.
        type: str
      sha256:
        description:
          - The tarball's sha256. An entry with O(releases[].binary) is refused with it, a directory has none.
        type: str
      checksum_url:
        description: The URL of its C(.sha256sum) file.
        type: str
      binary:
        description:
          - Instead of O(releases[].url), the absolute path of a directory holding the built C(databend-meta) and
            C(databend-query) (cargo's C(target/release), or the C(bin/) of an unpacked tarball). Each component a
            host upgrades stages its own binary from it, refused unless it reports O(releases[].version).
          - The source is planned again until every node of its hops runs the version (a rebuild of the same
            version replaces a staged one that does not run).
          - Refused for a version past 1.2.879, whose min-compatible versions the plan cannot know.
        type: str
      binary_on:
        description:
          - Where O(releases[].binary) is, on the controller (copied to each node) or on each node.
        type: str
        choices: [controller, node]
        default: controller
  hop_versions:
    description:
      - 'The exact release of a waypoint, keyed by the waypoint (C({"1.2.307": "1.2.307-nightly"})). Without one, a
        waypoint is the newest of its builds that a node runs or has staged, else the newest in O(releases); the
        run is refused when none is known.'
    type: dict
    default: {}
  release_url_template:
    description:
      - Download URL of any release with C({version}) replaced by the version. Databend's GitHub layout is
        C(https://github.com/databendlabs/databend/releases/download/v{version}/) followed by
        C(databend-v{version}-x86_64-unknown-linux-gnu.tar.gz).
    type: str
  release_checksum_url_template:
    description:
      - Checksum URL of any release, with C({version}) replaced as in O(release_url_template).
    type: str
  release_src:
    description:
      - The target's tarball as a file on the controller; needs O(release_sha256).
    type: str
  release_sha256:
    description:
      - The sha256 of the target's tarball.
    type: str
  inputs_only:
    description:
      - Only check that O(target_version) and the release sources are well formed; the playbooks run this first,
        before any host is contacted.
    type: bool
    default: false
seealso:
  - module: distsql.upgrade.upgrade_plan
  - module: distsql.upgrade.databend_meta_status
'''

EXAMPLES = r'''
- name: Plan the Databend run
  distsql.upgrade.databend_plan:
    target_version: 1.2.770-nightly
    flow: multi_replica
    nodes: "{{ ansible_play_hosts_all | map('extract', hostvars, '__distsql_node_state') | list }}"
    leader_host: meta1
    release_url_template: "{{ databend_download }}/v{version}/databend-v{version}-x86_64-unknown-linux-gnu.tar.gz"
    release_checksum_url_template: "{{ databend_download }}/v{version}/databend-v{version}-x86_64-unknown-linux-gnu.tar.gz.sha256sum"
  vars:
    databend_download: https://github.com/databendlabs/databend/releases/download
  register: plan
  run_once: true
  delegate_to: localhost

- name: Plan a run to binaries built from source (cargo build --release on the controller)
  distsql.upgrade.databend_plan:
    target_version: 1.2.828-nightly
    flow: standalone
    nodes: "{{ ansible_play_hosts_all | map('extract', hostvars, '__distsql_node_state') | list }}"
    releases:
      - version: 1.2.828-nightly
        binary: /srv/build/databend/target/release
  register: plan
  run_once: true
  delegate_to: localhost
'''

RETURN = r'''
allowed:
  description: Whether the run may go ahead.
  returned: always
  type: bool
reason:
  description: Why, in one line (the refusal when not allowed).
  returned: always
  type: str
order:
  description: V(meta_first) or V(query_first), the rolling order that keeps every mixed state compatible;
    V(offline) for the full-stop flows.
  returned: always
  type: str
  sample: meta_first
states:
  description: Every query/meta pair the run passes through, with the rule's verdict.
  returned: always
  type: list
  elements: dict
  sample:
    - {query: 1.2.710-nightly, meta: 1.2.600-nightly, compatible: true, reason: query 1.2.710-nightly and meta 1.2.600-nightly are compatible}
hops:
  description: The hops in run order, each with C(index), C(component), C(version), C(from_version) and C(hosts)
    (in upgrade order, the meta leader last); a full-stop hop also has C(components) (what it moves) and
    C(offline) true.
  returned: always
  type: list
  elements: dict
sources:
  description: Where each release some host has not staged comes from (C(version), C(url), C(src), C(sha256),
    C(checksum_url), C(binary), C(binary_on)); a directory of built binaries while some host of its hops does not
    run it.
  returned: always
  type: list
  elements: dict
predicted:
  description: For each hop version, the min-compatible versions the plan was decided on (Databend's published
    table) (C(query) its min-compatible-metasrv-version, C(meta) its min-compatible-client-version); each staged
    binary must print them.
  returned: always
  type: dict
  sample: {1.2.828-nightly: {query: 1.2.770, meta: 1.2.288}}
meta_peers:
  description: The old/new databend-meta pairs that share the raft cluster during the run, with the peer table's verdict.
  returned: always
  type: list
  elements: dict
query_splits:
  description: The cluster registration key change the query hop crosses (query nodes on either side form separate
    clusters), with a note.
  returned: always
  type: list
  elements: dict
notes:
  description: Warnings for the operator (waypoints, splits, a resumed run).
  returned: always
  type: list
  elements: str
resuming:
  description: The nodes of a component run two versions of this plan (an interrupted run).
  returned: always
  type: bool
client_impact:
  description: What clients see.
  returned: always
  type: str
from_version:
  description: The versions the components run now.
  returned: always
  type: str
  sample: meta 1.2.600-nightly, query 1.2.710-nightly
target_version:
  description: The target release.
  returned: always
  type: str
nodes:
  description: One line per host with what it runs.
  returned: always
  type: list
  elements: dict
finalization:
  description: Always that none is needed (Databend has no cluster version to finalize).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.deployment import plan_deployment
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError
from ansible_collections.distsql.upgrade.plugins.module_utils.release_plan import RELEASE_OPTIONS, exit_with_plan

NODE_OPTIONS = dict(
    host=dict(type='str', required=True),
    meta=dict(type='dict'),
    query=dict(type='dict'),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target_version=dict(type='str', required=True),
            components=dict(type='list', elements='str', choices=['meta', 'query'], default=['meta', 'query']),
            flow=dict(type='str', required=True, choices=['multi_replica', 'single_replica', 'standalone']),
            nodes=dict(type='list', elements='dict', default=[], options=NODE_OPTIONS),
            leader_host=dict(type='str'),
            releases=dict(type='list', elements='dict', default=[], options=RELEASE_OPTIONS),
            hop_versions=dict(type='dict', default={}),
            release_url_template=dict(type='str'),
            release_checksum_url_template=dict(type='str'),
            release_src=dict(type='str'),
            release_sha256=dict(type='str'),
            inputs_only=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    try:
        plan = plan_deployment(module.params)
    except DistsqlError as exc:
        module.fail_json(msg=str(exc))
    exit_with_plan(module, plan)


if __name__ == '__main__':
    main()
