# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET on the admin HTTP APIs of databend-meta (``admin_api_address``, 28002) and databend-query (8080).

Every route the upgrade reads is a GET without a body. The meta router answers errors as plain text (poem's
``Error::from_string``), the query router as ``{"error": {"code", "message"}}``; both are kept as text here.

base_url(url, option)      the validated base URL without a trailing slash
get(base, path, ...)       (status 200 body as text) through ansible.module_utils.urls.open_url
HTTP_ARGUMENT_SPEC         the request options every module of these APIs takes (doc fragment admin_http)

A connection failure or HTTP 5xx raises DistsqlError (a node that restarts answers again soon); any other non-200
answer raises HttpStatusError, which carries the status and the whole body for the caller to judge.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

HTTP_ARGUMENT_SPEC = dict(
    request_timeout=dict(type='float', default=10.0),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
)


class HttpStatusError(DistsqlError):
    """A non-200 answer below 500: the route, method or request is wrong, or the node refuses it (404 not leader)."""

    def __init__(self, url, status, body):
        self.url = url
        self.status = status
        self.body = body
        super(HttpStatusError, self).__init__('GET %s answered HTTP %d%s' % (url, status, first_line(body)))


def first_line(body):
    """': <first non-empty line>' of a body (at most 300 characters), or ' with an empty body'."""
    line = next((item.strip() for item in (body or '').splitlines() if item.strip()), '')
    return (': %s' % line[:300]) if line else ' with an empty body'


def base_url(url, option='admin_url'):
    """``http://host:port`` (no trailing slash) or a DistsqlError naming the option."""
    base = (url or '').strip()
    if not base.startswith(('http://', 'https://')) or not base.split('://', 1)[1].strip('/'):
        raise DistsqlError('%s must be the base URL of an admin API, such as http://10.0.0.1:28002 or '
                           'https://10.0.0.1:28002; got %r' % (option, url))
    return base.rstrip('/')


def request_options(params):
    """The open_url keyword arguments from a module's HTTP options."""
    return dict(request_timeout=params['request_timeout'], validate_certs=params['validate_certs'],
                ca_path=params['ca_path'])


def _text(body):
    if isinstance(body, bytes):
        return body.decode('utf-8', 'replace')
    return body or ''


def _error_body(exc):
    try:
        return exc.read()
    except Exception:  # pylint: disable=broad-except
        return b''


def get(base, path, query=None, request_timeout=10.0, validate_certs=True, ca_path=None, opener=open_url):
    """GET ``<base><path>[?query]`` and return the body of a 200 answer as text."""
    url = base + path
    if query:
        url += '?' + urlencode(query)
    try:
        response = opener(url, method='GET', headers={'Accept': 'application/json'}, timeout=request_timeout,
                          validate_certs=validate_certs, ca_path=ca_path, follow_redirects='none')
        status = response.getcode()
        body = _text(response.read())
    except HTTPError as exc:
        status, body = exc.code, _text(_error_body(exc))
    except (URLError, UrlsConnectionError, HTTPException, socket.timeout, OSError) as exc:
        raise DistsqlError('GET %s failed: %s' % (url, getattr(exc, 'reason', None) or exc))
    if status == 200:
        return body
    if status >= 500:
        raise DistsqlError('GET %s answered HTTP %d%s' % (url, status, first_line(body)))
    raise HttpStatusError(url, status, body)
