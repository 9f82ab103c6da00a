# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse the report of `cockroach version`, in the variants of every release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import VERSION_LABELS
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.labeled import labeled_lines, pick_labels


def parse_cockroach_version(text):
    """Return the fields of `cockroach version`; a line the build does not print gives None.

    enabled_assertions is a bool, or None before the line existed (v23.2-ish). 'Build SHA-1' (v1.x) is read
    as build_commit_id.
    """
    what = 'cockroach version'
    result = pick_labels(labeled_lines(text, what), VERSION_LABELS)
    if not result['build_tag']:
        raise OutputParseError(what, 'no "Build Tag:" line')
    assertions = result['enabled_assertions']
    if assertions is not None:
        if assertions not in ('true', 'false'):
            raise OutputParseError(what, 'Enabled Assertions is %r, expected true or false' % assertions)
        result['enabled_assertions'] = assertions == 'true'
    return result
