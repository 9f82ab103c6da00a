# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse the report of `kwbase version` (KaiwuDB and KWDB builds)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import VERSION_LABELS
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.labeled import labeled_lines, pick_labels

_PRODUCTS = ('KaiwuDB', 'KWDB')
_KEYS = ('product', 'build_tag', 'build_time', 'distribution', 'platform', 'go_version', 'c_compiler', 'build_commit_id')


def parse_kwbase_version(text):
    """Return the fields of `kwbase version` (first line 'KaiwuDB Version:' or 'KWDB Version:')."""
    what = 'kwbase version'
    values = labeled_lines(text, what)
    first = text.strip().splitlines()[0]
    product = first.partition(' ')[0]
    if product not in _PRODUCTS or not first.startswith(product + ' Version:'):
        raise OutputParseError(what, 'the first line is not "KaiwuDB Version:" or "KWDB Version:": %r' % first)
    result = pick_labels(values, dict((label, key) for label, key in VERSION_LABELS.items() if key in _KEYS))
    result['product'] = product
    result['build_tag'] = values[product + ' Version']
    if not result['build_tag']:
        raise OutputParseError(what, 'the %s Version line is empty' % product)
    return result
