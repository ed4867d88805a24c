"""Automated checks in the browser: WCAG contrast of text, and the page landmarks."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import MERIGNAC  # noqa: E402

# WCAG 2.1 contrast of an element's text colour against the first opaque background found
# on it or its ancestors (white when none); returns [ratio, text colour, background].
CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let bg = 'rgb(255, 255, 255)';
  for (let n = el; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor, parts = rgb(c);
    if (parts.length < 4 || parts[3] === 1) { bg = c; break; }
  }
  const fg = getComputedStyle(el).color;
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return [(a + 0.05) / (b + 0.05), fg, bg];
}"""

TEXT_SAMPLES = {
    "body text": "main p",
    "link in the content": "main a",
    "header brand": ".site-header .brand-name",
    "header navigation link": ".site-header nav a",
    "muted text": "main .meta",
    "footer text": "footer p",
}


@pytest.mark.parametrize("path", ["/", MERIGNAC])
def test_text_links_and_header_have_at_least_4_5_to_1_contrast(page, path):
    page.goto(path)
    for name, selector in TEXT_SAMPLES.items():
        elements = page.locator(selector)
        if not elements.count():
            continue
        ratio, fg, bg = elements.first.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{name} ({selector}): {ratio:.2f}:1, {fg} on {bg}"


def test_focused_skip_link_has_enough_contrast(page):
    page.goto("/")
    page.keyboard.press("Tab")
    ratio, fg, bg = page.locator("a.skip-link").evaluate(CONTRAST)
    assert ratio >= 4.5, f"{ratio:.2f}:1, {fg} on {bg}"


@pytest.mark.parametrize("path", ["/", MERIGNAC, "/recherche/?q=deliberation", "/connexion/"])
def test_page_has_banner_navigation_main_contentinfo_and_search_landmarks(page, path):
    page.goto(path)
    for role in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(role).count() >= 1, f"no {role} landmark on {path}"
    expect(page.get_by_role("main")).to_have_count(1)
    if path != "/connexion/":
        expect(page.get_by_role("search").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
