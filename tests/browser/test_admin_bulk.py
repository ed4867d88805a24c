"""Bulk upload through the admin UI: editeur-merignac drops 10 files, 2 of which are refused;
sees the 8 drafts and the 2 refusals named, corrects a title in the grid, publishes the 8, and
the portal shows them to anonymous visitors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from civis.portal.demo.filegen import make_csv, make_odt, make_pdf  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD, MERIGNAC  # noqa: E402
from tests.documents import hostile  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PDF = "application/pdf"

# (file name, content, MIME type as the browser would send it, expected title, expected type)
ACCEPTED = [
    (
        "DEL_2026-118_cantine.pdf",
        make_pdf("Délibération : tarifs de la cantine 2027", ["Le conseil adopte les tarifs."]),
        PDF,
        "Délibération : tarifs de la cantine 2027",
        "Délibération",
    ),
    (
        "AR_2026-45_stationnement.pdf",
        make_pdf("Arrêté réglementant le stationnement rue Carnot", ["Le maire arrête."]),
        PDF,
        "Arrêté réglementant le stationnement rue Carnot",
        "Arrêté",
    ),
    (
        "CR_conseil_2026-11.odt",
        make_odt("Compte rendu du conseil municipal du 20 novembre", ["Présents : 39."]),
        "application/vnd.oasis.opendocument.text",
        "Compte rendu du conseil municipal du 20 novembre",
        "Compte rendu de séance",
    ),
    (
        "PV_seance_2026-10.pdf",
        make_pdf("Procès-verbal de la séance du 16 octobre", ["Séance ouverte à 18 h."]),
        PDF,
        "Procès-verbal de la séance du 16 octobre",
        "Procès-verbal",
    ),
    (
        "budget_primitif_2027.pdf",
        make_pdf("Budget primitif 2027", ["Section de fonctionnement."]),
        PDF,
        "Budget primitif 2027",
        "Budget",
    ),
    (
        "avis_enquete_publique.pdf",
        hostile.build_pdf(text="Avis d'enquete publique sur le PLU"),
        PDF,
        "Avis d'enquete publique sur le PLU",
        "Autre",
    ),
    (
        "equipements_sportifs.csv",
        make_csv([["equipement", "adresse"], ["Stade Robert-Brettes", "avenue de la Somme"]]),
        "text/csv",
        "Equipements sportifs",
        "Fichier de données ouvertes",
    ),
    (
        "plan_des_travaux.png",
        hostile.image(),
        "image/png",
        "Plan des travaux",
        "Autre",
    ),
]
REFUSED = [
    (
        "page-web-deguisee.pdf",
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
        PDF,
    ),
    (
        "avis-avec-script.pdf",
        hostile.build_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        PDF,
    ),
]
EDITED_TITLE = "Délibération n° 2026-118 : tarifs de la cantine scolaire 2027"


def sign_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": 2000})  # the admin scrolls inside its layout
    page.screenshot(path=str(SCREENSHOTS / f"admin-bulk-{name}.png"), full_page=True)
    page.set_viewport_size(size)


def test_publisher_uploads_ten_files_corrects_one_and_publishes_eight(page, browser, site):
    from documents.models import Document, Status
    from identity.models import Authority

    before = set(Document.objects.values_list("pk", flat=True))
    sign_in(page, "editeur-merignac")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Dépôt en lot"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dépôt en lot")
    # The only authority the publisher may choose is preselected; the rule is stated.
    merignac = Authority.objects.get(kind=Authority.Kind.COMMUNE, name="Mérignac")
    expect(page.get_by_label("Collectivité")).to_have_value(str(merignac.pk))
    expect(page.get_by_text("« DEL » ou « deliberation » → délibération")).to_be_visible()
    files = [
        {"name": name, "mimeType": mime, "buffer": content}
        for name, content, mime, *_ in ACCEPTED + REFUSED
    ]
    page.get_by_label("Fichiers").set_input_files(files)
    expect(page.get_by_text("10 fichiers choisis")).to_be_visible()
    shoot(page, "1-upload")
    page.get_by_role("button", name="Déposer les fichiers").click()

    expect(page).to_have_url(re.compile(r"/admin/depot-en-lot/[\w-]+/$"))
    expect(page.get_by_text("8 fichiers déposés comme brouillons.")).to_be_visible()
    grid = page.locator("table.civis-bulk-grid tbody tr")
    expect(grid).to_have_count(8)
    for name, _content, _mime, title, type_label in ACCEPTED:
        row = grid.filter(has_text=name)
        expect(row.get_by_label(f"Titre de {name}")).to_have_value(title)
        expect(row.get_by_label(f"Type de {name}").locator("option:checked")).to_have_text(
            type_label
        )
        expect(row).to_contain_text("Brouillon")
    refused = page.get_by_role("region", name=re.compile("2 fichiers refusés"))
    expect(refused.get_by_role("listitem")).to_have_count(2)
    expect(
        refused.get_by_role("listitem").filter(has_text="page-web-deguisee.pdf")
    ).to_contain_text("HTML")
    expect(refused.get_by_role("listitem").filter(has_text="avis-avec-script.pdf")).to_contain_text(
        "JavaScript"
    )
    shoot(page, "2-grid")

    page.get_by_label("Titre de DEL_2026-118_cantine.pdf").fill(EDITED_TITLE)
    page.get_by_label("Tout cocher").check()
    page.get_by_role("button", name="Publier la sélection").click()
    expect(page.get_by_role("status")).to_contain_text("8 documents publiés : « " + EDITED_TITLE)
    expect(grid.filter(has_text="Publié")).to_have_count(8)
    shoot(page, "3-published")

    created = Document.objects.exclude(pk__in=before)
    assert created.count() == 8
    assert set(created.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert created.filter(title=EDITED_TITLE).exists()
    # No trace of the refused files.
    assert not created.filter(current_version__file_name__in=[n for n, *_ in REFUSED]).exists()

    # Anonymous visitors read all eight on the portal.
    visitor = browser.new_context(base_url=site, locale="fr-FR")
    anonymous = visitor.new_page()
    for document in created:
        anonymous.goto(f"/documents/{document.pk}/")
        expect(anonymous.get_by_role("heading", level=1)).to_have_text(document.title)
        expect(anonymous.get_by_role("link", name="Mérignac")).to_be_visible()
    anonymous.goto(MERIGNAC)
    shoot(anonymous, "4-portal")
    visitor.close()
