# -*- coding: utf-8 -*-
# Copyright (c) 2026 distsql.upgrade contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse the result formats of `cockroach sql` / `kwbase sql` / `cockroach node ...` into columns and rows.

Every value stays the string the CLI printed ('NULL' stays 'NULL', an empty field stays '').
Supported formats: csv, tsv, json, ndjson, table (both separator styles) and records.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import io
import json
import re
import unicodedata

from ansible_collections.distsql.upgrade.plugins.module_utils.errors import OutputParseError

FORMATS = ('csv', 'tsv', 'json', 'ndjson', 'table', 'records')
NO_COLUMNS = '# no columns'
_TABLE_FOOTER = re.compile(r'^\(\d+ rows?\)$')
_TABLE_SEPARATOR = re.compile(r'^[-+]+$')
_RECORD_START = re.compile(r'^-\[ RECORD \d+ \]$')
_DELIMITERS = {'csv': ',', 'tsv': '\t'}


def parse_tabular(text, fmt):
    """Return (columns, rows) where rows are dicts column -> printed string.

    json/ndjson carry no header: the columns are the keys of the first row, in the order printed
    (the CLI sorts them alphabetically). Output without columns ('# no columns', table '--') gives ([], []).
    """
    if fmt not in FORMATS:
        raise OutputParseError('tabular output', 'unknown format %r, expected one of %s' % (fmt, ', '.join(FORMATS)))
    what = '%s output' % fmt
    if text is None or not text.strip():
        raise OutputParseError(what, 'the output is empty')
    if fmt in _DELIMITERS:
        return _parse_delimited(text, what, _DELIMITERS[fmt])
    parser = {'json': _parse_json, 'ndjson': _parse_ndjson, 'table': _parse_table, 'records': _parse_records}[fmt]
    return parser(text, what)


def _parse_delimited(text, what, delimiter):
    """csv and tsv are both Go encoding/csv output (tsv only swaps the delimiter), so quoting rules are shared."""
    if text.splitlines()[0] == NO_COLUMNS:
        return [], []
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter, quotechar='"', strict=True)
    try:
        columns = next(reader)
        rows = []
        for fields in reader:
            if not fields and len(columns) == 1:
                # Go's csv writer prints a lone empty field as an empty line.
                fields = ['']
            if len(fields) != len(columns):
                raise OutputParseError(what, 'line %d has %d fields, the header has %d' % (
                    reader.line_num, len(fields), len(columns)))
            rows.append(dict(zip(columns, fields)))
    except csv.Error as exc:
        raise OutputParseError(what, 'line %d: %s' % (reader.line_num, exc))
    return columns, rows


def _json_row(obj, what, where):
    if not isinstance(obj, dict):
        raise OutputParseError(what, '%s is not a JSON object' % where)
    for key, value in obj.items():
        if not isinstance(value, str):
            raise OutputParseError(what, '%s: the value of %r is not a string' % (where, key))
    return obj


def _rows_to_result(objects, what):
    columns = list(objects[0].keys()) if objects else []
    for number, obj in enumerate(objects, 1):
        if sorted(obj.keys()) != sorted(columns):
            raise OutputParseError(what, 'row %d has keys %s, the first row has %s' % (number, sorted(obj.keys()), sorted(columns)))
    return columns, objects


def _load_json(text, what, where):
    try:
        return json.loads(text)
    except ValueError as exc:
        raise OutputParseError(what, '%s is not valid JSON: %s' % (where, exc))


def _parse_json(text, what):
    data = _load_json(text, what, 'the output')
    if not isinstance(data, list):
        raise OutputParseError(what, 'the output is not a JSON array')
    objects = [_json_row(obj, what, 'row %d' % number) for number, obj in enumerate(data, 1)]
    return _rows_to_result(objects, what)


def _parse_ndjson(text, what):
    objects = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            where = 'line %d' % number
            objects.append(_json_row(_load_json(line, what, where), what, where))
    return _rows_to_result(objects, what)


def _char_width(char):
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ('W', 'F') else 1


