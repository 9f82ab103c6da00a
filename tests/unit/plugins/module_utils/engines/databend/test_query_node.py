# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A started databend-query node: /v1/cluster/list by address, versions, handshake log lines, the verdict.

Fixtures (tests/unit/fixtures/databend/): query_cluster_list_v1.2.709_constructed.json (the NodeInfo field set of
flow-surfaces-databend.md 4.3), query_cluster_list_v1.2.410_constructed.json (the older {id, cpu_nums, version,
flight_address, binary_version}), query_log_*_constructed.log (the text layout of section 5 with its exact
handshake texts), query_stderr_handshake_issue18891.txt (the real line quoted in databendlabs/databend#18891).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.query_node import (
    EndpointError, LogScanner, address_matches, find_node, handshake_lines, judge, parse_cluster_list, read_other,
    read_own, version_matches)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
V709 = 'v1.2.709-nightly-6887233c0e(rust-1.85.0-nightly-2025-01-10T02:15:33.120044000Z)'
OWN = 'http://127.0.0.1:8080'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


LIST_709 = parse_cluster_list(fixture('databend/query_cluster_list_v1.2.709_constructed.json'))
LIST_410 = parse_cluster_list(fixture('databend/query_cluster_list_v1.2.410_constructed.json'))


def test_parse_cluster_list_current():
    assert LIST_709[0] == {'id': '2KTgGnTDuKHw3wu9CCVIf6', 'http_address': '10.89.0.21:8000',
                           'flight_address': '10.89.0.21:9090', 'discovery_address': '10.89.0.21:8000',
                           'binary_version': V709, 'cluster_id': 'default', 'warehouse_id': 'default'}
    assert len(LIST_709) == 2


def test_parse_cluster_list_old_node_info():
    assert LIST_410 == [{'id': '5bVw2QkLx9RtNc7HpAe1Zm', 'http_address': None, 'flight_address': '10.89.0.21:9090',
                         'discovery_address': None,
                         'binary_version': 'v1.2.410-nightly-a91c3e5f20(rust-1.75.0-nightly-2024-03-18T10:02:44.806213000Z)',
                         'cluster_id': None, 'warehouse_id': None}]


@pytest.mark.parametrize('body, message', [
    ('Failed to fetch cluster nodes list. cause: x', "the body is not JSON: 'Failed to fetch cluster nodes list. cause: x'"),
    ('{"a":1}', "expected a JSON array of nodes, got '{\"a\":1}'"),
    ('[{"http_address":"x"}]', "entry 1 is not a node (no id): {'http_address': 'x'}"),
])
def test_parse_cluster_list_errors(body, message):
    with pytest.raises(OutputParseError) as caught:
        parse_cluster_list(body)
    assert str(caught.value) == 'cannot parse databend-query /v1/cluster/list: ' + message


@pytest.mark.parametrize('address, matches', [
    ('10.89.0.21', True), ('10.89.0.21:9090', True), ('10.89.0.21:8000', True), ('10.89.0.21:7070', False),
    ('10.89.0.2', False), ('10.89.0.22', False),
])
def test_address_matches_host_or_whole_address(address, matches):
    assert address_matches(LIST_709[0], address) is matches


def test_address_matches_flight_address_of_old_node_info():
    assert address_matches(LIST_410[0], '10.89.0.21') is True


def test_address_matches_host_names_and_ipv6_without_case():
    entry = {'http_address': 'Query1.Example:8000', 'flight_address': '[fd00::21]:9090'}
    assert address_matches(entry, 'query1.example') and address_matches(entry, 'fd00::21')


@pytest.mark.parametrize('expected, matches', [
    (None, True), ('1.2.709-nightly', True), ('v1.2.709-nightly', True), ('1.2.709', True), ('1.2.70', False),
    ('1.2.770-nightly', False),
])
def test_version_matches(expected, matches):
    assert version_matches(V709, expected) is matches


def test_version_matches_the_whole_string_and_the_paren_form():
    assert version_matches('v1.2.709', '1.2.709') and version_matches('v1.2.709(rust-1.85)', '1.2.709')
    assert not version_matches(None, '1.2.709')


def test_find_node_ignores_the_id_and_prefers_the_expected_version():
    ghost = dict(LIST_709[0], id='OLDghostIdOfThePrevStart', binary_version='v1.2.700-nightly-1111111111(rust-x)')
    nodes = [ghost] + LIST_709
    assert find_node(nodes, '10.89.0.21', '1.2.709-nightly')['id'] == '2KTgGnTDuKHw3wu9CCVIf6'
    assert find_node(nodes, '10.89.0.21')['id'] == 'OLDghostIdOfThePrevStart'
    assert find_node(nodes, '10.89.0.23') is None


