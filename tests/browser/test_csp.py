"""The Content-Security-Policy does not break what people use (issue 18, finding 14): a real
browser loads the portal and the Wagtail admin under the policy and reports no violation."""

from __future__ import annotations

import contextlib
import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import DEMO_PASSWORD, MERIGNAC  # noqa: E402

# Registered before any page script: every violation the browser reports, as an array.
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation (event or console message) collected."""
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on(
        "console", lambda message: console.append(message.text) if message.type == "error" else None
    )

    def violations() -> list[str]:
        found = [
            text
            for text in console
            if "Content Security Policy" in text or "Permissions-Policy" in text
        ]
        # While the page navigates, evaluate fails: the console still holds its reports.
        with contextlib.suppress(Exception):
            found += page.evaluate("window.__cspViolations || []")
        return found

    page.violations = violations
    return page


def assert_clean(page, url: str) -> None:
    response = page.goto(url)
    assert response.ok, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.violations() == [], url


def test_portal_pages_load_without_any_violation(watched):
    for url in (
        "/",
        MERIGNAC,
        "/recherche/",
        "/recherche/?q=d%C3%A9lib%C3%A9ration",
        "/connexion/",
    ):
        assert_clean(watched, url)
    policy = watched.goto("/").headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy


def test_a_document_page_and_the_language_switch_work_under_the_policy(watched):
    watched.goto(MERIGNAC)
    watched.get_by_role("region", name="Dernières publications").get_by_role("link").first.click()
    expect(watched).to_have_url(re.compile(r"/documents/\d+/$"))
    watched.get_by_label("Langue").select_option("en")
    watched.get_by_role("button", name="Changer").click()
    expect(watched.locator("html")).to_have_attribute("lang", "en")
    assert watched.violations() == []


def test_publisher_uses_the_admin_documents_without_any_violation(watched):
    watched.goto("/admin/login/")
    watched.locator("input[name=username]").fill("editeur-merignac")
    watched.locator("input[name=password]").fill(DEMO_PASSWORD)
    watched.locator("form button[type=submit]").first.click()
    expect(watched).to_have_url(re.compile(r"/admin/$"))
    watched.wait_for_load_state("networkidle")
    for url in ("/admin/publications/", "/admin/publications/new/"):
        response = watched.goto(url)
        assert response.ok, url
        watched.wait_for_load_state("networkidle")
    # The add form is interactive (Wagtail's scripts ran): its fields take input.
    watched.locator("input[name=title]").fill("Essai sous CSP")
    first_edit = None
    watched.goto("/admin/publications/")
    link = watched.locator("a[href*='/admin/publications/edit/']").first
    if link.count():
        first_edit = link.get_attribute("href")
        watched.goto(first_edit)
        watched.wait_for_load_state("networkidle")
    assert first_edit, "the publisher sees no editable document"
    assert watched.violations() == []


def test_page_editor_and_its_preview_work_under_the_admin_policy(watched):
    from wagtail.models import Page

    from identity.models import User

    User.objects.create_superuser(
        "racine", "racine@example.org", "a-long-root-password", kind="agent"
    )
    watched.goto("/admin/login/")
    watched.locator("input[name=username]").fill("racine")
    watched.locator("input[name=password]").fill("a-long-root-password")
    watched.locator("form button[type=submit]").first.click()
    expect(watched).to_have_url(re.compile(r"/admin/$"))
    home = Page.objects.get(depth=2)
    response = watched.goto(f"/admin/pages/{home.pk}/edit/")
    policy = response.headers["content-security-policy"]
    # Wagtail's editor runs inline scripts: the admin's policy allows them, and only them.
    assert "script-src 'self' 'unsafe-inline'" in policy and "object-src 'none'" in policy
    watched.locator(".public-DraftEditor-content").first.click()
    watched.keyboard.type(" Bonjour")
    watched.locator("button[data-side-panel-toggle='preview']").first.click()
    preview = watched.frame_locator("iframe[title]").first
    expect(preview.locator("h1").first).to_have_text(home.title)
    assert watched.violations() == []


def test_the_watcher_does_see_a_violation(watched, settings):
    # The control: were the policy to block the portal's stylesheet, the tests above would
    # see it.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "style-src": ["'none'"]}
    watched.goto("/")
    watched.wait_for_load_state("networkidle")
    assert any("style-src" in violation for violation in watched.violations())
