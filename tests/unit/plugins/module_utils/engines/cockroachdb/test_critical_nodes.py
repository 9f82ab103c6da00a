# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POST /_status/critical_nodes: the exact JSONPb body parsed, the safe-to-stop verdict and the HTTP call's errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines import get_engine
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.critical_nodes import (
    EndpointError, cookie_header, endpoint_url, find_descriptor, parse_critical_nodes, read_critical_nodes,
    stop_verdict)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
HEALTHY = 'cockroach/critical_nodes_healthy_docs.json'
CRITICAL = 'cockroach/critical_nodes_critical_node_constructed.json'
UNDER = 'cockroach/critical_nodes_underreplicated_constructed.json'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def test_is_a_capability_of_cockroachdb_only():
    assert get_engine('cockroachdb').capability('critical_nodes').stop_verdict is stop_verdict
    assert not hasattr(get_engine('kwdb'), 'critical_nodes')


def test_healthy_body_of_the_docs():
    body = fixture(HEALTHY)
    assert not body.endswith('\n') and '"criticalNodes": [\n  ]' in body
    assert parse_critical_nodes(body) == {'critical_nodes': [], 'under_replicated': [], 'over_replicated': [],
                                          'violating_constraints': [], 'unavailable': [], 'unavailable_node_ids': []}


def test_node_descriptor_fields():
    parsed = parse_critical_nodes(fixture(CRITICAL).encode('utf-8'))
    assert parsed['critical_nodes'] == [{'node_id': 3, 'address': '127.0.0.1:26359', 'sql_address': '127.0.0.1:26259',
                                         'http_address': '127.0.0.1:8082', 'build_tag': 'v23.2.0-rc.2',
                                         'locality': 'region=us-east1,az=d'}]
    assert parsed['under_replicated'] == [] and parsed['unavailable_node_ids'] == []


def test_range_ids_are_int64_strings():
    parsed = parse_critical_nodes(fixture(UNDER))
    assert parsed['under_replicated'] == [{'range_id': 71, 'replica_node_ids': [8]}]
    assert parsed['critical_nodes'] == [] and parsed['unavailable'] == []


def test_healthy_cluster_is_safe():
    verdict = stop_verdict(parse_critical_nodes(fixture(HEALTHY)), node='node2')
    assert verdict == {'safe': True, 'reason': None,
                       'node': {'name': 'node2', 'node_id': None, 'address': None, 'critical': False},
                       'critical_nodes': [], 'underreplicated_ranges': [], 'unavailable_ranges': [],
                       'unavailable_node_ids': []}


@pytest.mark.parametrize('ref', ['127.0.0.1', '127.0.0.1:26359', '127.0.0.1:26259', '127.0.0.1:8082'])
def test_critical_node_by_address_or_host(ref):
    verdict = stop_verdict(parse_critical_nodes(fixture(CRITICAL)), node=ref)
    assert verdict['safe'] is False
    assert verdict['node'] == {'name': ref, 'node_id': 3, 'address': '127.0.0.1:26359', 'critical': True}
    assert verdict['reason'] == ('node %s (n3) is critical: ranges on it would lose quorum (the report names none '
                                 'of them)' % ref)
    assert verdict['critical_nodes'] == [{'node_id': 3, 'address': '127.0.0.1:26359', 'sql_address': '127.0.0.1:26259',
                                          'build_tag': 'v23.2.0-rc.2'}]


def test_critical_node_by_id_is_named_by_its_host():
    verdict = stop_verdict(parse_critical_nodes(fixture(CRITICAL)), node_id=3)
    assert verdict['node'] == {'name': '127.0.0.1', 'node_id': 3, 'address': '127.0.0.1:26359', 'critical': True}
    assert verdict['reason'].startswith('node 127.0.0.1 (n3) is critical')


def test_other_node_than_the_critical_one_is_safe():
    response = parse_critical_nodes(fixture(CRITICAL))
    assert stop_verdict(response, node='127.0.0.2')['safe'] is True
    assert stop_verdict(response, node_id=2)['safe'] is True
    assert stop_verdict(response, node_id=2)['node'] == {'name': 'n2', 'node_id': 2, 'address': None, 'critical': False}


def test_host_name_resolving_to_the_critical_address_is_critical():
    response = parse_critical_nodes(fixture(CRITICAL))
    addresses = {'node3': {'127.0.0.1'}, '127.0.0.1': {'127.0.0.1'}}
    verdict = stop_verdict(response, node='node3', resolve=lambda host: addresses.get(host, set()))
    assert verdict['node']['critical'] is True and verdict['safe'] is False
    assert verdict['reason'].startswith('node node3 (n3) is critical')
    assert stop_verdict(response, node='node4', resolve=lambda host: addresses.get(host, set()))['safe'] is True


