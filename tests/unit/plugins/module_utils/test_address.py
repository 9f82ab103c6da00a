# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host:port addresses as the CLIs print them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.address import split_host_port, sql_address
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


@pytest.mark.parametrize('addr, expected', [
    ('[fd00:1122:3344:101::3]:32221', ('fd00:1122:3344:101::3', 32221)),
    ('localhost:26257', ('localhost', 26257)),
    ('cockroachdb-basic-0.cockroachdb-basic.default.svc.cluster.local:26257',
     ('cockroachdb-basic-0.cockroachdb-basic.default.svc.cluster.local', 26257)),
    ('10.89.0.11:26257', ('10.89.0.11', 26257)),
])
def test_split_host_port(addr, expected):
    assert split_host_port(addr) == expected


@pytest.mark.parametrize('addr, message', [
    (None, 'cannot parse address: the address is empty'),
    ('', 'cannot parse address: the address is empty'),
    ('localhost', "cannot parse address: expected host:port or [ipv6]:port, got 'localhost'"),
    ('fd00::3:26257', "cannot parse address: expected host:port or [ipv6]:port, got 'fd00::3:26257'"),
    ('host:port', "cannot parse address: expected host:port or [ipv6]:port, got 'host:port'"),
    ('host:70000', "cannot parse address: port 70000 out of range in 'host:70000'"),
    ('NULL', "cannot parse address: expected host:port or [ipv6]:port, got 'NULL'"),
])
def test_split_host_port_errors(addr, message):
    with pytest.raises(OutputParseError) as excinfo:
        split_host_port(addr)
    assert str(excinfo.value) == message


HOSTVARS = {
    # nodes in containers on one host publish their SQL ports on 127.0.0.1
    'kwdb1': {'distsql_sql_address': '127.0.0.1:26257', 'distsql_sql_port': 26257},
    'node2': {'distsql_sql_port': 26258},
    'node3': {},
    'node4': {'distsql_sql_address': '', 'distsql_sql_port': 26259},
}


@pytest.mark.parametrize('host, expected', [
    ('kwdb1', '127.0.0.1:26257'),
    ('node2', 'node2:26258'),
    ('node3', 'node3:26257'),
    ('node4', 'node4:26259'),
])
def test_sql_address_is_the_hosts_own_address_else_its_name_and_port(host, expected):
    assert sql_address(host, HOSTVARS, 26257) == expected
