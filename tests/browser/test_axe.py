"""axe-core (tests/browser/axe: `npm ci` there) on the public and citizen pages: 0 violations.
Skipped when axe-core is not installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="needs playwright")

from tests.browser.conftest import DEMO_PASSWORD, MERIGNAC

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.skipif(
    not AXE.exists(), reason="axe-core missing: cd tests/browser/axe && npm ci"
)

PAGES = [
    "/",
    MERIGNAC,
    "/recherche/?q=deliberation",
    "/recherche/?q=zzzyyyxxx",
    "/connexion/",
    "/accessibilite/",
    "/accessibilite/schema-pluriannuel/",
    "/trouver-ma-collectivite/?q=b",
    "/ou-voter/",
    "/ou-voter/?commune=M%C3%A9rignac&adresse=15+rue+Jean+Jaur%C3%A8s",
    "/ou-voter/?commune=M%C3%A9rignac&adresse=45+avenue+de+la+Marne",
    "/ou-voter/?commune=&adresse=",
    "/nexiste-pas/",
]

RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
  return result.violations.map(
    v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}"""


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN)


@pytest.fixture
def page(browser, site):
    # axe is injected as a script the portal's CSP (rightly) refuses: this context bypasses
    # the policy for the checker only; tests/browser/test_csp.py holds the pages to it.
    context = browser.new_context(base_url=site, locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(
        base_url=site,
        locale="fr-FR",
        bypass_csp=True,
        is_mobile=True,
        has_touch=True,
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(page, path):
    page.goto(path)
    assert violations(page) == []


def test_axe_on_the_phone_search_and_the_error_states(phone, page):
    phone.goto("/recherche/?q=deliberation")
    assert violations(phone) == []
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill("faux")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    assert violations(page) == []
    page.goto("/")
    # The commune finder's suggestions, then the search box's (issue 17).
    page.get_by_role("combobox", name=re.compile("Nom, code postal")).focus()
    page.keyboard.type("b")
    page.get_by_role("listbox", name="Communes suggérées").wait_for()
    assert violations(page) == []
    page.get_by_role("combobox", name=re.compile("Rechercher un document")).focus()
    page.keyboard.type("délib")
    page.get_by_role("listbox", name="Suggestions").wait_for()
    assert violations(page) == []


def test_axe_on_the_citizen_space(page):
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.goto("/mon-espace/")
    assert violations(page) == []
    page.locator(".document-list a").first.click()
    assert violations(page) == []
