"""Upload validation: what an agent may publish, decided from the content, never from the name.

One streaming pass computes the size, the SHA-256 and the cheap byte-level signals; the type is
then sniffed from the first bytes and checked in depth (ZIP directory, image header, PDF markers).
Nothing is extracted to disk and the file is rewound before returning.

Active content is refused, not neutralised: what a viewer runs or fetches by itself (PDF
JavaScript, XFA scripts, form submission, data import, launch, remote go-to, a web address opened
without a click; Office macros, DDE fields and formulas, remote templates and frames, OLE links
and embedded OLE objects; OpenDocument DDE links, OLE objects and event scripts) and CSV cells a
spreadsheet would evaluate as formulas. Links the reader clicks (web, e-mail, telephone) and
fillable forms without scripts are accepted.

UploadRejected codes: empty, too_large, bad_name, type_not_allowed, extension_mismatch,
active_content, corrupt, bad_encoding, encrypted, zip_bomb, unsafe_archive, image_too_large.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Literal, cast
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

import pypdf
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

ACCEPTED = "Formats acceptés : PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, JSON, PNG, JPEG."

MIME_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
    "json": "application/json",
    "png": "image/png",
    "jpeg": "image/jpeg",
}
# Accepted extensions per kind, the usual one first.
EXTENSIONS = {
    "pdf": ("pdf",),
    "odt": ("odt",),
    "ods": ("ods",),
    "docx": ("docx",),
    "xlsx": ("xlsx",),
    "csv": ("csv",),
    "txt": ("txt",),
    "json": ("json",),
    "png": ("png",),
    "jpeg": ("jpg", "jpeg"),
}
LABELS = {
    "pdf": "un document PDF",
    "odt": "un texte OpenDocument (ODT)",
    "ods": "un tableur OpenDocument (ODS)",
    "docx": "un document Word (DOCX)",
    "xlsx": "un classeur Excel (XLSX)",
    "png": "une image PNG",
    "jpeg": "une image JPEG",
    "csv": "du texte",
    "txt": "du texte",
    "json": "du texte",
}
_EXT_KIND = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}
TEXT_KINDS = ("txt", "csv", "json")

CHUNK = 64 * 1024
HEAD = 8 * 1024
MAX_NAME = 150
MAX_ZIP_ENTRIES = 5_000
MAX_ZIP_TOTAL = 500 * 1024 * 1024
MAX_PIXELS = 100_000_000

# First bytes of formats that are never accepted: (prefix, offset, label, code).
_EXECUTABLE = "active_content"
_REFUSED = "type_not_allowed"
_MAGIC = [
    (b"MZ", 0, "exécutable Windows", _EXECUTABLE),
    (b"\x7fELF", 0, "exécutable Linux (ELF)", _EXECUTABLE),
    (b"\xfe\xed\xfa\xce", 0, "exécutable macOS (Mach-O)", _EXECUTABLE),
    (b"\xfe\xed\xfa\xcf", 0, "exécutable macOS (Mach-O)", _EXECUTABLE),
    (b"\xce\xfa\xed\xfe", 0, "exécutable macOS (Mach-O)", _EXECUTABLE),
    (b"\xcf\xfa\xed\xfe", 0, "exécutable macOS (Mach-O)", _EXECUTABLE),
    (b"\xca\xfe\xba\xbe", 0, "programme Java ou exécutable macOS", _EXECUTABLE),
    (b"#!", 0, "script exécutable", _EXECUTABLE),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        0,
        "ancien format Office (.doc, .xls, .ppt) ou document chiffré",
        _REFUSED,
    ),
    (b"GIF87a", 0, "image GIF", _REFUSED),
    (b"GIF89a", 0, "image GIF", _REFUSED),
    (b"II*\x00", 0, "image TIFF", _REFUSED),
    (b"MM\x00*", 0, "image TIFF", _REFUSED),
    (b"{\\rtf", 0, "document RTF", _REFUSED),
    (b"%!PS", 0, "document PostScript", _REFUSED),
    (b"\x1f\x8b", 0, "archive gzip", _REFUSED),
    (b"7z\xbc\xaf\x27\x1c", 0, "archive 7z", _REFUSED),
    (b"\xfd7zXZ\x00", 0, "archive xz", _REFUSED),
    (b"Rar!\x1a\x07", 0, "archive RAR", _REFUSED),
    (b"\x28\xb5\x2f\xfd", 0, "archive zstd", _REFUSED),
    (b"ustar", 257, "archive tar", _REFUSED),
    (b"RIFF", 0, "fichier RIFF (WebP, WAV, AVI)", _REFUSED),
    (b"ftyp", 4, "image HEIC ou vidéo MP4", _REFUSED),
]
# Short prefixes that also begin ordinary text, so they need a second look.
_BMP = re.compile(rb"BM.{12}(\x0c|\x28|\x34|\x38|\x40|\x6c|\x7c)\x00\x00\x00", re.DOTALL)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")

# What browsers sniff as HTML, and markup that a text file has no reason to carry.
_HTML_ANYWHERE = re.compile(
    rb"<(?:!doctype\s+html|html|script|iframe|body|head|svg|object|embed)[\s/>]", re.IGNORECASE
)
_MARKUP_START = re.compile(rb"<(?:\?xml|!doctype|!--|[a-z][\w:.-]*[\s/>])", re.IGNORECASE)
_SVG = re.compile(rb"<svg[\s/>]", re.IGNORECASE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]
}
# Bytes that never occur in Windows-1252 prose: controls other than \t\n\r, and unassigned codes.
_NOT_CP1252_TEXT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d]")

# PDF names that make a viewer run code, send or fetch data, or open attachments, wherever they
# are. Names may be spelt with #xx escapes.
_PDF_DELIM = rb"\s/<>\[\]()%{}"
_PDF_NAME = re.compile(rb"/([^" + _PDF_DELIM + rb"]{1,127})(?=[" + _PDF_DELIM + rb"])")
_PDF_SCRIPT = {"JavaScript", "JS"}
_PDF_ACTIONS = {"Launch", "SubmitForm", "ImportData", "GoToR", "GoToE"}
_PDF_EMBEDDED = {"EmbeddedFile", "EmbeddedFiles", "RichMedia"}
_PDF_ACTIVE = _PDF_SCRIPT | _PDF_ACTIONS | _PDF_EMBEDDED
# Names that are fine or not depending on where they sit: a web link (fine when clicked, not when
# opened by itself), additional actions (triggered by events), an XFA form (its scripts are in a
# compressed stream). They send the file to a structural check with pypdf.
_PDF_CONTEXT = {"URI", "AA", "XFA"}
_PDF_OPAQUE = {"ObjStm", "Encrypt"}  # compressed or encrypted objects a byte scan cannot read
_PDF_WATCHED = _PDF_ACTIVE | _PDF_CONTEXT | _PDF_OPAQUE
_PDF_HINT = re.compile(
    rb"/(?:JavaScript|JS|Launch|SubmitForm|ImportData|GoTo[RE]|EmbeddedFile|RichMedia|URI|AA|XFA"
    rb"|ObjStm|Encrypt)|#[0-9A-Fa-f]{2}"
)
_PDF_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
# XFA elements that run code or send the form's data.
_XFA_ACTIVE = re.compile(rb"<(?:[\w.-]+:)?(script|submit|execute)\b", re.IGNORECASE)
_PDF_MAX_OBJECTS = 1_000_000


class UploadRejected(ValueError):
    """message: a clear French sentence for the user; code: short machine code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: sanitised name, kind (a MIME_TYPES key), size in bytes, hex SHA-256."""

    name: str
    kind: str
    mime_type: str
    size: int
    sha256: str


def sanitize_filename(raw: str) -> str:
    """The last path component, NFC, without control or invisible characters; or UploadRejected."""
    name = re.split(r"[/\\]", raw or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r"\s+", " ", name)
    # Cf covers U+202E (right-to-left override) and zero-width characters that disguise names.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    # Characters Windows refuses in file names and that mean something in headers or HTML.
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r" {2,}", " ", name).lstrip(". ").rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    stem, ext = stem.rstrip(" "), ext.strip(" ")
    if not dot or not stem or not ext or len(ext) > 16:
        raise UploadRejected("Le nom du fichier est vide ou n'a pas d'extension.", "bad_name")
    if stem.split(".")[0].strip(" ").upper() in _WINDOWS_RESERVED:
        raise UploadRejected(
            f"Le nom « {stem}.{ext} » est réservé par Windows ; renommez le fichier.", "bad_name"
        )
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(". ")
    return f"{stem}.{ext}"


def check_upload(fileobj: IO[bytes], raw_name: str, *, max_size: int) -> CheckedFile:
    """Validate an upload and describe it; raise UploadRejected with a French message."""
    name = sanitize_filename(raw_name)
    ext = name.rpartition(".")[2].lower()
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int) and declared > max_size:
        raise _too_large(max_size)
    scan = _scan(fileobj, max_size)
    try:
        # Dangerous or broken content is reported before a mere naming mistake.
        kind = _detect(fileobj, scan, max_size) or _check_text(fileobj, scan, ext)
        if ext not in EXTENSIONS[kind]:
            said = LABELS.get(_EXT_KIND.get(ext, ""), f"un fichier .{ext}")
            raise UploadRejected(
                f"Le contenu du fichier est {LABELS[kind]}, mais son nom (.{ext}) annonce {said}. "
                f"Renommez-le en .{EXTENSIONS[kind][0]} ou choisissez le bon fichier.",
                "extension_mismatch",
            )
    finally:
        fileobj.seek(0)
    return CheckedFile(name, kind, MIME_TYPES[kind], scan.size, scan.sha256.hexdigest())


def _refused(label: str, code: str = _REFUSED) -> UploadRejected:
    return UploadRejected(
        f"Ce type de fichier n'est pas accepté (contenu détecté : {label}). {ACCEPTED}", code
    )


def _too_large(max_size: int) -> UploadRejected:
    if max_size >= 1024 * 1024:
        limit = f"{max_size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " Mo"
    else:
        limit = f"{max(1, max_size // 1024)} Ko"
    return UploadRejected(f"Le fichier dépasse la taille maximale de {limit}.", "too_large")


def _corrupt(detail: str) -> UploadRejected:
    return UploadRejected(
        f"Le fichier est endommagé ou incomplet ({detail}) ; enregistrez-le à nouveau puis "
        "réessayez.",
        "corrupt",
    )


class _Scan:
    """What one pass over the bytes tells: size, hash, head, tail, text and PDF signals."""

    def __init__(self) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.head = b""
        self.tail = b""
        self.has_nul = False
        self.utf8 = True
        self.cp1252 = True
        self.script = False
        self.pdf_names: set[str] = set()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._carry = b""  # end of the previous chunk, for patterns split across chunks

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        if len(self.head) < HEAD:
            self.head += chunk[: HEAD - len(self.head)]
        self.tail = (self.tail + chunk)[-2048:]
        self.has_nul = self.has_nul or b"\x00" in chunk
        if self.utf8:
            try:
                self._decoder.decode(chunk, final)
            except UnicodeDecodeError:
                self.utf8 = False
        self.cp1252 = self.cp1252 and not _NOT_CP1252_TEXT.search(chunk)
        window = self._carry + chunk
        self.script = self.script or b"<script" in window.lower()
        if self.head.startswith(b"%PDF-") and _PDF_HINT.search(window):
            self.pdf_names |= _pdf_names(window + (b" " if final else b""))
        self._carry = window[-160:]


def _pdf_names(data: bytes) -> set[str]:
    found = set()
    for match in _PDF_NAME.finditer(data):
        raw = match.group(1)
        if b"#" in raw:  # /J#61vaScript is /JavaScript
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        name = raw.decode("latin-1")
        if name in _PDF_WATCHED:
            found.add(name)
    return found


def _scan(fileobj: IO[bytes], max_size: int) -> _Scan:
    scan = _Scan()
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK):
        scan.feed(chunk)
        if scan.size > max_size:
            fileobj.seek(0)
            raise _too_large(max_size)
    scan.feed(b"", final=True)
    fileobj.seek(0)
    if scan.size == 0:
        raise UploadRejected("Le fichier est vide.", "empty")
    return scan


def _detect(fileobj: IO[bytes], scan: _Scan, max_size: int) -> str | None:
    """The binary kind, None for a text candidate; UploadRejected for anything else."""
    head = scan.head
    if head.startswith(b"%PDF-"):
        return _check_pdf(fileobj, scan, max_size)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_image(fileobj, "png", "PNG")
    if head.startswith(b"\xff\xd8\xff"):
        return _check_image(fileobj, "jpeg", "JPEG")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _check_zip(fileobj, max_size)
    for prefix, offset, label, code in _MAGIC:
        if head[offset:].startswith(prefix):
            raise _refused(label, code)
    if _BMP.match(head):
        raise _refused("image BMP")
    if _BZIP2.match(head):
        raise _refused("archive bzip2")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRejected(
            "Le fichier texte est en UTF-16 : enregistrez-le en UTF-8.", "bad_encoding"
        )
    return None


def _check_text(fileobj: IO[bytes], scan: _Scan, ext: str) -> str:
    start = scan.head[:1024].removeprefix(codecs.BOM_UTF8).lstrip()
    if _SVG.search(scan.head[:1024]):
        raise _refused("image SVG", "active_content")
    if _HTML_ANYWHERE.search(scan.head[:1024]) or scan.script:
        raise _refused("page HTML ou script", "active_content")
    if _MARKUP_START.match(start):
        raise _refused("document XML ou HTML", "active_content")
    if scan.has_nul:
        raise _refused("fichier binaire non reconnu")
    kind = _EXT_KIND.get(ext)
    if kind is not None and kind not in TEXT_KINDS:
        raise UploadRejected(
            f"Le contenu du fichier est du texte, mais son nom (.{ext}) annonce {LABELS[kind]}. "
            "Pour du texte, utilisez l'extension .txt, .csv ou .json.",
            "extension_mismatch",
        )
    if kind is None:
        raise UploadRejected(
            f"Le contenu est du texte, mais l'extension .{ext} n'est pas acceptée : utilisez "
            f".txt, .csv ou .json. {ACCEPTED}",
            "type_not_allowed",
        )
    if not scan.utf8 and (kind == "json" or not scan.cp1252):
        raise UploadRejected(
            "Le fichier texte n'est pas lisible : enregistrez-le en UTF-8 (ou Windows-1252 pour "
            "un CSV ou un TXT) sans caractère de contrôle.",
            "bad_encoding",
        )
    if kind == "json":
        reader = codecs.getreader("utf-8-sig")(fileobj)
        try:
            json.load(reader)
        except (ValueError, RecursionError) as exc:
            raise UploadRejected(
                "Le fichier JSON n'est pas valide ; vérifiez sa syntaxe.", "corrupt"
            ) from exc
    if kind == "csv":
        _check_csv(fileobj, "utf-8-sig" if scan.utf8 else "cp1252", scan.head)
    return kind


# CSV cells a spreadsheet would evaluate (formula injection) ---------------------------------
#
# Refused at upload rather than neutralised on download: the file published is the file the
# agent sent, byte for byte (its SHA-256 is shown), and the agent can fix the source. A cell is a
# formula when, after leading blanks (tab and CR included), it starts with = or @, or with + or -
# followed by something other than a number: "-12,5", "-3", "-", "+33 1 23 45 67 89" are data.
# Each row is joined with NUL (which a checked text file cannot contain) and searched at once.
_CSV_DELIMITERS = (";", ",", "\t")
_CSV_BLANK = r"[ \t\r\n\x0b\x0c\u00a0\u202f]"
# After the sign: digits, spaces, separators, a currency or percent sign, an exponent. With no
# other letter, no function, DDE link or address can follow (E1, a cell, is harmless).
_CSV_SIGNED_DATA = r"[-+\deE\s\u00a0\u202f.,()/%€$£]*(?:EUR\s*)?"
_CSV_FORMULA = re.compile(rf"\x00{_CSV_BLANK}*([=@]|[+-](?!{_CSV_SIGNED_DATA}(?:\x00|\Z)))")
# A formula after another delimiter inside a cell (a spreadsheet set to split on commas opens a
# semicolon file differently): only calls and DDE, to spare prose such as "12,-5 % (estimé)".
_CSV_HIDDEN_FORMULA = re.compile(
    rf"[,;\t]{_CSV_BLANK}*\"?([=@](?=[^\x00]*[(|])|[+-](?=[^\x00]*\|)"
    rf"|[+-](?={_CSV_BLANK}*[A-Za-z_'\"][^\x00]*\())"
)


class _RawReader(io.RawIOBase):
    """The upload as a raw stream, so that io's C readers can buffer and decode it; closing
    this wrapper leaves the upload open."""

    def __init__(self, fileobj: IO[bytes]):
        self._fileobj = fileobj

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._fileobj.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _csv_delimiter(head: bytes, encoding: str) -> str:
    """The delimiter the first line uses most (outside quotes); the semicolon on a tie."""
    line = head.decode(encoding, "replace").split("\n", 1)[0]
    counts = dict.fromkeys(_CSV_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char in counts and not quoted:
            counts[char] += 1
    return max(_CSV_DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie


def _check_csv(fileobj: IO[bytes], encoding: str, head: bytes) -> None:
    fileobj.seek(0)
    # newline="": \r\n, \r and \n end lines, and the csv module sees them (quoted line breaks).
    text = io.TextIOWrapper(
        io.BufferedReader(_RawReader(fileobj), CHUNK),
        encoding=encoding,
        errors="replace",
        newline="",
    )
    reader = csv.reader(text, delimiter=_csv_delimiter(head, encoding))
    header: list[str] = []
    try:
        line = 1
        for row in reader:
            joined = "\x00" + "\x00".join(row)
            found = _CSV_FORMULA.search(joined) or (
                ("(" in joined or "|" in joined) and _CSV_HIDDEN_FORMULA.search(joined)
            )
            if found:
                column = joined.count("\x00", 0, found.start(1))
                raise _csv_refused(line, column, found.group(1)[0], header)
            header = header or row
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UploadRejected(
            f"Le fichier CSV n'est pas lisible (ligne {reader.line_num}) ; vérifiez les "
            "guillemets et la longueur des cellules.",
            "corrupt",
        ) from exc
    finally:
        text.close()
        fileobj.seek(0)


def _csv_refused(line: int, column: int, char: str, header: list[str]) -> UploadRejected:
    title = ""
    if line > 1 and column <= len(header):
        name = "".join(c for c in header[column - 1] if c.isprintable()).strip()[:40]
        title = f" (« {name} »)" if name else ""
    return UploadRejected(
        f"Le fichier CSV contient une formule : la cellule ligne {line}, colonne {column}{title} "
        f"commence par « {char} », qu'un tableur exécuterait. Retirez ce caractère ou "
        "faites-le précéder d'une apostrophe ('), puis déposez le fichier à nouveau.",
        "active_content",
    )


_PDF_REFUSALS = {
    "script": "Ce PDF contient du JavaScript (souvent les calculs ou contrôles d'un formulaire à "
    "remplir, comme un CERFA) et n'est pas accepté. Retirez les scripts ou aplatissez le "
    "formulaire (par exemple avec « Imprimer en PDF »), puis déposez-le à nouveau : les "
    "formulaires à remplir sans script sont acceptés.",
    "action": "Ce PDF contient une action qui envoie ou importe des données, ou qui ouvre un "
    "programme, un autre fichier ou un partage réseau, et n'est pas accepté. Retirez "
    "cette action ou enregistrez-le à nouveau en PDF simple, par exemple avec « Imprimer "
    "en PDF » ou en PDF/A.",
    "open": "Ce PDF ouvre une adresse de lui-même (à l'ouverture du document ou d'une page, ou au "
    "survol) et n'est pas accepté ; les liens sur lesquels on clique sont acceptés. "
    "Retirez cette action automatique ou enregistrez-le à nouveau en PDF simple.",
    "link": "Ce PDF contient un lien vers un fichier local ou un partage réseau et n'est pas "
    "accepté : seuls les liens web (http, https), de courriel et de téléphone le sont. "
    "Remplacez ce lien par une adresse web puis déposez le fichier à nouveau.",
    "embedded": "Ce PDF contient un fichier joint ou un média interactif et n'est pas accepté. "
    "Enregistrez-le à nouveau en PDF simple, par exemple avec « Imprimer en PDF » ou "
    "en PDF/A.",
}


def _pdf_refused(reason: str) -> UploadRejected:
    return UploadRejected(_PDF_REFUSALS[reason], "active_content")


def _refuse_pdf_names(names: set[str]) -> None:
    for reason, group in (
        ("script", _PDF_SCRIPT),
        ("action", _PDF_ACTIONS),
        ("embedded", _PDF_EMBEDDED),
    ):
        if names & group:
            raise _pdf_refused(reason)


def _check_pdf(fileobj: IO[bytes], scan: _Scan, max_size: int) -> str:
    if b"%%EOF" not in scan.tail:
        raise _corrupt("PDF tronqué")
    names = set(scan.pdf_names)
    _refuse_pdf_names(names)
    if names & (_PDF_CONTEXT | _PDF_OPAQUE):
        _pdf_inspect(fileobj, names, min(10 * max_size, MAX_ZIP_TOTAL))
    return "pdf"


class _WholeReads:
    """A file whose read(n) returns n bytes unless at the end, as pypdf expects."""

    def __init__(self, fileobj: IO[bytes]):
        self._fileobj = fileobj

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self._fileobj.read(CHUNK), b""))
        parts = []
        while size > 0 and (part := self._fileobj.read(size)):
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fileobj.seek(offset, whence)

    def tell(self) -> int:
        return self._fileobj.tell()


def _pdf_inspect(fileobj: IO[bytes], names: set[str], max_inflated: int) -> None:
    """Look inside with pypdf: object streams (compressed, maybe encrypted), then, when a name
    that depends on its place was seen, the actions, links and XFA forms of every object."""
    fileobj.seek(0)
    try:
        reader = pypdf.PdfReader(cast(IO[bytes], _WholeReads(fileobj)))
        if reader.is_encrypted:
            try:
                # Restrictions-only PDFs open with an empty password; citizens could open them.
                opened = bool(reader.decrypt(""))
            except Exception:  # AES without the cryptography package, broken /Encrypt...
                opened = False
            if not opened:
                raise UploadRejected(
                    "Ce PDF est protégé par un mot de passe ou un chiffrement qui empêche de le "
                    "contrôler ; enregistrez-le sans protection.",
                    "encrypted",
                )
        names = set(names)
        inflated = 0
        for number in sorted({stream for stream, _ in reader.xref_objStm.values()}):
            obj = reader.get_object(number)
            if isinstance(obj, StreamObject):
                data = obj.get_data()
                inflated += len(data)
                if inflated > max_inflated:  # pypdf caps each stream, not their sum
                    raise UploadRejected(
                        "Le PDF contient des données compressées anormales (taux de compression "
                        "suspect) et n'est pas accepté.",
                        "zip_bomb",
                    )
                names |= _pdf_names(data + b" ")
        _refuse_pdf_names(names)
        if names & _PDF_CONTEXT:
            _pdf_check_structure(reader, max_inflated - inflated)
    except UploadRejected:
        raise
    except Exception as exc:  # pypdf raises many types on hostile input
        raise _corrupt("PDF illisible") from exc


def _pdf_objects(reader: pypdf.PdfReader) -> Iterator[object]:
    """Every object the cross-reference tables and object streams lead to."""
    refs = {
        (number, generation) for generation, numbers in reader.xref.items() for number in numbers
    }
    refs |= {(number, 0) for number in reader.xref_objStm}
    if len(refs) > _PDF_MAX_OBJECTS:
        raise _corrupt("PDF aux objets trop nombreux")
    for number, generation in sorted(refs):
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if obj is not None:
            yield obj


def _pdf_check_structure(reader: pypdf.PdfReader, max_inflated: int) -> None:
    """Refuse links to files or shares, web addresses opened without a click, XFA scripts."""
    triggered: list[object] = []  # actions run by an event: open, page open, mouse over...
    forms: list[object] = []
    for obj in _pdf_objects(reader):
        stack = [obj]
        while stack:
            item = stack.pop()
            if isinstance(item, DictionaryObject):
                values = dict(item)  # raw values: references are not followed here
                if _pdf_value(values.get("/S")) == "/URI" and not _pdf_web_link(
                    _pdf_value(values.get("/URI"))
                ):
                    raise _pdf_refused("link")
                if "/OpenAction" in values:
                    triggered.append(values["/OpenAction"])
                if "/AA" in values:
                    events = _pdf_value(values["/AA"])
                    if isinstance(events, DictionaryObject):
                        triggered.extend(dict(events).values())
                if "/XFA" in values:
                    forms.append(values["/XFA"])
                stack.extend(values.values())
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    _pdf_check_triggered(triggered)
    _pdf_check_xfa(forms, max_inflated)


def _pdf_value(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _pdf_web_link(target: object) -> bool:
    """A link the reader may follow: web, e-mail, telephone, or relative inside the site."""
    if isinstance(target, bytes):
        target = target.decode("latin-1")
    if not isinstance(target, str):
        return True  # a URI action without a URI goes nowhere
    link = target.strip().replace("\\", "/")
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", link)
    if scheme:  # C:/... is scheme "c": refused like file:
        return scheme.group(1).lower() in _PDF_LINK_SCHEMES
    return not link.startswith("/") and ".." not in link.split("/")


def _pdf_check_triggered(actions: list[object]) -> None:
    seen: set[tuple[int, int]] = set()
    while actions:
        action = actions.pop()
        if isinstance(action, IndirectObject):
            key = (action.idnum, action.generation)
            if key in seen:
                continue
            seen.add(key)
            action = action.get_object()
        if not isinstance(action, DictionaryObject):
            continue  # an open action may be a destination: [page /Fit]
        values = dict(action)
        if _pdf_value(values.get("/S")) == "/URI":
            raise _pdf_refused("open")
        following = _pdf_value(values.get("/Next"))
        if isinstance(following, ArrayObject):
            actions.extend(following)
        elif following is not None:
            actions.append(following)
        if len(seen) > _PDF_MAX_OBJECTS:
            raise _corrupt("PDF aux actions en boucle")


def _pdf_check_xfa(forms: list[object], max_inflated: int) -> None:
    """An XFA form is XML in one stream or in packets [name stream ...]; scripts live there."""
    inflated = 0
    for form in forms:
        form = _pdf_value(form)
        parts = [_pdf_value(p) for p in form] if isinstance(form, ArrayObject) else [form]
        for part in parts:
            if not isinstance(part, StreamObject):
                continue
            data = part.get_data()
            inflated += len(data)
            if inflated > max_inflated:
                raise UploadRejected(
                    "Le PDF contient des données compressées anormales (taux de compression "
                    "suspect) et n'est pas accepté.",
                    "zip_bomb",
                )
            found = _XFA_ACTIVE.search(data)
            if found:
                raise _pdf_refused("script" if found.group(1).lower() == b"script" else "action")


def _check_image(fileobj: IO[bytes], kind: str, pil_format: str) -> str:
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            # We apply our own pixel limit below; Pillow's warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fileobj, formats=[pil_format]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _image_too_large(width, height)
                image.verify()
    except Image.DecompressionBombError as exc:
        raise _image_too_large(0, 0) from exc
    except UploadRejected:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, struct.error...
        raise _corrupt(f"image {pil_format} illisible") from exc
    return kind


def _image_too_large(width: int, height: int) -> UploadRejected:
    size = f" ({width} pixels sur {height})" if width else ""
    return UploadRejected(
        f"L'image est trop grande{size} : 100 millions de pixels au maximum.", "image_too_large"
    )


def _check_zip(fileobj: IO[bytes], max_size: int) -> str:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            _check_zip_entries(infos, max_size)
            return _zip_kind(archive, {info.filename for info in infos}, max_size)
    except UploadRejected:
        raise
    except Exception as exc:  # BadZipFile, but also struct.error, EOFError, ValueError...
        raise _corrupt("archive du document illisible") from exc


def _check_zip_entries(infos: list[zipfile.ZipInfo], max_size: int) -> None:
    bomb = UploadRejected(
        "Le document contient une archive anormale (trop d'éléments ou taux de compression "
        "suspect) et n'est pas accepté.",
        "zip_bomb",
    )
    if len(infos) > MAX_ZIP_ENTRIES:
        raise bomb
    if len({info.filename for info in infos}) != len(infos):
        raise _corrupt("entrées en double dans l'archive")
    if sum(info.file_size for info in infos) > min(10 * max_size, MAX_ZIP_TOTAL):
        raise bomb
    for info in infos:
        name = info.filename
        if ".." in name or "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name):
            raise UploadRejected(
                "Le document contient un chemin de fichier dangereux et n'est pas accepté.",
                "unsafe_archive",
            )
        if info.flag_bits & 0x41:  # bit 0: encrypted; bit 6: strong encryption
            raise UploadRejected(
                "Le document est protégé par un mot de passe ; enregistrez-le sans protection.",
                "encrypted",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > 100 and info.file_size > 10 * 1024 * 1024:
            raise bomb


def _macros() -> UploadRejected:
    return UploadRejected(
        "Le document contient des macros ou des contrôles actifs et n'est pas accepté. "
        "Enregistrez-le sans macros (format .odt, .ods, .docx ou .xlsx).",
        "active_content",
    )


def _zip_kind(archive: zipfile.ZipFile, names: set[str], max_size: int) -> str:
    if "mimetype" in names:
        mimetype = _small_entry(archive, "mimetype", 200).decode("ascii", "replace").strip()
        kind = {MIME_TYPES["odt"]: "odt", MIME_TYPES["ods"]: "ods"}.get(mimetype)
        if kind is None:
            raise _refused(f"archive de type {mimetype[:80]}" if mimetype else "archive ZIP")
        if any(n.startswith(("Basic/", "Scripts/")) for n in names):
            raise _macros()
        if "content.xml" not in names:
            raise _corrupt("document OpenDocument sans contenu")
        manifest = _small_entry(archive, "META-INF/manifest.xml", 1024 * 1024, missing_ok=True)
        if b"encryption-data" in manifest:
            raise UploadRejected(
                "Le document est protégé par un mot de passe ; enregistrez-le sans protection.",
                "encrypted",
            )
        if b"oleobject" in manifest.lower():
            raise _office_refused("embedded")
        _check_odf_parts(archive, names)
        return kind
    if "[Content_Types].xml" in names:
        return _ooxml_kind(archive, names, max_size, embedded=False)
    if "AndroidManifest.xml" in names:
        raise _refused("application Android (APK)", "active_content")
    if "META-INF/MANIFEST.MF" in names or any(n.endswith(".class") for n in names):
        raise _refused("programme Java (JAR)", "active_content")
    raise _refused("archive ZIP")


def _ooxml_kind(archive: zipfile.ZipFile, names: set[str], max_size: int, *, embedded: bool) -> str:
    """docx or xlsx (or, only inside another document, pptx), once its parts are checked."""
    types = _small_entry(archive, "[Content_Types].xml", 1024 * 1024).lower()
    defaults, overrides = _content_types(types)
    declared = " ".join([*defaults.values(), *overrides.values()])
    lowered = [n.lower() for n in names]
    if (
        b"macroenabled" in types
        or b"macrosheet" in types
        or any(word in declared for word in ("macroenabled", "macrosheet", "vbaproject", "activex"))
        or any(n.endswith("vbaproject.bin") for n in lowered)
        or any("/activex/" in n for n in lowered)
        or any(n.startswith(("xl/macrosheets/", "xl/intlmacrosheets/")) for n in lowered)
    ):
        raise _macros()
    if "word/document.xml" in names:
        kind = "docx"
    elif "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "ppt/presentation.xml" in names and embedded:
        kind = "pptx"
    elif "ppt/presentation.xml" in names:
        raise _refused("présentation PowerPoint")
    else:
        raise _refused("document Office non reconnu")
    _check_ooxml_parts(archive, names, defaults, overrides, max_size, embedded=embedded)
    return kind


# Active content in Office and OpenDocument files ------------------------------------------------

_OFFICE_REFUSALS = {
    "dde": "Le document contient un champ DDE (ou un champ dont le code est construit par un "
    "autre champ, ce qui sert à le masquer), qui peut lancer un programme, et n'est pas "
    "accepté. Supprimez ce champ ou convertissez-le en texte, puis déposez le fichier à "
    "nouveau.",
    "formula": "Le classeur contient une formule qui peut lancer un programme ou envoyer des "
    "données sur Internet (liaison DDE ou fonction WEBSERVICE) et n'est pas accepté. "
    "Remplacez ces formules par leurs valeurs (Copier, puis Collage spécial > "
    "Valeurs) et déposez le fichier à nouveau.",
    "template": "Le document est rattaché à un modèle situé sur Internet ou sur un partage "
    "réseau, que le traitement de texte télécharge à l'ouverture, et n'est pas "
    "accepté. Détachez le modèle ou copiez le contenu dans un nouveau document, puis "
    "déposez-le à nouveau.",
    "remote": "Le document charge un élément depuis Internet ou un partage réseau à son "
    "ouverture (cadre, image, section ou feuille liée) et n'est pas accepté. "
    "Incorporez cet élément dans le document ou supprimez la liaison, puis déposez-le "
    "à nouveau.",
    "ole_link": "Le document contient un objet lié à un fichier externe (liaison OLE), mis à jour "
    "à l'ouverture, et n'est pas accepté. Rompez la liaison (l'objet devient une "
    "image ou un tableau) puis déposez le fichier à nouveau.",
    "embedded": "Le document contient un objet incorporé (objet OLE, programme ou fichier joint) "
    "et n'est pas accepté. Remplacez-le par une image ou un tableau, puis déposez le "
    "fichier à nouveau.",
    "events": "Le document contient des scripts déclenchés par des événements (ouverture, clic) "
    "et n'est pas accepté. Supprimez ces affectations de macros puis déposez le "
    "fichier à nouveau.",
    "xml": "Le document contient des déclarations XML interdites (DTD ou entités) et n'est pas "
    "accepté ; enregistrez-le à nouveau depuis votre traitement de texte ou tableur.",
}
# Packages another Office document may embed (charts keep their data in a workbook); anything
# else under embeddings/ (oleObject*.bin, programs, macro-enabled files) is refused.
_EMBEDDABLE = ("xlsx", "docx", "pptx")
_WORD_DDE = {"DDE", "DDEAUTO"}
_FORMULA_STRING = re.compile(r'"(?:[^"]|"")*"')
_FORMULA_QUOTED_NAME = re.compile(r"'(?:[^']|'')*'")
_FORMULA_FETCH = re.compile(r"\b(?:DDE|WEBSERVICE)\s*\(", re.IGNORECASE)
_ODF_DDE = {"dde-source", "dde-connection-decl", "dde-connection", "dde-link"}
_ODF_EMBEDDED = {"object-ole", "applet", "plugin"}
_SCRIPT_URL = (
    "vnd.sun.star.script:",
    "vnd.sun.star.basic:",
    "macro:",
    "javascript:",
    "vbscript:",
    "service:",
)
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_MATH_NS = ("officeDocument/2006/math", "officeDocument/math")


def _office_refused(reason: str) -> UploadRejected:
    return UploadRejected(_OFFICE_REFUSALS[reason], "active_content")


def _is_remote(target: str) -> bool:
    """Whether a link target is on another machine (web, FTP, UNC share, file://host/)."""
    link = target.strip().replace("\\", "/")
    if link.startswith("//"):
        return True  # UNC path (\\server\share) or network-path reference
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", link, re.DOTALL)
    if not scheme:
        return False  # relative to the document
    name, rest = scheme.group(1).lower(), scheme.group(2)
    if len(name) == 1:
        return False  # drive letter: C:/...
    if name != "file":
        return True
    if rest.startswith("//"):
        host, _, path = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            return True
        rest = "/" + path
    return rest.startswith("//")  # file:////server/share


# What a byte search can tell about an XML part before parsing it: declarations (refused), field
# codes, DDE/OLE link elements, formulas and what makes a formula worth a look. XML element and
# attribute names cannot be escaped, so in an ASCII-compatible part a byte search finds them;
# formula text can hold character references, hence "&#". Substring tests run first: one
# regular expression with alternatives costs 7 s on a 30 MB sheet, these 0.5 s.
_DDE_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?ddeLink[\s>/]")
_OLE_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?oleLink[\s>/]")
_FORMULA_ELEMENT = re.compile(rb"<(?:[\w.-]+:)?(?:f|definedName)[\s>/]")
_DDE_CALL = re.compile(rb"dde\s*\(")  # searched in lowered bytes ("hidden" is not a call)
_MARKERS = {
    "dtd": lambda raw, low: b"<!DOCTYPE" in raw or b"<!ENTITY" in raw,
    "field": lambda raw, low: b"instr" in raw,
    "dde": lambda raw, low: b"ddeLink" in raw and bool(_DDE_ELEMENT.search(raw)),
    "ole": lambda raw, low: b"oleLink" in raw and bool(_OLE_ELEMENT.search(raw)),
    "formula": lambda raw, low: bool(_FORMULA_ELEMENT.search(raw)),
    "risky": lambda raw, low: (
        b"|" in raw or b"&#" in raw or b"webservice" in low or bool(_DDE_CALL.search(low))
    ),
    "odf": lambda raw, low: (
        any(
            word in low
            for word in (
                b"dde-",
                b"webservice",
                b"object-ole",
                b"applet",
                b"plugin",
                b"event-listener",
                b"href",
                b"&#",
            )
        )
        or bool(_DDE_CALL.search(low))
    ),
}
_OOXML_MARKERS = ("dtd", "field", "dde", "ole", "formula", "risky")
_ODF_MARKERS = ("dtd", "odf")
_PLAIN_ENCODINGS = {
    b"utf-8",
    b"utf8",
    b"us-ascii",
    b"ascii",
    b"iso-8859-1",
    b"latin-1",
    b"latin1",
    b"windows-1252",
    b"cp1252",
}
_Event = Literal["start", "end"]
_ALL_MARKERS = frozenset({"field", "dde", "ole", "formula", "risky", "odf"})


def _part_markers(
    archive: zipfile.ZipFile, name: str, kinds: tuple[str, ...]
) -> frozenset[str] | None:
    """The markers a part holds, read in chunks; None when the part is not ASCII-compatible
    (UTF-16...), so that only a parse can tell. A part that declares a DTD is refused."""
    found: set[str] = set()
    carry = b""
    with archive.open(name) as part:
        head = part.read(CHUNK)
        declared = re.match(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.-]+)", head)
        if (
            head.startswith((b"\xfe\xff", b"\xff\xfe"))
            or b"\x00" in head[:4]
            or (declared and declared.group(1).lower() not in _PLAIN_ENCODINGS)
        ):
            return None
        chunk = head
        while chunk:
            window = carry + chunk
            lowered = window.lower()
            found.update(
                kind for kind in kinds if kind not in found and _MARKERS[kind](window, lowered)
            )
            carry = chunk[-64:]
            chunk = part.read(CHUNK)
    if "dtd" in found:
        raise _office_refused("xml")
    return frozenset(found)


