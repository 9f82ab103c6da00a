# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``POST /_status/critical_nodes`` (CockroachDB v23.1+): may a node be stopped now?

The endpoint answers with the nodes whose loss would leave a range without quorum (``criticalNodes``, each a
roachpb.NodeDescriptor) and the span config conformance report (``underReplicated``, ``overReplicated``,
``violatingConstraints``, ``unavailable``: range lists; ``unavailableNodeIds``). The body is protoutil.JSONPb with
EmitDefaults: every field is present, int64 values (``rangeId``) are JSON strings, int32 values (``nodeId``) numbers.
The route is POST only; a GET gets 405 (or 404 from older gateways), and releases before v23.1 answer 404.

parse_critical_nodes(body)    the response as plain data (pure)
stop_verdict(response, ...)   whether one node may be stopped, and why not (pure)
read_critical_nodes(url, ...) the HTTP call (ansible.module_utils.urls.open_url), returning the parsed response
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.distsql.upgrade.plugins.module_utils.address import split_host_port
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

PATH = '/_status/critical_nodes'
WHAT = 'POST %s response' % PATH
RANGE_LISTS = (('underReplicated', 'under_replicated'), ('overReplicated', 'over_replicated'),
               ('violatingConstraints', 'violating_constraints'), ('unavailable', 'unavailable'))
# The report lists the verdict relies on: a body without them is not this endpoint's answer.
REQUIRED_LISTS = ('underReplicated', 'unavailable')
LISTED_RANGES = 10  # range ids named in a message before "and N more"


class EndpointError(DistsqlError):
    """An answer that waiting will not change (wrong route or method, missing session, not this endpoint)."""


# -- the HTTP call -------------------------------------------------------------------------------------------


def endpoint_url(base_url):
    """``<base_url>/_status/critical_nodes`` for the base URL of a node's HTTP API (``http://node2:8080``)."""
    base = (base_url or '').strip()
    if not base.startswith(('http://', 'https://')) or len(base.split('://', 1)[1].strip('/')) == 0:
        raise DistsqlError("url must be the base URL of a node's HTTP API, such as http://node2:8080 or "
                           "https://node2:8080; got %r" % base_url)
    return base.rstrip('/') + PATH


def cookie_header(session_cookie):
    """The Cookie header for a session cookie given as its value or as ``session=<value>[; Path=/; HttpOnly]``."""
    value = session_cookie.strip()
    if value.startswith('session='):
        return value.split(';', 1)[0].strip()
    return 'session=%s' % value


def read_critical_nodes(base_url, request_timeout=10.0, validate_certs=True, ca_path=None, session_cookie=None,
                        opener=open_url):
    """POST ``{}`` to the endpoint and return parse_critical_nodes() of the answer.

    Connection failures and HTTP 5xx raise DistsqlError (worth another check); HTTP 4xx and a body that is not the
    endpoint's JSON raise EndpointError.
    """
    url = endpoint_url(base_url)
    headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
    if session_cookie:
        headers['Cookie'] = cookie_header(session_cookie)
    try:
        response = opener(url, data='{}', headers=headers, method='POST', timeout=request_timeout,
                          validate_certs=validate_certs, ca_path=ca_path, follow_redirects='none')
        status = response.getcode()
        body = response.read()
    except HTTPError as exc:
        raise _http_error(url, exc.code, _error_body(exc))
    except (URLError, UrlsConnectionError, HTTPException, socket.timeout, OSError) as exc:
        raise DistsqlError('POST %s failed: %s' % (url, getattr(exc, 'reason', None) or exc))
    if status != 200:
        raise _http_error(url, status, body)
    try:
        return parse_critical_nodes(body)
    except OutputParseError as exc:
        raise EndpointError('POST %s: %s' % (url, exc))


def _error_body(exc):
    try:
        return exc.read()
    except Exception:  # pylint: disable=broad-except
        return b''


