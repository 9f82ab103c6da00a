# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SqlEngine: the engine base shared by CockroachDB and its fork KWDB (same client CLI shape, different names)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.cli import run_checked
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.base import Engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.node_status import parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.range_health import (
    parse_range_health_rows, range_health_sql)


class SqlEngine(Engine):
    """A CockroachDB-family engine. Subclasses set ``internal_schema`` and implement parse_version_output()."""

    internal_schema = None

    def connection(self, params):
        """The Connection the module's connection options describe (host or url, TLS, user)."""
        return Connection.from_params(params)

    def version_argv(self, binary):
        return [binary, 'version']

    def read_version(self, run, binary):
        stdout, _stderr = run_checked(run, self.version_argv(binary))
        details = self.parse_version_output(stdout)
        return details['build_tag'], details

    def parse_version_output(self, text):
        """The fields of the engine's `version` report; 'build_tag' is the version it prints."""
        raise NotImplementedError

    def node_status(self, run, binary, connection):
        """Every node the cluster knows, typed (cockroach_family.node_status.NODE_KEYS)."""
        argv = [binary, 'node', 'status', '--all', '--format=csv'] + connection.argv()
        stdout, _stderr = run_checked(run, argv)
        return parse_node_status(stdout, 'csv', self.name)

    def range_health(self, run, binary, connection):
        """Per-node unavailable and under-replicated range counts, from the engine's kv_store_status."""
        argv = [binary, 'sql', '--format=csv', '-e', range_health_sql(self.internal_schema)] + connection.argv()
        stdout, _stderr = run_checked(run, argv)
        return parse_range_health_rows(stdout)
