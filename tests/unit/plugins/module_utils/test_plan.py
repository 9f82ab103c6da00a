# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""UpgradePlan, the verdict of every engine's upgrade rules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.plan import UpgradePlan


def test_upgrade_plan_to_dict_shape():
    plan = UpgradePlan(True, 'patch', ['v1'], 'why', ['careful'], order='x')
    assert plan.to_dict() == {'allowed': True, 'kind': 'patch', 'hops': ['v1'], 'reason': 'why', 'warnings': ['careful'], 'order': 'x'}
