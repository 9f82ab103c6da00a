# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`kwbase node drain`: the drain of CockroachDB v20.1, which KWDB kept.

It drains the node it connects to and takes neither a node id nor --self (both came in v21.1), nor --shutdown
(v24.2). Its --drain-wait is sized like CockroachDB's from the shutdown settings v20.1 has: drain_wait,
query_wait (counted twice) and lease_transfer_wait (connection_wait came in v22.1, jobs_wait in v24.1). The rounds,
the re-run after `drain timeout` and the errors are CockroachDB's (engines/cockroachdb/drain.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import drain as cockroach_drain
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb import settings
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

DrainFailed = cockroach_drain.DrainFailed
SIZING_SETTINGS = ('server.shutdown.drain_wait', 'server.shutdown.query_wait', 'server.shutdown.lease_transfer_wait')


def read_settings(run, binary, connection):
    """{setting name: seconds} of the sizing settings."""
    values = {}
    for name in SIZING_SETTINGS:
        printed = settings.show(run, binary, connection, name)
        seconds = settings.parse_duration(printed)
        if seconds is None:
            raise OutputParseError('SHOW CLUSTER SETTING %s' % name, 'expected a duration, got %r' % printed)
        values[name] = seconds
    return values


def plan(run, binary, connection, drain_wait=None):
    """The --drain-wait to use, as cockroachdb's drain.plan (cluster_version is not read: KWDB reports 20.1)."""
    if drain_wait is not None:
        return cockroach_drain.plan(run, binary, connection, drain_wait=drain_wait)
    values = read_settings(run, binary, connection)
    required = cockroach_drain.required_seconds(values)
    seconds = cockroach_drain.sized_drain_wait(required)
    return {'drain_wait': {'seconds': seconds, 'text': settings.format_duration(seconds)}, 'settings': values,
            'required_seconds': required, 'cluster_version': None}


def check_shutdown(_version, binary):
    raise DistsqlError('shutdown=true needs `node drain --shutdown`, which %s (KWDB) does not have; stop the service '
                       'after the drain instead' % binary)


def drain(runner, binary, connection, drain_plan, node=None, **options):
    """Drain the node ``connection`` reaches; ``node`` must be None (kwbase cannot drain another node)."""
    if node is not None:
        raise DistsqlError('kwbase node drain drains the node it connects to and takes no node id: point host at '
                           'node %s instead of giving node' % node)
    return cockroach_drain.drain(runner, binary, connection, drain_plan, self_flag=False, **options)
