"""The regional administrator finds a person by name, grants a role, and reads that change in
the audit log at the right local (Paris) time — all through the admin's pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-rights-{name}.png"), full_page=True)


def test_the_regional_administrator_finds_a_person_grants_a_role_and_reads_it_in_the_log(page):
    from django.utils import timezone

    from audit.models import AuditEvent
    from documents.admin.audit_text import PARIS

    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("admin-region")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/admin/droits/")
    page.get_by_label("Nom, identifiant de connexion ou adresse électronique").fill("Durand")
    page.get_by_role("button", name="Chercher la personne").click()
    found = page.locator("table.civis-people-found")
    expect(found).to_contain_text("agent-merignac")
    expect(found).to_contain_text("Agent — Mérignac")
    shot(page, "1-search")
    found.get_by_role("link", name="Alex Durand").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Durand")

    page.get_by_label("Collectivité", exact=True).select_option(label="Bordeaux Métropole")
    page.get_by_label("Rôle", exact=True).select_option(label="Éditeur")
    shot(page, "2-person")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("dl.civis-grantee")).to_contain_text("agent-merignac")
    page.get_by_role("button", name="Confirmer l'attribution").click()

    confirmation = page.get_by_role("status").filter(has_text="accordé")
    expect(confirmation).to_contain_text(
        "Rôle « Éditeur » accordé à Alex Durand (agent-merignac) pour Bordeaux Métropole."
    )
    expect(page.locator("table.listing")).to_contain_text("Bordeaux Métropole")
    shot(page, "3-granted")

    event = AuditEvent.objects.filter(action="role", detail__change="grant").latest("at")
    local = timezone.localtime(event.at, PARIS).strftime("%d/%m/%Y %H:%M")
    utc = event.at.astimezone(timezone.UTC).strftime("%d/%m/%Y %H:%M")
    assert local != utc  # Paris is never UTC: the test tells the two apart

    page.goto("/admin/")
    page.get_by_role("link", name="Journal d'audit").first.click()
    expect(page).to_have_url(re.compile(r"/admin/journal/"))
    expect(page.get_by_role("columnheader", name="Date (heure de Paris)")).to_be_visible()
    row = page.locator("table.civis-audit-log tbody tr").filter(has_text="accordé le rôle")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(
        "Claude Moreau (admin-region) a accordé le rôle « Éditeur » à Alex Durand "
        "(agent-merignac) pour Bordeaux Métropole"
    )
    expect(row.locator("td").first).to_contain_text(local)
    expect(row.locator("td").first).not_to_contain_text(utc)
    shot(page, "4-audit-log")

    # The person's own trail, from the filter a person page links to.
    page.get_by_label("Rechercher (titre de document, nom, identifiant)").fill("Alex Durand")
    page.get_by_role("button", name="Filtrer").click()
    expect(row).to_have_count(1)
