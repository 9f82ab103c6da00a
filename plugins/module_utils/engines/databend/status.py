# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databend status: `databend-metactl status` text, databend-meta /v1/cluster/status JSON and /v1/health.

Both status sources normalize to the same dict (see STATUS_KEYS), so callers never care which one they read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

STATUS_KEYS = ('binary_version', 'data_version', 'raft_log_size', 'raft_log', 'db_size', 'snapshot_key_count', 'node',
               'state', 'is_leader', 'leader', 'current_term', 'last_seq', 'last_log_index', 'last_applied',
               'snapshot_last_log_id', 'purged', 'replication', 'voters', 'non_voters', 'extra')

_LOG_ID_FORMS = (
    re.compile(r'^T(?P<term>\d+)-N(?P<node_id>\d+)\.(?P<index>\d+)$'),  # openraft 0.9+: T1-N0.200
    re.compile(r'^(?P<term>\d+)-(?P<node_id>\d+)-(?P<index>\d+)$'),  # openraft 0.8: 1-0-8160
)
_DISPLAY_NODE = re.compile(r'^id=(?P<id>\S+) raft=(?P<raft>\S*)(?: grpc=(?P<grpc>\S*))?$')
_DEBUG_NODE = re.compile(r'^Node \{ name: "(?P<id>[^"]*)", endpoint: (?P<raft>[^,\s}]+)(?P<rest>.*)\}$')
_DEBUG_GRPC = re.compile(r'grpc_api_advertise_address: Some\("(?P<grpc>[^"]*)"\)')
_REPLICATION_ITEM = re.compile(r'^\[(?P<id>\d+)\] (?P<log_id>\S+)(?: \*)?$')

# metactl label -> (key, converter name)
_METACTL_SCALARS = {
    'BinaryVersion': ('binary_version', 'str'),
    'DataVersion': ('data_version', 'str'),
    'RaftLogSize': ('raft_log_size', 'int'),
    'DBSize': ('db_size', 'int'),
    'SnapshotKeyCount': ('snapshot_key_count', 'int'),
    'Node': ('node', 'node'),
    'State': ('state', 'str'),
    'Leader': ('leader', 'node'),
    'CurrentTerm': ('current_term', 'int'),
    'LastSeq': ('last_seq', 'int'),
    'LastLogIndex': ('last_log_index', 'int'),
    'LastApplied': ('last_applied', 'log_id'),
    'SnapshotLastLogID': ('snapshot_last_log_id', 'log_id'),
    'Purged': ('purged', 'log_id'),
}
_METACTL_LISTS = {'RaftLog': 'raft_log', 'Replication': 'replication', 'Voters': 'voters', 'NonVoters': 'non_voters'}
_REQUIRED = ('state', 'node')


def parse_log_id(text):
    """'T1-N0.200' or '1-0-8160' -> {'term', 'node_id', 'index'} (ints)."""
    value = (text or '').strip()
    for pattern in _LOG_ID_FORMS:
        match = pattern.match(value)
        if match:
            return dict((key, int(number)) for key, number in match.groupdict().items())
    raise OutputParseError('raft log id', 'expected T<term>-N<node>.<index> or <term>-<node>-<index>, got %r' % text)


def _node_id(name):
    """databend-meta names nodes by their numeric raft id; a name that is not a number is kept as a string."""
    return int(name) if re.match(r'^\d+$', name) else name


def _parse_node(text, what):
    value = text.strip()
    match = _DISPLAY_NODE.match(value)
    if match:
        return {'id': _node_id(match.group('id')), 'raft': match.group('raft') or None, 'grpc': match.group('grpc') or None}
    match = _DEBUG_NODE.match(value)
    if match:
        grpc = _DEBUG_GRPC.search(match.group('rest'))
        return {'id': _node_id(match.group('id')), 'raft': match.group('raft'), 'grpc': grpc.group('grpc') if grpc else None}
    raise OutputParseError(what, 'expected a node "id=<id> raft=<host:port> grpc=<addr>", got %r' % text)


