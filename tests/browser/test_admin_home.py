"""Each demo account signs in to /admin/ through the login form, finds its role's panels and
the menu items it needs on the home, and reaches its work in one click."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from civis.portal.demo import workspace  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SCREENSHOTS = Path("var/screenshots")


def sign_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The admin scrolls inside its layout: a tall window shows the whole home.
    size = page.viewport_size
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.screenshot(path=str(SCREENSHOTS / f"admin-home-{name}.png"), full_page=True)
    page.set_viewport_size(size)


def menu(page):
    return page.get_by_role("navigation", name="Menu principal")


def menu_link(page, name: str):
    return menu(page).get_by_role("link", name=name, exact=True)


def panel(page, heading: str):
    return page.locator("section.w-panel").filter(
        has=page.get_by_role("heading", name=heading, level=2)
    )


def test_publisher_home_shows_my_work_one_click_away(page):
    sign_in(page, "editeur-merignac")
    mine = panel(page, "Mes publications")
    expect(mine).to_be_visible()
    expect(mine).to_contain_text("Mérignac")
    to_review = mine.locator("#civis_publisher-in_review")
    expect(to_review).to_contain_text(workspace.SUBMITTED)
    expect(to_review).to_contain_text("par Alex Durand")
    expect(mine.locator("#civis_publisher-drafts")).to_contain_text(workspace.DRAFT)
    scheduled = mine.locator("#civis_publisher-scheduled")
    expect(scheduled).to_contain_text(workspace.SCHEDULED)
    expect(scheduled).to_contain_text(re.compile(r"mise en ligne le \d\d/\d\d/\d{4} 09:00"))
    expect(mine.locator("#civis_publisher-published")).to_contain_text(workspace.TEMPORARY)
    expect(mine.locator("#civis_publisher-published")).to_contain_text("fin d'affichage le")
    expect(menu_link(page, "Documents")).to_be_visible()
    expect(menu(page)).not_to_contain_text("Aide")
    shoot(page, "editeur-merignac")

    # One click: the submission waiting for me opens on its edit screen.
    to_review.get_by_role("link", name=workspace.SUBMITTED).click()
    expect(page).to_have_url(re.compile(r"/admin/publications/edit/\d+/$"))
    expect(page.locator("input[name=title]")).to_have_value(workspace.SUBMITTED)

    page.goto("/admin/")
    page.get_by_role("link", name="Publier un document").click()
    expect(page).to_have_url(re.compile(r"/admin/publications/new/$"))
    expect(page.locator("input[name=title]")).to_be_visible()

    page.goto("/admin/")
    menu_link(page, "Documents").click()
    expect(page).to_have_url(re.compile(r"/admin/publications/$"))
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()
    expect(page.locator("a[href*='/admin/publications/edit/']").first).to_be_visible()


def test_agent_home_shows_news_and_my_drafts(page):
    sign_in(page, "agent-merignac")
    news = panel(page, "Nouveautés de Mérignac")
    expect(news).to_be_visible()
    expect(news.locator("#civis_agent-news")).to_contain_text(workspace.TEMPORARY)
    expect(news.locator("#civis_agent-news")).not_to_contain_text(workspace.SCHEDULED)
    mine = news.locator("#civis_agent-mine")
    expect(mine).to_contain_text(workspace.DRAFT)
    expect(mine).to_contain_text(workspace.SUBMITTED)
    expect(mine).to_contain_text("En attente de validation")
    expect(page.get_by_role("heading", name="Mes publications")).to_have_count(0)
    expect(menu_link(page, "Documents")).to_be_visible()
    shoot(page, "agent-merignac")

    mine.get_by_role("link", name=workspace.DRAFT).click()
    expect(page).to_have_url(re.compile(r"/admin/publications/edit/\d+/$"))
    expect(page.locator("input[name=title]")).to_have_value(workspace.DRAFT)

    page.goto("/admin/")
    page.get_by_role("link", name="Préparer un document").click()
    expect(page).to_have_url(re.compile(r"/admin/publications/new/$"))

    page.goto("/admin/")
    page.locator("#civis_agent-news").get_by_role("link", name=workspace.TEMPORARY).click()
    expect(page).to_have_url(re.compile(r"/documents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(workspace.TEMPORARY)


def test_metropole_publisher_home_is_about_the_metropole_only(page):
    sign_in(page, "editeur-metropole")
    mine = panel(page, "Mes publications")
    expect(mine).to_contain_text("Bordeaux Métropole")
    for title in workspace.TITLES:
        expect(mine).not_to_contain_text(title)
    expect(mine.locator("#civis_publisher-in_review")).to_contain_text(
        "Aucun document en attente de validation."
    )
    expect(mine.locator("#civis_publisher-drafts").get_by_role("link").first).to_be_visible()
    expect(menu_link(page, "Documents")).to_be_visible()
    shoot(page, "editeur-metropole")

    draft = mine.locator("#civis_publisher-drafts tbody a").first
    title = draft.inner_text().strip()
    draft.click()
    expect(page).to_have_url(re.compile(r"/admin/publications/edit/\d+/$"))
    expect(page.locator("input[name=title]")).to_have_value(title)

    page.goto("/admin/")
    page.get_by_role("link", name="Publier un document").click()
    expect(page).to_have_url(re.compile(r"/admin/publications/new/$"))


def test_region_administrator_home_shows_people_and_the_log(page):
    sign_in(page, "admin-region")
    admin = panel(page, "Administration de mon territoire")
    expect(admin).to_be_visible()
    expect(admin).to_contain_text("Personnes ayant un rôle")
    expect(admin.get_by_role("link", name=re.compile(r"^\d+ Éditeur$"))).to_have_text(
        re.compile(r"2\s+Éditeur")
    )
    audit = admin.locator("#civis_administrator-audit")
    expect(audit.locator("tbody tr").first).to_be_visible()
    assert audit.locator("tbody tr").count() <= 8
    for item in ("Droits d'accès", "Journal d'audit", "Documents"):
        expect(menu_link(page, item)).to_be_visible()
    shoot(page, "admin-region")

    admin.get_by_role("link", name="Gérer les droits d'accès").click()
    expect(page).to_have_url(re.compile(r"/admin/droits/$"))
    expect(page.get_by_role("link", name="Mérignac").first).to_be_visible()

    page.goto("/admin/")
    page.get_by_label("Trouver une personne (nom, identifiant ou adresse e-mail)").fill("Durand")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"/admin/droits/\?personne=Durand$"))
    expect(page.get_by_role("main")).to_contain_text("Alex Durand")

    page.goto("/admin/")
    page.locator("#civis_administrator-audit").get_by_role(
        "link", name="Tout le journal d'audit"
    ).click()
    expect(page).to_have_url(re.compile(r"/admin/journal/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Journal")
