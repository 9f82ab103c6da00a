# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: query_split_windows
short_description: How long a Databend query cluster was split across a registration key change
version_added: 0.1.0
description:
  - Takes the plan (the result of M(distsql.upgrade.databend_plan)) and the report's nodes (host to its outcome
    records with timed phases) and returns one window per registration key change the run crossed.
  - A window begins when the first query node of the hop starts on the new release and ends when the last node
    still on the old one has stopped; while it lasts, clients through a load balancer reach two query clusters
    that do not see each other.
author:
  - distsql.upgrade team (@distsql)
positional: nodes
options:
  _input:
    description: The plan, with C(query_splits) and C(hops).
    type: dict
    required: true
  nodes:
    description: The report's C(nodes) (host to the list of its records, each with C(hop) and C(phases)).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Record the split
  ansible.builtin.set_fact:
    query_splits: "{{ __distsql_plan | distsql.upgrade.query_split_windows(report_nodes) }}"
'''

RETURN = r'''
_value:
  description: One entry per split, with C(release), C(hop), C(began_at), C(ended_at), C(seconds), C(first_on_new)
    and C(last_on_old); empty when the run crossed no registration key change.
  type: list
  elements: dict
'''

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.databend.splits import query_split_windows


class FilterModule:
    """The report's timing filters."""

    def filters(self):
        return {'query_split_windows': query_split_windows}
