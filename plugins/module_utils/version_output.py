# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse the version reports of `cockroach version`, `kwbase version`, `databend-* --cmd ver` and `databend-* -V`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

_COCKROACH_LABELS = {
    'Build Tag': 'build_tag',
    'Build Time': 'build_time',
    'Distribution': 'distribution',
    'Platform': 'platform',
    'Go Version': 'go_version',
    'C Compiler': 'c_compiler',
    'Build Commit ID': 'build_commit_id',
    'Build SHA-1': 'build_commit_id',
    'Build Type': 'build_type',
    'Enabled Assertions': 'enabled_assertions',
}
_KWBASE_PRODUCTS = ('KaiwuDB', 'KWDB')
_KWBASE_KEYS = ('product', 'build_tag', 'build_time', 'distribution', 'platform', 'go_version', 'c_compiler',
                'build_commit_id')
_DATABEND_VER_LABELS = {
    'version': 'version',
    'min-compatible-metasrv-version': 'min_compatible_metasrv_version',
    'min-compatible-client-version': 'min_compatible_client_version',
    'data-version': 'data_version',
}
_DATA_VERSION = re.compile(r'^(V\d+)')
_DATABEND_LONG_VERSION = re.compile(
    r'^(?:(?P<binary>\S+)\s+)?v?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+?)?)-(?P<commit>[0-9a-f]{7,40})'
    r'(?:-simd)?(?:\((?P<build>[^)]*)\))?$')


def _label_values(lines):
    """Map each 'Label: value' line to its stripped value (split on the first ':'); other lines are ignored."""
    values = {}
    for line in lines:
        label, sep, value = line.partition(':')
        if sep and label.strip():
            values.setdefault(label.strip(), value.strip())
    return values


def _labeled_lines(text, what):
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    return _label_values(text.splitlines())


def _mapped(values, labels):
    result = dict((key, None) for key in labels.values())
    for label, key in labels.items():
        if label in values:
            result[key] = values[label]
    return result


def parse_cockroach_version(text):
    """Return the fields of `cockroach version`; a line the build does not print gives None.

    enabled_assertions is a bool, or None before the line existed (v23.2-ish). 'Build SHA-1' (v1.x) is read
    as build_commit_id.
    """
    what = 'cockroach version'
    result = _mapped(_labeled_lines(text, what), _COCKROACH_LABELS)
    if not result['build_tag']:
        raise OutputParseError(what, 'no "Build Tag:" line')
    assertions = result['enabled_assertions']
    if assertions is not None:
        if assertions not in ('true', 'false'):
            raise OutputParseError(what, 'Enabled Assertions is %r, expected true or false' % assertions)
        result['enabled_assertions'] = assertions == 'true'
    return result


def parse_kwbase_version(text):
    """Return the fields of `kwbase version` (first line 'KaiwuDB Version:' or 'KWDB Version:')."""
    what = 'kwbase version'
    values = _labeled_lines(text, what)
    first = text.strip().splitlines()[0]
    product = first.partition(' ')[0]
    if product not in _KWBASE_PRODUCTS or not first.startswith(product + ' Version:'):
        raise OutputParseError(what, 'the first line is not "KaiwuDB Version:" or "KWDB Version:": %r' % first)
    result = _mapped(values, dict((label, key) for label, key in _COCKROACH_LABELS.items() if key in _KWBASE_KEYS))
    result['product'] = product
    result['build_tag'] = values[product + ' Version']
    if not result['build_tag']:
        raise OutputParseError(what, 'the %s Version line is empty' % product)
    return result


def parse_databend_ver(text):
    """Return the fields of `databend-query --cmd ver` / `databend-meta --cmd ver` (also `... ver`).

    component is 'query' when min-compatible-metasrv-version is printed, 'meta' when
    min-compatible-client-version is; the other min-compatible key is None. data_version is the bare
    'V004' (the meta prints the Debug form 'V004(2024-11-11: WAL based raft-log)'), None when absent.
    """
    what = 'databend --cmd ver'
    result = _mapped(_labeled_lines(text, what), _DATABEND_VER_LABELS)
    if not result['version']:
        raise OutputParseError(what, 'no "version:" line')
    if result['min_compatible_metasrv_version']:
        result['component'] = 'query'
    elif result['min_compatible_client_version']:
        result['component'] = 'meta'
    else:
        raise OutputParseError(what, 'neither "min-compatible-metasrv-version:" nor "min-compatible-client-version:" is printed')
    result['data_version'] = _data_version(result['data_version'], what)
    return result


def _data_version(value, what):
    if value is None:
        return None
    match = _DATA_VERSION.match(value)
    if not match:
        raise OutputParseError(what, 'data-version %r does not start with V<digits>' % value)
    return match.group(1)


def parse_databend_long_version(text):
    """Parse `databend-meta -V` / `databend-query -V` / SELECT VERSION() style strings.

    First line 'databend-meta v1.2.828-nightly-57bb43233f(rust-1.88.0-nightly-...)' (or the older
    '...-04590e7-simd(1.66.0-...)'): binary ('databend-meta', or None when only the version is given),
    version (semver without the leading v, pre-release kept: '1.2.828-nightly'), commit, build (the text
    in parentheses or None). Newer meta builds print two more lines, returned as
    min_compatible_client_version and data_version (None when absent).
    """
    what = 'databend long version'
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    lines = text.strip().splitlines()
    match = _DATABEND_LONG_VERSION.match(lines[0].strip())
    if not match:
        raise OutputParseError(what, 'expected "<binary> v<semver>-<commit>(<build>)", got %r' % lines[0])
    result = match.groupdict()
    extra = _mapped(_label_values(lines[1:]), _DATABEND_VER_LABELS)
    result['min_compatible_client_version'] = extra['min_compatible_client_version']
    result['data_version'] = _data_version(extra['data_version'], what)
    return result
