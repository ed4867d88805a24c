"""A tabular preview of a resource's file: column names, the first rows, an inferred type per
column. For the dataset page, so it must be safe with a hostile file:

- at most ``MAX_BYTES`` are read (CSV) and files over ``MAX_FILE_BYTES`` are not opened at all
  (XLSX zip bombs); at most ``MAX_ROWS`` rows, ``MAX_COLUMNS`` columns, ``MAX_CELL`` characters
  a cell;
- no formula is executed: openpyxl reads stored values only (``data_only=True`` gives the
  cached result a spreadsheet application saved, never evaluates anything), and cells are
  shown as text by the template (escaped);
- an undecodable CSV falls back from UTF-8 (with or without BOM) to Windows-1252, the two
  encodings French public CSVs come in; anything else answers "no preview".
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from documents.models import DocumentVersion

MAX_ROWS = 20
MAX_COLUMNS = 50
MAX_CELL = 200
MAX_BYTES = 256 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
TABULAR_KINDS = frozenset({"csv", "xlsx"})

_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_DECIMAL = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{2}/\d{2}/\d{4}$")
_BOOLEAN = frozenset({"true", "false", "vrai", "faux", "oui", "non"})


@dataclass
class Preview:
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False

    @property
    def typed_columns(self) -> list[tuple[str, str]]:
        return list(zip(self.columns, self.types, strict=True))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _type_of(values: list[str]) -> str:
    filled = [v for v in values if v != ""]
    if not filled:
        return _("vide")
    if all(_INTEGER.match(v) for v in filled):
        return _("entier")
    if all(_DECIMAL.match(v) for v in filled):
        return _("nombre décimal")
    if all(_DATE.match(v[:10]) and len(v) in (10, 19, 20, 25, 26) for v in filled):
        return _("date")
    if all(v.casefold() in _BOOLEAN for v in filled):
        return _("booléen")
    return _("texte")


def _finish(table: list[list[str]], truncated: bool) -> Preview | None:
    table = [row for row in table if any(cell != "" for cell in row)]
    if not table:
        return None
    header, *rows = table
    # The last column with a value (spreadsheets pad rows with empty cells).
    used = max(max((i + 1 for i, cell in enumerate(row) if cell != ""), default=0) for row in table)
    width = min(MAX_COLUMNS, used)
    truncated = truncated or used > MAX_COLUMNS
    columns = [
        (header[i] if i < len(header) and header[i] else _("Colonne %(n)d") % {"n": i + 1})
        for i in range(width)
    ]
    rows = [(row + [""] * width)[:width] for row in rows[:MAX_ROWS]]
    types = [_type_of([row[i] for row in rows]) for i in range(width)]
    return Preview(columns=columns, types=types, rows=rows, truncated=truncated)


def _decode(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return None
    # At the size cap the last bytes may be a cut multi-byte character: UTF-8 may drop them.
    candidates = [raw] if len(raw) < MAX_BYTES else [raw, raw[:-1], raw[:-2], raw[:-3]]
    for encoding in ("utf-8-sig", "cp1252"):
        for candidate in candidates:
            try:
                return candidate.decode(encoding)
            except UnicodeDecodeError:
                continue
    return None


def preview_csv(raw: bytes) -> Preview | None:
    truncated = len(raw) > MAX_BYTES
    text = _decode(raw[:MAX_BYTES])
    if text is None:
        return None
    if truncated:
        text = text.rsplit("\n", 1)[0]  # drop the last, cut-off line
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t|")
    except csv.Error:
        dialect = csv.excel
    table: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            table.append([_cell(c) for c in row[: MAX_COLUMNS + 1]])
            if len(table) > MAX_ROWS:
                truncated = True
                break
    except csv.Error:
        return None
    return _finish(table, truncated)


def preview_xlsx(raw: bytes) -> Preview | None:
    if len(raw) > MAX_FILE_BYTES:
        return None
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:
        return None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return None
        table: list[list[str]] = []
        truncated = False
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            table.append([_cell(c) for c in row])
            if len(table) > MAX_ROWS:
                truncated = True
                break
        return _finish(table, truncated)
    except Exception:
        return None
    finally:
        workbook.close()


def preview_version(version: DocumentVersion | None) -> Preview | None:
    """The preview of a stored file, or None (not tabular, too big, unreadable)."""
    if version is None or version.kind not in TABULAR_KINDS:
        return None
    if version.kind == "xlsx" and version.size > MAX_FILE_BYTES:
        return None
    try:
        with version.file.open("rb") as handle:
            limit = MAX_BYTES + 1 if version.kind == "csv" else MAX_FILE_BYTES + 1
            raw = handle.read(limit)
    except OSError:
        return None
    if version.kind == "csv":
        return preview_csv(raw)
    return preview_xlsx(raw)
