"""The footer's language switcher turns the portal into English, and back."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import MERIGNAC  # noqa: E402


def switch_language(page, label, button):
    footer = page.get_by_role("contentinfo")
    footer.get_by_label(label).select_option(value={"Langue": "en"}.get(label, "fr"))
    footer.get_by_role("button", name=button).click()


def test_footer_switcher_turns_the_page_into_english(page):
    page.goto(MERIGNAC)
    switch_language(page, "Langue", "Changer")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("a.skip-link")).to_have_text("Skip to content")
    assert page.url.endswith(MERIGNAC)


def test_english_stays_on_the_next_page_and_can_be_switched_back(page):
    page.goto("/")
    switch_language(page, "Langue", "Changer")
    page.goto(MERIGNAC)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch_language(page, "Language", "Change")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("a.skip-link")).to_have_text("Aller au contenu")
