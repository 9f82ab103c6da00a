# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: sql_address
short_description: Where the collection's SQL client reaches an inventory host
version_added: 0.1.0
description:
  - Returns the host's C(distsql_sql_address) when the inventory sets one (nodes in containers on one host publish
    their ports on C(127.0.0.1), say), else C(<host>:<port>) with the host's own C(distsql_sql_port).
author:
  - distsql.upgrade team (@distsql)
positional: hostvars, default_port
options:
  _input:
    description: The inventory host name.
    type: str
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: dict
    required: true
  default_port:
    description: The port when the host has no C(distsql_sql_port) of its own (the role default).
    type: int
    required: true
'''

EXAMPLES = r'''
- name: Read the cluster through another node
  distsql.upgrade.node_status:
    engine: kwdb
    host: "{{ peer | distsql.upgrade.sql_address(hostvars, distsql_sql_port) }}"
'''

RETURN = r'''
_value:
  description: C(host:port).
  type: str
'''

from ansible_collections.distsql.upgrade.plugins.module_utils.address import sql_address


class FilterModule:
    """Inventory addressing."""

    def filters(self):
        return {'sql_address': sql_address}
