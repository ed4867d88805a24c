"""A keyboard-only visitor: skip link, labelled search box, results without a mouse."""

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect


def test_first_tab_focuses_a_visible_skip_link(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Aller au contenu")
    box = skip.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def test_skip_link_moves_focus_to_the_main_content(page):
    page.goto("/nouvelle-aquitaine/bordeaux-metropole/merignac/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contenu$"))
    expect(page.locator("main#contenu")).to_be_focused()
    # The next Tab starts inside the main content, past the header navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_search_box_has_a_label_and_submits_with_enter(page):
    page.goto("/")
    box = page.get_by_label("Rechercher un document, une démarche, une collectivité")
    box.focus()
    page.keyboard.type("délibération")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/recherche/\?q="))
    expect(page.get_by_role("status")).to_contain_text("documents trouvés pour « délibération »")
    expect(page.locator("ol.results h3 a").first).to_be_visible()
