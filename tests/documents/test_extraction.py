import io
import random
import time

import openpyxl
import pytest

from civis.portal.demo import filegen
from documents.extraction import ExtractionError, extract_text
from tests.documents import hostile


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_round_trip_over_several_pages():
    paragraphs = filegen.french_paragraphs(random.Random(3), 60, "écoles")
    text = extract_text(io.BytesIO(filegen.make_pdf("Délibération n° 12", paragraphs)), "pdf")
    assert text.startswith("Délibération n° 12\n")
    assert _flat(paragraphs[0]) in _flat(text) and _flat(paragraphs[-1]) in _flat(text)
    assert "école" in text


def test_pdf_with_euro_and_parentheses():
    text = extract_text(
        io.BytesIO(filegen.make_pdf("Budget (2026)", ["Coût : 12 € \\ œuvre"])), "pdf"
    )
    assert text == "Budget (2026)\nCoût : 12 € \\ œuvre"


def test_pdf_protected_only_against_changes_is_read_and_with_a_password_is_not():
    assert "école" in extract_text(io.BytesIO(hostile.protected_pdf("")), "pdf")
    with pytest.raises(ExtractionError, match="mot de passe"):
        extract_text(io.BytesIO(hostile.protected_pdf("secret")), "pdf")


def test_odt_round_trip():
    text = extract_text(
        io.BytesIO(
            filegen.make_odt("Compte rendu", ["L'école  a\tfermé.", "Délibération adoptée."])
        ),
        "odt",
    )
    assert text == "Compte rendu\nL'école a fermé.\nDélibération adoptée."


def test_odt_spaces_tabs_spans_and_hidden_parts():
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        "<text:tracked-changes><text:p>supprimé</text:p></text:tracked-changes>"
        '<text:p>Ar<text:span>rê</text:span>té<text:s text:c="3"/>n°<text:tab/>4'
        "<text:line-break/>suite<office:annotation><text:p>note</text:p></office:annotation>"
        "</text:p></office:text></office:body></office:document-content>"
    )
    data = hostile.zip_of(
        [("mimetype", hostile.ODT_MIME), ("content.xml", content)], stored_first=True
    )
    assert extract_text(io.BytesIO(data), "odt") == "Arrêté n° 4\nsuite"


def test_ods_round_trip():
    data = hostile.ods([["Commune", "Budget"], ["Mérignac", "1 200 000"]])
    assert extract_text(io.BytesIO(data), "ods") == "Commune Budget\nMérignac 1 200 000"


def test_docx_round_trip_keeps_visible_text_only():
    assert extract_text(io.BytesIO(hostile.docx("Arrêté\nL'école ferme.")), "docx") == (
        "Arrêté\nL'école ferme."
    )
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Vu</w:t><w:tab/><w:t>le code</w:t></w:r>"
        "<w:r><w:delText>effacé</w:delText><w:instrText>PAGE</w:instrText></w:r></w:p>"
        "<w:p><w:r><w:t>Article 1</w:t></w:r></w:p></w:body></w:document>"
    )
    data = hostile.zip_of([("[Content_Types].xml", "<Types/>"), ("word/document.xml", document)])
    assert extract_text(io.BytesIO(data), "docx") == "Vu le code\nArticle 1"


def test_docx_deeply_nested_xml_does_not_exhaust_the_stack():
    depth = 50_000
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
        'main"><w:body>'
        + "<w:p>" * depth
        + "<w:t>fond</w:t>"
        + "</w:p>" * depth
        + "</w:body></w:document>"
    )
    data = hostile.zip_of([("[Content_Types].xml", "<Types/>"), ("word/document.xml", document)])
    assert extract_text(io.BytesIO(data), "docx") == "fond"


def test_xlsx_round_trip():
    data = hostile.xlsx(
        [["Subvention", "Montant"], ["Club de rugby de Bègles", 4500], [None, 12.5]]
    )
    assert extract_text(io.BytesIO(data), "xlsx") == (
        "Subvention Montant\nClub de rugby de Bègles 4500\n12.5"
    )


def test_xlsx_with_a_far_away_cell_does_not_hang():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "début"
    workbook.active["XFD1048576"] = "fin"  # the <dimension> now spans the whole sheet
    out = io.BytesIO()
    workbook.save(out)
    started = time.monotonic()
    assert extract_text(io.BytesIO(out.getvalue()), "xlsx") == "début\nfin"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("txt", "Réunion\r\n\r\n\r\n\tde l'école\u00a0 ".encode(), "Réunion\n\nde l'école"),
        ("txt", "Réunion à l'école".encode("cp1252"), "Réunion à l'école"),
        (
            "csv",
            filegen.make_csv([["commune", "montant"], ["Pessac", "12 €"]]),
            "commune;montant\nPessac;12 €",
        ),
        ("json", '\ufeff{"commune": "Mérignac"}'.encode(), '{"commune": "Mérignac"}'),
        ("txt", b"a\x00b\x1bc\xc2\xadd", "a b cd"),
    ],
)
def test_text_round_trip_and_normalisation(kind, data, expected):
    assert extract_text(io.BytesIO(data), kind) == expected


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_images_have_no_text(kind):
    assert extract_text(io.BytesIO(hostile.image(kind.upper())), kind) == ""


def test_max_chars_truncates():
    paragraphs = filegen.french_paragraphs(random.Random(5), 30, "budget")
    for kind, data in [
        ("pdf", filegen.make_pdf("Budget", paragraphs)),
        ("odt", filegen.make_odt("Budget", paragraphs)),
        ("txt", "\n".join(paragraphs).encode()),
    ]:
        assert len(extract_text(io.BytesIO(data), kind, max_chars=500)) <= 500


@pytest.mark.parametrize("kind", ["pdf", "odt", "ods", "docx", "xlsx"])
def test_garbage_raises_extraction_error_without_quoting_the_file(kind):
    garbage = b"PK\x03\x04 SECRET-CONTENT " * 50
    with pytest.raises(ExtractionError) as caught:
        extract_text(io.BytesIO(garbage), kind)
    assert "SECRET" not in str(caught.value) and "document" in str(caught.value)


def test_truncated_documents_raise_extraction_error():
    for kind, data in [
        ("pdf", hostile.pdf()[:300]),
        ("odt", hostile.odt()[:500]),
        ("docx", hostile.docx()[:400]),
        ("xlsx", hostile.xlsx()[:900]),
    ]:
        with pytest.raises(ExtractionError):
            extract_text(io.BytesIO(data), kind)


def test_unknown_kind_and_file_is_rewound():
    with pytest.raises(ExtractionError):
        extract_text(io.BytesIO(b"x"), "gif")
    fileobj = io.BytesIO(hostile.odt())
    extract_text(fileobj, "odt")
    assert fileobj.tell() == 0
