# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The range-health query result, per node."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.range_health import parse_range_health_rows
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


def test_range_rows_are_typed_and_null_is_unknown():
    rows = parse_range_health_rows("node_id,ranges_unavailable,ranges_underreplicated\n1,0,21\n2,NULL,NULL\n")
    assert rows == [{"node_id": 1, "ranges_unavailable": 0, "ranges_underreplicated": 21},
                    {"node_id": 2, "ranges_unavailable": None, "ranges_underreplicated": None}]


def test_range_rows_reject_non_integers():
    with pytest.raises(OutputParseError) as caught:
        parse_range_health_rows("node_id,ranges_unavailable,ranges_underreplicated\n1,zero,0\n")
    assert str(caught.value) == "cannot parse range health query result: not an integer: 'zero'"
