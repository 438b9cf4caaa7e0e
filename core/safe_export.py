"""The one escaping every export goes through: spreadsheet cells (CSV and XLSX of
customers and reviews) and the text of PDFs (reportlab reads Paragraph text as markup)."""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

# A text cell starting with one of these is read as a formula by spreadsheet programs
# (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)); a leading tab or CR hides such a start.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 does not allow: openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def spreadsheet_cell(value):
    """Text that spreadsheet programs show as text: a formula start gets a leading apostrophe.
    Numbers, dates and None are returned as they are."""
    if not isinstance(value, str) or not value:
        return value
    value = _ILLEGAL_XML.sub("", value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_row(values) -> list:
    return [spreadsheet_cell(v) for v in values]


def pdf_text(value) -> str:
    """User text as reportlab Paragraph markup that shows exactly that text: no tag of it is
    interpreted (an unclosed <b> cannot break the build, an <img src=…> cannot embed a file)."""
    text = "" if value is None else str(value)
    return escape(_ILLEGAL_XML.sub("", text)).replace("\n", "<br/>")
