# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`cockroach auth-session login --only-cookie`: the command line, the printed cookie and the CLI's errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroachdb.web_session import (
    login, login_argv, parse_cookie)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

# EncodeSessionCookie(..., forHTTPSOnly=false).String(): id 1 and a 16-byte secret as a SessionCookie proto
COOKIE = 'session=CAESEHRlc3Qtc2VjcmV0LTEyMzQ=; Path=/; HttpOnly'
SECURE = Connection(host='node2:26257', certs_dir='/var/lib/cockroach/certs')


def test_argv_asks_for_the_cookie_alone_with_a_whole_second_validity():
    assert login_argv('/usr/local/bin/cockroach', SECURE, expire_after=660.2) == [
        '/usr/local/bin/cockroach', 'auth-session', 'login', 'root', '--only-cookie', '--expire-after=661s',
        '--host=node2:26257', '--certs-dir=/var/lib/cockroach/certs']


def test_the_cookie_pair_is_kept_and_its_attributes_dropped():
    assert parse_cookie(COOKIE + '\n') == 'session=CAESEHRlc3Qtc2VjcmV0LTEyMzQ='


@pytest.mark.parametrize('text, reason', [
    ('', 'expected one line starting with \'session=\', got 0 line(s)'),
    ('  username | session ID | authentication cookie\n', 'expected one line starting with \'session=\', got 1 line(s)'),
    ('session=; Path=/; HttpOnly\n', 'the cookie has no value'),
])
def test_other_output_is_refused(text, reason):
    with pytest.raises(OutputParseError) as caught:
        parse_cookie(text)
    assert str(caught.value) == 'cannot parse auth-session login --only-cookie output: %s' % reason


def test_login_runs_the_cli_and_returns_the_pair():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, COOKIE + '\n', ''

    assert login(run, 'cockroach', SECURE) == 'session=CAESEHRlc3Qtc2VjcmV0LTEyMzQ='
    assert calls[0][:6] == ['cockroach', 'auth-session', 'login', 'root', '--only-cookie', '--expire-after=3600s']


def test_a_failed_login_names_the_cli_error():
    def run(_argv):
        return 1, '', 'ERROR: user "bob" does not exist\nFailed running "auth-session login"\n'

    with pytest.raises(DistsqlError) as caught:
        login(run, 'cockroach', SECURE, user='bob')
    assert str(caught.value) == ('cockroach auth-session login bob failed: ERROR: user "bob" does not exist '
                                 'Failed running "auth-session login"')