# -- log lines ---------------------------------------------------------------------------------------------------


def test_handshake_lines_of_the_per_feature_era():
    lines = handshake_lines(fixture('databend/query_log_handshake_v1.2.726_constructed.log'))
    stamps = [line.split(' ', 1)[0] for line in lines]
    assert stamps == ['2025-02-14T12:00:01.131477+00:00', '2025-02-14T12:00:01.131790+00:00']
    assert lines[1].endswith('ERROR databend_query::entry: entry.rs:64 HandshakeError with databend-meta: Invalid: '
                             'server protocol_version((1, 2, 600)) < client required((1, 2, 677)) for feature '
                             'watch/initial_flush')


def test_handshake_lines_of_the_old_client_text():
    lines = handshake_lines(fixture('databend/query_log_handshake_v1.2.700_constructed.log'))
    assert lines == ['2024-12-02T08:30:11.051004+00:00 ERROR databend_query::entry: entry.rs:64 failed to handshake '
                     'with meta-service: incompatible protocol version, cause: metasrv protocol_version(1.2.200) < '
                     'meta-client min-compatible(1.2.259)']


def test_handshake_lines_of_the_real_stderr_line():
    assert handshake_lines(fixture('databend/query_stderr_handshake_issue18891.txt')) == [
        'Databend Query start failure, cause: MetaServiceError. Code: 2001, Text = HandshakeError with databend-meta: '
        'Invalid: server protocol_version((1, 2, 377)) < client required((1, 2, 677)) for feature watch/initial_flush.']


def test_handshake_lines_of_the_server_refusal():
    line = ('failed to handshake with meta-service: handshake is refused, cause: tonic::status::Status: status: '
            'InvalidArgument, message: "meta-client protocol_version(1.2.287) < metasrv min-compatible(1.2.288)"')
    assert handshake_lines('x\n%s\ny\n' % line) == [line]


def test_a_clean_start_has_no_handshake_lines():
    assert handshake_lines(fixture('databend/query_log_started_constructed.log')) == []


def test_log_scanner_reads_from_the_offset_and_across_checks(tmp_path):
    path = tmp_path / 'databend-query-default.log'
    old = fixture('databend/query_log_handshake_v1.2.700_constructed.log')
    path.write_text(old)
    scanner = LogScanner(str(path), offset=len(old.encode()))
    assert scanner.scan() == ([], len(old.encode()))
    new = fixture('databend/query_log_handshake_v1.2.726_constructed.log')
    with open(str(path), 'a') as handle:
        handle.write(new[:200])  # the start of a line
    assert scanner.scan()[0] == []
    with open(str(path), 'a') as handle:
        handle.write(new[200:])
    lines, size = scanner.scan()
    assert len(lines) == 2 and size == len((old + new).encode())
    assert scanner.rotated is False


def test_log_scanner_holds_a_line_without_its_newline(tmp_path):
    path = tmp_path / 'q.log'
    path.write_text('HandshakeError with databend-meta: Invalid')
    scanner = LogScanner(str(path))
    assert scanner.scan()[0] == []
    with open(str(path), 'a') as handle:
        handle.write(': x\n')
    assert scanner.scan()[0] == ['HandshakeError with databend-meta: Invalid: x']


def test_log_scanner_restarts_on_a_rotated_file(tmp_path):
    path = tmp_path / 'q.log'
    path.write_text('HandshakeError short\n')
    scanner = LogScanner(str(path), offset=10000)
    lines, size = scanner.scan()
    assert lines == ['HandshakeError short'] and size == 21 and scanner.rotated is True


def test_log_scanner_of_a_missing_file(tmp_path):
    scanner = LogScanner(str(tmp_path / 'none.log'), offset=0)
    assert scanner.scan() == ([], 0)


# -- the verdict -------------------------------------------------------------------------------------------------


def own(nodes=None, health=True, **extra):
    seen = {'url': OWN, 'health': {'healthy': health, 'status': 'pass' if health else 'fail'}}
    if nodes is not None:
        seen['nodes'] = nodes
    seen.update(extra)
    return seen


def test_ready():
    verdict = judge(own(LIST_709), [{'url': 'http://10.89.0.22:8080', 'nodes': LIST_709}], [], '10.89.0.21',
                    '1.2.709-nightly')
    assert verdict == {'healthy': True, 'reasons': [], 'node_id': '2KTgGnTDuKHw3wu9CCVIf6', 'version': V709,
                       'http_address': '10.89.0.21:8000', 'flight_address': '10.89.0.21:9090',
                       'registered_via': [OWN, 'http://10.89.0.22:8080']}


