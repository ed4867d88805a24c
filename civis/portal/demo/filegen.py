"""Realistic demo documents (PDF, ODT, CSV) and French administrative prose, standard library only.

The files are small but genuine: the PDF is a valid PDF 1.4 with the standard Helvetica fonts in
WinAnsiEncoding, the ODT a proper OpenDocument package. Given the same random generator, the
output is byte for byte the same, so demo data and tests are reproducible.
"""

from __future__ import annotations

import csv
import io
import random
import textwrap
import zipfile
import zlib
from xml.sax.saxutils import escape

# A4 in points, with 2 cm margins.
_PAGE_W, _PAGE_H, _MARGIN = 595, 842, 57


def make_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A valid PDF 1.4: bold title, paragraphs wrapped at ~90 characters, pages as needed."""
    # (font, size, text) lines, with None for a paragraph gap.
    lines: list[tuple[str, int, str] | None] = [
        ("F2", 16, line) for line in textwrap.wrap(_oneline(title), 55)
    ]
    for paragraph in paragraphs:
        lines.append(None)
        lines += [("F1", 10, line) for line in textwrap.wrap(_oneline(paragraph), 90)]

    pages: list[bytes] = []
    ops: list[bytes] = []
    y = _PAGE_H - _MARGIN
    for line in lines:
        step = 8 if line is None else round(line[1] * 1.45)
        if y - step < _MARGIN:
            pages.append(b"\n".join(ops))
            ops, y = [], _PAGE_H - _MARGIN
        y -= step
        if line is not None:
            font, size, text = line
            ops.append(
                b"BT /%s %d Tf %d %d Td (%s) Tj ET"
                % (font.encode(), size, _MARGIN, y, _pdf_string(text))
            )
    pages.append(b"\n".join(ops))

    # Objects 1-5 are fixed; each page then takes two numbers (page, content stream).
    page_ids = [6 + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % n for n in page_ids), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title <feff%s> /Producer (Civis Data) >>" % title.encode("utf-16-be").hex().encode(),
    ]
    for number, content in zip(page_ids, pages, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (_PAGE_W, _PAGE_H, number + 1)
        )
        data = zlib.compress(content, 9)
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
        )

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # the binary comment marks the file as binary
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")  # WinAnsiEncoding is Windows-1252
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"'
)
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ODT_MIME = "application/vnd.oasis.opendocument.text"
_MANIFEST = _XML + (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.3">\n'
    f' <manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    f'manifest:media-type="{_ODT_MIME}"/>\n'
    ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
    ' <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>\n'
    ' <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>\n'
    "</manifest:manifest>\n"
)
_STYLES = _XML + (
    f"<office:document-styles {_NS}><office:styles>"
    '<style:default-style style:family="paragraph"><style:text-properties fo:font-size="11pt" '
    'fo:language="fr" fo:country="FR"/></style:default-style>'
    '<style:style style:name="Standard" style:family="paragraph" style:class="text"/>'
    '<style:style style:name="Text_20_body" style:display-name="Text body" '
    'style:family="paragraph" style:parent-style-name="Standard" style:class="text">'
    '<style:paragraph-properties fo:margin-bottom="0.25cm"/></style:style>'
    '<style:style style:name="Heading_20_1" style:display-name="Heading 1" '
    'style:family="paragraph" style:parent-style-name="Standard" '
    'style:next-style-name="Text_20_body" style:default-outline-level="1" style:class="text">'
    '<style:text-properties fo:font-size="16pt" fo:font-weight="bold"/></style:style>'
    "</office:styles></office:document-styles>\n"
)


def make_odt(title: str, paragraphs: list[str]) -> bytes:
    """An OpenDocument text: heading then body paragraphs, with manifest, styles and metadata."""
    body = "".join(
        f'<text:p text:style-name="Text_20_body">{escape(_oneline(p))}</text:p>' for p in paragraphs
    )
    content = _XML + (
        f"<office:document-content {_NS}><office:body><office:text>"
        f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(title)}</text:h>'
        f"{body}</office:text></office:body></office:document-content>\n"
    )
    meta = _XML + (
        f"<office:document-meta {_NS}><office:meta><dc:title>{escape(title)}</dc:title>"
        "<dc:language>fr-FR</dc:language><meta:generator>Civis Data</meta:generator>"
        "</office:meta></office:document-meta>\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        # The spec wants `mimetype` first and uncompressed, so that its bytes sit at offset 38.
        _add(package, "mimetype", _ODT_MIME, zipfile.ZIP_STORED)
        _add(package, "META-INF/manifest.xml", _MANIFEST)
        _add(package, "content.xml", content)
        _add(package, "styles.xml", _STYLES)
        _add(package, "meta.xml", meta)
    return out.getvalue()


def _add(
    package: zipfile.ZipFile, name: str, text: str, method: int = zipfile.ZIP_DEFLATED
) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # fixed: reproducible bytes
    info.compress_type = method
    package.writestr(info, text.encode("utf-8"))


def make_csv(rows: list[list[str]]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM: what French Excel and LibreOffice open directly."""
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


