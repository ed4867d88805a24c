"""What people see over HTTP: pages, downloads, the citizen's space, the API, feeds."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from documents.models import Audience, Document
from documents.selectors import documents_visible_to
from identity.models import User
from tests.documents.conftest import csv_upload, odt_upload

pytestmark = pytest.mark.django_db


def test_public_pdf_downloads_inline_with_protective_headers(client, publish):
    document = publish(title="Budget primitif")
    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert not AuditEvent.objects.filter(action="download").exists()  # public: not logged


@pytest.mark.parametrize("upload", [odt_upload, csv_upload])
def test_other_formats_are_always_attachments(client, publish, upload):
    document = publish(upload=upload())
    response = client.get(f"/api/v1/documents/{document.pk}/download")
    assert response["Content-Disposition"].startswith("attachment")


def test_reading_a_non_public_document_is_audited_with_who_and_where(client, territory, publish):
    document = publish(Audience.INTERNAL)
    client.force_login(territory.agent)
    assert client.get(f"/documents/{document.pk}/", REMOTE_ADDR="203.0.113.7").status_code == 200
    response = client.get(f"/documents/{document.pk}/telecharger")
    assert response["Cache-Control"] == "private, no-store"
    events = list(
        AuditEvent.objects.filter(document=document, action__in=["view", "download"]).values_list(
            "action", "actor__username", "ip_address"
        )
    )
    assert sorted(events) == [
        ("download", "agent-merignac", "127.0.0.1"),
        ("view", "agent-merignac", "203.0.113.7"),
    ]


def test_unreadable_documents_answer_404_on_every_path(client, territory, publish):
    document = publish(Audience.INTERNAL)
    client.force_login(territory.bordeaux_agent)
    for url in (
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/telecharger",
        f"/api/v1/documents/{document.pk}/",
        f"/api/v1/documents/{document.pk}/download",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/documents/999999/").status_code == 404


def test_idor_sweep_on_the_demo_for_three_unprivileged_users(client):
    call_command("civis_demo", stdout=io.StringIO())
    ids = list(Document.objects.values_list("pk", flat=True))
    assert len(ids) > 300
    for username in ("citoyen", "agent-merignac", None):
        user = User.objects.get(username=username) if username else None
        readable = set(documents_visible_to(user).values_list("pk", flat=True))
        assert 0 < len(readable) < len(ids)
        client.logout()
        if user:
            client.force_login(user)
        for pk in ids:
            for url in (f"/documents/{pk}/telecharger", f"/api/v1/documents/{pk}/"):
                expected = 200 if pk in readable else 404
                assert client.get(url).status_code == expected, (username, url)


def test_citizen_space_lists_documents_addressed_to_me_with_filters(client, territory, publish):
    mine = publish(
        Audience.PERSONAL,
        addressee=territory.citizen,
        title="Attestation",
        document_type="attestation",
    )
    publish(
        Audience.PERSONAL,
        addressee=territory.citizen,
        owner=territory.bordeaux,
        title="Certificat de Bordeaux",
        document_type="autre",
    )
    publish(Audience.PERSONAL, addressee=territory.other_citizen, title="Pas à moi")
    publish(Audience.PUBLIC, title="Public")
    assert client.get("/mon-espace/").status_code == 302  # sign in first
    client.force_login(territory.citizen)
    html = client.get("/mon-espace/").content.decode()
    assert "Attestation" in html and "Certificat de Bordeaux" in html
    assert "Pas à moi" not in html and ">Public<" not in html
    filtered = client.get(
        "/mon-espace/", {"collectivite": territory.merignac.pk, "type": "attestation"}
    )
    assert [d.pk for d in filtered.context["page_obj"]] == [mine.pk]
    assert client.get("/mon-espace/", {"type": "inconnu"}).status_code == 400


def test_api_lists_with_filters_pagination_and_clear_errors(client, territory, publish):
    for i in range(5):
        publish(
            title=f"Délibération {i}",
            document_type="deliberation",
            published_on=f"2026-0{i + 1}-15",
        )
    publish(owner=territory.bordeaux, title="Arrêté", document_type="arrete")
    publish(Audience.INTERNAL, title="Note interne")
    data = client.get("/api/v1/documents/", {"page_size": 2}).json()
    assert data["count"] == 6 and len(data["results"]) == 2 and data["next"]
    assert client.get("/api/v1/documents/", {"type": "deliberation"}).json()["count"] == 5
    assert client.get("/api/v1/documents/", {"authority_code": "33063"}).json()["count"] == 1
    assert (
        client.get(
            "/api/v1/documents/",
            {"published_after": "2026-03-01", "published_before": "2026-04-30"},
        ).json()["count"]
        == 2
    )
    item = client.get("/api/v1/documents/", {"type": "arrete"}).json()["results"][0]
    assert item["authority"]["insee_code"] == "33063"
    assert item["licence"] == "lo-2.0" and item["file"]["mime_type"] == "application/pdf"
    for params, field in [
        ({"type": "xyz"}, "type"),
        ({"published_after": "hier"}, "published_after"),
        ({"page": "0"}, "page"),
        ({"page": "99"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"authority": "abc"}, "authority"),
        ({"authority_code": "00000"}, "authority_code"),
    ]:
        response = client.get("/api/v1/documents/", params)
        assert response.status_code == 400, params
        assert response.json()["field"] == field


def test_feed_and_sitemap_list_public_documents_only(client, publish):
    public = publish(title="Délibération publique")
    internal = publish(Audience.INTERNAL, title="Note interne confidentielle")
    feed = client.get("/documents/flux/").content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "Délibération publique" in feed and internal.title not in feed
    assert f"/documents/{public.pk}/" in sitemap and f"/documents/{internal.pk}/" not in sitemap


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_from_10_to_1000_documents(client, territory, publish):
    for i in range(10):
        publish(
            Audience.PERSONAL if i % 2 else Audience.PUBLIC,
            title="Délibération",
            addressee=territory.citizen if i % 2 else None,
        )
    client.force_login(territory.citizen)
    urls = ["/api/v1/documents/?page_size=100", "/mon-espace/", "/documents/flux/", "/sitemap.xml"]
    for url in urls:  # fill the shared cache (a table) so both counts read it alike
        client.get(url)
    for url in urls:  # warm the shared cache (Wagtail's site root paths), as in production
        _queries(client, url)
    small = {url: _queries(client, url) for url in urls}
    template = Document.objects.first()
    Document.objects.bulk_create(
        [
            Document(
                owner=template.owner,
                title=f"D{i}",
                status="published",
                audience=Audience.PERSONAL if i % 2 else Audience.PUBLIC,
                addressee=territory.citizen if i % 2 else None,
                current_version=template.current_version,
            )
            for i in range(990)
        ]
    )
    assert Document.objects.count() == 1000
    large = {url: _queries(client, url) for url in urls}
    assert large == small


def test_malformed_integers_are_400s_not_500s(client, territory, publish):
    """Issue 18, finding 8: "²".isdigit() is true but int("²") raises; a huge id overflowed
    SQLite. The full matrix is tests/api/test_integer_parameters.py."""
    document = publish()
    client.force_login(territory.citizen)
    for params in ({"collectivite": "²"}, {"collectivite": "9" * 30}, {"page": "¹"}, {"page": "0"}):
        assert client.get("/mon-espace/", params).status_code == 400, params
    for url in ("/api/v1/documents/%C2%B2/", f"/api/v1/documents/{'9' * 30}/download"):
        response = client.get(url)
        assert response.status_code == 400 and response.json()["field"] == "document_id"
    assert client.get("/api/v1/documents/", {"authority": "²"}).json()["field"] == "authority"
    assert client.get(f"/api/v1/documents/{document.pk}/").status_code == 200