def _convert(kind, value, what, label):
    if kind == 'str':
        return value
    if kind == 'node':
        return _parse_node(value, what)
    if kind == 'log_id':
        return parse_log_id(value)
    if re.match(r'^\d+$', value):
        return int(value)
    raise OutputParseError(what, '%s: expected an integer, got %r' % (label, value))


def _empty_status():
    status = dict((key, None) for key in STATUS_KEYS)
    status.update({'replication': {}, 'voters': [], 'non_voters': [], 'extra': {}})
    return status


def _snake(label):
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', label).lower()


def parse_metactl_status(text):
    """Parse `databend-metactl status` (or the older `databend-metactl --status`).

    Returns STATUS_KEYS: ints for sizes/terms/indexes, node dicts {'id', 'raft', 'grpc'} (grpc None when
    empty or not printed), log ids from parse_log_id(), replication {node id: log id} (leader only),
    raft_log {snake_case key: int, 'wal_closed_chunk_sizes': {chunk: int}} or None, is_leader derived from
    'State: Leader'. Labels this parser does not know are kept as strings under 'extra'.
    """
    what = 'databend-metactl status'
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    status = _empty_status()
    section = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith(' '):
            if section is None:
                raise OutputParseError(what, 'line %d: list item outside a section: %r' % (number, line))
            _add_list_item(status, section, line, what)
            continue
        label, sep, value = line.partition(':')
        if not sep:
            raise OutputParseError(what, 'line %d: expected "Label: value", got %r' % (number, line))
        section = _add_metactl_line(status, label.strip(), value.strip(), what)
    missing = [key for key in _REQUIRED if status[key] is None]
    if missing:
        raise OutputParseError(what, 'no %s line' % ', '.join(missing))
    status['is_leader'] = status['state'] == 'Leader'
    _fill_node_grpc(status)
    return status


def _fill_node_grpc(status):
    """The own-node line/fields carry no gRPC address; take it from the node's voter/non-voter entry."""
    for member in status['voters'] + status['non_voters']:
        if member['id'] == status['node']['id'] and status['node']['grpc'] is None:
            status['node']['grpc'] = member['grpc']


def _add_metactl_line(status, label, value, what):
    """Store one top-level line; return the section name when the line opens a list ('Voters:')."""
    if label in _METACTL_LISTS and not value:
        if label == 'RaftLog':
            status['raft_log'] = {}
        return label
    if label in _METACTL_SCALARS:
        key, kind = _METACTL_SCALARS[label]
        status[key] = _convert(kind, value, what, label)
    else:
        status['extra'][label] = value
    return None


def _add_list_item(status, section, line, what):
    item = line.strip()
    if not item.startswith('- '):
        raise OutputParseError(what, 'expected a "  - " list item under %s:, got %r' % (section, line))
    item = item[2:]
    if section == 'RaftLog':
        _add_raft_log_item(status['raft_log'], line, item, what)
    elif section == 'Replication':
        match = _REPLICATION_ITEM.match(item)
        if not match:
            raise OutputParseError(what, 'expected "[<id>] <log id>" under Replication:, got %r' % item)
        status['replication'][int(match.group('id'))] = parse_log_id(match.group('log_id'))
    else:
        status[_METACTL_LISTS[section]].append(_parse_node(item, what))


def _add_raft_log_item(raft_log, line, item, what):
    label, _sep, value = item.partition(':')
    value = value.strip()
    if line.startswith('    - '):
        chunk, _sep, size = item.rpartition(':')
        raft_log.setdefault('wal_closed_chunk_sizes', {})[chunk.strip()] = _convert('int', size.strip(), what, chunk.strip())
    elif label == 'WALClosedChunkSizes':
        raft_log.setdefault('wal_closed_chunk_sizes', {})
    else:
        raft_log[_snake(label.strip())] = _convert('int', value, what, label.strip())


