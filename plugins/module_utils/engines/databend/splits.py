# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a Databend query cluster was split, measured from the report's timed phases (pure: plain data in, plain
data out).

``query_split_windows(plan, nodes)``: while databend-query nodes are rolled across a release that moved the cluster
registration key, the nodes on either side form two clusters. The split begins when the first node of the hop
starts on the new release and ends when the last node still on the old one has stopped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.versions import SCHEME


def _release(text):
    return SCHEME.as_version(text).release


def _crossing_hops(plan, release):
    """The query hops of the plan whose step crosses ``release``."""
    crossed = _release(release)
    return [hop for hop in plan.get('hops') or [] if hop.get('component') == 'query'
            if _release(hop['from_version']) < crossed <= _release(hop['version'])]


def _phases(nodes, hop_index, phase):
    """(host, phase entry) of every timed ``phase`` of hop ``hop_index``."""
    return [(host, entry) for host, records in sorted(nodes.items()) for record in records
            if record.get('hop') is not None and int(record['hop']) == hop_index
            for entry in record.get('phases') or [] if entry.get('phase') == phase]


def _seconds_between(earlier, later):
    delta = datetime.datetime.fromisoformat(later) - datetime.datetime.fromisoformat(earlier)
    return max(0.0, round(delta.total_seconds(), 3))


def query_split_windows(plan, nodes):
    """[{release, hop, began_at, ended_at, seconds, first_on_new, last_on_old}] for each split the run went through;
    seconds is 0 when the last old node stopped before the first new one started (one query node)."""
    windows = []
    for split in (plan or {}).get('query_splits') or []:
        for hop in _crossing_hops(plan, split['release']):
            starts = [(entry['started_at'], host) for host, entry in _phases(nodes, hop['index'], 'start')]
            stops = [(entry['ended_at'], host) for host, entry in _phases(nodes, hop['index'], 'stop')
                     if entry.get('ended_at')]
            if not starts or not stops:
                continue
            (began_at, first_on_new), (ended_at, last_on_old) = min(starts), max(stops)
            windows.append({'release': split['release'], 'hop': hop['index'], 'began_at': began_at,
                            'ended_at': ended_at, 'seconds': _seconds_between(began_at, ended_at),
                            'first_on_new': first_on_new, 'last_on_old': last_on_old})
    return windows
