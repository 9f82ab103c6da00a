# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One adapter per engine: how to call its CLI, how to read the output, which version rules apply.

Modules talk only to adapters, so engine quirks (binary paths, internal schema names, output
variants) stay here. ``run`` is any callable taking an argv list and returning (rc, stdout, stderr),
normally ``AnsibleModule.run_command``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError, OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.node_status import parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular
from ansible_collections.distsql.upgrade.plugins.module_utils import upgrade_paths, version_output

RANGE_HEALTH_SQL = (
    "SELECT node_id, sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable, "
    "sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated "
    "FROM {schema}.kv_store_status GROUP BY node_id ORDER BY node_id"
)


class Connection:
    """How a client CLI reaches the cluster."""

    def __init__(self, host=None, url=None, insecure=False, certs_dir=None, user='root'):
        self.host = host
        self.url = url
        self.insecure = insecure
        self.certs_dir = certs_dir
        self.user = user

    @classmethod
    def from_params(cls, params):
        if params.get('insecure') and params.get('certs_dir'):
            raise DistsqlError('insecure=true and certs_dir=%s contradict each other: a cluster is either insecure or '
                               'uses certificates' % params['certs_dir'])
        return cls(host=params.get('host'), url=params.get('url'), insecure=params.get('insecure', False),
                   certs_dir=params.get('certs_dir'), user=params.get('user') or 'root')

    def argv(self):
        if self.url:
            return ['--url=%s' % self.url]
        args = ['--host=%s' % self.host]
        if self.insecure:
            args.append('--insecure')
        elif self.certs_dir:
            args.append('--certs-dir=%s' % self.certs_dir)
        if self.user and self.user != 'root':
            args.append('--user=%s' % self.user)
        return args


def require_executable(path, what):
    """Fail before running anything when a binary is missing: a clearer message than the runner's."""
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise DistsqlError('%s binary %s does not exist or is not executable' % (what, path))


def run_checked(run, argv):
    """Run argv; a non-zero exit becomes CommandError carrying the output."""
    require_executable(argv[0], os.path.basename(argv[0]))
    rc, stdout, stderr = run(argv)
    if rc != 0:
        raise CommandError(argv, rc, stdout, stderr)
    return stdout, stderr


class SqlEngineAdapter:
    """Shared by CockroachDB and its fork KWDB: same client CLI shape, different names."""

    engine = None
    default_binary = None
    internal_schema = None
    version_engine = None

    def version_argv(self, binary):
        return [binary, 'version']

    def read_version(self, run, binary):
        stdout, _stderr = run_checked(run, self.version_argv(binary))
        details = self.parse_version_output(stdout)
        return details['build_tag'], details

    def parse_version_output(self, text):
        raise NotImplementedError

    def node_status(self, run, binary, connection):
        argv = [binary, 'node', 'status', '--all', '--format=csv'] + connection.argv()
        stdout, _stderr = run_checked(run, argv)
        return parse_node_status(stdout, 'csv', self.engine)

    def range_health(self, run, binary, connection):
        """Per-node unavailable and under-replicated range counts, from the engine's kv_store_status."""
        statement = RANGE_HEALTH_SQL.format(schema=self.internal_schema)
        argv = [binary, 'sql', '--format=csv', '-e', statement] + connection.argv()
        stdout, _stderr = run_checked(run, argv)
        return parse_range_health_rows(stdout)


class CockroachAdapter(SqlEngineAdapter):
    engine = 'cockroachdb'
    default_binary = '/usr/local/bin/cockroach'
    internal_schema = 'crdb_internal'

    def parse_version_output(self, text):
        return version_output.parse_cockroach_version(text)

    def plan_upgrade(self, current, target, params):
        return upgrade_paths.plan_cockroachdb(current['version'], target['version'],
                                              cluster_version=params.get('cluster_version'),
                                              allow_prerelease=params.get('allow_prerelease', False))


class KwdbAdapter(SqlEngineAdapter):
    engine = 'kwdb'
    default_binary = '/usr/local/kaiwudb/bin/kwbase'
    internal_schema = 'kwdb_internal'

    def parse_version_output(self, text):
        return version_output.parse_kwbase_version(text)

    def plan_upgrade(self, current, target, params):
        return upgrade_paths.plan_kwdb(current['version'], target['version'],
                                       current_extended=params.get('extended_version'),
                                       target_extended=params.get('target_extended_version'),
                                       bypass_version_check=params.get('bypass_version_check', False))


class DatabendAdapter:
    """databend-query and databend-meta both answer ``--cmd ver``; they differ in what they require.

    Compatibility is two-way, so a plan always needs the other component (the peer) as well.
    """

    engine = None
    default_binary = None
    peer_engine = None
    min_compatible_key = None

    def version_argv(self, binary):
        return [binary, '--cmd', 'ver']

    def read_version(self, run, binary):
        stdout, _stderr = run_checked(run, self.version_argv(binary))
        details = version_output.parse_databend_ver(stdout)
        return details['version'], details

    def min_compatible(self, details):
        return {self.min_compatible_key.split('_')[2]: details[self.min_compatible_key]}

    def plan_upgrade(self, current, target, params):
        peer = params.get('peer')
        if peer is None:
            raise DistsqlError('a Databend upgrade plan needs both components: set peer_binary to the installed %s '
                               'binary (and peer_target_binary if it is upgraded too)' % self.peer_engine.replace('_', '-'))
        return self.plan_with_peer(current['details'], target['details'], peer['current'], peer.get('target'))


class DatabendQueryAdapter(DatabendAdapter):
    engine = 'databend_query'
    default_binary = '/usr/bin/databend-query'
    peer_engine = 'databend_meta'
    min_compatible_key = 'min_compatible_metasrv_version'

    def plan_with_peer(self, current, target, peer_current, peer_target):
        return upgrade_paths.plan_databend(current, peer_current, target, peer_target)


class DatabendMetaAdapter(DatabendAdapter):
    engine = 'databend_meta'
    default_binary = '/usr/bin/databend-meta'
    peer_engine = 'databend_query'
    min_compatible_key = 'min_compatible_client_version'

    def plan_with_peer(self, current, target, peer_current, peer_target):
        return upgrade_paths.plan_databend(peer_current, current, peer_target, target)


ADAPTERS = {
    'cockroachdb': CockroachAdapter,
    'kwdb': KwdbAdapter,
    'databend_query': DatabendQueryAdapter,
    'databend_meta': DatabendMetaAdapter,
}


def get_adapter(engine):
    try:
        return ADAPTERS[engine]()
    except KeyError:
        raise DistsqlError('unknown engine %r; expected one of %s' % (engine, ', '.join(sorted(ADAPTERS))))


def parse_range_health_rows(text):
    """Rows of node_id, ranges_unavailable, ranges_underreplicated as ints (None where the sum is NULL)."""
    columns, rows = parse_tabular(text, 'csv')
    expected = ['node_id', 'ranges_unavailable', 'ranges_underreplicated']
    if columns != expected:
        raise OutputParseError('range health query result', 'expected columns %s, got %s' % (expected, columns))
    return [dict((name, _count(row[name])) for name in expected) for row in rows]


def _count(value):
    if value in ('', 'NULL'):
        return None
    try:
        return int(value)
    except ValueError:
        raise OutputParseError('range health query result', 'not an integer: %r' % value)
