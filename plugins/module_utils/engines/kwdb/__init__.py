# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KWDB/KaiwuDB, the CockroachDB fork: the engine object ENGINE and its capabilities, one module each.

versions.py   the version grammar and order (SCHEME)
upgrades.py   the upgrade rules of deploy.sh and the export/import generations (plan_kwdb)
outputs.py    `kwbase version` (KaiwuDB and KWDB builds)
deploy.py     `deploy.sh upgrade -l` and its outcome, the deploy mode (bare metal or container) of a node and a package
node_upgrade.py  `kwbase node upgrade <id>` (the UPGRADING mark) and how a marked node shows in `kwbase node status`
start_args.py the KAIWUDB_START_ARG line of kaiwudb_env (--upgrade-complete in and out)
ranges.py     leaseholder and replica spread per node from kwdb_internal.ranges
packages.py   release packages staged under releases_dir (verified unpacking) and the installed info/.version
drain.py      `kwbase node drain` (v20.1: no --self, no node id, three sizing settings)

What it shares with CockroachDB is in engines/cockroach_family; SHOW JOBS is registered from there (jobs.py), and
CockroachDB's cluster settings (SHOW / SET / RESET CLUSTER SETTING, v20.1 has the same statements). A new
capability is a new module here, listed in the ENGINE call below.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family import jobs
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.engine import SqlEngine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import settings
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import deploy, drain, node_upgrade, ranges, start_args
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import outputs, packages, upgrades, versions


class Kwdb(SqlEngine):
    name = 'kwdb'
    default_binary = '/usr/local/kaiwudb/bin/kwbase'
    keeps_previous_release = False
    client_impact = {
        'multi_replica': ('none expected through a load balancer or multi-node connection strings; a client connected '
                          'to the node being upgraded has its writes refused while the node is marked UPGRADING '
                          '(reads continue) and its connection closed by the drain'),
    }
    internal_schema = 'kwdb_internal'
    version_scheme = versions.SCHEME

    def parse_version_output(self, text):
        return outputs.parse_kwbase_version(text)

    def plan_upgrade(self, current, target, params):
        return upgrades.plan_kwdb(current['version'], target['version'],
                                  current_extended=params.get('extended_version'),
                                  target_extended=params.get('target_extended_version'),
                                  bypass_version_check=params.get('bypass_version_check', False))


ENGINE = Kwdb(
    deploy=deploy,
    drain=drain,
    jobs=jobs,
    node_upgrade=node_upgrade,
    outputs=outputs,
    packages=packages,
    ranges=ranges,
    settings=settings,
    start_args=start_args,
    upgrades=upgrades,
    versions=versions,
)
