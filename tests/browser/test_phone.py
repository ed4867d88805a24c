"""On a 375 x 667 phone, pages fit the screen width and show their heading."""

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import MERIGNAC  # noqa: E402

PHONE_PAGES = ["/", MERIGNAC, "/recherche/?q=deliberation"]
NO_HORIZONTAL_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)
# For the failure message: the first elements sticking out on the right.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_phone_page_has_no_horizontal_scroll_and_a_visible_heading(phone, path):
    phone.goto(path)
    expect(phone.locator("h1")).to_be_visible()
    assert phone.evaluate(NO_HORIZONTAL_SCROLL), phone.evaluate(WIDEST)


def test_phone_document_page_has_no_horizontal_scroll(phone):
    phone.goto(MERIGNAC)
    phone.locator(".document-list a").first.click()
    expect(phone.locator("h1#titre-document")).to_be_visible()
    assert phone.evaluate(NO_HORIZONTAL_SCROLL), phone.evaluate(WIDEST)