def _cut_at_widths(line, boundaries):
    """Split line at the display columns of the '|' separators; None when a separator is missing.

    The tablewriter pads cells by display width (wide CJK characters count 2), not by characters.
    """
    cells, current, width = [], [], 0
    remaining = list(boundaries)
    for char in line:
        if remaining and width >= remaining[0]:
            if width != remaining[0] or char != '|':
                return None
            cells.append(''.join(current))
            current = []
            remaining.pop(0)
        else:
            current.append(char)
        width += _char_width(char)
    cells.append(''.join(current))
    cells.extend([''] * (len(boundaries) + 1 - len(cells)))
    return [cell.strip() for cell in cells]


def _table_boundaries(separator):
    """Columns of the inner '+' of a separator line: '---+---', or the old '+---+---+' with its border '+'."""
    positions = [index for index, char in enumerate(separator) if char == '+']
    if separator.startswith('+'):
        positions = positions[1:]
        if separator.endswith('+'):
            positions = positions[:-1]
    return positions


def _cut_table_line(line, boundaries, number, what):
    cells = _cut_at_widths(line, boundaries)
    if cells is None:
        raise OutputParseError(what, 'line %d does not line up with the separator line: %r' % (number, line))
    return cells


def _parse_table(text, what):
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if lines and _TABLE_FOOTER.match(lines[-1][1].strip()):
        lines = lines[:-1]
    separator_at = next((index for index, (_number, line) in enumerate(lines) if _TABLE_SEPARATOR.match(line.strip())), None)
    if separator_at is None:
        raise OutputParseError(what, 'no separator line (---+---) under the header')
    if separator_at == 0:
        return [], []
    boundaries = _table_boundaries(lines[separator_at][1].rstrip())
    header_parts = [_cut_table_line(line, boundaries, number, what) for number, line in lines[:separator_at]]
    columns = ['\n'.join(part[index] for part in header_parts if part[index]) for index in range(len(boundaries) + 1)]
    rows = [dict(zip(columns, _cut_table_line(line, boundaries, number, what))) for number, line in lines[separator_at + 1:]]
    return columns, rows


def _records_separator(lines):
    """The '|' column shared by every field line (the label column is padded to one width)."""
    width = min(len(line) for line in lines)
    for index in range(1, width):
        if all(line[index] == '|' and line[index - 1] in ' +' for line in lines):
            return index
    return None


def _parse_records(text, what):
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and _TABLE_FOOTER.match(lines[0].strip()):
        return [], []
    field_lines = [line for line in lines if not _RECORD_START.match(line)]
    if not lines or not _RECORD_START.match(lines[0]) or not field_lines:
        raise OutputParseError(what, 'the output does not start with a "-[ RECORD 1 ]" line')
    pipe_column = _records_separator(field_lines)
    if pipe_column is None:
        raise OutputParseError(what, 'the field lines do not share one "|" column')
    records = []
    for line in lines:
        if _RECORD_START.match(line):
            records.append([])
            continue
        _add_record_line(records[-1], line, pipe_column)
    columns = [name for name, _value in records[0]]
    rows = []
    for number, fields in enumerate(records, 1):
        names = [name for name, _value in fields]
        if names != columns:
            raise OutputParseError(what, 'record %d has fields %s, record 1 has %s' % (number, names, columns))
        rows.append(dict((name, '\n'.join(value)) for name, value in fields))
    return columns, rows


def _add_record_line(fields, line, pipe_column):
    label = line[:pipe_column - 1].rstrip()
    rest = line[pipe_column + 1:]
    has_value = rest.startswith(' ')
    value = rest[1:]
    if fields and not has_value:
        # Continuation of a multi-line column label.
        name, values = fields[-1]
        fields[-1] = (name + '\n' + label, values)
    elif fields and not label and fields[-1][1][-1].endswith('+'):
        fields[-1][1][-1] = fields[-1][1][-1][:-1]
        fields[-1][1].append(value)
    else:
        fields.append((label, [value]))
