# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports made of 'Label: value' lines, such as what the engines' version commands print."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


def label_values(lines):
    """Map each 'Label: value' line to its stripped value (split on the first ':'); other lines are ignored."""
    values = {}
    for line in lines:
        label, sep, value = line.partition(':')
        if sep and label.strip():
            values.setdefault(label.strip(), value.strip())
    return values


def labeled_lines(text, what):
    """label_values() of a whole output; an empty output is an OutputParseError about ``what``."""
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    return label_values(text.splitlines())


def pick_labels(values, labels):
    """A dict with every key of ``labels`` (label -> key): the value printed for that label, or None."""
    result = dict((key, None) for key in labels.values())
    for label, key in labels.items():
        if label in values:
            result[key] = values[label]
    return result
