"""Reading an upload into chunks of text columns (pandas), whatever its encoding.

CSV: UTF-8, UTF-8 with BOM, or GB18030 (a superset of GBK and GB2312), found
by strict decoding. XLSX: the first sheet. Every cell is text; row numbers are
as the user sees them in a spreadsheet (the header is row 1)."""
from __future__ import annotations

import codecs
import io
from datetime import datetime
from typing import Iterator

import pandas as pd
from django.utils.translation import gettext as _

CHUNK_ROWS = 100_000
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ACCEPTED_SUFFIXES = (".csv", ".txt", *XLSX_SUFFIXES)


class FileError(ValueError):
    """The file as a whole cannot be imported (the message says why)."""


def detect_encoding(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.decode(content, encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise FileError(_("The file is neither UTF-8 nor GB18030/GBK text."))


def _is_xlsx(filename: str) -> bool:
    return filename.lower().endswith(XLSX_SUFFIXES)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _frame(records: list[list[str]], header: list[str], first_row: int) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=header, dtype=object)
    df.index = pd.RangeIndex(first_row, first_row + len(df))
    return df


def _xlsx_chunks(content: bytes, chunk_rows: int) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the user's error
        raise FileError(_("The file could not be read as CSV or XLSX.")) from None
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = [_cell_text(h).strip() for h in next(rows, [])]
    if not any(header):
        raise FileError(_("The file has no header row."))
    width = len(header)
    records: list[list[str]] = []
    first = 2
    for values in rows:
        cells = [_cell_text(v) for v in list(values)[:width]]
        records.append(cells + [""] * (width - len(cells)))
        if len(records) >= chunk_rows:
            yield _frame(records, header, first)
            first += len(records)
            records = []
    if records:
        yield _frame(records, header, first)


def _csv_chunks(content: bytes, chunk_rows: int) -> Iterator[pd.DataFrame]:
    if not content.strip():
        raise FileError(_("The file is empty."))
    encoding = detect_encoding(content)
    try:
        reader = pd.read_csv(io.BytesIO(content), encoding=encoding, dtype=str, keep_default_na=False,
                             skip_blank_lines=False, chunksize=chunk_rows)
        for chunk in reader:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            chunk.index = chunk.index + 2
            yield chunk
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, pd.errors.EmptyDataError):
            raise FileError(_("The file is empty.")) from None
        raise FileError(_("The file could not be read as CSV or XLSX.")) from None


def read_chunks(*, content: bytes, filename: str, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` data rows; index = spreadsheet row number.
    Completely empty rows are dropped (they are not data)."""
    source = _xlsx_chunks(content, chunk_rows) if _is_xlsx(filename) else _csv_chunks(content, chunk_rows)
    for chunk in source:
        chunk = chunk.fillna("")
        blank = (chunk == "").all(axis=1) if len(chunk.columns) else None
        yield chunk[~blank] if blank is not None and blank.any() else chunk


def read_headers(*, content: bytes, filename: str) -> tuple[list[str], bool]:
    """(the header row, whether any data row follows). Raises FileError."""
    if not content:
        raise FileError(_("The file is empty."))
    if not filename.lower().endswith(ACCEPTED_SUFFIXES):
        raise FileError(_("Upload a CSV or XLSX file."))
    headers: list[str] = []
    for chunk in read_chunks(content=content, filename=filename, chunk_rows=50):
        headers = list(chunk.columns)
        if len(chunk):
            return headers, True
    return headers, False


def count_rows(*, content: bytes, filename: str) -> int:
    """A fast estimate of the data rows (for the progress bar), not a parse."""
    if _is_xlsx(filename):
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        return max(0, (ws.max_row or 1) - 1)
    return max(0, content.count(b"\n") - (0 if content.endswith(b"\n") else -1) - 1)
