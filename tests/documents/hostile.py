"""Hostile and malformed uploads, built in code (no binary fixtures in the repository).

hostile_corpus() gives (file name, content, expected UploadRejected code) for check_upload called
with max_size=MAX_SIZE. The builders of valid files are shared with the tests of accepted files.
"""

from __future__ import annotations

import io
import struct
import tarfile
import warnings
import zipfile
import zlib

import openpyxl
import pypdf
from PIL import Image

from documents.filegen import make_odt, make_pdf

MAX_SIZE = 2 * 1024 * 1024
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
ODT_MIME = "application/vnd.oasis.opendocument.text"
_OFFICE_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"'
)
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


# Valid building blocks ---------------------------------------------------------------------------

def pdf(title: str = "Délibération n° 2026-03", text: str = "L'école Jules-Ferry.") -> bytes:
    return make_pdf(title, [text])


def odt(title: str = "Compte rendu", text: str = "La délibération est adoptée.") -> bytes:
    return make_odt(title, [text])


def zip_of(entries: list[tuple[str, bytes | str]], *, stored_first: bool = False) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are wanted in the corpus
        for index, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def ods(cells: list[list[str]] | None = None, *, extra: list[tuple[str, bytes | str]] = ()
        ) -> bytes:
    rows = "".join(
        "<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
            for c in row) + "</table:table-row>"
        for row in cells or [["Commune", "Budget"], ["Mérignac", "1 200 000"]])
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_OFFICE_NS}>'
               f'<office:body><office:spreadsheet><table:table table:name="Feuille1">{rows}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    return zip_of([("mimetype", ODS_MIME), ("content.xml", content), *extra], stored_first=True)


def docx(text: str = "Arrêté du maire : fermeture de l'école.", *, main: str = DOCX_MAIN,
         extra: list[tuple[str, bytes | str]] = ()) -> bytes:
    paragraphs = "".join(
        f"<w:p><w:r><w:t xml:space=\"preserve\">{line}</w:t></w:r></w:p>"
        for line in text.split("\n"))
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{paragraphs}</w:body></w:document>")
    return zip_of([("[Content_Types].xml", _CONTENT_TYPES.format(main=main)),
                   ("_rels/.rels", _RELS), ("word/document.xml", document), *extra])


def xlsx(rows: list[list[object]] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows or [["Subvention", "Montant"], ["Club de rugby", 4500]]:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def image(fmt: str = "PNG", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 160)).save(out, fmt)
    return out.getvalue()


def pdf_with_object_stream(action: bytes = b"<< /S /URI /URI (https://example.fr/) >>",
                           padding: int = 0) -> bytes:
    """A PDF 1.5 whose catalog and open action sit in a compressed object stream."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>"
    header = b"1 0 3 %d " % (len(catalog) + 1)
    packed = zlib.compress(header + catalog + b" " + action + b" " * padding)
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in [
        (2, b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>"),
        (4, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"),
        (5, b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s"
            b"\nendstream" % (len(header), len(packed), packed)),
    ]:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    offsets[6] = out.tell()
    rows = [(0, 0, 65535), (2, 5, 0), (1, offsets[2], 0), (2, 5, 1), (1, offsets[4], 0),
            (1, offsets[5], 0), (1, offsets[6], 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out.write(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s"
              b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, offsets[6]))
    return out.getvalue()


def protected_pdf(user_password: str) -> bytes:
    """RC4 needs no optional dependency; an empty user password only restricts printing etc."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf())))
    writer.encrypt(user_password=user_password, owner_password="proprietaire",
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# Hostile variants --------------------------------------------------------------------------------

def _pdf_catalog_with(extra: bytes) -> bytes:
    # Offsets in the xref table go stale, as in many real-world files; viewers cope.
    return pdf().replace(b"<< /Type /Catalog /Pages 2 0 R", b"<< /Type /Catalog /Pages 2 0 R "
                         + extra, 1)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_declaring(width: int, height: int) -> bytes:
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def _patch_zip(data: bytes, *, flags: int = 0, file_size: int | None = None) -> bytes:
    """Rewrite every entry's headers: what zipfile cannot write (encryption, forged sizes)."""
    buf = bytearray(data)
    end = buf.rfind(b"PK\x05\x06")
    (count,) = struct.unpack_from("<H", buf, end + 10)
    (pos,) = struct.unpack_from("<I", buf, end + 16)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, pos + 28)
        (local,) = struct.unpack_from("<I", buf, pos + 42)
        buf[pos + 8] |= flags
        buf[local + 6] |= flags
        if file_size is not None:
            struct.pack_into("<I", buf, pos + 24, file_size)
            struct.pack_into("<I", buf, local + 22, file_size)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(buf)