def test_not_ready_while_starting():
    verdict = judge({'url': OWN, 'health_error': 'GET %s/v1/health failed: [Errno 111] Connection refused' % OWN}, [],
                    [], '10.89.0.21')
    assert verdict['healthy'] is False and verdict['node_id'] is None
    assert verdict['reasons'] == ['GET http://127.0.0.1:8080/v1/health failed: [Errno 111] Connection refused']


@pytest.mark.parametrize('seen, others, expected, reasons', [
    (own([]), [], None, ['http://127.0.0.1:8080/v1/cluster/list lists no node at 10.89.0.21']),
    (own(LIST_709), [], '1.2.770-nightly',
     ['http://127.0.0.1:8080/v1/cluster/list lists the node at 10.89.0.21 with binary_version %s, expected '
      'v1.2.770-nightly' % V709]),
    (own(LIST_709, health=False), [], None, ["http://127.0.0.1:8080/v1/health answers status 'fail', not pass"]),
    (own(list_error='GET http://127.0.0.1:8080/v1/cluster/list answered HTTP 500: Failed to fetch cluster nodes '
                    'list. cause: no leader'), [], None,
     ['GET http://127.0.0.1:8080/v1/cluster/list answered HTTP 500: Failed to fetch cluster nodes list. cause: no '
      'leader']),
    (own(LIST_709), [{'url': 'http://10.89.0.22:8080', 'nodes': LIST_709[1:]}], None,
     ['http://10.89.0.22:8080/v1/cluster/list lists no node at 10.89.0.21']),
])
def test_not_ready(seen, others, expected, reasons):
    verdict = judge(seen, others, [], '10.89.0.21', expected)
    assert verdict['healthy'] is False and verdict['reasons'] == reasons


def test_handshake_lines_make_it_not_ready():
    verdict = judge(own(LIST_709), [], ['line one InvalidArgument', 'line two'], '10.89.0.21')
    assert verdict['reasons'] == ['the log has a meta handshake failure: line one InvalidArgument (and 1 more such '
                                  'lines)']


# -- reading -----------------------------------------------------------------------------------------------------


class Opener:
    def __init__(self, answers):
        self.answers, self.urls = answers, []

    def __call__(self, url, **_kwargs):
        self.urls.append(url)
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer

        class Response:
            def getcode(self):
                return 200

            def read(self):
                return answer.encode()
        return Response()


def test_read_own():
    opener = Opener({OWN + '/v1/health': '{"status":"pass"}',
                     OWN + '/v1/cluster/list': fixture('databend/query_cluster_list_v1.2.709_constructed.json')})
    seen = read_own(OWN, opener=opener)
    assert seen['health'] == {'healthy': True, 'status': 'pass'} and seen['nodes'] == LIST_709
    assert opener.urls == [OWN + '/v1/health', OWN + '/v1/cluster/list']


def test_read_own_of_a_node_still_starting_skips_the_list():
    opener = Opener({OWN + '/v1/health': URLError(ConnectionRefusedError(111, 'Connection refused'))})
    assert read_own(OWN, opener=opener) == {'url': OWN, 'health_error': 'GET http://127.0.0.1:8080/v1/health failed: '
                                                                        '[Errno 111] Connection refused'}


def test_read_other_with_a_server_error():
    error = HTTPError('x', 500, 'err', {}, io.BytesIO(b'Failed to fetch cluster nodes list. cause: no leader'))
    assert read_other('http://q2:8080', opener=Opener({'http://q2:8080/v1/cluster/list': error})) == {
        'url': 'http://q2:8080',
        'list_error': 'GET http://q2:8080/v1/cluster/list answered HTTP 500: Failed to fetch cluster nodes list. '
                      'cause: no leader'}


def test_a_wrong_url_is_an_endpoint_error():
    error = HTTPError('x', 404, 'nf', {}, io.BytesIO(json.dumps({'error': {'code': 404, 'message': 'not found'}}).encode()))
    with pytest.raises(EndpointError) as caught:
        read_own(OWN, opener=Opener({OWN + '/v1/health': error}))
    assert str(caught.value) == ('GET http://127.0.0.1:8080/v1/health answered HTTP 404: {"error": {"code": 404, '
                                 '"message": "not found"}}; expected the databend-query admin API (admin_api_address, '
                                 'port 8080 by default)')