def _json_log_id(value, what):
    """LogId JSON: {"leader_id": {"term", "node_id"}, "index"} (2023+) or {"term", "index"} (older docs)."""
    if value is None:
        return None
    if not isinstance(value, dict) or 'index' not in value:
        raise OutputParseError(what, 'expected a log id object with an index, got %r' % (value,))
    leader = value.get('leader_id') if isinstance(value.get('leader_id'), dict) else value
    return {'term': leader.get('term'), 'node_id': leader.get('node_id'), 'index': value['index']}


def _json_endpoint(endpoint):
    if isinstance(endpoint, dict):
        return '%s:%s' % (endpoint.get('addr'), endpoint.get('port'))
    return endpoint or None


def _json_node(value, what):
    if value is None:
        return None
    if not isinstance(value, dict) or 'name' not in value:
        raise OutputParseError(what, 'expected a node object with a name, got %r' % (value,))
    grpc = value.get('grpc_api_advertise_address') or value.get('grpc_api_addr')
    return {'id': _node_id(str(value['name'])), 'raft': _json_endpoint(value.get('endpoint')), 'grpc': grpc or None}


_JSON_KEYS = ('binary_version', 'data_version', 'raft_log_size', 'raft_log', 'db_size', 'snapshot_key_count', 'state',
              'is_leader', 'current_term', 'last_seq', 'last_log_index')


def parse_meta_cluster_status(json_text):
    """Normalize GET /v1/cluster/status of databend-meta to the parse_metactl_status() shape.

    node is built from the top-level id and endpoint; its grpc comes from the matching voter/non-voter entry.
    raft_log_size falls back to raft_log.wal_total_size (what metactl prints). replication keeps null entries
    (the leader has no progress for that node; metactl leaves such nodes out). is_leader is taken from the
    JSON when present, else derived from state. Unknown keys go under 'extra'.
    """
    what = 'databend-meta /v1/cluster/status'
    try:
        data = json.loads(json_text)
    except (TypeError, ValueError) as exc:
        raise OutputParseError(what, 'not valid JSON: %s' % exc)
    if not isinstance(data, dict) or 'id' not in data or 'state' not in data:
        raise OutputParseError(what, 'expected a JSON object with "id" and "state"')
    status = _empty_status()
    for key in _JSON_KEYS:
        status[key] = data.get(key)
    for key in ('last_applied', 'snapshot_last_log_id', 'purged'):
        status[key] = _json_log_id(data.get(key), what)
    status['leader'] = _json_node(data.get('leader'), what)
    status['voters'] = [_json_node(node, what) for node in data.get('voters') or []]
    status['non_voters'] = [_json_node(node, what) for node in data.get('non_voters') or []]
    status['replication'] = dict((int(node_id), _json_log_id(log_id, what))
                                 for node_id, log_id in (data.get('replication') or {}).items())
    status['node'] = {'id': data['id'], 'raft': _json_endpoint(data.get('endpoint')), 'grpc': None}
    _fill_node_grpc(status)
    if status['raft_log_size'] is None and isinstance(status['raft_log'], dict):
        # metactl prints RaftLogSize as the WAL total size.
        status['raft_log_size'] = status['raft_log'].get('wal_total_size')
    if status['is_leader'] is None:
        status['is_leader'] = status['state'] == 'Leader'
    known = set(_JSON_KEYS) | set(('id', 'endpoint', 'last_applied', 'snapshot_last_log_id', 'purged', 'leader',
                                   'voters', 'non_voters', 'replication'))
    status['extra'] = dict((key, value) for key, value in data.items() if key not in known)
    return status


def parse_health_json(text):
    """GET /v1/health of databend-meta or databend-query: {"status":"pass"} -> {'healthy': True, 'status': 'pass'}."""
    what = 'databend /v1/health'
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise OutputParseError(what, 'not valid JSON: %s' % exc)
    if not isinstance(data, dict) or 'status' not in data:
        raise OutputParseError(what, 'expected a JSON object with "status", got %r' % (text,))
    return {'healthy': data['status'] == 'pass', 'status': data['status']}
