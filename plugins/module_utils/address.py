# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node addresses as the CLIs print them: 'host:port' and '[ipv6]:port'."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


def split_host_port(addr):
    """Split 'host:port' or '[v6]:port' into (host, port) with port an int; IPv6 brackets are removed."""
    if not addr:
        raise OutputParseError('address', 'the address is empty')
    match = re.match(r'^\[(?P<host>[^\]]+)\]:(?P<port>\d+)$', addr) or re.match(r'^(?P<host>[^:\[\]]+):(?P<port>\d+)$', addr)
    if not match:
        raise OutputParseError('address', 'expected host:port or [ipv6]:port, got %r' % addr)
    port = int(match.group('port'))
    if not 0 < port < 65536:
        raise OutputParseError('address', 'port %d out of range in %r' % (port, addr))
    return match.group('host'), port


def sql_address(host, hostvars, default_port):
    """Where a client reaches ``host``'s SQL listener: its distsql_sql_address, else '<host>:<its distsql_sql_port>'
    (``default_port`` when the inventory leaves the port to the default)."""
    own = hostvars[host]
    if own.get('distsql_sql_address'):
        return str(own['distsql_sql_address'])
    return '%s:%s' % (host, own.get('distsql_sql_port', default_port))
