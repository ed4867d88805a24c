"""Production error pages (issue 18, finding 16): 400, 403, 404 and 500 in the portal's
layout, French first (English when chosen), a way on, no detail; "not allowed" and "does not
exist" stay one byte-identical 404. The suite runs with debug off, like production."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import path

import civis.urls
from civis.portal import views as portal_views
from documents.models import Audience
from tests.documents.conftest import *  # noqa: F403 - the territory and publish fixtures

pytestmark = pytest.mark.django_db
SECRET = "détail-interne-à-ne-pas-montrer"


def boom(request):
    raise RuntimeError(SECRET)


def forbidden(request):
    raise PermissionDenied(SECRET)


def suspicious(request):
    raise SuspiciousOperation(SECRET)


# A URL configuration with views that fail, and the portal's own handlers.
urlpatterns = [
    path("boom/", boom),
    path("interdit/", forbidden),
    path("louche/", suspicious),
    *civis.urls.urlpatterns,
]
handler400 = civis.urls.handler400
handler403 = civis.urls.handler403
handler404 = civis.urls.handler404
handler500 = civis.urls.handler500


@pytest.fixture
def failing(settings):
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def assert_portal_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'href="/recherche/"' in html and 'href="/"' in html  # a way on
    assert SECRET not in html and "Traceback" not in html
    return html


def test_a_missing_page_is_a_french_404_in_the_portal_layout(client):
    html = assert_portal_page(client.get("/nulle-part/"), 404, "Page introuvable")
    assert '<html lang="fr">' in html
    # Anonymous: maybe a document reserved to someone: sign in and come back.
    assert 'href="/connexion/?next=/nulle-part/"' in html


def test_the_404_speaks_english_when_english_was_chosen(client):
    client.cookies["django_language"] = "en"
    html = assert_portal_page(client.get("/nulle-part/"), 404, "Page not found")
    assert '<html lang="en">' in html and "What next?" in html


def test_signed_in_visitors_are_not_asked_to_sign_in(client, territory):
    client.force_login(territory.agent)
    html = assert_portal_page(client.get("/nulle-part/"), 404, "Page introuvable")
    assert "/connexion/?next=" not in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_not_allowed_and_not_existing_are_byte_identical(client, territory, publish, signed_in):
    if signed_in:
        client.force_login(territory.bordeaux_agent)
    document = publish(Audience.INTERNAL)
    url = f"/documents/{document.pk}/"
    not_allowed = client.get(url)
    document.delete()
    not_existing = client.get(url)
    assert not_allowed.status_code == not_existing.status_code == 404
    assert not_allowed.content == not_existing.content
    for header in (
        "Content-Type",
        "Content-Length",
        "Cache-Control",
        "Vary",
        "Content-Security-Policy",
    ):
        assert not_allowed.get(header) == not_existing.get(header), header


def test_the_500_page_needs_neither_the_database_nor_the_request(
    failing, django_assert_num_queries
):
    html = assert_portal_page(failing.get("/boom/"), 500, "Le service rencontre un problème")
    assert "Se connecter" in html
    request = RequestFactory().get("/boom/")
    with django_assert_num_queries(0), connection.execute_wrapper(refuse_queries):
        response = portal_views.server_error(request)
    assert_portal_page(response, 500, "Le service rencontre un problème")


def refuse_queries(execute, sql, params, many, context):
    raise AssertionError("the 500 page queried the database")


def test_the_500_page_falls_back_to_plain_html_if_its_template_fails(failing, monkeypatch):
    def broken(name, *args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(portal_views.loader, "get_template", broken)
    response = failing.get("/boom/")
    assert response.status_code == 500
    assert "Le service rencontre un problème" in response.content.decode()


def test_403_and_400_pages(failing):
    assert_portal_page(failing.get("/interdit/"), 403, "Accès refusé")
    assert_portal_page(failing.get("/louche/"), 400, "Requête incorrecte")


def test_a_csrf_refusal_is_a_french_403_in_the_portal_layout(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/connexion/", {"username": "x", "password": "y"})
    assert_portal_page(response, 403, "Formulaire expiré")


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_pages_are_never_cached(failing, status):
    url = {400: "/louche/", 403: "/interdit/", 404: "/nulle-part/", 500: "/boom/"}[status]
    response = failing.get(url)
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"
