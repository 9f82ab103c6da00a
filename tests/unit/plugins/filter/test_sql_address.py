# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sql_address filter: where the collection's SQL client reaches an inventory host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.filter.sql_address import FilterModule

HOSTVARS = {'kwdb1': {'distsql_sql_address': '127.0.0.1:26257'}, 'kwdb2': {'distsql_sql_port': 26258}, 'kwdb3': {}}


def test_the_filter_is_registered_under_its_name():
    assert list(FilterModule().filters()) == ['sql_address']


def test_the_filter_returns_the_address_else_the_host_and_its_port():
    sql_address = FilterModule().filters()['sql_address']
    assert [sql_address(host, HOSTVARS, 26257) for host in sorted(HOSTVARS)] == [
        '127.0.0.1:26257', 'kwdb2:26258', 'kwdb3:26257']
