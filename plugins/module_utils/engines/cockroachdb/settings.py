# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster settings of CockroachDB: SHOW / SET / RESET CLUSTER SETTING and how their values compare.

The settings capability (``get_engine('cockroachdb').settings``) offers:

show(run, binary, connection, name)          the value as SHOW CLUSTER SETTING prints it (csv; '' for an unset string)
set_value(run, binary, connection, name, v)  SET CLUSTER SETTING name = 'v'
reset(run, binary, connection, name)         RESET CLUSTER SETTING name
ensure(run, binary, connection, name, value=None, state='present', check_mode=False)
                                             the cluster_setting module's work: read, compare, change, read back
same_value(a, b), normalize(v)               the comparison: durations by length (15m == 00:15:00 == 900s),
                                             booleans case-insensitively, everything else exactly
parse_duration(text), format_duration(s)     Go durations (10m, 1m30s, 500ms) and intervals (00:15:00, 1 day 02:00:00);
                                             parse_go_duration(text) the Go form only (what --drain-wait takes)

A failed statement raises cockroach_family.sql.SqlError carrying the server's message and SQLSTATE
(flow-surfaces-cockroachdb.md section 3).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import parse_setting_value
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import run_sql
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import DistsqlError

VERSION_SETTING = 'version'
VERSION_REFUSAL = ("cluster_setting does not change the cluster version: setting `version` finalizes a major upgrade "
                   "and cannot be undone; use distsql.upgrade.finalization (state=finalized), which checks that every "
                   "node runs the new release and waits until the upgrade jobs are done")

# Defaults of the settings this collection changes (anchors.md section 5 drain table and time_until_store_dead;
# flow-surfaces-cockroachdb.md section 3 for preserve_downgrade_option and auto_upgrade.enabled). A setting not
# listed has a default only the server knows: RESET runs, and the value read back tells whether it changed.
KNOWN_DEFAULTS = {
    'cluster.preserve_downgrade_option': '',
    'cluster.auto_upgrade.enabled': 'true',
    'server.shutdown.initial_wait': '0s',
    'server.shutdown.drain_wait': '0s',
    'server.shutdown.connections.timeout': '0s',
    'server.shutdown.connection_wait': '0s',
    'server.shutdown.transactions.timeout': '10s',
    'server.shutdown.query_wait': '10s',
    'server.shutdown.lease_transfer_iteration.timeout': '5s',
    'server.shutdown.lease_transfer_wait': '5s',
    'server.time_until_store_dead': '5m',
}

_NAME = re.compile(r'^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$')
_GO_UNITS = {'ns': 1e-9, 'us': 1e-6, '\u00b5s': 1e-6, '\u03bcs': 1e-6, 'ms': 1e-3, 's': 1, 'm': 60, 'h': 3600}
_GO_DURATION = re.compile(r'^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h)'
                          r'(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))*$')
_GO_PART = re.compile(r'(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)')
_INTERVAL = re.compile(r'^(?P<sign>-)?(?:(?P<days>\d+) days? ?)?(?:(?P<hours>\d+):(?P<minutes>\d{2}):(?P<seconds>\d{2}(?:\.\d+)?))?$')


class SettingChangeFailed(DistsqlError):
    """A SET or RESET the server refused; carries the value before and the server's SQLSTATE, DETAIL and HINT."""

    def __init__(self, cause, previous):
        self.previous = previous
        self.details = dict(getattr(cause, 'as_result', dict)(), previous=previous)
        super(SettingChangeFailed, self).__init__(str(cause))

    def as_result(self):
        return dict(self.details)


def check_name(name):
    """Refuse a name that is not a dotted setting name: it is written into the statement."""
    if not _NAME.match(name or ''):
        raise DistsqlError('invalid cluster setting name %r: expected dotted words such as '
                           'server.shutdown.initial_wait' % (name,))
    return name


def sql_literal(value):
    """A SQL string literal; the server casts it to the setting's type (bool, interval, int, string)."""
    return "'%s'" % str(value).replace("'", "''")


def show_statement(name):
    return 'SHOW CLUSTER SETTING %s' % check_name(name)


def set_statement(name, value):
    return 'SET CLUSTER SETTING %s = %s' % (check_name(name), sql_literal(value))


def reset_statement(name):
    return 'RESET CLUSTER SETTING %s' % check_name(name)


def show(run, binary, connection, name):
    """The value as SHOW CLUSTER SETTING prints it with --format=csv."""
    return parse_setting_value(run_sql(run, binary, connection, show_statement(name)))


