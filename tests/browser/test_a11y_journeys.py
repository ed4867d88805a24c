"""Issue 16, tried as a new user would, keyboard only and on a phone: Tab counts to the first
result and to a downloaded document, the error summary of the sign-in, the "Filtrer" button,
the commune combobox, the declaration linked from every page, lang attributes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import MERIGNAC  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=False)


def tab_until(page, predicate: str, limit: int = 60) -> int:
    """Press Tab until ``predicate`` (JS, on document.activeElement) holds; the count."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!({predicate}); }})()"
        ):
            return count
    raise AssertionError(f"not reached in {limit} Tab presses: {predicate}")


FIRST_RESULT = "el && el.closest('ol.results') && el.tagName === 'A'"


def test_first_result_is_at_most_10_tabs_away_after_a_search(page):
    page.goto("/recherche/?q=deliberation")
    assert tab_until(page, FIRST_RESULT) <= 10
    # With the "Aller aux résultats" skip link: Tab, Tab, Enter, Tab.
    page.goto("/recherche/?q=deliberation")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link[href='#resultats']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#resultats")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("ol.results a").first).to_be_focused()


def test_from_home_to_a_downloaded_document_in_under_20_key_presses(page):
    page.goto("/")
    presses = tab_until(page, "el && el.type === 'search'")
    page.keyboard.type("deliberation")  # the words typed are not counted as key presses
    with page.expect_navigation():
        page.keyboard.press("Enter")
    presses += 1
    # The "Aller aux résultats" skip link, then the first result.
    for key in ("Tab", "Tab", "Enter", "Tab"):
        page.keyboard.press(key)
    presses += 4
    expect(page.locator("ol.results a").first).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    presses += 1
    # The "Aller au téléchargement" skip link lands on the download link.
    for key in ("Tab", "Tab", "Enter"):
        page.keyboard.press(key)
    presses += 3
    expect(page.locator("#telechargement")).to_be_focused()
    expect(page.locator(":focus")).to_contain_text(
        re.compile(r"\((PDF|CSV|ODT|DOCX|XLSX|ODS|JSON|PNG|JPEG), \d")
    )
    with page.expect_response(lambda r: r.url.endswith("/telecharger")) as response:
        page.keyboard.press("Enter")
    presses += 1
    disposition = response.value.headers["content-disposition"]
    assert "document.pdf" not in disposition
    assert re.search(r'filename="[a-z0-9-]+\.[a-z0-9]+"', disposition)
    assert presses < 20, presses


def test_wrong_password_focuses_an_error_summary_naming_the_field(page):
    page.goto("/connexion/")
    expect(page).to_have_title("Connexion — Civis Data")
    expect(page.locator(".brand-name")).to_have_text("Civis Data")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    summary = page.locator("#resume-erreurs")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Mot de passe :")
    expect(page).to_have_title(re.compile(r"^Erreur : Connexion — Civis Data$"))
    password = page.get_by_label("Mot de passe")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(
        re.compile("Identifiant ou mot de passe incorrect")
    )
    shot(page, "login-error")
    # The summary's link takes the keyboard to the field.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(password).to_be_focused()


def test_sign_out_is_confirmed(page):
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill("demo-civis-2026")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_role("button", name=re.compile("Se déconnecter")).click()
    expect(page.get_by_role("status").filter(has_text="Vous êtes déconnecté")).to_be_visible()


def test_phone_shows_the_first_result_in_the_first_screen_and_folds_the_filters(phone):
    phone.goto("/recherche/?q=deliberation")
    first = phone.locator("ol.results li").first
    box = first.bounding_box()
    assert box is not None and box["y"] + 40 < 667, box
    toggle = phone.get_by_role("button", name=re.compile("Filtrer"))
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone.locator("#facettes")).to_be_hidden()
    shot(phone, "phone-search")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.locator("#facettes")).to_be_visible()
    expect(phone.locator("#titre-facettes")).to_be_focused()
    shot(phone, "phone-search-filters")
    phone.locator("#facettes .facet-values a").first.click()
    expect(phone.get_by_role("button", name=re.compile("Filtrer"))).to_contain_text(
        re.compile(r"\S")
    )
    expect(phone.locator(".active-filter").first).to_be_visible()


def test_wide_screen_shows_facets_beside_the_results(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/recherche/?q=deliberation")
    results = page.locator("#resultats").bounding_box()
    facets = page.locator("#facettes").bounding_box()
    assert facets["x"] > results["x"] + results["width"] - 1
    assert abs(facets["y"] - results["y"]) < 5
    expect(page.locator("[data-filter-toggle]")).to_be_hidden()
    shot(page, "wide-search")
    page.goto("/recherche/?q=zzzyyyxxx")
    empty = page.locator(".search-empty").bounding_box()
    assert empty["width"] > 600
    shot(page, "wide-search-empty")


def test_commune_combobox_with_the_keyboard(page):
    page.goto("/")
    box = page.get_by_role("combobox", name=re.compile("Nom, code postal ou code INSEE"))
    box.focus()
    page.keyboard.type("meri")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("option").first).to_contain_text("Mérignac")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").count() == 1
    shot(page, "commune-combobox")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/merignac/$"))


def test_commune_finder_without_javascript(browser, site):
    context = browser.new_context(base_url=site, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_label(re.compile("Nom, code postal ou code INSEE")).fill("33281")
    page.get_by_role("button", name="Trouver").click()
    expect(page).to_have_url(re.compile(r"/merignac/$"))
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        MERIGNAC,
        "/recherche/?q=budget",
        "/connexion/",
        "/trouver-ma-collectivite/?q=b",
        "/nexiste-pas/",
    ],
)
def test_the_declaration_is_reachable_from_every_page(page, path):
    page.goto(path)
    footer = page.get_by_role("contentinfo")
    footer.get_by_role(
        "link", name=re.compile("^Accessibilité : (non|partiellement|totalement) conforme$")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    expect(page.get_by_role("heading", name="Voies de recours")).to_be_visible()
    page.get_by_role("contentinfo").get_by_role(
        "link", name="Schéma pluriannuel et plan d'actions"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Schéma pluriannuel")


def test_english_ui_marks_french_titles_and_names(page):
    page.goto("/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_label("Langue").select_option(value="en")
    footer.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/recherche/?q=deliberation")
    first = page.locator("ol.results h3 a").first
    expect(first).to_have_attribute("lang", "fr")
    page.goto(MERIGNAC)
    page.locator(".document-list a").first.click()
    expect(page.locator("h1#titre-document")).to_have_attribute("lang", "fr")