def _xml_events(
    archive: zipfile.ZipFile,
    name: str,
    events: tuple[_Event, ...] = ("end",),
    *,
    screened: bool = False,
) -> Iterator[tuple[str, Element]]:
    """Parse one part as it streams out of the archive; no DTD, hence no entity, is allowed.

    A part ``screened`` (or found ASCII-compatible here) holds no DTD, so the standard parser
    (in C) is safe; any other goes through defusedxml, whose parser is in Python (~15 µs per
    element: 44 s for a 150,000-row workbook of formulas, against 2 s)."""
    if not screened:
        screened = _part_markers(archive, name, ("dtd",)) is not None
    try:
        with archive.open(name) as part:
            if screened:
                parse = ElementTree.iterparse(part, events=events)  # noqa: S314 - no DTD
            else:
                parse = iterparse(part, events=events, forbid_dtd=True)
            for event, element in parse:
                yield event, element
                if event == "end":
                    element.clear()
    except DefusedXmlException as exc:
        raise _office_refused("xml") from exc
    except ParseError as exc:
        raise _corrupt(f"XML invalide dans {name[:80]}") from exc


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _check_ooxml_parts(
    archive: zipfile.ZipFile,
    names: set[str],
    defaults: dict[str, str],
    overrides: dict[str, str],
    max_size: int,
    *,
    embedded: bool,
) -> None:
    for name in sorted(names):
        lowered = name.lower()
        extension = lowered.rpartition(".")[2] if "." in lowered.rpartition("/")[2] else ""
        content_type = overrides.get("/" + lowered, defaults.get(extension, ""))
        if "oleobject" in content_type:
            raise _office_refused("embedded")
        if "/embeddings/" in f"/{lowered}":
            if embedded or extension not in _EMBEDDABLE:
                raise _office_refused("embedded")
            _check_embedded_package(archive, name, max_size)
        if lowered.endswith(".rels"):
            _check_relationships(archive, name)
        elif lowered.endswith(".xml"):
            # Any part may be the one a relationship points to: all are looked at.
            _check_office_xml(archive, name)


