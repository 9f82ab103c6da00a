# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`kwbase node upgrade <id>`: argv, success, every refusal of flow-surfaces-kwdb.md section 1 (CLI texts EXACT, the
`rpc error` wrapping of server errors INFERRED) and how a marked node shows in `kwbase node status` (constructed
node status fixtures, section 1.7)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.node_status import parse_node_status
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.kwdb import node_upgrade
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

from .fixture_files import fixture

BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
CONNECTION = Connection(host='127.0.0.1:26257', insecure=True)
FAILED = 'Failed running "node upgrade"\n'
NOT_ELIGIBLE = 'Upgrade ternimated. Hint: node 3 is not eligible to upgrade, check the node status and upgrader later.'
CANNOT_FIND = 'Upgrade ternimated. Hint: cannot find status of node 9'


def nodes(name):
    return parse_node_status(fixture(name), 'csv', 'kwdb')


def test_the_engine_offers_the_node_upgrade_capability():
    assert get_engine('kwdb').capability('node_upgrade') is node_upgrade


def test_argv():
    assert node_upgrade.upgrade_argv('/k', CONNECTION, 3) == ['/k', 'node', 'upgrade', '3', '--host=127.0.0.1:26257',
                                                              '--insecure']


def test_mark_succeeds_silently():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, '', ''

    assert node_upgrade.mark(run, BINARY, CONNECTION, 3) == [BINARY, 'node', 'upgrade', '3', '--host=127.0.0.1:26257',
                                                             '--insecure']
    assert len(calls) == 1


def refusal(stdout, stderr, node_id=3):
    def run(_argv):
        return 1, stdout, stderr

    with pytest.raises(node_upgrade.NodeUpgradeRefused) as caught:
        node_upgrade.mark(run, BINARY, CONNECTION, node_id)
    return caught.value


def test_a_node_that_is_not_eligible():
    error = refusal(NOT_ELIGIBLE + '\n', 'ERROR: %s\n%s' % (NOT_ELIGIBLE, FAILED))
    assert isinstance(error, node_upgrade.NodeNotEligible)
    assert str(error) == (
        '`kwbase node upgrade 3` refused: ' + NOT_ELIGIBLE + ' -> node 3 is not LIVE, DEAD or DECOMMISSIONED (it is '
        'UNAVAILABLE, DECOMMISSIONING, UPGRADING or UNKNOWN; a stopped node marked before still counts as UPGRADING): '
        'wait until it is live and available, or clear an earlier mark by starting the node with --upgrade-complete')
    assert error.as_result() == {'kind': 'not_eligible', 'node_id': 3, 'rc': 1, 'cli_message': NOT_ELIGIBLE,
                                 'changed': False, 'msg': str(error)}


def test_an_unknown_node():
    error = refusal(CANNOT_FIND + '\n', 'ERROR: %s\n%s' % (CANNOT_FIND, FAILED), node_id=9)
    assert isinstance(error, node_upgrade.UnknownNode)
    assert str(error) == ('`kwbase node upgrade 9` refused: ' + CANNOT_FIND + ' -> node 9 is not in the cluster: check '
                          'the id with `kwbase node status`')


@pytest.mark.parametrize('status', ['DEAD', 'UNAVAILABLE', 'UPGRADING'])
def test_the_server_refuses_while_a_node_is_not_live(status):
    message = 'rpc error: code = Unknown desc = can not upgrade nodes when cluster has node %s' % status
    error = refusal('', 'ERROR: %s\n%s' % (message, FAILED))
    assert isinstance(error, node_upgrade.ClusterNotReady)
    assert str(error) == (
        '`kwbase node upgrade 3` refused: %s -> every node of the cluster must be LIVE or DECOMMISSIONED and one is %s: '
        'bring it back (or finish the upgrade of a node still UPGRADING by starting it with --upgrade-complete), then '
        'mark again' % (message, status))


def test_the_start_mode_refusal():
    message = 'Upgrade ternimated. Hint: upgrading is forbidden in the current start mode.'
    error = refusal('', 'ERROR: %s\n%s' % (message, FAILED))
    assert isinstance(error, node_upgrade.StartModeForbidden)
    assert str(error) == (
        '`kwbase node upgrade 3` refused: %s -> the node connected to is not started with `kwbase start` (it runs '
        'start-single-replica or start-single-node): upgrade such a cluster offline (stop every node, run deploy.sh '
        'upgrade -l on each, start them)' % message)


def test_an_unreachable_node_in_single_replica_mode():
    message = ('rpc error: code = Unknown desc = during liveness update 3 -> true: cluster has node unreachable. Can '
               'not connect to node 2')
    error = refusal('', 'ERROR: %s \n%s' % (message, FAILED))
    assert isinstance(error, node_upgrade.NodeUnreachable)
    assert str(error) == ('`kwbase node upgrade 3` refused: %s -> in single-replica mode every node must answer: bring '
                          'node 2 back, then mark again' % message)


def test_the_store_dead_setting_failure_may_have_marked_the_node():
    message = 'rpc error: code = Unknown desc = set cluster setting server.time_until_store_dead failed when upgrade'
    error = refusal('', 'ERROR: %s\n%s' % (message, FAILED))
    assert isinstance(error, node_upgrade.StoreDeadSettingFailed)
    assert error.details['changed'] is True
    assert str(error) == (
        '`kwbase node upgrade 3` refused: %s -> the node may be marked UPGRADING while server.time_until_store_dead was '
        'not raised to 3h: set it to 3h, or clear the mark by restarting the node with --upgrade-complete' % message)


def test_any_other_failure_carries_the_cli_message():
    stderr = ('ERROR: cannot dial server.\nIs the server running?\nIf the server is running, check --host client-side '
              'and --advertise server-side.\n\ndial tcp 127.0.0.1:26257: connect: connection refused\n' + FAILED)
    error = refusal('', stderr)
    assert error.__class__ is node_upgrade.NodeUpgradeRefused
    assert str(error) == (
        '`kwbase node upgrade 3` failed (rc=1): cannot dial server. / Is the server running? / If the server is running, '
        'check --host client-side and --advertise server-side. / dial tcp 127.0.0.1:26257: connect: connection refused')


def test_a_missing_binary_is_refused_before_running():
    with pytest.raises(DistsqlError) as caught:
        node_upgrade.mark(None, '/nonexistent/kwbase', CONNECTION, 3)
    assert str(caught.value) == 'kwbase binary /nonexistent/kwbase does not exist or is not executable'


@pytest.mark.parametrize('name, state, upgrading', [
    ('node_status_all_csv_ready_constructed.txt', 'ready', False),
    ('node_status_all_csv_upgrading_constructed.txt', 'upgrading', True),
    ('node_status_all_csv_stopped_constructed.txt', 'down', None),
])
def test_a_marked_node_is_live_but_not_available(name, state, upgrading):
    observed = node_upgrade.observe(nodes(name), 3)
    assert (observed['state'], observed['upgrading']) == (state, upgrading)
    assert observed['node']['id'] == 3 and observed['node']['start_mode'] == 'start'


def test_a_node_not_listed():
    assert node_upgrade.observe(nodes('node_status_all_csv_ready_constructed.txt'), 9) == {
        'node': None, 'state': 'missing', 'upgrading': None}
