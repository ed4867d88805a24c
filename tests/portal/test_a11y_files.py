"""Downloads named from the document's title, announced with their type and size; RSS item
titles without the authority's name; the other language marked with lang."""

from __future__ import annotations

import pytest

from documents.http import download_name
from documents.models import Document
from tests.browser.conftest import MERIGNAC

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


def public_document() -> Document:
    return (
        Document.objects.filter(
            audience="public", status="published", current_version__isnull=False
        )
        .select_related("current_version", "owner")
        .order_by("pk")
        .first()
    )


@pytest.mark.parametrize(
    ("title", "file_name", "expected"),
    [
        (
            "Délibération 2026-004 — Urbanisme",
            "document.pdf",
            "deliberation-2026-004-urbanisme.pdf",
        ),
        ('Arrêté "spécial" ; rm -rf / \r\n', "scan.PDF", "arrete-special-rm-rf.pdf"),
        ("Œuvres d'été", "x.tar.gz", "uvres-dete.gz"),
        ("!!!", "a.csv", "document-7.csv"),
    ],
)
def test_download_names_are_ascii_slugs_of_the_title(title, file_name, expected):
    document = Document(pk=7, title=title)
    version = type("V", (), {"file_name": file_name, "kind": "pdf"})()
    name = download_name(document, version)
    assert name == expected
    assert name.isascii() and '"' not in name and "/" not in name


def test_the_download_is_named_from_the_title(demo, client):
    document = public_document()
    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response.status_code == 200
    expected = download_name(document, document.current_version)
    assert expected != "document.pdf" and expected.startswith(expected.split(".")[0])
    disposition = response["Content-Disposition"]
    assert f'filename="{expected}"' in disposition
    assert f"filename*=UTF-8''{expected}" in disposition


def test_the_download_link_says_type_and_size(demo, client):
    document = public_document()
    html = client.get(f"/documents/{document.pk}/").content.decode()
    kind = document.current_version.kind.upper()
    assert f"Télécharger le document ({kind}, " in html
    assert " Ko)" in html or " Mo)" in html or " o)" in html


def test_rss_titles_do_not_repeat_the_authority(demo, client):
    xml = client.get("/documents/flux/").content.decode()
    document = (
        Document.objects.filter(audience="public", status="published")
        .order_by("-published_on", "-pk")
        .first()
    )
    assert (
        f"<title>{document.title}</title>" in xml.replace("&#x27;", "'").replace("&amp;", "&")
        or document.title in xml
    )
    assert f" — {document.owner.name}</title>" not in xml


def test_english_ui_marks_french_names_and_titles(demo, client):
    client.cookies["django_language"] = "en"
    html = client.get(MERIGNAC, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="fr">Mérignac</a>' in home
    document = public_document()
    detail = client.get(f"/documents/{document.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h1 id="titre-document" lang="fr">' in detail


def test_french_ui_needs_no_lang_on_french_titles(demo, client):
    home = client.get("/").content.decode()
    assert 'lang="fr">Mérignac</a>' not in home
    assert '<option value="en" lang="en"' in home
