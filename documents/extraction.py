"""Plain text of an accepted document, for search.

Runs on files that passed check_upload, whose caps (size, ZIP ratios, pixel count) bound the work
here; each extractor also stops once it has enough text. Library failures become ExtractionError
with a short French message that never quotes the file.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import time
import zipfile
from collections.abc import Callable
from typing import IO
from xml.etree.ElementTree import Element

import openpyxl
import pypdf
from defusedxml import ElementTree

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Cells visited in a spreadsheet, empty ones included: a crafted sheet can declare 16,384 columns.
_MAX_CELLS = 20_000_000
# pypdf can be slow on crafted pages (one huge content stream shared by every page): past this,
# the text gathered so far is kept, as when max_chars is reached.
_PDF_SECONDS = 120


class ExtractionError(Exception):
    """The text could not be extracted; the message is short French, without file content."""


def extract_text(fileobj: IO[bytes], kind: str, *, max_chars: int = 2_000_000) -> str:
    """The document's text, whitespace normalised, at most max_chars characters ("" for images)."""
    extractor = _EXTRACTORS.get(kind)
    if extractor is None:
        raise ExtractionError(f"Extraction impossible : type de document inconnu ({kind}).")
    # Raw text shrinks when whitespace is normalised, so extractors may gather a little more.
    budget = 2 * max_chars
    fileobj.seek(0)
    try:
        text = extractor(fileobj, budget)
    except ExtractionError:
        raise
    except Exception as exc:  # every library raises its own types on broken or hostile files
        raise ExtractionError(
            f"Le texte du document ({kind.upper()}) n'a pas pu être extrait : fichier illisible "
            "ou endommagé."
        ) from exc
    finally:
        with contextlib.suppress(ValueError, OSError):  # a library may have closed the file
            fileobj.seek(0)
    return _normalise(text)[:max_chars].rstrip()


def _pdf(fileobj: IO[bytes], budget: int) -> str:
    reader = pypdf.PdfReader(fileobj)
    # Many official PDFs are "encrypted" with an empty user password (printing restrictions).
    if reader.is_encrypted and not reader.decrypt(""):
        raise ExtractionError("Le PDF est protégé par un mot de passe : texte non extrait.")
    pages: list[str] = []
    total = 0
    deadline = time.monotonic() + _PDF_SECONDS
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        total += len(pages[-1])
        if total >= budget or time.monotonic() > deadline:
            break
    return "\n".join(pages)


def _odt(fileobj: IO[bytes], budget: int) -> str:
    return _odf(fileobj, budget, paragraph="\n")


def _ods(fileobj: IO[bytes], budget: int) -> str:
    return _odf(fileobj, budget, paragraph=" ")  # one line per row, not per cell paragraph


def _odf(fileobj: IO[bytes], budget: int, *, paragraph: str) -> str:
    with zipfile.ZipFile(fileobj) as archive, archive.open("content.xml") as xml:
        return _xml_text(
            xml,
            budget,
            text_tags=None,
            after={
                f"{_TEXT}p": paragraph,
                f"{_TEXT}h": "\n",
                f"{_TEXT}line-break": "\n",
                f"{_TEXT}tab": "\t",
                f"{_TEXT}s": " ",
                f"{_TABLE}table-cell": "\t",
                f"{_TABLE}table-row": "\n",
            },
            skip={
                f"{_TEXT}tracked-changes",
                f"{_OFFICE}annotation",
                f"{_OFFICE}scripts",
                f"{_OFFICE}font-face-decls",
                f"{_OFFICE}automatic-styles",
            },
        )


def _docx(fileobj: IO[bytes], budget: int) -> str:
    with zipfile.ZipFile(fileobj) as archive, archive.open("word/document.xml") as xml:
        # Only w:t is visible text: w:delText (deletions) and w:instrText (field codes) are not.
        return _xml_text(
            xml,
            budget,
            text_tags={f"{_W}t"},
            after={
                f"{_W}p": "\n",
                f"{_W}br": "\n",
                f"{_W}cr": "\n",
                f"{_W}tab": "\t",
                f"{_W}tc": "\t",
            },
            skip=set(),
        )


def _xml_text(
    source: IO[bytes],
    budget: int,
    *,
    text_tags: set[str] | None,
    after: dict[str, str],
    skip: set[str],
) -> str:
    """Document-order text; text_tags None means the text and tail of every element.

    Streamed with iterparse, and each element is emptied once closed, so that a huge
    content.xml does not become a huge tree in memory.
    """
    out: list[str] = []
    total = 0
    opened: list[tuple[Element, list[Element]]] = []  # open elements, with their last child
    skipping = 0  # depth inside a skipped element
    for event, element in ElementTree.iterparse(source, events=("start", "end")):
        if event == "start":
            if opened and not skipping:
                out.append(_text_before(*opened[-1], text_tags))
                total += len(out[-1])
            if skipping or element.tag in skip:
                skipping += 1
            opened.append((element, []))
            continue
        _, last = opened.pop()
        if skipping:
            skipping -= 1
        else:
            out.append(_text_before(element, last, text_tags) + after.get(element.tag, ""))
            total += len(out[-1])
        del element[:]  # the children's text is out already; only the tail is still needed
        element.text = None
        if opened:
            opened[-1][1][:] = [element]
        if total >= budget:
            break
    return "".join(out)


def _text_before(parent: Element, last: list[Element], text_tags: set[str] | None) -> str:
    """The text since the last event: parent's own text, or the tail of its last closed child."""
    if not last:
        return (parent.text or "") if text_tags is None or parent.tag in text_tags else ""
    return (last[0].tail or "") if text_tags is None else ""


def _xlsx(fileobj: IO[bytes], budget: int) -> str:
    workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    lines: list[str] = []
    total = visited = 0
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # a crafted <dimension> would pad every row with empties
            for row in sheet.iter_rows(values_only=True):
                visited += len(row) + 1
                values = [str(value) for value in row if value is not None]
                if values:
                    lines.append(" ".join(values))
                    total += len(lines[-1])
                if total >= budget or visited >= _MAX_CELLS:
                    return "\n".join(lines)
    finally:
        workbook.close()
    return "\n".join(lines)


def _plain(fileobj: IO[bytes], budget: int) -> str:
    data = fileobj.read(4 * budget + 4)  # UTF-8 needs at most 4 bytes per character
    try:
        # final=False tolerates a character cut at the end of the read.
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data)
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _image(fileobj: IO[bytes], budget: int) -> str:
    return ""  # no OCR


_EXTRACTORS: dict[str, Callable[[IO[bytes], int], str]] = {
    "pdf": _pdf,
    "odt": _odt,
    "ods": _ods,
    "docx": _docx,
    "xlsx": _xlsx,
    "txt": _plain,
    "csv": _plain,
    "json": _plain,
    "png": _image,
    "jpeg": _image,
}

# Control characters (NUL included: PostgreSQL refuses it in text) become spaces; invisible
# formatting characters (soft hyphen, zero-width, BOM) disappear.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _CONTROLS.sub(" ", text))
    text = re.sub(r"[^\S\n]+", " ", text)  # tabs, no-break spaces, runs of spaces
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # Lone surrogates (from broken PDF text maps) cannot be stored or encoded.
    return text.encode("utf-8", errors="replace").decode("utf-8").strip()