def _http_error(url, status, body):
    text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else (body or '')
    first = next((line.strip() for line in text.splitlines() if line.strip()), '')
    detail = (': %s' % first[:300]) if first else ' with an empty body'
    if status in (404, 405):
        hint = ('the route is POST %s, served from CockroachDB v23.1 on; check that url is the node\'s HTTP '
                'address (port 8080 by default, not the SQL port)' % PATH)
    elif status in (401, 403):
        hint = 'a secure cluster needs a session: give login (or session_cookie from cockroach auth-session login)'
    elif status in (301, 302, 307, 308):
        hint = 'the node sends plain HTTP to https (a secure cluster): use https:// in url, with ca_path and login'
    elif status >= 500:
        return DistsqlError('POST %s answered HTTP %d%s' % (url, status, detail))
    else:
        hint = 'expected HTTP 200 with the CriticalNodesResponse JSON'
    return EndpointError('POST %s answered HTTP %d%s; %s' % (url, status, detail, hint))


# -- parsing -------------------------------------------------------------------------------------------------


def parse_critical_nodes(body):
    """The CriticalNodesResponse as plain data.

    critical_nodes: one dict per NodeDescriptor (node_id, address, sql_address, http_address, build_tag, locality);
    under_replicated, over_replicated, violating_constraints, unavailable: one dict per range (range_id as int,
    replica_node_ids); unavailable_node_ids: ints.
    """
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    if body is None or not body.strip():
        raise OutputParseError(WHAT, 'the body is empty')
    try:
        data = json.loads(body)
    except ValueError:
        first = body.strip().splitlines()[0][:120]
        raise OutputParseError(WHAT, 'the body is not JSON: %r' % first)
    if not isinstance(data, dict):
        raise OutputParseError(WHAT, 'the body is not a JSON object')
    nodes = _list(data, 'criticalNodes', 'the body')
    report = data.get('report')
    if not isinstance(report, dict):
        raise OutputParseError(WHAT, 'the body has no "report" object')
    result = {'critical_nodes': [_descriptor(node, number) for number, node in enumerate(nodes, 1)]}
    for key, name in RANGE_LISTS:
        if key not in report and key not in REQUIRED_LISTS:
            result[name] = []
            continue
        result[name] = [_range(item, key, number) for number, item in enumerate(_list(report, key, 'report'), 1)]
    ids = report.get('unavailableNodeIds', [])
    if not isinstance(ids, list):
        raise OutputParseError(WHAT, 'report.unavailableNodeIds is not a list')
    result['unavailable_node_ids'] = [_int(value, 'report.unavailableNodeIds') for value in ids]
    return result


def _list(obj, key, where):
    value = obj.get(key)
    if not isinstance(value, list):
        raise OutputParseError(WHAT, '%s has no "%s" list' % (where, key))
    return value


def _int(value, where):
    """An int32 (JSON number) or an int64 (JSON string of digits)."""
    if isinstance(value, bool):
        raise OutputParseError(WHAT, '%s: expected an integer, got %r' % (where, value))
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        return int(value)
    raise OutputParseError(WHAT, '%s: expected an integer, got %r' % (where, value))


def _address_field(node, key):
    address = node.get(key)
    if isinstance(address, dict):
        return address.get('addressField') or None
    return None


def _descriptor(node, number):
    where = 'criticalNodes[%d]' % number
    if not isinstance(node, dict) or 'nodeId' not in node:
        raise OutputParseError(WHAT, '%s is not a NodeDescriptor (no nodeId)' % where)
    tiers = (node.get('locality') or {}).get('tiers') or []
    locality = ','.join('%s=%s' % (tier.get('key'), tier.get('value')) for tier in tiers if isinstance(tier, dict))
    return {
        'node_id': _int(node['nodeId'], where + '.nodeId'),
        'address': _address_field(node, 'address'),
        'sql_address': _address_field(node, 'sqlAddress'),
        'http_address': _address_field(node, 'httpAddress'),
        'build_tag': node.get('buildTag') or None,
        'locality': locality or None,
    }


def _range(item, key, number):
    where = 'report.%s[%d]' % (key, number)
    descriptor = item.get('rangeDescriptor') if isinstance(item, dict) else None
    if not isinstance(descriptor, dict) or 'rangeId' not in descriptor:
        raise OutputParseError(WHAT, '%s has no rangeDescriptor.rangeId' % where)
    replicas = descriptor.get('internalReplicas') or []
    return {
        'range_id': _int(descriptor['rangeId'], where + '.rangeDescriptor.rangeId'),
        'replica_node_ids': [_int(replica.get('nodeId'), where + '.internalReplicas.nodeId')
                             for replica in replicas if isinstance(replica, dict)],
    }


