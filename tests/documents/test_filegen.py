import csv
import io
import random
import zipfile

import pypdf
import pytest
from defusedxml import ElementTree

from civis.portal.demo import filegen
from documents.extraction import extract_text
from documents.validation import check_upload

TITLE = "Délibération du conseil municipal : l'école Jules-Ferry"
MB = 1024 * 1024


def _paragraphs(n: int = 4, topic: str = "écoles") -> list[str]:
    return filegen.french_paragraphs(random.Random(2026), n, topic)


def test_pdf_is_valid_checked_and_extracted():
    data = filegen.make_pdf(TITLE, _paragraphs())
    assert data.startswith(b"%PDF-1.4\n") and data.endswith(b"%%EOF\n")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)  # strict: the xref offsets are right
    assert reader.metadata.title == TITLE
    assert check_upload(io.BytesIO(data), "délibération.pdf", max_size=MB).kind == "pdf"
    text = extract_text(io.BytesIO(data), "pdf")
    assert text.startswith("Délibération du conseil municipal") and "l'école Jules-Ferry" in text
    assert "délibération" in text and "école" in text


def test_pdf_wraps_lines_and_adds_pages():
    data = filegen.make_pdf("Rapport", _paragraphs(80, "budget"))
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) > 3
    lines = "\n".join(page.extract_text() for page in reader.pages).splitlines()
    assert max(len(line) for line in lines) <= 92


def test_pdf_is_deterministic():
    assert filegen.make_pdf(TITLE, _paragraphs()) == filegen.make_pdf(TITLE, _paragraphs())


def test_odt_is_a_proper_package():
    data = filegen.make_odt(TITLE, _paragraphs())
    # The mimetype entry is first and stored, so its bytes sit at a fixed offset.
    assert data[30:38] == b"mimetype"
    assert data[38:77] == b"application/vnd.oasis.opendocument.text"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.filename for i in infos} == {
            "mimetype",
            "META-INF/manifest.xml",
            "content.xml",
            "styles.xml",
            "meta.xml",
        }
        for name in ("META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"):
            ElementTree.fromstring(package.read(name))  # well-formed
        assert package.testzip() is None


def test_odt_is_checked_and_extracted():
    data = filegen.make_odt(TITLE, ["Texte <avec> des & caractères spéciaux.", *_paragraphs()])
    assert check_upload(io.BytesIO(data), "compte-rendu.odt", max_size=MB).kind == "odt"
    text = extract_text(io.BytesIO(data), "odt")
    assert text.startswith(TITLE + "\nTexte <avec> des & caractères spéciaux.\n")
    assert "délibération" in text and "école" in text
    assert filegen.make_odt(TITLE, ["a"]) == filegen.make_odt(TITLE, ["a"])


def test_csv_opens_in_french_spreadsheets():
    rows = [
        ["commune", "libellé", "montant"],
        ["Bègles", "Voirie; trottoirs", "12 000 €"],
        ["Pessac", 'Dit "le centre"', "3,5"],
    ]
    data = filegen.make_csv(rows)
    assert data.startswith(b"\xef\xbb\xbfcommune;libell\xc3\xa9;montant\r\n")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")) == rows
    assert check_upload(io.BytesIO(data), "budget.csv", max_size=MB).kind == "csv"


def test_french_paragraphs_are_deterministic_and_on_topic():
    first = filegen.french_paragraphs(random.Random(1), 5, "urbanisme")
    assert first == filegen.french_paragraphs(random.Random(1), 5, "urbanisme")
    assert first != filegen.french_paragraphs(random.Random(2), 5, "urbanisme")
    assert len(first) == 5 and all(p.endswith(".") and len(p) > 80 for p in first)
    assert any(
        "urbanisme" in p or "PLU" in p or "permis" in p or "préemption" in p or "aménagement" in p
        for p in first
    )


@pytest.mark.parametrize(
    "topic",
    [
        "conseil municipal",
        "budget",
        "voirie",
        "écoles",
        "urbanisme",
        "subventions",
        "marchés publics",
        "environnement",
    ],
)
def test_every_topic_produces_prose(topic):
    text = " ".join(filegen.french_paragraphs(random.Random(0), 3, topic))
    assert any(ch in text for ch in "éèàêç")


def test_unknown_topic_is_used_as_subject():
    text = " ".join(filegen.french_paragraphs(random.Random(0), 5, "la médiathèque"))
    assert "la médiathèque" in text
