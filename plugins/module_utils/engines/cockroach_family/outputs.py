# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Outputs CockroachDB and its fork KWDB print alike: the labels of `cockroach version` / `kwbase version`,
`node drain`, cluster settings (`SHOW CLUSTER SETTING`, the cluster version among them) and the /health?ready=1 answer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

# The 'Label: value' lines of `cockroach version`; `kwbase version` prints a subset of them.
VERSION_LABELS = {
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

DEV_OFFSET = 1000000
_DRAIN_PROGRESS = re.compile(r'node is draining\.\.\. (?:remaining: (?P<remaining>\d+)(?: \(complete\))?|(?P<done>done))\s*$')
_VERSION_FORMS = (
    ('final', re.compile(r'^(?P<major>\d+)\.(?P<minor>\d+)$')),
    ('upgrading_to', re.compile(r'^(?P<major>\d+)\.(?P<minor>\d+)-upgrading-to-(?P<to_major>\d+)\.(?P<to_minor>\d+)-step-(?P<step>\d+)$')),
    # The fence of a final version (Internal -1); '-upgrading-step--01' is how releases before #129460 printed it.
    ('final_step', re.compile(r'^(?P<to_major>\d+)\.(?P<to_minor>\d+)-upgrading-(?:final-step|step--01)$')),
    ('step', re.compile(r'^(?P<major>\d+)\.(?P<minor>\d+)-upgrading-step-(?P<step>\d+)$')),
    ('internal', re.compile(r'^(?P<major>\d+)\.(?P<minor>\d+)-(?P<step>\d+)$')),
)


def parse_drain_output(stdout, stderr):
    """Return the outcome of `cockroach node drain` / `kwbase node drain`.

    drained: stdout has an 'ok' (older releases, KWDB) or 'drain ok' line and no drain timeout was reported.
    shutdown: stdout has 'shutdown ok' (--shutdown, v24.2+). progress: every 'remaining: N' the CLI printed
    (stderr, or stdout when both streams were merged); a bare 'done' counts as 0. remaining: the last of
    them or None. timed_out: 'drain timeout' appeared. error: the first 'ERROR:' line, or None.
    """
    out_lines = [line.strip() for line in (stdout or '').splitlines()]
    all_lines = [line.strip() for line in (stderr or '').splitlines()] + out_lines
    progress = []
    for line in all_lines:
        match = _DRAIN_PROGRESS.search(line)
        if match:
            progress.append(0 if match.group('done') else int(match.group('remaining')))
    timed_out = any('drain timeout' in line for line in all_lines)
    errors = [line for line in all_lines if line.startswith('ERROR:')]
    return {
        'drained': not timed_out and any(line in ('ok', 'drain ok') for line in out_lines),
        'shutdown': 'shutdown ok' in out_lines,
        'remaining': progress[-1] if progress else None,
        'progress': progress,
        'timed_out': timed_out,
        'error': errors[0] if errors else None,
    }


def parse_setting_value(text, fmt='csv'):
    """Return the single value of a one-column, one-row result such as `SHOW CLUSTER SETTING x` (as printed)."""
    return _single_value(text, fmt, 'setting value')


def _single_value(text, fmt, what):
    columns, rows = parse_tabular(text, fmt)
    if len(columns) != 1:
        raise OutputParseError(what, 'expected one column, got %d (%s)' % (len(columns), ', '.join(columns)))
    if len(rows) != 1:
        raise OutputParseError(what, 'expected one row, got %d' % len(rows))
    return rows[0][columns[0]]


def _release(major, minor):
    major = int(major)
    if major >= DEV_OFFSET:
        major -= DEV_OFFSET
    return '%d.%d' % (major, int(minor))


def parse_cluster_version_setting(text, fmt='csv'):
    """Return the state of `SHOW CLUSTER SETTING version` (its csv output, or the bare value).

    version: the raw value. active: the release series whose features are active ('23.2' for
    '23.2-upgrading-to-24.1-step-008'; None for 'X.Y-upgrading-final-step', where the previous release
    cannot be told). upgrading_to: the target release when the value names it, else None. step: the
    internal step, else None. finalized: True only for a plain 'X.Y'. Dev builds (major + 1000000)
    are reported without the offset. Values before v24.1 print mid-upgrade as 'X.Y-N' (internal
    version N on the way to the next release, which is not named): active 'X.Y', step N, not finalized.
    KWDB stops at '20.1-3', which there is the final state of a finalized cluster.
    """
    what = 'cluster version setting'
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    lines = text.strip().splitlines()
    value = lines[0].strip() if len(lines) == 1 else _single_value(text, fmt, what)
    for form, pattern in _VERSION_FORMS:
        match = pattern.match(value)
        if match:
            return _version_state(value, form, match.groupdict())
    raise OutputParseError(what, 'unrecognized version value %r' % value)


def _version_state(value, form, groups):
    state = {'version': value, 'active': None, 'upgrading_to': None, 'step': None, 'finalized': form == 'final'}
    if groups.get('major'):
        state['active'] = _release(groups['major'], groups['minor'])
    if groups.get('to_major'):
        state['upgrading_to'] = _release(groups['to_major'], groups['to_minor'])
    if groups.get('step'):
        state['step'] = int(groups['step'])
    return state


def parse_health_response(status, body):
    """Return the readiness verdict of GET /health?ready=1.

    ready is status == 200. For an error body ({"error", "code", "message", "details"}) the three fields are
    copied; a body that is not a JSON object gives error = its first non-blank line (None when empty).
    """
    status = int(status)
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    body = body or ''
    result = {'ready': status == 200, 'status': status, 'error': None, 'code': None, 'message': None}
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ('error', 'code', 'message'):
            result[key] = data.get(key)
    elif status != 200:
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        result['error'] = lines[0] if lines else None
    return result
