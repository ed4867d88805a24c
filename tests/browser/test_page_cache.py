"""The anonymous page cache on (core/pagecache.py), in a real browser: an anonymous visitor is
answered from the cache with the page's scripts still allowed by the CSP; a citizen who signs
in sees their own page, never the kept one, and none of theirs is left for the next visitor;
what a publisher publishes in the admin is on the public pages at the very next visit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from civis.portal.demo.filegen import make_pdf  # noqa: E402
from core.pagecache import HIT_HEADER  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD, MERIGNAC  # noqa: E402
from tests.browser.test_admin_contact import WATCH  # noqa: E402
from tests.browser.test_admin_publishing import sign_in  # noqa: E402

SCREENSHOTS = Path("var/screenshots")
TITLE = "Arrêté de fermeture du parc du Vivier"


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.CIVIS_PAGE_CACHE_SECONDS = 600


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"page-cache-{name}.png"), full_page=True)


def fresh_page(browser, site):
    """A visitor whose browser keeps nothing (Playwright's routing turns its HTTP cache
    off): every visit reaches the server, never a revalidated copy of the browser's."""
    page = browser.new_context(base_url=site, locale="fr-FR").new_page()
    page.route("**/*", lambda route: route.continue_())
    return page


def visit(page, path: str) -> str | None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    return response.headers.get(HIT_HEADER.lower())


def test_anonymous_from_the_cache_a_citizen_never(browser, site):
    anonymous = fresh_page(browser, site)
    console: list[str] = []
    anonymous.add_init_script(WATCH)
    anonymous.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    visit(anonymous, MERIGNAC)  # the demo's first visit writes the footer's settings row
    visit(anonymous, MERIGNAC)
    assert visit(anonymous, MERIGNAC) == "hit"
    expect(anonymous.get_by_role("heading", level=1)).to_contain_text("Mérignac")
    # The search box's autocomplete (a script of the site) runs on the kept page.
    anonymous.goto("/")
    assert visit(anonymous, "/") == "hit"
    anonymous.get_by_role("combobox", name=re.compile("Rechercher un document")).focus()
    anonymous.keyboard.type("délib")
    anonymous.get_by_role("listbox", name="Suggestions").wait_for()
    shot(anonymous, "anonymous-home")
    anonymous.wait_for_load_state("networkidle")
    violations = [t for t in console if "Content Security Policy" in t]
    violations += anonymous.evaluate("window.__cspViolations || []")
    assert violations == []

    citizen = fresh_page(browser, site)
    citizen.goto("/connexion/")
    citizen.get_by_label("Identifiant").fill("citoyen")
    citizen.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    citizen.get_by_role("button", name="Se connecter").click()
    expect(citizen).to_have_url(re.compile(r"/mon-espace/$"))
    for _ in range(2):
        assert visit(citizen, MERIGNAC) is None, "a signed-in visitor is never answered so"
        expect(citizen.get_by_role("button", name=re.compile("Se déconnecter"))).to_be_visible()
    shot(citizen, "citizen")

    visit(anonymous, MERIGNAC)
    expect(anonymous.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(anonymous.get_by_role("button", name=re.compile("Se déconnecter"))).to_have_count(0)

    # Signed out, the citizen is an anonymous visitor again.
    citizen.get_by_role("button", name=re.compile("Se déconnecter")).click()
    visit(citizen, MERIGNAC)
    expect(citizen.get_by_role("link", name="Se connecter")).to_be_visible()
    anonymous.context.close()
    citizen.context.close()


def test_what_a_publisher_publishes_is_on_the_kept_pages_at_once(browser, site, tmp_path):
    anonymous = fresh_page(browser, site)
    visit(anonymous, MERIGNAC)  # the demo's first visit writes the footer's settings row
    for path in (MERIGNAC, "/documents/flux/"):
        visit(anonymous, path)
        assert visit(anonymous, path) == "hit"
    assert TITLE not in anonymous.content()

    pdf = tmp_path / "arrete-parc.pdf"
    pdf.write_bytes(make_pdf(TITLE, ["Le parc est fermé pendant les travaux."]))
    publisher = sign_in(browser, site, "editeur-merignac")
    publisher.locator("#wagtail-sidebar").get_by_role("link", name="Documents", exact=True).click()
    publisher.get_by_role("link", name="Ajouter un document").first.click()
    publisher.get_by_label("Titre").fill(TITLE)
    publisher.get_by_label("Fichier", exact=True).set_input_files(str(pdf))
    publisher.get_by_label("Type de document").select_option("arrete")
    publisher.get_by_role("button", name="Publier", exact=True).click()
    expect(publisher.locator(".messages")).to_contain_text(f"« {TITLE} » est publié.")

    assert visit(anonymous, MERIGNAC) == "miss"
    expect(anonymous.get_by_role("link", name=TITLE)).to_be_visible()
    shot(anonymous, "after-publication")
    assert visit(anonymous, "/documents/flux/") == "miss"
    assert TITLE in anonymous.content()

    publisher.get_by_role("button", name="Retirer", exact=True).click()
    expect(publisher.locator("[data-civis-status]")).to_have_text("Retiré")
    visit(anonymous, MERIGNAC)
    expect(anonymous.get_by_role("link", name=TITLE)).to_have_count(0)
    anonymous.context.close()
    publisher.context.close()
