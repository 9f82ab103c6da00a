# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse the version reports of `databend-query` / `databend-meta`: `--cmd ver` and `-V`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.labeled import label_values, labeled_lines, pick_labels

_VER_LABELS = {
    'version': 'version',
    'min-compatible-metasrv-version': 'min_compatible_metasrv_version',
    'min-compatible-client-version': 'min_compatible_client_version',
    'data-version': 'data_version',
}
_DATA_VERSION = re.compile(r'^(V\d+)')
_LONG_VERSION = re.compile(
    r'^(?:(?P<binary>\S+)\s+)?v?(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+?)?)-(?P<commit>[0-9a-f]{7,40})'
    r'(?:-simd)?(?:\((?P<build>[^)]*)\))?$')


def parse_databend_ver(text):
    """Return the fields of `databend-query --cmd ver` / `databend-meta --cmd ver` (also `... ver`).

    component is 'query' when min-compatible-metasrv-version is printed, 'meta' when
    min-compatible-client-version is; the other min-compatible key is None. data_version is the bare
    'V004' (the meta prints the Debug form 'V004(2024-11-11: WAL based raft-log)'), None when absent.
    """
    what = 'databend --cmd ver'
    result = pick_labels(labeled_lines(text, what), _VER_LABELS)
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
    match = _LONG_VERSION.match(lines[0].strip())
    if not match:
        raise OutputParseError(what, 'expected "<binary> v<semver>-<commit>(<build>)", got %r' % lines[0])
    result = match.groupdict()
    extra = pick_labels(label_values(lines[1:]), _VER_LABELS)
    result['min_compatible_client_version'] = extra['min_compatible_client_version']
    result['data_version'] = _data_version(extra['data_version'], what)
    return result
