"""Upload validation: what an agent may publish, decided from the content, never from the name.

One streaming pass computes the size, the SHA-256 and the cheap byte-level signals; the type is
then sniffed from the first bytes and checked in depth (ZIP directory, image header, PDF markers).
Nothing is extracted to disk and the file is rewound before returning.

UploadRejected codes: empty, too_large, bad_name, type_not_allowed, extension_mismatch,
active_content, corrupt, bad_encoding, encrypted, zip_bomb, unsafe_archive, image_too_large.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import pypdf
from PIL import Image

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
    "pdf": ("pdf",), "odt": ("odt",), "ods": ("ods",), "docx": ("docx",), "xlsx": ("xlsx",),
    "csv": ("csv",), "txt": ("txt",), "json": ("json",), "png": ("png",), "jpeg": ("jpg", "jpeg"),
}
LABELS = {
    "pdf": "un document PDF", "odt": "un texte OpenDocument (ODT)",
    "ods": "un tableur OpenDocument (ODS)", "docx": "un document Word (DOCX)",
    "xlsx": "un classeur Excel (XLSX)", "png": "une image PNG", "jpeg": "une image JPEG",
    "csv": "du texte", "txt": "du texte", "json": "du texte",
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
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0,
     "ancien format Office (.doc, .xls, .ppt) ou document chiffré", _REFUSED),
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
    rb"<(?:!doctype\s+html|html|script|iframe|body|head|svg|object|embed)[\s/>]", re.IGNORECASE)
_MARKUP_START = re.compile(rb"<(?:\?xml|!doctype|!--|[a-z][\w:.-]*[\s/>])", re.IGNORECASE)
_SVG = re.compile(rb"<svg[\s/>]", re.IGNORECASE)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
# Bytes that never occur in Windows-1252 prose: controls other than \t\n\r, and unassigned codes.
_NOT_CP1252_TEXT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d]")

# PDF names that make a viewer run code or open attachments. Names may be spelt with #xx escapes.
_PDF_DELIM = rb"\s/<>\[\]()%{}"
_PDF_NAME = re.compile(rb"/([^" + _PDF_DELIM + rb"]{1,127})(?=[" + _PDF_DELIM + rb"])")
_PDF_ACTIVE = {"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia"}
_PDF_OPAQUE = {"ObjStm", "Encrypt"}  # compressed or encrypted objects a byte scan cannot read
_PDF_WATCHED = _PDF_ACTIVE | _PDF_OPAQUE
_PDF_HINT = re.compile(
    rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|ObjStm|Encrypt)|#[0-9A-Fa-f]{2}")


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
            f"Le nom « {stem}.{ext} » est réservé par Windows ; renommez le fichier.", "bad_name")
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(". ")
    return f"{stem}.{ext}"


def check_upload(fileobj: BinaryIO, raw_name: str, *, max_size: int) -> CheckedFile:
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
                "extension_mismatch")
    finally:
        fileobj.seek(0)
    return CheckedFile(name, kind, MIME_TYPES[kind], scan.size, scan.sha256.hexdigest())


def _refused(label: str, code: str = _REFUSED) -> UploadRejected:
    return UploadRejected(
        f"Ce type de fichier n'est pas accepté (contenu détecté : {label}). {ACCEPTED}", code)


def _too_large(max_size: int) -> UploadRejected:
    if max_size >= 1024 * 1024:
        limit = f"{max_size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " Mo"
    else:
        limit = f"{max(1, max_size // 1024)} Ko"
    return UploadRejected(f"Le fichier dépasse la taille maximale de {limit}.", "too_large")


def _corrupt(detail: str) -> UploadRejected:
    return UploadRejected(
        f"Le fichier est endommagé ou incomplet ({detail}) ; enregistrez-le à nouveau puis "
        "réessayez.", "corrupt")


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


def _scan(fileobj: BinaryIO, max_size: int) -> _Scan:
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


def _detect(fileobj: BinaryIO, scan: _Scan, max_size: int) -> str | None:
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
            "Le fichier texte est en UTF-16 : enregistrez-le en UTF-8.", "bad_encoding")
    return None


def _check_text(fileobj: BinaryIO, scan: _Scan, ext: str) -> str:
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
            "Pour du texte, utilisez l'extension .txt, .csv ou .json.", "extension_mismatch")
    if kind is None:
        raise UploadRejected(
            f"Le contenu est du texte, mais l'extension .{ext} n'est pas acceptée : utilisez "
            f".txt, .csv ou .json. {ACCEPTED}", "type_not_allowed")
    if not scan.utf8 and (kind == "json" or not scan.cp1252):
        raise UploadRejected(
            "Le fichier texte n'est pas lisible : enregistrez-le en UTF-8 (ou Windows-1252 pour "
            "un CSV ou un TXT) sans caractère de contrôle.", "bad_encoding")
    if kind == "json":
        reader = codecs.getreader("utf-8-sig")(fileobj)
        try:
            json.load(reader)
        except (ValueError, RecursionError) as exc:
            raise UploadRejected(
                "Le fichier JSON n'est pas valide ; vérifiez sa syntaxe.", "corrupt") from exc
    return kind


def _check_pdf(fileobj: BinaryIO, scan: _Scan, max_size: int) -> str:
    if b"%%EOF" not in scan.tail:
        raise _corrupt("PDF tronqué")
    names = set(scan.pdf_names)
    if not names & _PDF_ACTIVE and names & _PDF_OPAQUE:
        names |= _pdf_hidden_names(fileobj, min(10 * max_size, MAX_ZIP_TOTAL))
    if names & _PDF_ACTIVE:
        raise UploadRejected(
            "Ce PDF contient du contenu actif (JavaScript, lancement de programme, fichier joint "
            "ou média interactif) et n'est pas accepté. Enregistrez-le à nouveau en PDF simple, "
            "par exemple avec « Imprimer en PDF » ou en PDF/A.", "active_content")
    return "pdf"


def _pdf_hidden_names(fileobj: BinaryIO, max_inflated: int) -> set[str]:
    """Names inside object streams, which are compressed (and maybe encrypted), via pypdf."""
    fileobj.seek(0)
    try:
        reader = pypdf.PdfReader(fileobj)
        if reader.is_encrypted:
            try:
                # Restrictions-only PDFs open with an empty password; citizens could open them.
                opened = bool(reader.decrypt(""))
            except Exception:  # AES without the cryptography package, broken /Encrypt...
                opened = False
            if not opened:
                raise UploadRejected(
                    "Ce PDF est protégé par un mot de passe ou un chiffrement qui empêche de le "
                    "contrôler ; enregistrez-le sans protection.", "encrypted")
        names: set[str] = set()
        inflated = 0
        for number in sorted({stream for stream, _ in reader.xref_objStm.values()}):
            obj = reader.get_object(number)
            if isinstance(obj, pypdf.generic.StreamObject):
                data = obj.get_data()
                inflated += len(data)
                if inflated > max_inflated:  # pypdf caps each stream, not their sum
                    raise UploadRejected(
                        "Le PDF contient des données compressées anormales (taux de compression "
                        "suspect) et n'est pas accepté.", "zip_bomb")
                names |= _pdf_names(data + b" ")
    except UploadRejected:
        raise
    except Exception as exc:  # pypdf raises many types on hostile input
        raise _corrupt("PDF illisible") from exc
    return names


def _check_image(fileobj: BinaryIO, kind: str, pil_format: str) -> str:
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
        f"L'image est trop grande{size} : 100 millions de pixels au maximum.", "image_too_large")


def _check_zip(fileobj: BinaryIO, max_size: int) -> str:
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            _check_zip_entries(infos, max_size)
            return _zip_kind(archive, {info.filename for info in infos})
    except UploadRejected:
        raise
    except Exception as exc:  # BadZipFile, but also struct.error, EOFError, ValueError...
        raise _corrupt("archive du document illisible") from exc


def _check_zip_entries(infos: list[zipfile.ZipInfo], max_size: int) -> None:
    bomb = UploadRejected(
        "Le document contient une archive anormale (trop d'éléments ou taux de compression "
        "suspect) et n'est pas accepté.", "zip_bomb")
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
                "unsafe_archive")
        if info.flag_bits & 0x41:  # bit 0: encrypted; bit 6: strong encryption
            raise UploadRejected(
                "Le document est protégé par un mot de passe ; enregistrez-le sans protection.",
                "encrypted")
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > 100 and info.file_size > 10 * 1024 * 1024:
            raise bomb


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    macros = UploadRejected(
        "Le document contient des macros ou des contrôles actifs et n'est pas accepté. "
        "Enregistrez-le sans macros (format .odt, .ods, .docx ou .xlsx).", "active_content")
    if "mimetype" in names:
        mimetype = _small_entry(archive, "mimetype", 200).decode("ascii", "replace").strip()
        kind = {MIME_TYPES["odt"]: "odt", MIME_TYPES["ods"]: "ods"}.get(mimetype)
        if kind is None:
            raise _refused(f"archive de type {mimetype[:80]}" if mimetype else "archive ZIP")
        if any(n.startswith(("Basic/", "Scripts/")) for n in names):
            raise macros
        if "content.xml" not in names:
            raise _corrupt("document OpenDocument sans contenu")
        manifest = _small_entry(archive, "META-INF/manifest.xml", 1024 * 1024, missing_ok=True)
        if b"encryption-data" in manifest:
            raise UploadRejected(
                "Le document est protégé par un mot de passe ; enregistrez-le sans protection.",
                "encrypted")
        return kind
    if "[Content_Types].xml" in names:
        types = _small_entry(archive, "[Content_Types].xml", 1024 * 1024).lower()
        lowered = [n.lower() for n in names]
        if (b"macroenabled" in types or any(n.endswith("vbaproject.bin") for n in lowered)
                or any("/activex/" in n for n in lowered)):
            raise macros
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            raise _refused("présentation PowerPoint")
        raise _refused("document Office non reconnu")
    if "AndroidManifest.xml" in names:
        raise _refused("application Android (APK)", "active_content")
    if "META-INF/MANIFEST.MF" in names or any(n.endswith(".class") for n in names):
        raise _refused("programme Java (JAR)", "active_content")
    raise _refused("archive ZIP")


def _small_entry(archive: zipfile.ZipFile, name: str, limit: int, missing_ok: bool = False
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
