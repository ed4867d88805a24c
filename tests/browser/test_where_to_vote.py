"""« Où voter ? » as people live it (issue 14), in a real browser on the demo: a voter, keyboard
only, chooses Mérignac in the combobox, types an address and reads the answer (certain,
probable, or an honest no-answer with the candidates); the commune's publisher adds a line of
its arrêté in the admin and the public answer follows it. Screenshots in
var/screenshots/ou-voter-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"ou-voter-{name}.png"), full_page=True)


def test_a_voter_finds_their_bureau_with_the_keyboard(page):
    page.goto("/elections/")
    page.get_by_role("link", name=re.compile("Où voter ?")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Où voter ?")
    commune = page.get_by_role("combobox", name="Commune")
    commune.fill("Méri")
    expect(page.get_by_role("option", name=re.compile("Mérignac"))).to_be_visible()
    commune.press("ArrowDown")
    commune.press("Enter")
    expect(commune).to_have_value("Mérignac (33700)")
    address = page.get_by_label("Adresse")
    address.fill("15 rue Jean Jaurès")
    shot(page, "form")
    address.press("Enter")
    answer = page.locator("#resultat")
    expect(answer.get_by_role("heading", level=2)).to_have_text("Votre bureau de vote : n° 2")
    expect(answer).to_contain_text("Fiabilité : Certain.")
    expect(answer).to_contain_text("École Jean-Jaurès")
    expect(answer.locator("svg.station-map")).to_be_visible()
    shot(page, "certain")

    address = page.get_by_label("Adresse")
    address.fill("16 rue de Capeyron")
    address.press("Enter")
    expect(page.locator("#resultat")).to_contain_text("Fiabilité : Probable.")
    expect(page.locator("#resultat")).to_contain_text("(14 et 18)")
    shot(page, "probable")

    address = page.get_by_label("Adresse")
    address.fill("45 avenue de la Marne")
    address.press("Enter")
    answer = page.locator("#resultat")
    expect(answer.get_by_role("heading", level=2)).to_have_text(
        "Nous ne pouvons pas vous répondre avec certitude"
    )
    expect(answer).to_contain_text("Bureau n° 1")
    expect(answer).to_contain_text("Bureau n° 4")
    expect(answer).to_contain_text("La mairie de Mérignac")
    expect(answer.get_by_role("link", name="Les adresses et leur bureau (CSV)")).to_be_visible()
    shot(page, "sans-reponse")


def test_the_publisher_adds_a_line_of_the_arrete_and_the_answer_follows(page):
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("editeur-merignac")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="Où voter ?").first.click()
    page.get_by_role("link", name=re.compile("Mérignac")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mérignac")
    shot(page, "admin-commune")
    page.locator("#id_regle-street").fill("Rue des Fleurs")
    page.locator("#id_regle-number_from").fill("1")
    page.locator("#id_regle-number_to").fill("99")
    page.locator("#id_regle-bureau").fill("3")
    page.locator("#id_regle-reference").fill("Arrêté n° 2026-020")
    page.get_by_role("button", name="Ajouter la règle").click()
    expect(page.get_by_role("rowheader", name="Rue des Fleurs")).to_be_visible()
    shot(page, "admin-regles")
    page.goto("/ou-voter/?commune=33281&adresse=12+rue+des+Fleurs")
    answer = page.locator("#resultat")
    expect(answer).to_contain_text("Fiabilité : Certain (arrêté).")
    expect(answer).to_contain_text("Arrêté n° 2026-020")
