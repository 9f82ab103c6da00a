# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Outputs CockroachDB and KWDB print alike: node drain, cluster settings, the cluster version, /health?ready=1."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.outputs import (
    parse_cluster_version_setting, parse_drain_output, parse_health_response, parse_setting_value)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError


FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


__metaclass__ = type


TIMEOUT_STDERR = ('node is draining... remaining: 50\n'
                  'node is draining... remaining: 12\n'
                  'ERROR: drain timeout, consider adjusting --drain-wait, especially under custom server.shutdown cluster settings\n')


@pytest.mark.parametrize('stdout, stderr, expected', [
    (fixture('cockroach/drain_docs_stdout.txt'), fixture('cockroach/drain_docs_stderr.txt'),
     {'drained': True, 'shutdown': False, 'remaining': 0, 'progress': [50, 0], 'timed_out': False, 'error': None}),
    (fixture('cockroach/drain_docs.txt'), '',
     {'drained': True, 'shutdown': False, 'remaining': 0, 'progress': [50, 0], 'timed_out': False, 'error': None}),
    ('drain ok\nshutdown ok\n', 'node is draining... remaining: 3\nnode is draining... remaining: 0 (complete)\n',
     {'drained': True, 'shutdown': True, 'remaining': 0, 'progress': [3, 0], 'timed_out': False, 'error': None}),
    ('ok\n', 'node is draining... done\n',
     {'drained': True, 'shutdown': False, 'remaining': 0, 'progress': [0], 'timed_out': False, 'error': None}),
    ('', TIMEOUT_STDERR,
     {'drained': False, 'shutdown': False, 'remaining': 12, 'progress': [50, 12], 'timed_out': True,
      'error': 'ERROR: drain timeout, consider adjusting --drain-wait, especially under custom server.shutdown cluster settings'}),
    ('', 'node is draining... \nERROR: node cannot be drained before it has been initialized\n',
     {'drained': False, 'shutdown': False, 'remaining': None, 'progress': [], 'timed_out': False,
      'error': 'ERROR: node cannot be drained before it has been initialized'}),
    (None, None,
     {'drained': False, 'shutdown': False, 'remaining': None, 'progress': [], 'timed_out': False, 'error': None}),
    ('', 'ok\n',
     {'drained': False, 'shutdown': False, 'remaining': None, 'progress': [], 'timed_out': False, 'error': None}),
])
def test_parse_drain_output(stdout, stderr, expected):
    assert parse_drain_output(stdout, stderr) == expected


@pytest.mark.parametrize('text, expected', [
    ('version\n24.1\n', {'version': '24.1', 'active': '24.1', 'upgrading_to': None, 'step': None, 'finalized': True}),
    ('24.1', {'version': '24.1', 'active': '24.1', 'upgrading_to': None, 'step': None, 'finalized': True}),
    ('version\n23.2-upgrading-to-24.1-step-008\n',
     {'version': '23.2-upgrading-to-24.1-step-008', 'active': '23.2', 'upgrading_to': '24.1', 'step': 8, 'finalized': False}),
    ('version\n24.3-upgrading-final-step\n',
     {'version': '24.3-upgrading-final-step', 'active': None, 'upgrading_to': '24.3', 'step': None, 'finalized': False}),
    ('23.2-upgrading-step--01\n',
     {'version': '23.2-upgrading-step--01', 'active': None, 'upgrading_to': '23.2', 'step': None, 'finalized': False}),
    ('23.1-upgrading-step-004\n',
     {'version': '23.1-upgrading-step-004', 'active': '23.1', 'upgrading_to': None, 'step': 4, 'finalized': False}),
    ('version\n23.1-8\n', {'version': '23.1-8', 'active': '23.1', 'upgrading_to': None, 'step': 8, 'finalized': False}),
    ('version\n22.2-102\n', {'version': '22.2-102', 'active': '22.2', 'upgrading_to': None, 'step': 102, 'finalized': False}),
    ('version\n20.1-3\n', {'version': '20.1-3', 'active': '20.1', 'upgrading_to': None, 'step': 3, 'finalized': False}),
    ('version\n1000023.2\n', {'version': '1000023.2', 'active': '23.2', 'upgrading_to': None, 'step': None, 'finalized': True}),
    ('1000023.1-upgrading-to-1000023.2-step-004',
     {'version': '1000023.1-upgrading-to-1000023.2-step-004', 'active': '23.1', 'upgrading_to': '23.2', 'step': 4,
      'finalized': False}),
])
def test_parse_cluster_version_setting(text, expected):
    assert parse_cluster_version_setting(text) == expected


def test_parse_cluster_version_setting_tsv_and_table():
    assert parse_cluster_version_setting('version\n24.1\n', 'tsv')['finalized'] is True
    table = '  version\n-----------\n  24.1\n(1 row)\n'
    assert parse_cluster_version_setting(table, 'table')['active'] == '24.1'


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse cluster version setting: the output is empty'),
    ('version\n24\n', "cannot parse cluster version setting: unrecognized version value '24'"),
    ('version\n', "cannot parse cluster version setting: unrecognized version value 'version'"),
    ('version\n24.1\n24.2\n', 'cannot parse cluster version setting: expected one row, got 2'),
    ('version,x\n24.1,1\n', 'cannot parse cluster version setting: expected one column, got 2 (version, x)'),
])
def test_parse_cluster_version_setting_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_cluster_version_setting(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize('text, fmt, expected', [
    ('cluster.preserve_downgrade_option\n\n', 'csv', ''),
    ('cluster.preserve_downgrade_option\n24.1\n', 'csv', '24.1'),
    ('cluster.auto_upgrade.enabled\ntrue\n', 'tsv', 'true'),
    ('server.shutdown.drain_wait\n"1m0s"\n', 'csv', '1m0s'),
])
def test_parse_setting_value(text, fmt, expected):
    assert parse_setting_value(text, fmt) == expected


@pytest.mark.parametrize('text, message', [
    ('', 'cannot parse csv output: the output is empty'),
    ('a,b\n1,2\n', 'cannot parse setting value: expected one column, got 2 (a, b)'),
    ('a\n', 'cannot parse setting value: expected one row, got 0'),
])
def test_parse_setting_value_errors(text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_setting_value(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize('status, body, expected', [
    (503, fixture('cockroach/health_ready_503_docs.txt'),
     {'ready': False, 'status': 503, 'error': 'node is not healthy', 'code': 14, 'message': 'node is not healthy'}),
    ('200', fixture('cockroach/health_ready_200_docs.txt'),
     {'ready': True, 'status': 200, 'error': None, 'code': None, 'message': None}),
    (503, b'{"error": "node is shutting down", "code": 14, "message": "node is shutting down", "details": []}',
     {'ready': False, 'status': 503, 'error': 'node is shutting down', 'code': 14, 'message': 'node is shutting down'}),
    (503, '\nService Unavailable\nretry later\n',
     {'ready': False, 'status': 503, 'error': 'Service Unavailable', 'code': None, 'message': None}),
    (502, '', {'ready': False, 'status': 502, 'error': None, 'code': None, 'message': None}),
    (200, 'not json', {'ready': True, 'status': 200, 'error': None, 'code': None, 'message': None}),
    (503, None, {'ready': False, 'status': 503, 'error': None, 'code': None, 'message': None}),
])
def test_parse_health_response(status, body, expected):
    assert parse_health_response(status, body) == expected
