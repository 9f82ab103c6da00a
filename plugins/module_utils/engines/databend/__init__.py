# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend: two engine objects, QUERY (databend-query) and META (databend-meta), and their capabilities.

versions.py   the version grammar and order both components share (SCHEME)
compat.py     the two-way query/meta compatibility and the meta-to-meta peer table
upgrades.py   waypoints and the rolling order of an upgrade of both components (plan_databend)
outputs.py    `--cmd ver` and `-V` reports
status.py     `databend-metactl status`, /v1/cluster/status and /v1/health
admin_api.py  GET on the meta and query admin HTTP APIs (open_url), the HTTP options the modules share
meta_cluster.py  the meta raft cluster from every node's /v1/cluster/status: leader, voters, quorum, catch-up
leader.py     moving meta leadership away from a node (/v1/ctrl/trigger_transfer_leader by version)
query_node.py a started query node: /v1/health, registration in /v1/cluster/list by address, handshake log lines
known_versions.py  the min-compatible versions Databend publishes per release (a plan before any binary is staged)
deployment.py the plan of a run over both components: hops per component, hosts in order (meta leader last)

Both components answer ``--cmd ver``; they differ in what they require of each other. Compatibility is two-way,
so a plan always needs the other component (the peer) as well. A new capability is a new module here, listed in
CAPABILITIES below.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import run_checked
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.base import Engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import compat, outputs, status, upgrades, versions
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import admin_api, leader, meta_cluster, query_node
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


class DatabendComponent(Engine):
    """What databend-query and databend-meta have in common."""

    peer_engine = None          # registry name of the other component
    min_compatible_key = None   # the --cmd ver field naming the oldest peer version this component accepts
    version_scheme = versions.SCHEME

    def version_argv(self, binary):
        return [binary, '--cmd', 'ver']

    def read_version(self, run, binary):
        stdout, _stderr = run_checked(run, self.version_argv(binary))
        details = outputs.parse_databend_ver(stdout)
        return details['version'], details

    def min_compatible(self, details):
        """{'metasrv': ...} for the query, {'client': ...} for the meta: the oldest peer version it works with."""
        return {self.min_compatible_key.split('_')[2]: details[self.min_compatible_key]}

    def peer(self):
        """The engine object of the other component."""
        return COMPONENTS[self.peer_engine]

    def version_facts(self, details):
        return {'min_compatible': self.min_compatible(details)}

    def target_from_version(self, version):
        raise DistsqlError('target_version is not enough for Databend: compatibility depends on the target '
                           "binary's min-compatible versions, so give target_binary")

    def read_peer(self, run, params):
        """The other component's current (and target) --cmd ver output, from peer_binary (and peer_target_binary)."""
        if not params.get('peer_binary'):
            return None
        peer_engine = self.peer()
        peer = {'current': peer_engine.read_version(run, params['peer_binary'])[1]}
        if params.get('peer_target_binary'):
            peer['target'] = peer_engine.read_version(run, params['peer_target_binary'])[1]
        return peer

    def plan_upgrade(self, current, target, params):
        peer = params.get('peer')
        if peer is None:
            raise DistsqlError('a Databend upgrade plan needs both components: set peer_binary to the installed %s '
                               'binary (and peer_target_binary if it is upgraded too)' % self.peer_engine.replace('_', '-'))
        return self.plan_with_peer(current['details'], target['details'], peer['current'], peer.get('target'))

    def plan_with_peer(self, current, target, peer_current, peer_target):
        """plan_upgrade() once both components' version info is known."""
        raise NotImplementedError


class DatabendQuery(DatabendComponent):
    name = 'databend_query'
    default_binary = '/usr/bin/databend-query'
    peer_engine = 'databend_meta'
    min_compatible_key = 'min_compatible_metasrv_version'

    def plan_with_peer(self, current, target, peer_current, peer_target):
        return upgrades.plan_databend(current, peer_current, target, peer_target)


class DatabendMeta(DatabendComponent):
    name = 'databend_meta'
    default_binary = '/usr/bin/databend-meta'
    peer_engine = 'databend_query'
    min_compatible_key = 'min_compatible_client_version'

    def plan_with_peer(self, current, target, peer_current, peer_target):
        return upgrades.plan_databend(peer_current, current, peer_target, target)


CAPABILITIES = dict(
    admin_api=admin_api,
    compat=compat,
    leader=leader,
    meta_cluster=meta_cluster,
    outputs=outputs,
    query_node=query_node,
    status=status,
    upgrades=upgrades,
    versions=versions,
)
QUERY = DatabendQuery(**CAPABILITIES)
META = DatabendMeta(**CAPABILITIES)
COMPONENTS = {QUERY.name: QUERY, META.name: META}
