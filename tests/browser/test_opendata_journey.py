"""The open data journey, as a new user tries it (issue 12, "Done when"): a Mérignac publisher
creates a dataset in the admin, adds two resources (public files of the store), publishes it;
an anonymous visitor finds it at /donnees/, opens it, downloads both resources and reads the
CSV preview (columns, types, first rows)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from identity.models import Authority  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402
from tests.factories import make_open_document  # noqa: E402

CSV = (
    "nom;places;ouverture\n"
    "Stade Robert-Brettes;1200;1975-09-01\n"
    "Piscine Jean-Badet;300;1982-06-15\n"
)
JSON = '{"equipements": [{"nom": "Stade", "places": 1200}]}'


@pytest.fixture
def files(site):
    merignac = Authority.objects.get(insee_code="33281")
    return {
        "csv": make_open_document(
            merignac, title="Équipements sportifs (CSV)", content=CSV.encode()
        ),
        "json": make_open_document(
            merignac, kind="json", title="Équipements sportifs (JSON)", content=JSON.encode()
        ),
    }


def test_publisher_publishes_a_dataset_and_anyone_downloads_it(
    browser, site, files, tmp_path
) -> None:
    context = browser.new_context(base_url=site, locale="fr-FR")
    context.set_default_timeout(15_000)
    admin = context.new_page()
    admin.goto("/admin/login/")
    admin.locator("input[name=username]").fill("editeur-merignac")
    admin.locator("input[name=password]").fill(DEMO_PASSWORD)
    admin.locator("form button[type=submit]").first.click()
    expect(admin).to_have_url(re.compile(r"/admin/$"))

    admin.get_by_role("link", name="Données ouvertes").first.click()
    admin.get_by_role("link", name="Créer un jeu de données").click()
    admin.get_by_label("Titre").fill("Équipements sportifs de Mérignac")
    admin.get_by_label("Description").fill("Les stades, gymnases et piscines de la ville.")
    admin.get_by_label("Mots-clés").fill("sport, équipements")
    admin.get_by_label("Éducation, culture et sport").check()
    admin.get_by_role("button", name="Créer le jeu de données (brouillon)").click()
    expect(admin.locator(".messages")).to_contain_text("Jeu de données créé")

    for key, title in (("csv", "Liste des équipements (CSV)"), ("json", "Liste (JSON)")):
        admin.get_by_label("Titre de la ressource").fill(title)
        admin.get_by_label("Document (fichier)").select_option(str(files[key].pk))
        admin.get_by_role("button", name="Ajouter la ressource").click()
        expect(admin.locator(".messages")).to_contain_text("Ressource ajoutée")
    admin.screenshot(path=str(tmp_path / "admin-dataset.png"), full_page=True)
    admin.get_by_role("button", name="Publier le jeu de données").click()
    expect(admin.locator(".messages")).to_contain_text("Jeu de données publié")
    context.close()

    visitor = browser.new_context(base_url=site, locale="fr-FR", accept_downloads=True)
    visitor.set_default_timeout(15_000)
    page = visitor.new_page()
    page.goto("/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Données ouvertes"
    ).click()
    expect(page).to_have_url(re.compile(r"/donnees/$"))
    page.get_by_label("Collectivité").select_option("33281")
    page.get_by_role("button", name="Filtrer").click()
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)
    page.get_by_role("link", name="Équipements sportifs de Mérignac").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Équipements sportifs de Mérignac")
    expect(
        page.get_by_role("link", name="Licence Ouverte / Open Licence version 2.0")
    ).to_be_visible()

    downloads = page.get_by_role("link", name=re.compile(r"^Télécharger \("))
    expect(downloads).to_have_count(2)
    contents = []
    for index in range(2):
        with page.expect_download() as info:
            downloads.nth(index).click()
        contents.append(Path(info.value.path()).read_text(encoding="utf-8"))
    assert contents == [CSV, JSON]

    page.get_by_text("Aperçu des premières lignes").click()
    table = page.get_by_role(
        "table", name=re.compile("premières lignes de « Liste des équipements")
    )
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="places")).to_be_visible()
    expect(table).to_contain_text("Piscine Jean-Badet")
    expect(page.locator(".dataset-preview")).to_contain_text("places : entier")
    expect(page.locator(".dataset-preview")).to_contain_text("ouverture : date")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
    print("screenshots:", tmp_path)
    visitor.close()
