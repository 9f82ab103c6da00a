# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`kwbase node drain`: sized from the three v20.1 settings, run without --self or a node id."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import drain
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

CONNECTION = Connection(host='node2:26257', insecure=True)
SHOWN = {'server.shutdown.drain_wait': '00:00:08', 'server.shutdown.query_wait': '00:00:10',
         'server.shutdown.lease_transfer_wait': '00:00:05'}


@pytest.fixture
def kwbase(tmp_path):
    path = tmp_path / 'kwbase'
    path.write_text('#!/bin/sh\n')
    path.chmod(0o755)
    return str(path)


def fake_run(calls, drain_stdout='ok\n'):
    def run(argv):
        calls.append(argv)
        if argv[1:3] == ['node', 'drain']:
            return 0, drain_stdout, 'node is draining... remaining: 0 (complete)\n'
        name = argv[argv.index('-e') + 1].split()[-1]
        return 0, '%s\n%s\n' % (name, SHOWN[name]), ''
    return run


def test_plan_sizes_the_wait_from_drain_query_and_lease_transfer_waits(kwbase):
    calls = []
    planned = drain.plan(fake_run(calls), kwbase, CONNECTION)
    assert planned['settings'] == {'server.shutdown.drain_wait': 8, 'server.shutdown.query_wait': 10,
                                   'server.shutdown.lease_transfer_wait': 5}
    assert planned['required_seconds'] == 33 and planned['drain_wait']['seconds'] == 43
    assert [call[call.index('-e') + 1] for call in calls] == [
        'SHOW CLUSTER SETTING server.shutdown.drain_wait', 'SHOW CLUSTER SETTING server.shutdown.query_wait',
        'SHOW CLUSTER SETTING server.shutdown.lease_transfer_wait']


def test_drain_names_no_node_and_no_self(kwbase):
    calls = []
    planned = drain.plan(fake_run([]), kwbase, CONNECTION, drain_wait='1m')
    result = drain.drain(lambda _seconds: fake_run(calls), kwbase, CONNECTION, planned, timeout=120)
    assert result['drained'] is True
    assert calls == [[kwbase, 'node', 'drain', '--drain-wait=1m', '--host=node2:26257', '--insecure']]


def test_another_node_or_a_shutdown_is_refused():
    with pytest.raises(DistsqlError) as caught:
        drain.drain(None, 'kwbase', CONNECTION, {}, node=3)
    assert str(caught.value) == ('kwbase node drain drains the node it connects to and takes no node id: point host '
                                 'at node 3 instead of giving node')
    with pytest.raises(DistsqlError) as caught:
        drain.check_shutdown(None, '/usr/local/kaiwudb/bin/kwbase')
    assert str(caught.value) == ('shutdown=true needs `node drain --shutdown`, which /usr/local/kaiwudb/bin/kwbase '
                                 '(KWDB) does not have; stop the service after the drain instead')
