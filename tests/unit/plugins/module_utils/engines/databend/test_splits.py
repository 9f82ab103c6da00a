# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The split window of a query cluster rolled across a registration key change, from the report's phases."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.splits import query_split_windows

PLAN = {'query_splits': [{'release': '1.2.671', 'note': '...'}],
        'hops': [{'index': 0, 'component': 'meta', 'from_version': '1.2.600-nightly', 'version': '1.2.680-nightly'},
                 {'index': 1, 'component': 'query', 'from_version': '1.2.600-nightly', 'version': '1.2.680-nightly'}]}


def record(hop, stop, start):
    return {'hop': hop, 'outcome': 'upgraded', 'phases': [
        {'phase': 'stop', 'started_at': stop[0], 'ended_at': stop[1]},
        {'phase': 'start', 'started_at': start, 'ended_at': start}]}


def test_the_split_lasts_from_the_first_new_start_to_the_last_old_stop():
    nodes = {'node4': [record(1, ('2026-12-01T10:00:00', '2026-12-01T10:00:02'), '2026-12-01T10:00:03')],
             'node5': [record(1, ('2026-12-01T10:00:10', '2026-12-01T10:00:12.500000'), '2026-12-01T10:00:13')],
             'node1': [record(0, ('2026-12-01T09:59:00', '2026-12-01T09:59:01'), '2026-12-01T09:59:02')]}
    assert query_split_windows(PLAN, nodes) == [{
        'release': '1.2.671', 'hop': 1, 'began_at': '2026-12-01T10:00:03', 'ended_at': '2026-12-01T10:00:12.500000',
        'seconds': 9.5, 'first_on_new': 'node4', 'last_on_old': 'node5'}]


def test_one_query_node_is_never_split():
    nodes = {'node4': [record(1, ('2026-12-01T10:00:00', '2026-12-01T10:00:02'), '2026-12-01T10:00:03')]}
    assert [window['seconds'] for window in query_split_windows(PLAN, nodes)] == [0.0]


def test_no_split_without_a_key_change_or_a_timed_query_hop():
    assert query_split_windows(dict(PLAN, query_splits=[]), {'node4': []}) == []
    assert query_split_windows(PLAN, {'node4': [{'hop': None, 'outcome': 'staged', 'phases': []}]}) == []
    assert query_split_windows(None, {}) == []