_COMMUNES = [
    "Mérignac",
    "Pessac",
    "Talence",
    "Bègles",
    "Eysines",
    "Le Bouscat",
    "Blanquefort",
    "Villenave-d'Ornon",
    "Saint-Médard-en-Jalles",
    "Bruges",
    "Cenon",
    "Lormont",
]
_TOPICS = {
    "conseil municipal": [
        "la séance du conseil municipal",
        "l'ordre du jour",
        "le procès-verbal de la séance précédente",
        "la délégation au maire",
    ],
    "budget": [
        "le budget primitif",
        "la décision modificative n° 2",
        "le compte administratif",
        "l'autorisation de programme",
        "la section d'investissement",
    ],
    "voirie": [
        "la réfection de la chaussée",
        "l'aménagement des trottoirs",
        "l'éclairage public",
        "la piste cyclable de l'avenue de la Libération",
    ],
    "écoles": [
        "l'école élémentaire Jules-Ferry",
        "la restauration scolaire",
        "les accueils périscolaires",
        "la rénovation de l'école maternelle",
    ],
    "urbanisme": [
        "la modification du plan local d'urbanisme (PLU)",
        "le permis d'aménager",
        "la zone d'aménagement concerté",
        "le droit de préemption urbain",
    ],
    "subventions": [
        "les subventions aux associations",
        "la convention d'objectifs",
        "l'aide aux clubs sportifs",
        "le soutien aux manifestations culturelles",
    ],
    "marchés publics": [
        "le marché à procédure adaptée",
        "l'appel d'offres ouvert",
        "l'avenant n° 1 au marché de travaux",
        "la commission d'appel d'offres",
    ],
    "environnement": [
        "le plan climat-air-énergie territorial",
        "la gestion différenciée des espaces verts",
        "la collecte des biodéchets",
        "la plantation d'arbres",
    ],
}
_OPENINGS = [
    "Le conseil municipal de {commune}, réuni le {date}, a examiné {subject}.",
    "Par délibération du {date}, la commune de {commune} a approuvé le dossier concernant "
    "{subject}.",
    "Monsieur le Maire rappelle que le dossier concernant {subject} a été présenté en commission.",
    "Madame l'adjointe déléguée expose le dossier concernant {subject}.",
    "Vu le code général des collectivités territoriales, et considérant {subject}, "
    "le conseil est appelé à se prononcer.",
]
_MIDDLES = [
    "Le montant de l'opération est estimé à {amount} euros TTC, inscrit au budget de l'exercice.",
    "La dépense sera imputée au chapitre {chapter} du budget principal.",
    "Une concertation avec les habitants et les associations du quartier a été conduite.",
    "Les services techniques ont remis un rapport détaillé sur {subject}.",
    "L'État et la région Nouvelle-Aquitaine apportent une participation de {amount} euros.",
    "La commission des finances a émis un avis favorable à l'unanimité.",
    "Le calendrier prévoit un démarrage des travaux à l'automne, après l'été.",
    "Cette décision s'inscrit dans les orientations budgétaires débattues en février.",
]
_CLOSINGS = [
    "Après en avoir délibéré, le conseil adopte la délibération à l'unanimité.",
    "La délibération est adoptée par {votes} voix pour et {against} abstentions.",
    "Le maire est autorisé à signer tout document nécessaire à l'exécution de la présente "
    "décision.",
    "La présente délibération peut faire l'objet d'un recours devant le tribunal administratif "
    "de Bordeaux dans un délai de deux mois.",
]
_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def french_paragraphs(rng: random.Random, n: int, topic: str) -> list[str]:
    """n paragraphs of plausible municipal prose about topic; the same rng gives the same text."""
    subjects = _TOPICS.get(topic) or [topic]
    paragraphs = []
    for _ in range(n):

        def fill(template: str) -> str:
            return template.format(
                commune=rng.choice(_COMMUNES),
                subject=rng.choice(subjects),
                date=f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} 2026",
                amount=f"{rng.randint(12, 950) * 1000:,}".replace(",", " "),
                chapter=rng.choice(["011", "21", "23", "65", "204"]),
                votes=rng.randint(20, 35),
                against=rng.randint(1, 6),
            )

        sentences = [fill(rng.choice(_OPENINGS))]
        sentences += [fill(s) for s in rng.sample(_MIDDLES, rng.randint(1, 3))]
        sentences.append(fill(rng.choice(_CLOSINGS)))
        paragraphs.append(" ".join(sentences))
    return paragraphs
