"""Election night from another site (issue 13, "Done when"): a plain HTML page served from
another origin (a tiny http.server on another loopback port) embeds the results widget in an
<iframe> (auto-sized by embed.js) and the <civis-resultats> Web Component, both refreshing
every 10 s. While the page stays open, the validation of Mérignac's bureau 4 (demo round 2,
entered by agent-merignac) publishes it through the services: both show the new figures
within the refresh period, without the page or the frame being reloaded."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from elections.models import BureauResult  # noqa: E402
from elections.services.results import result_validate  # noqa: E402
from identity.models import User  # noqa: E402

SLUG = "municipales-2026-merignac"
SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for a human to look at

HOST_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>Le journal de Mérignac</title></head>
<body>
  <h1>Le journal de Mérignac : la soirée électorale</h1>
  <iframe id="widget" src="{site}/elections/{slug}/tour-2/widget/resume/?refresh=10"
          title="Résultats du 2e tour" width="100%" height="120" data-civis-resultats></iframe>
  <script src="{site}/static/elections/embed.js" async></script>
  <script src="{site}/static/elections/civis-resultats.js" defer></script>
  <civis-resultats id="component" src="{site}/api/v1/elections/{slug}/tours/2/resultats"
                   vue="resume" refresh="10"></civis-resultats>
</body>
</html>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def other_site(tmp_path, site):
    """``http://127.0.0.1:<port>/journal.html``: another origin than the live server's."""
    (tmp_path / "journal.html").write_text(HOST_PAGE.format(site=site, slug=SLUG), encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/journal.html"
    server.shutdown()
    server.server_close()


def test_a_widget_on_another_site_shows_a_new_bureau_without_reloading(browser, site, other_site):
    assert not other_site.startswith(site)
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(other_site)
    frame = page.frame_locator("#widget")
    component = page.locator("#component")
    expect(frame.get_by_text("3 bureaux sur 6 dépouillés")).to_be_visible()
    expect(component.get_by_text("3 bureaux sur 6 dépouillés")).to_be_visible()
    expect(frame.get_by_text("1398 voix")).to_be_visible()  # Mérignac ensemble, bureaux 1 to 3
    expect(frame.get_by_text(re.compile("mis à jour (il y a|à l'instant)"))).to_be_visible()
    # embed.js sized the iframe to its content (no inner scroll bar).
    expect(page.locator("#widget")).to_have_attribute("data-civis-height", re.compile(r"^\d+$"))
    height = page.locator("#widget").evaluate("el => el.getBoundingClientRect().height")
    assert height > 200
    # Marks that a reload of the page or of the frame would wipe.
    page.evaluate("window.__stillHere = 'oui'")
    inner = page.frame(url=lambda url: "/widget/resume/" in url)
    assert inner is not None
    inner.evaluate("window.__stillHere = 'oui'")

    # Election night goes on: the second agent validates bureau 4, which publishes it.
    result = BureauResult.objects.get(
        round__election__slug=SLUG, round__number=2, station__code="33281_0004"
    )
    result_validate(actor=User.objects.get(username="editeur-merignac"), result=result)

    # Within one refresh period (10 s, with a margin for the request itself).
    expect(frame.get_by_text("4 bureaux sur 6 dépouillés")).to_be_visible(timeout=14_000)
    expect(frame.get_by_text("1819 voix")).to_be_visible()  # + 421 of bureau 4
    expect(component.get_by_text("4 bureaux sur 6 dépouillés")).to_be_visible(timeout=14_000)
    expect(component.get_by_text("1819 voix", exact=False)).to_be_visible()
    assert page.evaluate("window.__stillHere") == "oui"
    assert inner.evaluate("window.__stillHere") == "oui"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "elections_widget_other_site.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "CORS" in e], errors
    context.close()


def test_the_results_page_reads_on_a_phone(phone, site):
    phone.goto(f"/elections/{SLUG}/tour-2/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("2e tour")
    expect(phone.get_by_text("3 bureaux sur 6 dépouillés").first).to_be_visible()
    bureau = phone.get_by_role("link", name="Bureau n° 5 — Maison des associations : non dépouillé")
    expect(bureau).to_have_count(1)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing wider than the phone (the tables scroll in their region)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "elections_round_phone.png"), full_page=True)


HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
SHOW = """() => {
  Object.defineProperty(document, "visibilityState", {value: "visible", configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_a_widget_stops_asking_while_its_tab_is_hidden(page, site):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/resultats" in r.url else None)
    page.goto(f"/elections/{SLUG}/tour-2/widget/participation/?refresh=10")
    expect(page.get_by_text("3 bureaux sur 6 dépouillés")).to_be_visible()
    page.evaluate(HIDE)
    page.wait_for_timeout(12_000)  # more than one refresh period
    assert asked == []
    page.evaluate(SHOW)
    page.wait_for_timeout(1_500)
    assert len(asked) == 1  # at once when shown again, not waiting for the next period