def test_under_replicated_ranges_block_unless_allowed():
    response = parse_critical_nodes(fixture(UNDER))
    verdict = stop_verdict(response, node='node2')
    assert verdict['safe'] is False
    assert verdict['reason'] == '1 range is under-replicated: r71'
    assert verdict['underreplicated_ranges'] == [71]
    assert stop_verdict(response, node='node2', allow_underreplicated=True)['safe'] is True


def _body_with(critical_ids=(), under=(), unavailable=(), unavailable_nodes=()):
    """The docs samples recombined: NodeDescriptor copies renumbered, range copies with other ids and replicas."""
    descriptor = json.loads(fixture(CRITICAL))['criticalNodes'][0]
    sample_range = json.loads(fixture(UNDER))['report']['underReplicated'][0]
    body = json.loads(fixture(HEALTHY))

    def node(node_id):
        copy = json.loads(json.dumps(descriptor))
        copy['nodeId'] = node_id
        copy['address']['addressField'] = 'node%d:26257' % node_id
        copy['sqlAddress']['addressField'] = 'node%d:26257' % node_id
        return copy

    def ranges(items):
        out = []
        for range_id, replicas in items:
            copy = json.loads(json.dumps(sample_range))
            copy['rangeDescriptor']['rangeId'] = str(range_id)
            copy['rangeDescriptor']['internalReplicas'] = [
                {'nodeId': n, 'storeId': n, 'replicaId': i + 1, 'type': 0} for i, n in enumerate(replicas)]
            out.append(copy)
        return out

    body['criticalNodes'] = [node(n) for n in critical_ids]
    body['report']['underReplicated'] = ranges(under)
    body['report']['unavailable'] = ranges(unavailable)
    body['report']['unavailableNodeIds'] = list(unavailable_nodes)
    return json.dumps(body, indent=2)


def test_message_names_the_ranges_that_would_lose_quorum():
    body = _body_with(critical_ids=(2, 3), under=((40, (1, 2, 3)), (12, (2, 3, 4)), (7, (1, 3, 4))),
                      unavailable_nodes=(1,))
    verdict = stop_verdict(parse_critical_nodes(body), node='node2')
    assert verdict['reason'] == ('node node2 (n2) is critical: ranges r12, r40 would lose quorum; '
                                 '3 ranges are under-replicated: r7, r12, r40')
    assert verdict['unavailable_node_ids'] == [1]
    assert [item['node_id'] for item in verdict['critical_nodes']] == [2, 3]
    allowed = stop_verdict(parse_critical_nodes(body), node='node2', allow_underreplicated=True)
    assert allowed['reason'] == 'node node2 (n2) is critical: ranges r12, r40 would lose quorum'


def test_single_range_and_unavailable_ranges():
    body = _body_with(critical_ids=(2,), unavailable=((5, (2, 3, 4)), (6, (3, 4, 5))))
    verdict = stop_verdict(parse_critical_nodes(body), node_id=2)
    assert verdict['reason'] == ('node node2 (n2) is critical: range r5 would lose quorum; '
                                 '2 ranges are unavailable: r5, r6')
    assert verdict['unavailable_ranges'] == [5, 6]


def test_long_range_lists_are_cut():
    body = _body_with(under=[(n, (1, 2)) for n in range(1, 15)])
    assert stop_verdict(parse_critical_nodes(body), node_id=9)['reason'] == (
        '14 ranges are under-replicated: r1, r2, r3, r4, r5, r6, r7, r8, r9, r10 and 4 more')


@pytest.mark.parametrize('body, message', [
    ('', 'cannot parse POST /_status/critical_nodes response: the body is empty'),
    ('404 page not found\n', "cannot parse POST /_status/critical_nodes response: the body is not JSON: "
                             "'404 page not found'"),
    ('[]', 'cannot parse POST /_status/critical_nodes response: the body is not a JSON object'),
    ('{"report": {}}', 'cannot parse POST /_status/critical_nodes response: the body has no "criticalNodes" list'),
    ('{"criticalNodes": []}', 'cannot parse POST /_status/critical_nodes response: the body has no "report" object'),
    ('{"criticalNodes": [], "report": {"unavailable": []}}',
     'cannot parse POST /_status/critical_nodes response: report has no "underReplicated" list'),
    ('{"criticalNodes": [{"address": {}}], "report": {"underReplicated": [], "unavailable": []}}',
     'cannot parse POST /_status/critical_nodes response: criticalNodes[1] is not a NodeDescriptor (no nodeId)'),
    ('{"criticalNodes": [], "report": {"underReplicated": [{"rangeDescriptor": {"rangeId": "x"}}], "unavailable": []}}',
     "cannot parse POST /_status/critical_nodes response: report.underReplicated[1].rangeDescriptor.rangeId: "
     "expected an integer, got 'x'"),
])
def test_bodies_that_are_not_the_endpoints(body, message):
    with pytest.raises(OutputParseError) as caught:
        parse_critical_nodes(body)
    assert str(caught.value) == message


