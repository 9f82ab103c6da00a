# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError
from ansible_collections.distsql.upgrade.plugins.module_utils.tabular import parse_tabular

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8', newline='') as handle:
        return handle.read()


NODE_STATUS_V22_1_HEADER = [
    'id', 'address', 'sql_address', 'build', 'started_at', 'updated_at', 'locality', 'is_available', 'is_live',
    'replicas_leaders', 'replicas_leaseholders', 'ranges', 'ranges_unavailable', 'ranges_underreplicated', 'live_bytes',
    'key_bytes', 'value_bytes', 'intent_bytes', 'system_bytes', 'gossiped_replicas', 'is_decommissioning', 'membership',
    'is_draining']
DECOMMISSION_TABLE_HEADER = [
    'id', 'address', 'sql_address', 'build', 'started_at', 'updated_at', 'locality', 'is_available', 'is_live',
    'gossiped_replicas', 'is_decommissioning', 'membership', 'is_draining']
BASE_HEADER = ['id', 'address', 'sql_address', 'build', 'started_at', 'updated_at', 'locality', 'is_available', 'is_live']


@pytest.mark.parametrize('name, fmt, columns, ids', [
    ('cockroach/node_status_all_csv_v22.1.22.txt', 'csv', NODE_STATUS_V22_1_HEADER, ['1', '2', '3', '4', '6']),
    ('cockroach/node_status_all_csv_v22.1.22_dead.txt', 'csv', NODE_STATUS_V22_1_HEADER, ['1', '2', '6', '8']),
    ('cockroach/node_status_all_tsv_v20.1.0.txt', 'tsv',
     [c for c in NODE_STATUS_V22_1_HEADER if c != 'membership'], ['1', '4']),
    ('cockroach/node_status_all_tsv_v20.2.3.txt', 'tsv', NODE_STATUS_V22_1_HEADER, ['1', '2']),
    ('cockroach/node_status_decommission_table_v22.2.txt', 'table', DECOMMISSION_TABLE_HEADER, ['1', '4']),
    ('cockroach/node_status_table_v19.2.txt', 'table', BASE_HEADER, ['1']),
    ('kwdb/node_status_tsv_inferred.txt', 'tsv', BASE_HEADER[:7] + ['start_mode'] + BASE_HEADER[7:], ['1']),
    ('cockroach/node_ls_tsv_example.txt', 'tsv', ['id'], ['1']),
    ('cockroach/node_ls_table_example.txt', 'table', ['id'], ['1']),
])
def test_fixtures_parse_by_header(name, fmt, columns, ids):
    parsed_columns, rows = parse_tabular(fixture(name), fmt)
    assert parsed_columns == columns
    assert [row['id'] for row in rows] == ids
    assert all(list(row.keys()) == columns for row in rows)


def test_csv_values_stay_as_printed():
    _columns, rows = parse_tabular(fixture('cockroach/node_status_all_csv_v22.1.22.txt'), 'csv')
    assert rows[0]['address'] == '[fd00:1122:3344:101::3]:32221'
    assert rows[0]['locality'] == ''
    assert rows[1]['started_at'] == '2025-05-30 21:10:30.00501'
    assert rows[2]['address'] == 'NULL'
    assert rows[2]['membership'] == 'decommissioned'


def test_tsv_empty_locality_is_an_empty_field():
    _columns, rows = parse_tabular(fixture('cockroach/node_status_all_tsv_v20.1.0.txt'), 'tsv')
    assert rows[1]['locality'] == ''
    assert rows[1]['started_at'] == '2020-05-23 18:35:14.928669+00:00'
    assert rows[1]['is_decommissioning'] == 'true'


def test_table_cells_are_stripped_and_footer_dropped():
    _columns, rows = parse_tabular(fixture('cockroach/node_status_decommission_table_v22.2.txt'), 'table')
    assert len(rows) == 2
    assert rows[0]['started_at'] == '2022-09-01 02:11:55.07734'
    assert rows[0]['locality'] == ''
    assert rows[1]['membership'] == 'decommissioned'
    assert rows[1]['gossiped_replicas'] == '0'