def zip_bomb() -> bytes:
    # 11 MB of spaces deflate to ~11 KB: ratio ~1000 for an entry above 10 MB.
    return docx(extra=[("word/media/padding.xml", b" " * (11 * 1024 * 1024))])


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        data = b"Rapport annuel"
        info = tarfile.TarInfo("rapport.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


_PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00" * 4
_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 40
_MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00" + b"\x00" * 32
_CLASS = b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\x00" * 24
_HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
_SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b"<script>alert(1)</script></svg>")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
_BMP = b"BM" + struct.pack("<IHHI", 90, 0, 0, 54) + struct.pack("<IiiHH", 40, 2, 2, 1, 24) + (
    b"\x00" * 60)
_ACTIVE = "active_content"
_TYPE = "type_not_allowed"
_MISMATCH = "extension_mismatch"
_BOMB = "zip_bomb"


def hostile_corpus() -> list[tuple[str, bytes, str]]:
    """(file name, content, expected code) for check_upload(..., max_size=MAX_SIZE)."""
    valid_pdf, valid_png, valid_jpeg = pdf(), image("PNG"), image("JPEG")
    broken_png = bytearray(valid_png)
    broken_png[60] ^= 0xFF  # inside IDAT: the chunk CRC no longer matches
    many = zip_of([(f"f{n:04d}.xml", b"") for n in range(5001)])
    forged = _patch_zip(zip_of([(f"sheet{n}.xml", b"x" * 100) for n in range(60)]),
                        file_size=9 * 1024 * 1024)
    corpus = [
        # Executables, whatever their name.
        ("facture.pdf", _PE, _ACTIVE),
        ("lisez-moi.txt", _PE, _ACTIVE),
        ("arrete.docx", _PE, _ACTIVE),
        ("rapport.pdf", _ELF, _ACTIVE),
        ("notes.txt", _ELF, _ACTIVE),
        ("budget.pdf", _MACHO, _ACTIVE),
        ("budget.txt", b"\xfe\xed\xfa\xce" + b"\x00" * 40, _ACTIVE),
        ("annexe.docx", _CLASS, _ACTIVE),
        ("script.txt", b"#!/bin/sh\nrm -rf ~\n", _ACTIVE),
        ("donnees.csv", b"#!/usr/bin/env python3\nimport os\n", _ACTIVE),
        # HTML, SVG and XML: browsers may run them.
        ("page.txt", _HTML, _ACTIVE),
        ("export.csv", _HTML, _ACTIVE),
        ("document.pdf", _HTML, _ACTIVE),
        ("donnees.json", _HTML, _ACTIVE),
        ("majuscules.txt", b"\xef\xbb\xbf \r\n\t<!DOCTYPE HTML PUBLIC><HTML><BODY>x", _ACTIVE),
        ("cadre.csv", b"nom;lien\nmairie;<iframe src=https://evil.example></iframe>\n", _ACTIVE),
        ("tardif.txt", b"Compte rendu.\n" * 200 + b"<ScRiPt>alert(1)</script>", _ACTIVE),
        ("commentaire.txt", b"<!-- x --><p onclick=alert(1)>clic</p>", _ACTIVE),
        ("image.txt", _SVG, _ACTIVE),
        ("logo.pdf", _SVG, _ACTIVE),
        ("carte.json", b'<svg xmlns="http://www.w3.org/2000/svg"/>', _ACTIVE),
        ("flux.txt", b'<?xml version="1.0"?><rss><channel/></rss>', _ACTIVE),
        ("sans-declaration.csv", b"<root><item>1</item></root>", _ACTIVE),
        ("xxe.json", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">'
         b"]><x>&e;</x>", _ACTIVE),
        # PDF with active content.
        ("ouverture.pdf", _pdf_catalog_with(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\))"
                                            b" >>"), _ACTIVE),
        ("js-court.pdf", _pdf_catalog_with(b"/AA << /O << /S /JavaScript /JS(this.print\\(\\)) >> "
                                           b">>"), _ACTIVE),
        ("lanceur.pdf", _pdf_catalog_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), _ACTIVE),
        ("joint.pdf", _pdf_catalog_with(b"/Names << /EmbeddedFiles << /Names [(a.exe) << /Type "
                                        b"/Filespec /EF << /F 9 0 R >> >>] >> >>"), _ACTIVE),
        ("flash.pdf", _pdf_catalog_with(b"/Annots [<< /Subtype /RichMedia >>]"), _ACTIVE),
        ("echappe.pdf", _pdf_catalog_with(b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"),
         _ACTIVE),
        ("objstm.pdf", pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
         _ACTIVE),
        ("protege.pdf", protected_pdf("mot-de-passe"), "encrypted"),
        ("gonfle.pdf", pdf_with_object_stream(padding=21 * 1024 * 1024), _BOMB),
        ("tronque.pdf", valid_pdf[: len(valid_pdf) // 2], "corrupt"),
        ("sans-fin.pdf", valid_pdf.replace(b"%%EOF", b"%%XXX"), "corrupt"),
        # Content and name disagree.
        ("deliberation.docx", valid_pdf, _MISMATCH),
        ("plan.pdf", valid_png, _MISMATCH),
        ("photo.png", valid_jpeg, _MISMATCH),
        ("scan.jpg", valid_png, _MISMATCH),
        ("compte-rendu.docx", odt(), _MISMATCH),
        ("arrete.odt", docx(), _MISMATCH),
        ("budget.docx", xlsx(), _MISMATCH),
        ("budget.xlsx", ods(), _MISMATCH),
        ("tableau.pdf", b"commune;budget\nPessac;120\n", _MISMATCH),
        ("notes.jpeg", b"Simple texte.\n", _MISMATCH),
        # ZIP containers: bombs, traversal, encryption, corruption, other archives.
        ("bombe.docx", zip_bomb(), _BOMB),
        ("tailles.xlsx", forged, _BOMB),
        ("milliers.odt", many, _BOMB),
        ("traverse.docx", docx(extra=[("../../etc/cron.d/evil", b"x")]), "unsafe_archive"),
        ("absolu.odt", zip_of([("mimetype", ODT_MIME), ("content.xml", b"<x/>"),
                               ("/etc/passwd", b"x")], stored_first=True), "unsafe_archive"),
        ("windows.docx", docx(extra=[("word\\media\\a.xml", b"x")]), "unsafe_archive"),
        ("chiffre.odt", _patch_zip(odt(), flags=0x1), "encrypted"),
        ("mot-de-passe.odt", zip_of([("mimetype", ODT_MIME), ("content.xml", b"\x8a\x01"),
                                     ("META-INF/manifest.xml", b"<manifest:encryption-data/>")],
                                    stored_first=True), "encrypted"),
        ("corrompu.docx", b"PK\x03\x04" + b"\x14\x00" * 40, "corrupt"),
        ("coupe.odt", odt()[:700], "corrupt"),
        ("doublon.docx", docx(extra=[("word/document.xml", b"<x/>")]), "corrupt"),
        ("archive.zip", zip_of([("rapport.txt", b"texte")]), _TYPE),
        ("archive.docx", zip_of([("rapport.txt", b"texte")]), _TYPE),
        ("vide.zip", b"PK\x05\x06" + b"\x00" * 18, _TYPE),
        ("presentation.odp", zip_of([("mimetype", "application/vnd.oasis.opendocument"
                                                  ".presentation"), ("content.xml", b"<x/>")],
                                    stored_first=True), _TYPE),
        ("diaporama.pptx", zip_of([("[Content_Types].xml", "<Types/>"),
                                   ("ppt/presentation.xml", "<p/>")]), _TYPE),
        ("livre.odt", zip_of([("mimetype", "application/epub+zip"), ("content.opf", "<x/>")],
                             stored_first=True), _TYPE),
        ("outil.jar", zip_of([("META-INF/MANIFEST.MF", "Main-Class: A\n"), ("A.class", _CLASS)]),
         _ACTIVE),
        ("appli.apk", zip_of([("AndroidManifest.xml", b"\x03\x00"), ("classes.dex", b"dex\n")]),
         _ACTIVE),
        # Office documents with macros or active controls.
        ("macro.docx", docx(extra=[("word/vbaProject.bin", _OLE2)]), _ACTIVE),
        ("classeur.xlsx", zip_of([("[Content_Types].xml", '<Types><Override ContentType="'
                                   'application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'),
                                  ("xl/workbook.xml", "<workbook/>")]), _ACTIVE),
        ("macro.docm.docx", docx(main="application/vnd.ms-word.document.macroEnabled.main+xml"),
         _ACTIVE),
        ("activex.docx", docx(extra=[("word/activeX/activeX1.xml", b"<ax/>")]), _ACTIVE),
        ("basic.odt", zip_of([("mimetype", ODT_MIME), ("content.xml", b"<x/>"),
                              ("Basic/Standard/Module1.xml", b"<script/>")], stored_first=True),
         _ACTIVE),
        ("scripts.ods", ods(extra=[("Scripts/python/macro.py", b"import os")]), _ACTIVE),
        # Formats outside the allowlist.
        ("animation.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", _TYPE),
        ("animation.png", b"GIF87a\x01\x00\x01\x00\x00\x00\x00;", _TYPE),
        ("image.bmp", _BMP, _TYPE),
        ("scan.tiff", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32, _TYPE),
        ("scan-mac.tif", b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32, _TYPE),
        ("lettre.rtf", b"{\\rtf1\\ansi Bonjour}", _TYPE),
        ("lettre.doc", b"{\\rtf1\\ansi Bonjour}", _TYPE),
        ("ancien.doc", _OLE2, _TYPE),
        ("ancien.xls", _OLE2, _TYPE),
        ("donnees.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 16, _TYPE),
        ("archive.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24, _TYPE),
        ("archive.tar", _tar(), _TYPE),
        ("archive.bz2", b"BZh91AY&SY" + b"\x00" * 20, _TYPE),
        ("archive.xz", b"\xfd7zXZ\x00\x00\x04" + b"\x00" * 20, _TYPE),
        ("archive.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, _TYPE),
        ("photo.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24, _TYPE),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", _TYPE),
        ("impression.ps", b"%!PS-Adobe-3.0\n", _TYPE),
        ("notes.md", b"# Titre\n\nDu texte.\n", _TYPE),
        # Broken or bomb images.
        ("abime.png", bytes(broken_png), "corrupt"),
        ("coupe.png", valid_png[:40], "corrupt"),
        ("abime.jpg", b"\xff\xd8\xff\xe0" + b"\x13" * 64, "corrupt"),
        ("geante.png", _png_declaring(50_000, 50_000), "image_too_large"),
        ("grande.png", _png_declaring(12_000, 9_000), "image_too_large"),
        # Text that is not clean text.
        ("binaire.txt", b"Bonjour\x00le monde", _TYPE),
        ("accents.json", b'{"commune": "M\xe9rignac"}', "bad_encoding"),
        ("controle.txt", b"Rapport \x81\x01 annuel", "bad_encoding"),
        ("utf16.csv", "commune;budget\n".encode("utf-16"), "bad_encoding"),
        ("invalide.json", b'{"commune": "Pessac",', "corrupt"),
        ("profond.json", b"[" * 100_000 + b"]" * 100_000, "corrupt"),
        # Size.
        ("vide.pdf", b"", "empty"),
        ("enorme.pdf", b"%PDF-1.4\n" + b" " * MAX_SIZE, "too_large"),
        # Names.
        ("....", valid_pdf, "bad_name"),
        ("sans_extension", valid_pdf, "bad_name"),
        ("", valid_pdf, "bad_name"),
        ("../../", valid_pdf, "bad_name"),
        ("  .  ", valid_pdf, "bad_name"),
        ("CON.pdf", valid_pdf, "bad_name"),
        ("nul.txt", b"texte", "bad_name"),
        ("COM1.csv", b"a;b\n", "bad_name"),
        ("lpt9.tar.pdf", valid_pdf, "bad_name"),
        ("\u202e\u200b.pdf", valid_pdf, "bad_name"),
        ("\x00\x01\x7f", valid_pdf, "bad_name"),
        ("rapport." + "x" * 40, valid_pdf, "bad_name"),
    ]
    return corpus