def settable(value):
    """The value to SET: an interval as SHOW prints it ('00:15:00', read back from the cluster) becomes the Go
    duration every version accepts ('15m'); anything else is kept as given."""
    text = str(value).strip()
    if parse_go_duration(text) is None and ':' in text:
        seconds = parse_duration(text)
        if seconds is not None and seconds == int(seconds):
            return format_duration(seconds)
    return value


def set_value(run, binary, connection, name, value):
    run_sql(run, binary, connection, set_statement(name, settable(value)))


def reset(run, binary, connection, name):
    run_sql(run, binary, connection, reset_statement(name))


def parse_go_duration(text):
    """Seconds (an int when whole) of a Go duration ('15m', '1m30s', '500ms', what --drain-wait takes); else None."""
    value = str(text).strip()
    if not _GO_DURATION.match(value):
        return None
    sign = -1 if value.startswith('-') else 1
    micros = sum(round(float(number) * _GO_UNITS[unit] * 1e6) for number, unit in _GO_PART.findall(value))
    return _seconds(sign * micros)


def parse_duration(text):
    """Seconds (an int when whole) of a Go duration ('15m', '1m30s', '500ms') or an interval as SHOW prints it
    ('00:15:00', '00:00:00.5', '1 day 02:00:00'); None when the text is neither (a bare number is not a duration)."""
    value = str(text).strip()
    if not value:
        return None
    seconds = parse_go_duration(value)
    if seconds is not None:
        return seconds
    match = _INTERVAL.match(value)
    if not match or not (match.group('days') or match.group('hours')):
        return None
    hours = int(match.group('days') or 0) * 24 + int(match.group('hours') or 0)
    total = (hours * 60 + int(match.group('minutes') or 0)) * 60 + float(match.group('seconds') or 0)
    micros = round(total * 1e6)
    return _seconds(-micros if match.group('sign') else micros)


def _seconds(micros):
    return micros // 1000000 if micros % 1000000 == 0 else micros / 1e6


def format_duration(seconds):
    """A Go duration the CLI accepts: 35s, 1m30s, 10m, 1h5m."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = ''.join('%d%s' % (number, unit) for number, unit in ((hours, 'h'), (minutes, 'm'), (secs, 's')) if number)
    return text or '0s'


def normalize(value):
    """(kind, comparable value): ('bool', 'true'), ('duration', seconds) or ('string', the exact text)."""
    text = '' if value is None else str(value)
    if text.strip().lower() in ('true', 'false'):
        return ('bool', text.strip().lower())
    seconds = parse_duration(text)
    if seconds is not None:
        return ('duration', seconds)
    return ('string', text)


def same_value(current, desired):
    """Whether a setting printed as ``current`` already has the value ``desired``."""
    return normalize(current) == normalize(desired)


def ensure(run, binary, connection, name, value=None, state='present', check_mode=False):
    """Read a setting, change it when it differs (SET for present with a value, RESET for absent), read it back.

    Returns name, value (as SHOW prints it afterwards; in check mode the value it would get), previous, changed
    and diff. ``version`` is only read: changing it is finalization's job.
    """
    changing = state == 'absent' or value is not None
    if name == VERSION_SETTING and changing:
        raise DistsqlError(VERSION_REFUSAL)
    previous = show(run, binary, connection, name)
    try:
        after, changed = _change(run, binary, connection, name, value, state, check_mode, previous)
    except DistsqlError as exc:
        raise SettingChangeFailed(exc, previous)
    return {'name': name, 'value': after, 'previous': previous, 'changed': changed,
            'previous_is_default': is_default(name, previous),
            'diff': {'before': {name: previous}, 'after': {name: after}}}


def is_default(name, value):
    """Whether ``value`` is the known default of setting ``name`` (False when the default is not known)."""
    default = KNOWN_DEFAULTS.get(name)
    return default is not None and same_value(value, default)


def _change(run, binary, connection, name, value, state, check_mode, previous):
    """(value afterwards, changed) of ensure()."""
    if state == 'absent':
        default = KNOWN_DEFAULTS.get(name)
        if default is not None and same_value(previous, default):
            return previous, False
        if check_mode:
            # An unknown default cannot be predicted without resetting: assume a change, value unknown (None).
            return default, True
        reset(run, binary, connection, name)
        after = show(run, binary, connection, name)
        return after, not same_value(previous, after)
    if value is None or same_value(previous, value):
        return previous, False
    if check_mode:
        return str(value), True
    set_value(run, binary, connection, name, value)
    return show(run, binary, connection, name), True
