# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CockroachDB: the engine object ENGINE and its capabilities, one module each.

versions.py   the version grammar and order (SCHEME)
upgrades.py   the release calendar and upgrade-path rules (plan_cockroachdb)
outputs.py    `cockroach version` in every variant
critical_nodes.py  POST /_status/critical_nodes: whether a node may be stopped now (v23.1+)
web_session.py  `auth-session login`: the session cookie the status API of a secure cluster asks for
backup.py     BACKUP INTO / SHOW BACKUPS IN through `cockroach sql`
drain.py      `node drain` with --drain-wait sized from the shutdown settings, re-run after a drain timeout
settings.py   SHOW / SET / RESET CLUSTER SETTING and value comparison (durations, booleans)
jobs.py       SHOW JOBS in the column sets of 23.1/23.2, 24.1-25.2 and 25.3+
finalization.py  the finalization state, its hold (auto_upgrade.enabled / preserve_downgrade_option), finalize

What KWDB shares (connection flags, node status, range health, drain/settings/health outputs) is in
engines/cockroach_family. A new capability is a new module here, listed in the ENGINE call below.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.engine import SqlEngine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import backup, critical_nodes, outputs, upgrades, versions
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import drain, finalization, jobs, settings, web_session


class CockroachDB(SqlEngine):
    name = 'cockroachdb'
    default_binary = '/usr/local/bin/cockroach'
    internal_schema = 'crdb_internal'
    version_scheme = versions.SCHEME

    def parse_version_output(self, text):
        return outputs.parse_cockroach_version(text)

    def plan_upgrade(self, current, target, params):
        return upgrades.plan_cockroachdb(current['version'], target['version'],
                                         cluster_version=params.get('cluster_version'),
                                         allow_prerelease=params.get('allow_prerelease', False))


ENGINE = CockroachDB(
    backup=backup,
    critical_nodes=critical_nodes,
    drain=drain,
    finalization=finalization,
    jobs=jobs,
    outputs=outputs,
    settings=settings,
    upgrades=upgrades,
    versions=versions,
    web_session=web_session,
)
