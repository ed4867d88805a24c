"""Mérignac's publisher edits the mairie's opening hours and phone in the admin, through the
menu, and reads them on the public Mérignac page (block and schema.org data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import DEMO_PASSWORD, MERIGNAC  # noqa: E402

SCREENSHOTS = Path("var/screenshots")
NBSP = "\u00a0"
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-contact-{name}.png"), full_page=True)


def plain(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def test_publisher_edits_hours_and_phone_and_sees_them_on_the_public_page(page):
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("editeur-merignac")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # One click from the admin's home: a publisher of one authority lands on its form.
    page.get_by_role("link", name="Identité de la collectivité").click()
    expect(page).to_have_url(re.compile(r"/admin/identite/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mérignac")

    hours = page.get_by_label("Horaires d'ouverture au public")
    phone = page.get_by_label("Téléphone", exact=True)
    hours.fill("Lu-Ve 08:30-12:00,13:30-17:00\nSa 09:00-12:00")
    phone.fill("05 56")
    page.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.locator("#id_phone_error")).to_have_text(
        "Numéro de téléphone français attendu, par exemple 05 56 55 66 00."
    )
    expect(page.locator("#id_phone_error")).to_have_attribute("role", "alert")
    expect(page.get_by_text("Une valeur est à corriger ; rien n'a été enregistré.")).to_be_visible()
    expect(hours).to_have_value("Lu-Ve 08:30-12:00,13:30-17:00\nSa 09:00-12:00")  # kept
    expect(phone).to_have_attribute("aria-invalid", "true")
    # The summary links to the field to correct.
    page.get_by_role("link", name="Téléphone", exact=True).click()
    expect(phone).to_be_in_viewport()
    shot(page, "refused")

    phone.fill("05 36 49 10 00")
    page.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.get_by_text("Coordonnées de Mérignac enregistrées")).to_be_visible()
    expect(phone).to_have_value("05 36 49 10 00")
    shot(page, "saved")

    page.get_by_role("link", name="Voir la page publique de Mérignac").click()
    expect(page).to_have_url(re.compile(re.escape(MERIGNAC) + "$"))
    block = page.get_by_role("region", name="Coordonnées")
    expect(block).to_be_visible()
    text = plain(block.inner_text())
    assert "Du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h" in text, text
    assert "Le samedi de 9 h à 12 h" in text, text
    call = block.get_by_role("link", name=re.compile(r"05\s36\s49\s10\s00"))
    expect(call).to_have_attribute("href", "tel:+33536491000")
    block.scroll_into_view_if_needed()
    shot(page, "public-page")

    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "GovernmentOrganization" and data["name"] == "Mérignac"
    assert data["telephone"] == "+33536491000"
    assert [(s["opens"], s["closes"]) for s in data["openingHoursSpecification"]] == [
        ("08:30", "12:00"),
        ("13:30", "17:00"),
        ("09:00", "12:00"),
    ]
    assert data["parentOrganization"]["name"] == "Bordeaux Métropole"
    # The data block is not a script the browser runs: the strict policy reports nothing.
    page.wait_for_load_state("networkidle")
    violations = [t for t in console if "Content Security Policy" in t]
    violations += page.evaluate("window.__cspViolations || []")
    assert violations == []