# -- the verdict ---------------------------------------------------------------------------------------------


def resolve_addresses(host):
    """The IP addresses ``host`` resolves to on this machine (empty when it does not resolve)."""
    try:
        return set(info[4][0] for info in socket.getaddrinfo(host, None))
    except (socket.error, UnicodeError):
        return set()


def _host(address):
    try:
        return split_host_port(address)[0]
    except OutputParseError:
        return None


def find_descriptor(nodes, node=None, node_id=None, resolve=None):
    """The critical node that is ``node_id``, or whose address, sqlAddress or httpAddress is ``node`` (host:port or
    host name); with ``resolve(host) -> set of IPs``, also one whose address host resolves to an address of
    ``node``. None when the node is not listed (it is not critical)."""
    if node_id is not None:
        return next((item for item in nodes if item['node_id'] == node_id), None)
    ref = str(node).strip()
    ref_host = _host(ref) or ref.strip('[]')
    for item in nodes:
        addresses = [item[key] for key in ('address', 'sql_address', 'http_address') if item[key]]
        if ref in addresses or ref_host in [_host(address) for address in addresses]:
            return item
    if resolve is None:
        return None
    wanted = resolve(ref_host)
    if not wanted:
        return None
    for item in nodes:
        hosts = set(_host(item[key]) for key in ('address', 'sql_address') if item[key])
        if any(wanted & resolve(host) for host in hosts if host):
            return item
    return None


def _range_names(ids):
    names = ['r%d' % range_id for range_id in ids[:LISTED_RANGES]]
    text = ', '.join(names)
    if len(ids) > LISTED_RANGES:
        text += ' and %d more' % (len(ids) - LISTED_RANGES)
    return text


def _count(ids, singular, plural):
    return ('1 range %s' % singular) if len(ids) == 1 else ('%d ranges %s' % (len(ids), plural))


def stop_verdict(response, node=None, node_id=None, allow_underreplicated=False, resolve=None):
    """Whether the node may be stopped now: it is not critical, no range is unavailable and (unless
    ``allow_underreplicated``) none is under-replicated. ``reason`` names every cause, '; '-joined (None when safe)."""
    found = find_descriptor(response['critical_nodes'], node=node, node_id=node_id, resolve=resolve)
    under = sorted(set(item['range_id'] for item in response['under_replicated']))
    unavailable = sorted(set(item['range_id'] for item in response['unavailable']))
    name = node if node is not None else (_host(found['address']) if found and found['address'] else 'n%s' % node_id)
    reasons = []
    if found is not None:
        reasons.append(_critical_reason(response, found, name))
    if unavailable:
        reasons.append('%s: %s' % (_count(unavailable, 'is unavailable', 'are unavailable'), _range_names(unavailable)))
    if under and not allow_underreplicated:
        reasons.append('%s: %s' % (_count(under, 'is under-replicated', 'are under-replicated'), _range_names(under)))
    return {
        'safe': not reasons,
        'reason': '; '.join(reasons) or None,
        'node': {'name': name, 'node_id': found['node_id'] if found else node_id,
                 'address': found['address'] if found else None, 'critical': found is not None},
        'critical_nodes': [dict((key, item[key]) for key in ('node_id', 'address', 'sql_address', 'build_tag'))
                           for item in response['critical_nodes']],
        'underreplicated_ranges': under,
        'unavailable_ranges': unavailable,
        'unavailable_node_ids': sorted(response['unavailable_node_ids']),
    }


def _critical_reason(response, found, name):
    """'node node2 (n2) is critical: ranges r12, r40 would lose quorum' (the ranges of the report with a replica on it)."""
    listed = response['unavailable'] + response['under_replicated'] + response['violating_constraints']
    ranges = sorted(set(item['range_id'] for item in listed if found['node_id'] in item['replica_node_ids']))
    prefix = 'node %s (n%d) is critical' % (name, found['node_id'])
    if not ranges:
        return '%s: ranges on it would lose quorum (the report names none of them)' % prefix
    if len(ranges) == 1:
        return '%s: range %s would lose quorum' % (prefix, _range_names(ranges))
    return '%s: ranges %s would lose quorum' % (prefix, _range_names(ranges))