def test_old_table_style_keeps_locality_with_commas():
    _columns, rows = parse_tabular(fixture('cockroach/node_status_table_v19.2.txt'), 'table')
    assert rows == [{
        'id': '1', 'address': 'localhost:26257', 'sql_address': 'localhost:26257',
        'build': 'v19.2.0-alpha.20190606-2479-gd98e0839dc', 'started_at': '2019-10-01 20:04:54.308502+00:00',
        'updated_at': '2019-10-01 20:05:43.85563+00:00', 'locality': 'region=us-east,az=1',
        'is_available': 'true', 'is_live': 'true'}]


# Golden outputs of pkg/cli/clisqlexec/format_table_test.go (Example_sql_column_labels, Example_csv_tsv_quoting).
MULTILINE_TABLE = (
    '  f"oo | f\'oo | f\\oo |     short      | very very long | \u03ba\u03cc\u03c3\u03bc\u03b5 | a|b | \u070885\n'
    '       |      |      | very very long |   thenshort    |       |     |\n'
    '       |      |      |    not much    |                |       |     |\n'
    '+------+------+------+----------------+----------------+-------+-----+-----+\n'
    '     0 |    0 |    0 |              0 |              0 |     0 |   0 |   0\n'
    '(1 row)\n')


def test_table_with_multiline_header_and_pipe_in_label():
    columns, rows = parse_tabular(MULTILINE_TABLE, 'table')
    assert columns == ['f"oo', "f'oo", 'f\\oo', 'short\nvery very long\nnot much', 'very very long\nthenshort',
                       '\u03ba\u03cc\u03c3\u03bc\u03b5', 'a|b', '\u070885']
    assert rows == [dict((column, '0') for column in columns)]


def test_table_pads_wide_characters_by_display_width():
    text = '  id | locality\n-----+-----------\n   1 | \u5317\u4eac\n   2 | x\n(2 rows)\n'
    columns, rows = parse_tabular(text, 'table')
    assert columns == ['id', 'locality']
    assert rows == [{'id': '1', 'locality': '\u5317\u4eac'}, {'id': '2', 'locality': 'x'}]


@pytest.mark.parametrize('fmt, text, expected', [
    ('csv', 's,t\n"a\nbc\ndef","a\nbc\ndef"\n', [{'s': 'a\nbc\ndef', 't': 'a\nbc\ndef'}]),
    ('csv', 's,t\n"""a"", ""b""","""a"", ""b"""\n', [{'s': '"a", "b"', 't': '"a", "b"'}]),
    ('csv', 's,t\n"a, b","a, b"\n', [{'s': 'a, b', 't': 'a, b'}]),
    ('tsv', 's\tt\n"a\tb"\t"a\tb"\n', [{'s': 'a\tb', 't': 'a\tb'}]),
    ('tsv', 's\tt\na, b\ta, b\n', [{'s': 'a, b', 't': 'a, b'}]),
    ('csv', 'cluster.preserve_downgrade_option\n\n', [{'cluster.preserve_downgrade_option': ''}]),
    ('csv', 'version\n24.1\n', [{'version': '24.1'}]),
])
def test_csv_tsv_quoting(fmt, text, expected):
    assert parse_tabular(text, fmt)[1] == expected


@pytest.mark.parametrize('fmt, text, columns', [
    ('csv', 'x\n', ['x']),
    ('tsv', 'x\n', ['x']),
    ('table', '  x\n-----\n(0 rows)\n', ['x']),
    ('json', '[\n]\n', []),
])
def test_no_rows(fmt, text, columns):
    assert parse_tabular(text, fmt) == (columns, [])


@pytest.mark.parametrize('fmt, text', [
    ('csv', '# no columns\n'),
    ('tsv', '# no columns\n# empty\n# empty\n# empty\n'),
    ('table', '--\n(3 rows)\n'),
    ('records', '(0 rows)\n'),
])
def test_no_columns(fmt, text):
    assert parse_tabular(text, fmt) == ([], [])