def test_endpoint_url():
    assert endpoint_url('http://node2:8080') == 'http://node2:8080/_status/critical_nodes'
    assert endpoint_url(' https://node2:8080/ ') == 'https://node2:8080/_status/critical_nodes'
    with pytest.raises(DistsqlError) as caught:
        endpoint_url('node2:8080')
    assert str(caught.value) == ("url must be the base URL of a node's HTTP API, such as http://node2:8080 or "
                                 "https://node2:8080; got 'node2:8080'")


@pytest.mark.parametrize('given, header', [
    ('abc123', 'session=abc123'),
    ('session=abc123; Path=/; HttpOnly', 'session=abc123'),
])
def test_cookie_header(given, header):
    assert cookie_header(given) == header


class FakeResponse:
    def __init__(self, status, body):
        self.status, self.body = status, body

    def getcode(self):
        return self.status

    def read(self):
        return self.body


class FakeOpener:
    """Records the request and answers with a response or raises."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def __call__(self, url, **kwargs):
        self.calls.append(dict(kwargs, url=url))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_posts_an_empty_json_object_with_the_session_cookie():
    opener = FakeOpener(FakeResponse(200, fixture(HEALTHY).encode('utf-8')))
    parsed = read_critical_nodes('https://node1:8080', request_timeout=3.0, validate_certs=False, ca_path='/ca.crt',
                                 session_cookie='session=tok; Path=/; HttpOnly', opener=opener)
    assert parsed['critical_nodes'] == []
    assert opener.calls == [{'url': 'https://node1:8080/_status/critical_nodes', 'data': '{}', 'method': 'POST',
                             'headers': {'Content-Type': 'application/json', 'Accept': 'application/json',
                                         'Cookie': 'session=tok'},
                             'timeout': 3.0, 'validate_certs': False, 'ca_path': '/ca.crt', 'follow_redirects': 'none'}]


def _http_error(code, reason, body=b''):
    return HTTPError('http://n1:8080/_status/critical_nodes', code, reason, {}, io.BytesIO(body))


@pytest.mark.parametrize('error, message', [
    (_http_error(405, 'Method Not Allowed'),
     "POST http://n1:8080/_status/critical_nodes answered HTTP 405 with an empty body; the route is POST "
     "/_status/critical_nodes, served from CockroachDB v23.1 on; check that url is the node's HTTP address "
     "(port 8080 by default, not the SQL port)"),
    (_http_error(404, 'Not Found', b'404 page not found\n'),
     "POST http://n1:8080/_status/critical_nodes answered HTTP 404: 404 page not found; the route is POST "
     "/_status/critical_nodes, served from CockroachDB v23.1 on; check that url is the node's HTTP address "
     "(port 8080 by default, not the SQL port)"),
    (_http_error(401, 'Unauthorized', b'a valid authentication cookie is required\n'),
     'POST http://n1:8080/_status/critical_nodes answered HTTP 401: a valid authentication cookie is required; '
     'a secure cluster needs a session: give login (or session_cookie from cockroach auth-session login)'),
    (_http_error(307, 'Temporary Redirect'),
     'POST http://n1:8080/_status/critical_nodes answered HTTP 307 with an empty body; the node sends plain HTTP to '
     'https (a secure cluster): use https:// in url, with ca_path and login'),
])
def test_answers_waiting_cannot_change_are_endpoint_errors(error, message):
    with pytest.raises(EndpointError) as caught:
        read_critical_nodes('http://n1:8080', opener=FakeOpener(error))
    assert str(caught.value) == message


def test_a_body_that_is_not_json_is_an_endpoint_error():
    with pytest.raises(EndpointError) as caught:
        read_critical_nodes('http://n1:8080', opener=FakeOpener(FakeResponse(200, b'<html>proxy</html>')))
    assert str(caught.value) == ("POST http://n1:8080/_status/critical_nodes: cannot parse POST /_status/critical_nodes "
                                 "response: the body is not JSON: '<html>proxy</html>'")


@pytest.mark.parametrize('error, message', [
    (URLError(ConnectionRefusedError(111, 'Connection refused')),
     'POST http://n1:8080/_status/critical_nodes failed: [Errno 111] Connection refused'),
    (_http_error(503, 'Service Unavailable', b'node is shutting down'),
     'POST http://n1:8080/_status/critical_nodes answered HTTP 503: node is shutting down'),
])
def test_transient_failures_are_plain_distsql_errors(error, message):
    with pytest.raises(DistsqlError) as caught:
        read_critical_nodes('http://n1:8080', opener=FakeOpener(error))
    assert not isinstance(caught.value, EndpointError)
    assert str(caught.value) == message


def test_find_descriptor_without_a_match():
    assert find_descriptor([], node='node1') is None
    assert find_descriptor([], node_id=1) is None
