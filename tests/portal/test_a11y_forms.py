"""Forms a person can use without seeing the screen: errors listed first and tied to their
fields; the portal's name (never the host) in titles; messages after sign-out; what is new in
the citizen space since the last visit."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from civis.portal.models import CitizenSpaceVisit
from documents.models import Document
from identity.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "demo-civis-2026"


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


def test_sign_in_page_names_the_portal_never_the_host(demo, client):
    html = client.get("/connexion/").content.decode()
    assert title(html) == "Connexion — Civis Data"
    assert '<span class="brand-name">Civis Data</span>' in html
    assert "testserver" not in html.split("<main")[0]


def test_wrong_password_gives_an_error_summary_tied_to_the_fields(demo, client):
    response = client.post("/connexion/", {"username": "citoyen", "password": "faux"})
    assert response.status_code == 200
    html = response.content.decode()
    assert title(html).startswith("Erreur : Connexion — Civis Data")
    assert 'id="resume-erreurs" role="alert" tabindex="-1"' in html
    assert '<a href="#id_password">Mot de passe : ' in html
    assert 'aria-invalid="true" aria-describedby="id_credentials-error"' in html
    assert 'id="id_credentials-error"' in html
    # The summary comes before the page heading.
    assert html.index("resume-erreurs") < html.index("<h1>")


def test_empty_fields_each_get_their_message(demo, client):
    html = client.post("/connexion/", {"username": "", "password": ""}).content.decode()
    assert '<a href="#id_username">Identifiant : ' in html
    assert '<a href="#id_password">Mot de passe : ' in html
    assert 'id="id_username-error"' in html and 'aria-describedby="id_username-error"' in html
    assert 'id="id_password-error"' in html and 'aria-describedby="id_password-error"' in html


def test_a_page_without_error_has_no_error_prefix(demo, client):
    assert title(client.get("/connexion/").content.decode()) == "Connexion — Civis Data"


def test_sign_out_is_confirmed(demo, client):
    client.force_login(User.objects.get(username="citoyen"))
    response = client.post("/deconnexion/", follow=True)
    html = response.content.decode()
    assert "Vous êtes déconnecté" in html
    assert 'role="status"' in html


def test_citizen_space_tells_what_is_new_since_the_last_visit(demo, client):
    citizen = User.objects.get(username="citoyen")
    client.force_login(citizen)
    first = client.get("/mon-espace/").content.decode()
    assert "depuis votre dernière visite" not in first
    visit = CitizenSpaceVisit.objects.get(user=citizen)
    # Two documents arrived after a visit three days ago.
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    visit.seen_at = three_days_ago
    visit.save()
    # The two marked new are the first two the space lists (newest first, paged).
    personal = Document.objects.filter(addressee=citizen).order_by("-published_on", "-pk")
    personal.update(created_at=three_days_ago - datetime.timedelta(days=30))
    Document.objects.filter(pk__in=list(personal.values_list("pk", flat=True)[:2])).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    html = client.get("/mon-espace/").content.decode()
    assert "2 nouveaux documents depuis votre dernière visite le" in html
    assert html.count("badge-new") == 2 + html.count(".badge-new")
    again = client.get("/mon-espace/").content.decode()
    assert "Aucun nouveau document depuis votre dernière visite le" in again
    assert CitizenSpaceVisit.objects.filter(user=citizen).count() == 1
