"""Election night as the issue's "Done when" tries it (issue 13), on a phone (375 by 740 px):
``agent-merignac`` signs in to the admin, opens « Élections », the demo's round 2 of
``municipales-2026-merignac``, enters bureaux 5 and 6 — once with votes that do not add up, to
read the message — and signs out; ``editeur-merignac`` signs in and validates them; both are
then « Publiés ». Screenshots in var/screenshots/election-night-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from elections.models import BureauResult, ResultState  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
SLUG = "municipales-2026-merignac"
PHONE = {"width": 375, "height": 740}

# Bureau -> inscrits, blancs, nuls, votes per list (round 2 has two lists).
COUNTS = {
    5: (1344, 12, 8, (452, 401)),
    6: (1467, 15, 10, (480, 455)),
}


def shot(page, name: str) -> None:
    """The whole page: Wagtail's admin scrolls inside its layout, so the viewport is stretched
    to the content's height for the picture, then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "Math.max(document.documentElement.scrollHeight,"
        " ...[...document.querySelectorAll('main, .content-wrapper, #main')]"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": PHONE["width"], "height": max(PHONE["height"], height)})
    page.screenshot(path=str(SCREENSHOTS / f"election-night-{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def phone_context(browser, site):
    context = browser.new_context(
        base_url=site,
        locale="fr-FR",
        is_mobile=True,
        has_touch=True,
        viewport=PHONE,
        device_scale_factor=2,
    )
    context.set_default_timeout(15_000)
    return context


def sign_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def open_menu_item(page, name: str) -> None:
    """On a phone Wagtail's sidebar is folded: open it, then follow the item."""
    link = page.locator("#wagtail-sidebar").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        page.locator("#wagtail-sidebar").get_by_role(
            "button", name=re.compile("barre latérale|sidebar", re.I)
        ).first.click()
    expect(link).to_be_visible()
    link.click()


def sign_out(page) -> None:
    sidebar = page.locator("#wagtail-sidebar")
    account = sidebar.get_by_role("button", name=re.compile("Compte|Account|Agent|Alex|Mon", re.I))
    toggle = sidebar.get_by_role("button", name=re.compile("barre latérale|sidebar", re.I)).first
    if not account.last.is_visible() and toggle.is_visible():
        toggle.click()
    account.last.click()
    sidebar.get_by_role("button", name=re.compile("Se déconnecter|Déconnexion", re.I)).click()
    expect(page).to_have_url(re.compile(r"/admin/login/"))


def fill_count(page, inscrits: int, blancs: int, nuls: int, votes: tuple[int, ...]) -> None:
    exprimes = sum(votes)
    page.locator("#id_inscrits").fill(str(inscrits))
    page.locator("#id_votants").fill(str(exprimes + blancs + nuls))
    page.locator("#id_blancs").fill(str(blancs))
    page.locator("#id_nuls").fill(str(nuls))
    page.locator("#id_exprimes").fill(str(exprimes))
    for panel, count in enumerate(votes, start=1):
        page.locator(f"#id_votes_{panel}").fill(str(count))


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width} px wide on a 375 px phone"


def bureau(number: int) -> BureauResult:
    return BureauResult.objects.select_related("current", "published").get(
        round__election__slug=SLUG, round__number=2, station__number=number
    )


def test_two_bureaux_entered_on_a_phone_then_validated_by_a_second_agent(browser, site) -> None:
    assert bureau(5).state == ResultState.EXPECTED and bureau(6).state == ResultState.EXPECTED

    # --- agent-merignac enters bureaux 5 and 6.
    context = phone_context(browser, site)
    page = context.new_page()
    sign_in(page, "agent-merignac")
    open_menu_item(page, "Élections")
    expect(page).to_have_url(re.compile(r"/admin/elections/$"))
    expect(
        page.get_by_role("heading", name="Élections municipales 2026 — Mérignac")
    ).to_be_visible()
    shot(page, "01-list")
    no_horizontal_scroll(page)
    page.get_by_role("link", name=re.compile(r"^2e tour")).click()
    expect(page.get_by_role("heading", name=re.compile("^À saisir"))).to_be_visible()
    shot(page, "02-round")
    no_horizontal_scroll(page)

    to_enter = page.locator("section#a-saisir")
    to_enter.get_by_role("link", name=re.compile(r"^Bureau n° 5")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bureau n° 5")
    expect(page.get_by_label(re.compile(r"^Panneau 1 : Mérignac ensemble"))).to_be_visible()
    assert page.locator("#id_inscrits").get_attribute("inputmode") == "numeric"
    shot(page, "03-entry-empty")
    no_horizontal_scroll(page)
    inscrits, blancs, nuls, votes = COUNTS[5]
    fill_count(page, inscrits, blancs, nuls, votes)
    page.locator("#id_votes_2").fill(str(votes[1] - 1))  # one vote short
    expect(page.locator("#controle")).to_contain_text("écart de 1")  # the live helper
    page.get_by_role("button", name="Enregistrer la saisie").click()
    errors = page.locator("#erreurs")
    expect(errors).to_contain_text(
        f"La somme des voix ({sum(votes) - 1}) doit être égale au nombre d'exprimés ({sum(votes)})."
    )
    expect(errors).to_be_focused()
    expect(page.locator("#id_inscrits")).to_have_value(str(inscrits))  # kept as typed
    shot(page, "04-entry-error")
    no_horizontal_scroll(page)
    assert bureau(5).state == ResultState.EXPECTED
    page.locator("#id_votes_2").fill(str(votes[1]))
    expect(page.locator("#controle")).to_contain_text("égale aux exprimés")
    page.get_by_role("button", name="Enregistrer la saisie").click()
    expect(page.locator(".messages")).to_contain_text("un second agent doit maintenant valider")
    mine = page.locator("section#mes-saisies")
    expect(mine).to_contain_text("Bureau n° 5")

    page.locator("section#a-saisir").get_by_role("link", name=re.compile(r"^Bureau n° 6")).click()
    fill_count(page, *COUNTS[6])
    shot(page, "05-entry-filled")
    page.get_by_role("button", name="Enregistrer la saisie").click()
    expect(page.locator("section#mes-saisies")).to_contain_text("Bureau n° 6")
    expect(page.locator("section#a-saisir")).to_contain_text("Aucun bureau à saisir")
    shot(page, "06-round-entered")
    # The agent cannot validate their own entry.
    page.locator("section#mes-saisies").get_by_role(
        "link", name=re.compile(r"^Bureau n° 5")
    ).click()
    expect(page.get_by_text("Un autre agent doit valider cette saisie")).to_be_visible()
    expect(page.get_by_role("button", name="Valider")).to_have_count(0)
    shot(page, "07-own-entry")
    sign_out(page)
    context.close()
    assert bureau(5).state == ResultState.ENTERED and bureau(6).state == ResultState.ENTERED

    # --- editeur-merignac validates them.
    context = phone_context(browser, site)
    page = context.new_page()
    sign_in(page, "editeur-merignac")
    open_menu_item(page, "Élections")
    page.get_by_role("link", name=re.compile(r"^2e tour")).click()
    for number in (5, 6):
        page.locator("section#a-valider").get_by_role(
            "link", name=re.compile(rf"^Bureau n° {number}")
        ).click()
        expect(page.get_by_text("✓ Conforme").first).to_be_visible()
        if number == 5:
            shot(page, "08-validation")
            no_horizontal_scroll(page)
        page.get_by_role("button", name="Valider").click()
        expect(page.locator(".messages")).to_contain_text("validé et publié")
    published = page.locator("section#publies")
    expect(published).to_contain_text("Bureau n° 5")
    expect(published).to_contain_text("Bureau n° 6")
    shot(page, "09-round-published")
    context.close()
    for number in (5, 6):
        result = bureau(number)
        assert result.state == ResultState.PUBLISHED and result.published == result.current
        assert result.current.entered_by.username == "agent-merignac"
        assert result.current.validated_by.username == "editeur-merignac"
