"""Result writers matching CockroachDB's `pkg/cli/clisqlexec` (also used by KWDB's fork).

tsv/csv follow Go encoding/csv quoting, table follows olekukonko/tablewriter as configured by the
CLI (no outer border, centered headers, trailing whitespace trimmed, "(N rows)" footer), json is
Go's json.Marshal of map[string]string (sorted keys, every value a string).
"""
import json
import re

DECIMAL_RE = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$")


def _plural(count):
    return "" if count == 1 else "s"


def _csv_field(field, comma):
    if field == "":
        return field
    needs_quotes = (field == "\\." or comma in field or any(c in field for c in "\"\r\n")
                    or field[0].isspace())
    if not needs_quotes:
        return field
    return '"' + field.replace('"', '""') + '"'


def _delimited(cols, rows, comma):
    lines = [comma.join(_csv_field(c, comma) for c in cols) if cols else "# no columns"]
    for row in rows:
        lines.append(comma.join(_csv_field(v, comma) for v in row) if row else "# empty")
    return "".join(line + "\n" for line in lines)


def _pad_center(text, width):
    gap = width - len(text)
    if gap <= 0:
        return text
    left = gap // 2
    return " " * left + text + " " * (gap - left)


def _align_cell(text, width, align):
    if align == "c":
        return _pad_center(text, width)
    if align == "r" or (align == "d" and DECIMAL_RE.match(text.strip())):
        return text.rjust(width)
    return text.ljust(width)


def _table_line(cells):
    return (" " + "".join(" %s %s" % (cell, "|" if i < len(cells) - 1 else " ")
                          for i, cell in enumerate(cells))).rstrip()


def _table(cols, rows, align):
    count = len(rows)
    if not cols:
        return "--\n(%d row%s)\n" % (count, _plural(count))
    widths = [len(c) for c in cols]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row)]
    # tablewriter's fillAlignment: an alignment list shorter than the columns is replaced by defaults.
    aligns = list(align) if align and len(align) >= len(cols) else ["d"] * len(cols)
    lines = [_table_line([_pad_center(c, w) for c, w in zip(cols, widths)]),
             "-" + "+".join("-" * (w + 2) for w in widths) + "-"]
    for row in rows:
        lines.append(_table_line([_align_cell(v, w, a) for v, w, a in zip(row, widths, aligns)]))
    lines.append("(%d row%s)" % (count, _plural(count)))
    return "".join(line + "\n" for line in lines)


def _records(cols, rows):
    if not cols:
        return "(%d row%s)\n" % (len(rows), _plural(len(rows)))
    width = max(len(c) for c in cols)
    out = []
    for index, row in enumerate(rows):
        out.append("-[ RECORD %d ]\n" % (index + 1))
        for col, value in zip(cols, row):
            out.append("%s | %s\n" % (col.ljust(width), value))
    return "".join(out)


def go_json(obj):
    """json.Marshal: compact, sorted map keys, HTML-sensitive characters escaped."""
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _json(cols, rows, ndjson):
    objects = [go_json(dict(zip(cols, row))) for row in rows]
    if ndjson:
        return "".join(o + "\n" for o in objects) if objects else "\n"
    if not objects:
        return "[\n]\n"
    return "[\n  " + ",\n  ".join(objects) + "\n]\n"


def _raw(cols, rows):
    out = ["# %d column%s\n" % (len(cols), _plural(len(cols)))]
    for index, row in enumerate(rows):
        out.append("# row %d\n" % (index + 1))
        out.extend("## %d\n%s\n" % (len(v), v) for v in row)
    out.append("# %d row%s\n" % (len(rows), _plural(len(rows))))
    return "".join(out)


def _html_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def _html(cols, rows):
    out = ["<table>\n<thead><tr><th>row</th>"]
    out.extend("<th>%s</th>" % _html_escape(c).replace("\n", "<br/>") for c in cols)
    out.append("</tr></thead>\n")
    if rows:
        out.append("<tbody>\n")
        for index, row in enumerate(rows):
            out.append("<tr><td>%d</td>" % (index + 1))
            out.extend("<td>%s</td>" % _html_escape(v).replace("\n", "<br/>") for v in row)
            out.append("</tr>\n")
        out.append("</tbody>\n<tfoot><tr><td colspan=%d>%d row%s</td></tr></tfoot>"
                   % (len(cols) + 1, len(rows), _plural(len(rows))))
    out.append("</table>\n")
    return "".join(out)


def _sql_ident(name):
    return name if re.match(r"^[a-z_][a-z0-9_]*$", name) else '"' + name.replace('"', '""') + '"'


def _sql(cols, rows):
    out = ["CREATE TABLE results (\n"]
    for index, col in enumerate(cols):
        out.append("  %s STRING%s\n" % (_sql_ident(col), "," if index < len(cols) - 1 else ""))
    out.append(");\n\n")
    for row in rows:
        out.append("INSERT INTO results VALUES (%s);\n" % ", ".join("'%s'" % v.replace("'", "''") for v in row))
    out.append("-- %d row%s\n" % (len(rows), _plural(len(rows))))
    return "".join(out)


def render(fmt, cols, rows, align=None):
    """Render string rows (NULL already spelled "NULL") as the CLI does for ``--format=fmt``."""
    if fmt in ("tsv", "csv"):
        return _delimited(cols, rows, "\t" if fmt == "tsv" else ",")
    if fmt == "table":
        return _table(cols, rows, align)
    if fmt == "records":
        return _records(cols, rows)
    if fmt in ("json", "ndjson"):
        return _json(cols, rows, fmt == "ndjson")
    if fmt == "raw":
        return _raw(cols, rows)
    if fmt == "html":
        return _html(cols, rows)
    if fmt == "sql":
        return _sql(cols, rows)
    raise ValueError("unknown format %s" % fmt)
