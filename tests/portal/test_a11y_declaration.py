"""The accessibility declaration (RGAA 4.1) and its plan: built from what the administrators
keep in the admin, linked from every page's footer with the real status."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from civis.portal.models import AccessibilityDeclaration, Compliance, compliance_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (None, Compliance.NONE),
        (Decimal("0"), Compliance.NONE),
        (Decimal("49.99"), Compliance.NONE),
        (Decimal("50"), Compliance.PARTIAL),
        (Decimal("99.99"), Compliance.PARTIAL),
        (Decimal("100"), Compliance.FULL),
    ],
)
def test_the_status_follows_the_rgaa_rule(rate, expected):
    assert compliance_for(rate) == expected


def test_without_an_audit_the_portal_says_non_conforme_everywhere(demo, client):
    html = client.get("/").content.decode()
    assert 'href="/accessibilite/"' in html
    assert "Accessibilité : non conforme" in html
    assert 'href="/accessibilite/schema-pluriannuel/"' in html
    page = client.get("/accessibilite/").content.decode()
    assert "Déclaration d'accessibilité" in page
    assert "est non conforme avec le référentiel général" in page
    assert "aucun audit" in page
    assert "Défenseur des droits" in page
    assert "Libre réponse 71120" in page


def test_the_page_and_the_footer_show_what_the_administrators_entered(demo, client):
    declaration = AccessibilityDeclaration.load()
    declaration.compliance_rate = Decimal("72.5")
    declaration.audit_date = datetime.date(2026, 9, 14)
    declaration.auditor = "Cabinet Exemple"
    declaration.non_compliant = "Les cartes interactives n'ont pas d'alternative textuelle\n\n"
    declaration.derogations = "Les archives numérisées avant 2010"
    declaration.contact_email = "accessibilite@example.org"
    declaration.save()
    html = client.get("/recherche/").content.decode()
    assert "Accessibilité : partiellement conforme" in html
    page = client.get("/accessibilite/").content.decode()
    assert "Cabinet Exemple le 14 septembre 2026" in page
    assert "72,5 % des critères" in page
    assert "<li>Les cartes interactives n&#x27;ont pas d&#x27;alternative textuelle</li>" in page
    assert "<li>Les archives numérisées avant 2010</li>" in page
    assert 'href="mailto:accessibilite@example.org"' in page
    declaration.compliance_rate = Decimal("100")
    declaration.save()
    assert "Accessibilité : totalement conforme" in client.get("/").content.decode()


def test_the_plan_page_lists_the_scheme_and_the_actions(demo, client):
    response = client.get("/accessibilite/schema-pluriannuel/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Schéma pluriannuel 2026-2028" in html
    assert "Plan d'actions de l'année" in html
    assert "premier audit RGAA 4.1" in html


@pytest.mark.parametrize(
    "path", ["/connexion/", "/recherche/?q=x", "/trouver-ma-collectivite/", "/nexiste-pas/"]
)
def test_every_page_footer_links_the_declaration(demo, client, path):
    html = client.get(path).content.decode()
    assert 'href="/accessibilite/"' in html


def test_the_declaration_is_a_setting_in_the_admin(demo, client):
    from identity.models import User

    client.force_login(User.objects.get(username="admin-region"))
    response = client.get("/admin/settings/portal/accessibilitydeclaration/")
    assert response.status_code in (200, 302)
