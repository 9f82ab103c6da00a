# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A DB Console session for the HTTP status API of a secure cluster: `cockroach auth-session login`.

Over TLS, `/_status/*` routes answer 401 ``a valid authentication cookie is required`` without a session cookie;
`auth-session login <user> --only-cookie` creates one (a row in system.web_sessions, made over SQL with the client
certificate) and prints it as ``session=<base64>; Path=/; HttpOnly``. The session lives ``--expire-after`` (1h by
default) and is left to expire: `auth-session logout` would revoke every session of the user, an operator's
open DB Console among them.

login_argv(...)      the command line
parse_cookie(text)   the ``session=<value>`` pair from its output (pure)
login(run, ...)      both, with the CLI's own error text on failure
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError, OutputParseError

WHAT = 'auth-session login --only-cookie output'
COOKIE_PREFIX = 'session='


def login_argv(binary, connection, user='root', expire_after=3600):
    """``<binary> auth-session login <user> --only-cookie --expire-after=<N>s <connection flags>``."""
    seconds = max(1, int(math.ceil(expire_after)))
    return [binary, 'auth-session', 'login', user, '--only-cookie', '--expire-after=%ds' % seconds] + connection.argv()


def parse_cookie(text):
    """The ``session=<value>`` pair of the printed cookie (its attributes dropped)."""
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith(COOKIE_PREFIX):
        raise OutputParseError(WHAT, 'expected one line starting with %r, got %d line(s)' % (COOKIE_PREFIX, len(lines)))
    pair = lines[0].split(';', 1)[0].strip()
    if pair == COOKIE_PREFIX:
        raise OutputParseError(WHAT, 'the cookie has no value')
    return pair


def login(run, binary, connection, user='root', expire_after=3600):
    """Log ``user`` in; return the ``session=<value>`` cookie. The cookie is never part of an error message."""
    rc, stdout, stderr = run(login_argv(binary, connection, user, expire_after))
    if rc != 0:
        detail = ' '.join(line.strip() for line in (stderr or '').splitlines() if line.strip()) or 'exit %d' % rc
        raise DistsqlError('%s auth-session login %s failed: %s' % (binary, user, detail))
    return parse_cookie(stdout)
