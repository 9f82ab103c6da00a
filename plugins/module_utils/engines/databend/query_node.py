# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a databend-query node that was just (re)started serves and is registered in its cluster.

Ready: the admin API's /v1/health answers {"status":"pass"}, the node's own /v1/cluster/list (and that of every other
query node asked) lists an entry whose http_address or flight_address host is the node's address, with the expected
binary_version, and the node's log has no handshake failure since the start. The node id is random on every start,
so the entry is found by address, never by id.

parse_cluster_list(body)            /v1/cluster/list NodeInfo entries as plain data (pure)
find_node(nodes, address, version)  the entry of the node at ``address`` (pure)
version_matches(binary, expected)   binary_version is v<expected> (pure)
read_own(url, ...), read_other(...) the HTTP reads a check makes
handshake_lines(text)               log lines that say the meta service refused this query or the reverse (pure)
LogScanner(path, offset)            reads the log from an offset on, across checks, returning new such lines
judge(own, others, log_errors, ...) healthy and why not (pure)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.distsql.upgrade.plugins.module_utils.address import split_host_port
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend import admin_api
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.status import parse_health_json
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

HEALTH_PATH = '/v1/health'
CLUSTER_LIST_PATH = '/v1/cluster/list'
# What databend-query writes when its meta service is incompatible (flow-surfaces section 5): `InvalidArgument` in the
# server's refusal, `HandshakeError with databend-meta: ...` from 1.2.723 on (`MetaHandshakeError` in the Debug form),
# and `failed to handshake with meta-service: ...` up to 1.2.722, whose client-side text names neither.
HANDSHAKE_MARKERS = ('InvalidArgument', 'HandshakeError', 'failed to handshake with meta-service')
NODE_KEYS = ('id', 'http_address', 'flight_address', 'discovery_address', 'binary_version', 'cluster_id',
             'warehouse_id')
READ_CHUNK = 1 << 20
LINE_LIMIT = 2000  # characters of one log line kept in a result


def parse_cluster_list(body):
    """[{id, http_address, flight_address, discovery_address, binary_version, cluster_id, warehouse_id}]; a field
    the NodeInfo of the node's version does not have is None (before 1.2.628 there is no http_address)."""
    what = 'databend-query %s' % CLUSTER_LIST_PATH
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        raise OutputParseError(what, 'the body is not JSON: %r' % (body or '')[:120])
    if not isinstance(data, list):
        raise OutputParseError(what, 'expected a JSON array of nodes, got %r' % ((body or '')[:120],))
    nodes = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or 'id' not in item:
            raise OutputParseError(what, 'entry %d is not a node (no id): %r' % (number, item))
        nodes.append(dict((key, item.get(key)) for key in NODE_KEYS))
    return nodes


def _host(address):
    text = (address or '').strip()
    try:
        return split_host_port(text)[0].lower()
    except OutputParseError:
        return text.strip('[]').lower()


def address_matches(entry, address):
    """The entry's http_address or flight_address is ``address`` (host:port), or its host is (a host or IP)."""
    wanted = (address or '').strip()
    try:
        split_host_port(wanted)
    except OutputParseError:
        return any(_host(entry[key]) == _host(wanted) for key in ('http_address', 'flight_address') if entry[key])
    return wanted in [entry[key] for key in ('http_address', 'flight_address') if entry[key]]


def version_matches(binary_version, expected):
    """``v<expected>`` starts binary_version and is followed by its end, '-' or '(' (1.2.77 is not 1.2.770)."""
    if not expected:
        return True
    prefix = 'v' + expected.strip().lstrip('v')
    version = binary_version or ''
    return version.startswith(prefix) and (len(version) == len(prefix) or version[len(prefix)] in '-(')


def find_node(nodes, address, expected_version=None):
    """The entry at ``address``: the first with the expected version, else the first (a restart's ghost entry can
    stay until startup drops it); None when no entry is at that address."""
    matching = [entry for entry in nodes if address_matches(entry, address)]
    preferred = [entry for entry in matching if version_matches(entry['binary_version'], expected_version)]
    return (preferred or matching or [None])[0]


class EndpointError(DistsqlError):
    """An answer waiting will not change: the URL is not a databend-query admin API (HTTP 4xx, not its JSON)."""


def _read(url, path, parse, opener, request):
    kwargs = dict(request, opener=opener) if opener else request
    try:
        body = admin_api.get(url, path, **kwargs)
    except admin_api.HttpStatusError as exc:
        raise EndpointError('%s; expected the databend-query admin API (admin_api_address, port 8080 by default)'
                            % exc)
    try:
        return parse(body)
    except OutputParseError as exc:
        raise EndpointError('GET %s%s: %s' % (url, path, exc))


def read_other(url, opener=None, **request):
    """{'url', 'nodes'} or {'url', 'list_error'} (a connection failure or HTTP 5xx) of one node's cluster list."""
    try:
        return {'url': url, 'nodes': _read(url, CLUSTER_LIST_PATH, parse_cluster_list, opener, request)}
    except EndpointError:
        raise
    except DistsqlError as exc:
        return {'url': url, 'list_error': str(exc)}


