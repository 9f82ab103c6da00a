# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  timeout:
    description:
      - Seconds to keep polling before the module fails with the last observed state.
      - Measured on a monotonic clock from the first check.
    type: float
    default: 300.0
  interval:
    description:
      - Seconds between two checks.
    type: float
    default: 2.0
  stable_checks:
    description:
      - How many consecutive checks must pass before the wait succeeds, so that a state that flaps is not
        taken for a healthy one.
    type: int
    default: 3
'''
