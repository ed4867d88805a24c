"""Response headers of issue 18: Content-Security-Policy and Permissions-Policy (finding 14),
HEAD answered like GET and downloads that shared caches revalidate (finding 17)."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.template import engines

from core.middleware import SecurityHeadersMiddleware
from documents import services
from documents.models import Audience
from tests.documents.conftest import *  # noqa: F403 - the territory and publish fixtures
from tests.factories import make_oidc_provider

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


# --- Content-Security-Policy --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/recherche/?q=budget", "/connexion/", "/nulle-part/"])
def test_portal_pages_have_a_strict_policy(client, url):
    found = directives(client.get(url))
    assert found["default-src"] == "'self'"
    assert found["script-src"] == "'self'"  # no 'unsafe-inline', nonce only when used
    assert found["style-src"] == "'self'"
    assert found["img-src"] == "'self' data:"
    assert found["object-src"] == "'none'"
    assert found["base-uri"] == "'self'"
    assert found["frame-ancestors"] == "'none'"
    assert found["form-action"] == "'self'"


def test_the_admin_allows_inline_script_and_style_and_nothing_more(client):
    found = directives(client.get("/admin/login/"))
    assert found["script-src"] == "'self' 'unsafe-inline'"
    assert found["style-src"] == "'self' 'unsafe-inline'"
    assert found["object-src"] == "'none'" and found["default-src"] == "'self'"
    assert found["frame-ancestors"] == "'self'"  # the page preview is an admin iframe


def test_a_template_script_gets_the_nonce_of_the_header(rf):
    template = engines["django"].from_string(
        '<script nonce="{{ csp_nonce }}" src="/static/x.js"></script>'
    )

    def view(request):
        return HttpResponse(template.render({}, request))

    chain = ContentSecurityPolicyMiddleware(SecurityHeadersMiddleware(view))
    response = chain(rf.get("/"))
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]


def test_form_action_lists_the_enabled_oidc_providers_only(client, territory):
    make_oidc_provider(
        "agents",
        "https://sso.example.fr/realms/mairie",
        client_id="c",
        client_secret="s",
        end_session_endpoint="https://logout.example.fr/end",
    )
    make_oidc_provider(
        "ancien", "https://old.example.fr", client_id="c", client_secret="s", enabled=False
    )
    found = directives(client.get("/connexion/"))
    assert found["form-action"] == "'self' https://logout.example.fr https://sso.example.fr"
    # Non-HTML answers are not worth a query: the static policy.
    assert directives(client.get("/api/v1/documents/"))["form-action"] == "'self'"
    # An anonymous page has no form leading to a provider; a signed-in one has sign-out.
    assert directives(client.get("/recherche/"))["form-action"] == "'self'"
    client.force_login(territory.citizen)
    found = directives(client.get("/recherche/"))
    assert found["form-action"] == "'self' https://logout.example.fr https://sso.example.fr"


def test_downloads_keep_their_own_sandboxed_policy(client, publish):
    document = publish()
    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")


def test_permissions_policy_denies_powerful_features(client):
    policy = client.get("/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


# --- HEAD like GET --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/recherche/?q=budget", "document", "download", "/api/v1/documents/", "api", "/healthz"],
)
def test_head_answers_like_get_without_a_body(client, publish, path):
    document = publish()
    url = {
        "document": f"/documents/{document.pk}/",
        "download": f"/documents/{document.pk}/telecharger",
        "api": f"/api/v1/documents/{document.pk}/",
    }.get(path, path)
    got = client.get(url)
    head = client.head(url)
    assert got.status_code == head.status_code == 200, url
    body = b"".join(got.streaming_content) if got.streaming else got.content
    assert head.get("Content-Length") == str(len(body))
    assert head.get("Content-Type") == got.get("Content-Type")
    assert head.get("Cache-Control") == got.get("Cache-Control")
    head_body = b"".join(head.streaming_content) if head.streaming else head.content
    assert head_body == b""


def test_head_of_an_unreadable_document_is_the_same_404(client, publish):
    document = publish(Audience.INTERNAL)
    assert client.head(f"/documents/{document.pk}/").status_code == 404
    assert client.head(f"/documents/{document.pk}/telecharger").status_code == 404


def test_head_does_not_open_a_post_only_view(client):
    assert client.head("/deconnexion/").status_code == 405


# --- Downloads and shared caches ------------------------------------------------------------------


def test_public_downloads_are_revalidated_by_shared_caches(client, publish):
    document = publish()
    url = f"/documents/{document.pk}/telecharger"
    response = client.get(url)
    assert response["Cache-Control"] == "public, no-cache"
    assert "max-age" not in response["Cache-Control"]
    etag = response["ETag"]
    assert etag.startswith('"') and response["Last-Modified"]
    # A cache that asks again with its validator gets a 304 while nothing changed...
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    # ...and a 404 as soon as the document is withdrawn: the copy is not served any more.
    services.document_withdraw(actor=None, document=document)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404
    api = client.get(f"/api/v1/documents/{document.pk}/download")
    assert api.status_code == 404


def test_the_api_download_carries_the_same_cache_headers(client, publish):
    document = publish()
    response = client.get(f"/api/v1/documents/{document.pk}/download")
    assert response["Cache-Control"] == "public, no-cache" and response["ETag"]


def test_non_public_downloads_are_never_stored(client, territory, publish):
    document = publish(Audience.INTERNAL)
    client.force_login(territory.agent)
    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


def test_a_page_preview_may_be_framed_by_the_admin(rf):
    request = rf.get("/")
    request.is_preview = True

    def view(request):
        return HttpResponse("<p>aperçu</p>")

    response = SecurityHeadersMiddleware(view)(request)
    assert response._csp_config["frame-ancestors"] == ["'self'"]
