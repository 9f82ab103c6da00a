# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One statement through `cockroach sql`, and the CLI's error envelope (ERROR / SQLSTATE / DETAIL / HINT)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.connection import Connection
from ansible_collections.distsql.upgrade.plugins.module_utils.engines.cockroach_family.sql import (
    SqlError, parse_cli_error, run_sql, sql_argv)
from ansible_collections.distsql.upgrade.plugins.module_utils.errors import CommandError, DistsqlError

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'fixtures')
BINARY = '/bin/true'  # exists and is executable; the fake run() answers instead
CONNECTION = Connection(host='h:26257', insecure=True)


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


def failing(stderr, rc=1):
    return lambda argv: (rc, '', stderr)


def test_sql_argv_is_csv_with_the_connection_flags():
    assert sql_argv(BINARY, CONNECTION, 'SHOW JOBS') == [BINARY, 'sql', '--format=csv', '-e', 'SHOW JOBS', '--host=h:26257',
                                                         '--insecure']


def test_run_sql_returns_stdout():
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, fixture('cockroach/set_cluster_setting_tag_exact.txt'), ''

    assert run_sql(run, BINARY, CONNECTION, "SET CLUSTER SETTING x = 'y'") == 'SET CLUSTER SETTING\n'
    assert calls == [[BINARY, 'sql', '--format=csv', '-e', "SET CLUSTER SETTING x = 'y'", '--host=h:26257', '--insecure']]


@pytest.mark.parametrize('name, expected', [
    ('cockroach/sql_error_preserve_downgrade_inferred.txt',
     {'message': 'cannot set cluster.preserve_downgrade_option to 23.2 (cluster version is 24.1)', 'sqlstate': None,
      'detail': None, 'hint': None}),
    ('cockroach/sql_error_unknown_setting_sqlstate_constructed.txt',
     {'message': "unknown cluster setting 'cluster.auto_upgrade.enabled'", 'sqlstate': '42704', 'detail': None,
      'hint': None}),
    ('cockroach/sql_error_unknown_setting_v23.1_constructed.txt',
     {'message': "unknown cluster setting 'cluster.auto_upgrade.enabled'", 'sqlstate': None, 'detail': None,
      'hint': None}),
    ('cockroach/sql_error_cannot_dial_docs.txt',
     {'message': 'cannot dial server. / Is the server running? / If the server is running, check --host client-side '
                 'and --advertise server-side. / dial tcp: lookup gcp-us-east4.crdb.io: no such host',
      'sqlstate': None, 'detail': None, 'hint': None}),
    ('cockroach/sql_error_finalize_lagging_node_v24_inferred.txt',
     {'message': 'error validating the version of one or more SQL server instances: binary version 24.1 less than '
                 'target cluster version 24.2',
      'sqlstate': None, 'detail': None,
      'hint': 'check the binary versions of all running SQL server instances to ensure that they are compatible with '
              'the attempted upgrade version'}),
])
def test_parse_cli_error_of_real_envelopes(name, expected):
    assert parse_cli_error(fixture(name)) == expected


def test_parse_cli_error_without_an_error_line_keeps_every_line():
    text = '\n/usr/local/bin/cockroach did not answer within 30s'
    assert parse_cli_error(text)['message'] == '/usr/local/bin/cockroach did not answer within 30s'


def test_parse_cli_error_reads_detail_and_skips_warnings_before_the_error():
    text = 'warning: something\nERROR: boom\nSQLSTATE: 22023\nDETAIL: why\nHINT: try again\nFailed running "sql"\n'
    assert parse_cli_error(text) == {'message': 'boom', 'sqlstate': '22023', 'detail': 'why', 'hint': 'try again'}


def test_sql_error_message_without_sqlstate():
    with pytest.raises(SqlError) as caught:
        run_sql(failing(fixture('cockroach/sql_error_preserve_downgrade_inferred.txt')), BINARY, CONNECTION,
                "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'")
    assert str(caught.value) == ("`SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.2'` failed: cannot set "
                                 "cluster.preserve_downgrade_option to 23.2 (cluster version is 24.1)")
    assert caught.value.as_result() == {'sqlstate': None, 'detail': None, 'hint': None}
    assert isinstance(caught.value, CommandError) and caught.value.rc == 1


def test_sql_error_message_with_sqlstate():
    with pytest.raises(SqlError) as caught:
        run_sql(failing(fixture('cockroach/sql_error_unknown_setting_sqlstate_constructed.txt')), BINARY, CONNECTION,
                'SHOW CLUSTER SETTING cluster.auto_upgrade.enabled')
    assert str(caught.value) == ("`SHOW CLUSTER SETTING cluster.auto_upgrade.enabled` failed: unknown cluster setting "
                                 "'cluster.auto_upgrade.enabled' (SQLSTATE 42704)")
    assert caught.value.sqlstate == '42704'


def test_sql_error_message_with_hint():
    with pytest.raises(SqlError) as caught:
        run_sql(failing(fixture('cockroach/sql_error_finalize_lagging_node_v24_inferred.txt')), BINARY, CONNECTION,
                "SET CLUSTER SETTING version = '24.2'")
    assert str(caught.value) == (
        "`SET CLUSTER SETTING version = '24.2'` failed: error validating the version of one or more SQL server "
        "instances: binary version 24.1 less than target cluster version 24.2; HINT: check the binary versions of all "
        "running SQL server instances to ensure that they are compatible with the attempted upgrade version")


def test_sql_error_without_output():
    with pytest.raises(SqlError) as caught:
        run_sql(failing('', rc=2), BINARY, CONNECTION, 'SHOW JOBS')
    assert str(caught.value) == '`SHOW JOBS` failed: (no output, rc=2)'


def test_missing_binary_is_refused_before_running():
    with pytest.raises(DistsqlError) as caught:
        run_sql(failing(''), '/nonexistent/cockroach', CONNECTION, 'SHOW JOBS')
    assert str(caught.value) == 'cockroach binary /nonexistent/cockroach does not exist or is not executable'
