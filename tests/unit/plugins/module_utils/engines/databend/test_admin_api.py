# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET on the Databend admin APIs: URL validation, the request made, errors typed by what waiting can change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.admin_api import (
    HttpStatusError, base_url, first_line, get, request_options)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError


class FakeResponse:
    def __init__(self, status, body):
        self.status, self.body = status, body

    def getcode(self):
        return self.status

    def read(self):
        return self.body


class FakeOpener:
    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def __call__(self, url, **kwargs):
        self.calls.append(dict(kwargs, url=url))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def http_error(code, body=b''):
    return HTTPError('http://m1:28002/x', code, 'reason', {}, io.BytesIO(body))


@pytest.mark.parametrize('given, expected', [
    ('http://10.0.0.1:28002', 'http://10.0.0.1:28002'),
    (' https://m1:28002/ ', 'https://m1:28002'),
])
def test_base_url(given, expected):
    assert base_url(given) == expected


@pytest.mark.parametrize('given', ['10.0.0.1:28002', 'http://', 'ftp://m1', '', None])
def test_base_url_refuses_what_is_no_http_base_url(given):
    with pytest.raises(DistsqlError) as caught:
        base_url(given, 'admin_urls')
    assert str(caught.value) == ('admin_urls must be the base URL of an admin API, such as http://10.0.0.1:28002 or '
                                 'https://10.0.0.1:28002; got %r' % (given,))


def test_get_makes_a_plain_get_with_the_request_options():
    opener = FakeOpener(FakeResponse(200, b'{"status":"pass"}'))
    body = get('https://m1:28002', '/v1/ctrl/trigger_transfer_leader', query={'to': 2}, request_timeout=3.0,
               validate_certs=False, ca_path='/ca.pem', opener=opener)
    assert body == '{"status":"pass"}'
    assert opener.calls == [{'url': 'https://m1:28002/v1/ctrl/trigger_transfer_leader?to=2', 'method': 'GET',
                             'headers': {'Accept': 'application/json'}, 'timeout': 3.0, 'validate_certs': False,
                             'ca_path': '/ca.pem', 'follow_redirects': 'none'}]


def test_request_options_from_module_params():
    params = {'request_timeout': 2.5, 'validate_certs': True, 'ca_path': None, 'timeout': 60}
    assert request_options(params) == {'request_timeout': 2.5, 'validate_certs': True, 'ca_path': None}


def test_a_4xx_keeps_status_and_whole_body():
    body = b'This node is not leader, can not transfer leadership;\nid=2\ncurrent_leader=Some(1)\nvoter_ids=[1, 2, 3]'
    with pytest.raises(HttpStatusError) as caught:
        get('http://m2:28002', '/v1/ctrl/trigger_transfer_leader', opener=FakeOpener(http_error(404, body)))
    assert caught.value.status == 404 and caught.value.body == body.decode()
    assert str(caught.value) == ('GET http://m2:28002/v1/ctrl/trigger_transfer_leader answered HTTP 404: This node is '
                                 'not leader, can not transfer leadership;')


@pytest.mark.parametrize('error, message', [
    (URLError(ConnectionRefusedError(111, 'Connection refused')),
     'GET http://m1:28002/v1/cluster/status failed: [Errno 111] Connection refused'),
    (http_error(500, b'failed to get status: raft is shutting down'),
     'GET http://m1:28002/v1/cluster/status answered HTTP 500: failed to get status: raft is shutting down'),
])
def test_transient_failures_are_plain_distsql_errors(error, message):
    with pytest.raises(DistsqlError) as caught:
        get('http://m1:28002', '/v1/cluster/status', opener=FakeOpener(error))
    assert not isinstance(caught.value, HttpStatusError)
    assert str(caught.value) == message


def test_a_non_200_success_code_is_an_http_status_error():
    with pytest.raises(HttpStatusError) as caught:
        get('http://m1:28002', '/v1/health', opener=FakeOpener(FakeResponse(204, b'')))
    assert str(caught.value) == 'GET http://m1:28002/v1/health answered HTTP 204 with an empty body'


def test_first_line():
    assert first_line('\n  not found \nmore') == ': not found'
    assert first_line('') == ' with an empty body'
    assert first_line('x' * 400) == ': ' + 'x' * 300