def _content_types(types: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """[Content_Types].xml (lowered): types by extension, and by part name."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    try:
        root = fromstring(types, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _office_refused("xml") from exc
    except ParseError as exc:
        raise _corrupt("types de contenu illisibles") from exc
    for element in root:
        if _local(element.tag) == "default":
            defaults[element.get("extension", "")] = element.get("contenttype", "")
        elif _local(element.tag) == "override":
            overrides[element.get("partname", "")] = element.get("contenttype", "")
    return defaults, overrides


def _check_embedded_package(archive: zipfile.ZipFile, name: str, max_size: int) -> None:
    """A chart's workbook (or another package) inside the document: checked like an upload."""
    info = archive.getinfo(name)
    if info.file_size > max_size:
        raise _office_refused("embedded")
    with archive.open(info) as entry:
        data = io.BytesIO(entry.read(max_size + 1))
    try:
        inner = zipfile.ZipFile(data)
    except zipfile.BadZipFile as exc:
        raise _office_refused("embedded") from exc
    with inner:
        infos = inner.infolist()
        _check_zip_entries(infos, max_size)
        inner_names = {i.filename for i in infos}
        if "[Content_Types].xml" not in inner_names:
            raise _office_refused("embedded")
        _ooxml_kind(inner, inner_names, max_size, embedded=True)


def _check_relationships(archive: zipfile.ZipFile, name: str) -> None:
    """External targets: hyperlinks are clicked; the rest is fetched when the file opens."""
    for _, element in _xml_events(archive, name):
        if _local(element.tag) != "Relationship":
            continue
        if element.get("TargetMode", "").lower() != "external":
            continue
        kind = element.get("Type", "").rpartition("/")[2].lower()
        target = element.get("Target", "")
        if kind == "hyperlink":
            continue
        if kind in ("oleobject", "olelink"):
            raise _office_refused("ole_link")
        if _is_remote(target):
            raise _office_refused("template" if kind == "attachedtemplate" else "remote")


def _check_office_xml(archive: zipfile.ZipFile, name: str) -> None:
    """DDE and OLE link elements, Word field codes, and spreadsheet formulas (cells, chart
    references, defined names) that call DDE or WEBSERVICE."""
    markers = _part_markers(archive, name, _OOXML_MARKERS)
    screened = markers is not None
    markers = _ALL_MARKERS if markers is None else markers
    if "dde" in markers and screened:
        raise _office_refused("formula")
    if "ole" in markers and screened:
        raise _office_refused("ole_link")
    fields = "field" in markers
    formulas = "formula" in markers and "risky" in markers
    if not (fields or formulas or not screened):
        return
    open_fields: list[tuple[list[str], list[bool]]] = []  # (code pieces, [separated]) per field
    for event, element in _xml_events(archive, name, ("start", "end"), screened=screened):
        tag = str(element.tag)
        local = _local(tag)
        if event == "start":
            if local == "ddeLink":
                raise _office_refused("formula")
            if local == "oleLink":
                raise _office_refused("ole_link")
            if fields and local == "fldChar":
                _field_char(open_fields, _attribute(element, "fldCharType"))
            elif fields and local == "fldSimple":
                _check_field_code(_attribute(element, "instr"))
        elif local == "instrText" and open_fields and not open_fields[-1][1][0]:
            open_fields[-1][0].append(element.text or "")
        elif (
            (formulas or not screened)
            and local in ("f", "definedName")
            and not any(ns in tag for ns in _MATH_NS)
            and _dangerous_formula(element.text or "", pipes=True)
        ):
            raise _office_refused("formula")


def _attribute(element: Element, local: str) -> str:
    return next((v for k, v in element.attrib.items() if _local(k) == local), "")


def _field_char(open_fields: list[tuple[list[str], list[bool]]], kind: str) -> None:
    """A complex field: begin, code runs, separate, result runs, end (fields may nest)."""
    if kind == "begin":
        if open_fields and not open_fields[-1][1][0] and not "".join(open_fields[-1][0]).strip():
            raise _office_refused("dde")  # a code that starts with a nested field (QUOTE...)
        open_fields.append(([], [False]))
    elif kind in ("separate", "end") and open_fields:
        code, separated = open_fields[-1]
        if not separated[0]:
            _check_field_code("".join(code))
            separated[0] = True
        if kind == "end":
            open_fields.pop()


def _check_field_code(code: str) -> None:
    words = code.split(maxsplit=1)
    if words and words[0].strip('"').upper() in _WORD_DDE:
        raise _office_refused("dde")


def _dangerous_formula(formula: str, *, pipes: bool) -> bool:
    """DDE (app|topic!item, DDE()) or WEBSERVICE(), outside string literals and sheet names."""
    code = _FORMULA_QUOTED_NAME.sub("''", _FORMULA_STRING.sub('""', formula))
    return (pipes and "|" in code) or bool(_FORMULA_FETCH.search(code))


def _check_odf_parts(archive: zipfile.ZipFile, names: set[str]) -> None:
    """content.xml and styles.xml, also those of embedded objects (Object 1/content.xml)."""
    for name in sorted(names):
        if name.rpartition("/")[2] not in ("content.xml", "styles.xml"):
            continue
        markers = _part_markers(archive, name, _ODF_MARKERS)
        if markers is not None and "odf" not in markers:
            continue
        for event, element in _xml_events(
            archive, name, ("start", "end"), screened=markers is not None
        ):
            if event == "start":
                _check_odf_element(
                    element, dde="dde" if name.endswith("content.xml") else "formula"
                )


def _check_odf_element(element: Element, *, dde: str) -> None:
    tag = _local(element.tag)
    if tag in _ODF_DDE:
        raise _office_refused(dde if tag.startswith("dde-connection") else "formula")
    if tag in _ODF_EMBEDDED:
        raise _office_refused("embedded")
    if tag == "event-listener":
        raise _office_refused("events")
    for key, value in element.attrib.items():
        if _local(key) == "formula" and _dangerous_formula(value, pipes=False):
            raise _office_refused("formula")
    href = element.get(_XLINK_HREF)
    if href:
        if href.strip().lower().startswith(_SCRIPT_URL):
            raise _office_refused("events")
        if tag != "a" and _is_remote(href):
            raise _office_refused("remote")


def _small_entry(
    archive: zipfile.ZipFile, name: str, limit: int, missing_ok: bool = False
) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        if missing_ok:
            return b""
        raise
    if info.file_size > limit:
        raise _corrupt(f"élément {name} anormal")
    with archive.open(info) as entry:
        return entry.read(limit + 1)