def read_own(url, opener=None, **request):
    """read_other() of the node itself plus 'health' (parse_health_json()), or {'url', 'health_error'} alone when
    /v1/health does not answer (the list is not asked then).

    EndpointError (a wrong URL) propagates: waiting does not fix it.
    """
    try:
        health = _read(url, HEALTH_PATH, parse_health_json, opener, request)
    except EndpointError:
        raise
    except DistsqlError as exc:
        return {'url': url, 'health_error': str(exc)}
    own = read_other(url, opener=opener, **request)
    own['health'] = health
    return own


UNIT_PROPERTIES = ('ActiveState', 'SubState', 'Result', 'ExecMainStatus')


def parse_unit_show(text):
    """{property: value} of ``systemctl show --property=...`` output (KEY=VALUE lines)."""
    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)


def unit_exited(properties):
    """Why the unit is no longer running (it exited or was stopped), or None while it is starting or running."""
    if properties.get('ActiveState') not in ('failed', 'inactive'):
        return None
    return 'unit %s (%s, result %s, exit status %s)' % (
        properties.get('ActiveState'), properties.get('SubState', '?'), properties.get('Result', '?'),
        properties.get('ExecMainStatus', '?'))


def handshake_lines(text):
    """The lines of ``text`` that carry a handshake failure marker, without their line ends."""
    return [line.rstrip('\r\n')[:LINE_LIMIT] for line in text.splitlines()
            if any(marker in line for marker in HANDSHAKE_MARKERS)]


class LogScanner:
    """Scans a log file from ``offset`` on, remembering where it stopped between checks.

    A file shorter than where the scan stood was rotated or truncated: the scan restarts at its beginning. A file
    that does not exist yet has size 0 and no lines. A last line without its newline waits for the next read.
    """

    def __init__(self, path, offset=0):
        self.path = path
        self.position = max(0, int(offset or 0))
        self.rotated = False
        self.lines = []
        self._partial = b''

    def size(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def scan(self):
        """Read what was appended; return (every handshake line found so far, the file's current size)."""
        size = self.size()
        if size < self.position:
            self.position, self._partial, self.rotated = 0, b'', True
        if size > self.position:
            with open(self.path, 'rb') as handle:
                handle.seek(self.position)
                while True:
                    chunk = handle.read(READ_CHUNK)
                    if not chunk:
                        break
                    self.position += len(chunk)
                    self._consume(chunk)
        return list(self.lines), max(size, self.position)

    def _consume(self, chunk):
        data = self._partial + chunk
        complete, _sep, self._partial = data.rpartition(b'\n')
        if complete:
            self.lines.extend(handshake_lines(complete.decode('utf-8', 'replace')))


def judge(own, others, log_errors, address, expected_version=None):
    """Whether the node is ready, from what was read.

    own: read_own(): {'url', 'health' (parse_health_json() result) or 'health_error', 'nodes' (parse_cluster_list())
    or 'list_error' (neither when health failed)}; others: [{'url', 'nodes' or 'list_error'}]. Returns healthy, reasons, node_id, version,
    http_address, flight_address and registered_via (the admin URLs whose list has the node with the expected version).
    """
    reasons = []
    if own.get('health_error'):
        reasons.append(own['health_error'])
    elif not own['health']['healthy']:
        reasons.append('%s%s answers status %r, not pass' % (own['url'], HEALTH_PATH, own['health']['status']))
    result = {'node_id': None, 'version': None, 'http_address': None, 'flight_address': None, 'registered_via': []}
    entry = None
    if 'nodes' in own or own.get('list_error'):
        entry = _registration(own, address, expected_version, reasons, result)
    if entry is not None:
        result.update(node_id=entry['id'], version=entry['binary_version'], http_address=entry['http_address'],
                      flight_address=entry['flight_address'])
    for other in others:
        _registration(other, address, expected_version, reasons, result)
    for line in log_errors[:1]:
        more = ' (and %d more such lines)' % (len(log_errors) - 1) if len(log_errors) > 1 else ''
        reasons.append('the log has a meta handshake failure: %s%s' % (line, more))
    result.update(healthy=not reasons, reasons=reasons)
    return result


def _registration(seen, address, expected_version, reasons, result):
    """The entry of the node in one node's list (appending why it is missing or wrong to reasons)."""
    if seen.get('list_error'):
        reasons.append(seen['list_error'])
        return None
    entry = find_node(seen['nodes'], address, expected_version)
    where = seen['url'] + CLUSTER_LIST_PATH
    if entry is None:
        reasons.append('%s lists no node at %s' % (where, address))
    elif not version_matches(entry['binary_version'], expected_version):
        reasons.append('%s lists the node at %s with binary_version %s, expected v%s'
                       % (where, address, entry['binary_version'], expected_version.strip().lstrip('v')))
    else:
        result['registered_via'].append(seen['url'])
    return entry
