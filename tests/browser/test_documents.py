"""A visitor opens one of Mérignac's latest documents and downloads its PDF."""

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import MERIGNAC  # noqa: E402


def open_first_latest_publication(page):
    page.goto(MERIGNAC)
    latest = page.get_by_role("region", name="Dernières publications")
    first = latest.get_by_role("link").first
    title = first.inner_text().strip()
    first.click()
    return title


def test_commune_page_lists_latest_public_documents(page):
    page.goto(MERIGNAC)
    latest = page.get_by_role("region", name="Dernières publications")
    expect(latest.get_by_role("listitem").first).to_be_visible()
    assert latest.get_by_role("listitem").count() >= 5
    expect(latest).not_to_contain_text("Personnel")


def test_clicking_a_latest_publication_opens_its_page(page):
    title = open_first_latest_publication(page)
    expect(page).to_have_url(re.compile(r"/documents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("link", name="Mérignac")).to_be_visible()


def test_download_link_answers_the_pdf_shown_inline(page):
    open_first_latest_publication(page)
    link = page.get_by_role("link", name=re.compile(r"^Télécharger le document \(PDF"))
    response = page.request.get(link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    # PDFs open in the browser's viewer (inline); other formats are attachments.
    assert re.match(r'inline; filename="[^"]+\.pdf"', response.headers["content-disposition"])
    assert response.body()[:5] == b"%PDF-"