def test_json_keeps_printed_key_order_and_string_values():
    text = '[\n  {"id":"1","is_live":"true","locality":"NULL"},\n  {"id":"2","is_live":"false","locality":""}\n]\n'
    columns, rows = parse_tabular(text, 'json')
    assert columns == ['id', 'is_live', 'locality']
    assert rows == [{'id': '1', 'is_live': 'true', 'locality': 'NULL'}, {'id': '2', 'is_live': 'false', 'locality': ''}]


def test_ndjson():
    text = '{"id":"1","is_live":"true"}\n{"id":"2","is_live":"false"}\n'
    assert parse_tabular(text, 'ndjson') == (['id', 'is_live'], [{'id': '1', 'is_live': 'true'}, {'id': '2', 'is_live': 'false'}])


RECORDS = (
    '-[ RECORD 1 ]\n'
    'f"oo           | 0\n'
    'short         +| 0\n'
    'very very long+|\n'
    'not much       |\n'
    'a|b            | 0\n'
    'note           | first+\n'
    '               | second\n'
    '-[ RECORD 2 ]\n'
    'f"oo           | 1\n'
    'short         +| NULL\n'
    'very very long+|\n'
    'not much       |\n'
    'a|b            | \n'
    'note           | x\n')


def test_records():
    columns, rows = parse_tabular(RECORDS, 'records')
    assert columns == ['f"oo', 'short\nvery very long\nnot much', 'a|b', 'note']
    assert rows == [
        {'f"oo': '0', 'short\nvery very long\nnot much': '0', 'a|b': '0', 'note': 'first\nsecond'},
        {'f"oo': '1', 'short\nvery very long\nnot much': 'NULL', 'a|b': '', 'note': 'x'},
    ]


@pytest.mark.parametrize('fmt, text, message', [
    ('csv', '', 'cannot parse csv output: the output is empty'),
    ('tsv', ' \n\n', 'cannot parse tsv output: the output is empty'),
    ('table', None, 'cannot parse table output: the output is empty'),
    ('xml', 'a', "cannot parse tabular output: unknown format 'xml', expected one of csv, tsv, json, ndjson, table, records"),
    ('csv', 'id,is_live\n1,true\n2\n', 'cannot parse csv output: line 3 has 1 fields, the header has 2'),
    ('tsv', 'id\tis_live\n1\ttrue\tx\n', 'cannot parse tsv output: line 2 has 3 fields, the header has 2'),
    ('csv', 'id,is_live\n1,"tr"ue\n', 'cannot parse csv output: line 2: \',\' expected after \'"\''),
    ('json', '{"id":"1"}', 'cannot parse json output: the output is not a JSON array'),
    ('json', '[{"id":1}]', "cannot parse json output: row 1: the value of 'id' is not a string"),
    ('json', '["1"]', 'cannot parse json output: row 1 is not a JSON object'),
    ('json', '[{"id":"1"},{"x":"2"}]', "cannot parse json output: row 2 has keys ['x'], the first row has ['id']"),
    ('json', '[{"id":', 'cannot parse json output: the output is not valid JSON: Expecting value: line 1 column 8 (char 7)'),
    ('ndjson', '{"id":"1"}\nnope\n', 'cannot parse ndjson output: line 2 is not valid JSON: Expecting value: line 1 column 1 (char 0)'),
    ('table', '  id\n   1\n(1 row)\n', 'cannot parse table output: no separator line (---+---) under the header'),
    ('table', '  id | x\n-----+---\n   1 | 2\n  1 2 | 3\n', "cannot parse table output: line 4 does not line up with the separator line: '  1 2 | 3'"),
    ('records', 'a | 1\n', 'cannot parse records output: the output does not start with a "-[ RECORD 1 ]" line'),
    ('records', '-[ RECORD 1 ]\na | 1\nbb  2\n', 'cannot parse records output: the field lines do not share one "|" column'),
    ('records', '-[ RECORD 1 ]\na | 1\n-[ RECORD 2 ]\nb | 2\n', "cannot parse records output: record 2 has fields ['b'], record 1 has ['a']"),
])
def test_errors(fmt, text, message):
    with pytest.raises(OutputParseError) as excinfo:
        parse_tabular(text, fmt)
    assert str(excinfo.value) == message
