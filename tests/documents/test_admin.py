"""Agents publish from the Wagtail admin; administrators read their audit log there."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from documents.filegen import make_odt, make_pdf
from documents.models import Document, Status
from tests.documents.conftest import stored_files

pytestmark = pytest.mark.django_db


def _form(territory, **overrides):
    data = {
        "owner": territory.merignac.pk, "title": "Délibération n° 2026-40 — cantine scolaire",
        "summary": "Tarifs de la restauration scolaire.", "document_type": "deliberation",
        "published_on": "2026-11-20", "audience": "public", "licence": "lo-2.0",
        "tag_names": "écoles, cantine", "status_action": "publish", "addressee_username": "",
        "file": SimpleUploadedFile("deliberation.pdf", make_pdf("Délibération", ["Cantine."]),
                                   content_type="application/pdf"),
    }
    data.update(overrides)
    return data


def test_a_publisher_publishes_from_the_admin(client, territory):
    client.force_login(territory.publisher)
    assert client.get(reverse("civis_documents:index")).status_code == 200
    response = client.post(reverse("civis_documents:add"), _form(territory))
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get()
    assert document.status == Status.PUBLISHED and document.owner == territory.merignac
    assert sorted(document.tags.names()) == ["cantine", "écoles"]
    assert client.get(f"/documents/{document.pk}/").status_code == 200

    edit = reverse("civis_documents:edit", args=[document.pk])
    response = client.post(edit, _form(territory, title="Délibération modifiée",
                                       status_action="", file=SimpleUploadedFile(
                                           "v2.odt", make_odt("V2", ["Texte"]))))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Délibération modifiée"
    assert document.versions.count() == 2


def test_a_hostile_upload_in_the_admin_is_a_clear_form_error(client, territory,
                                                             private_storage):
    client.force_login(territory.publisher)
    response = client.post(reverse("civis_documents:add"), _form(
        territory, file=SimpleUploadedFile("rapport.pdf", b"<html><script>alert(1)</script>")))
    assert response.status_code == 200
    assert "contenu" in response.content.decode().lower()
    assert Document.objects.count() == 0
    assert stored_files(private_storage) == []


def test_a_publisher_cannot_publish_for_another_authority(client, territory):
    client.force_login(territory.publisher)
    response = client.post(reverse("civis_documents:add"),
                           _form(territory, owner=territory.bordeaux.pk))
    assert response.status_code == 200
    assert Document.objects.count() == 0


def test_the_admin_lists_only_documents_the_agent_may_edit(client, territory, publish):
    mine = publish(title="Document de Mérignac")
    theirs = publish(owner=territory.bordeaux, title="Document de Bordeaux")
    client.force_login(territory.publisher)
    html = client.get(reverse("civis_documents:index")).content.decode()
    assert mine.title in html and theirs.title not in html
    assert client.get(reverse("civis_documents:edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("civis_documents:edit", args=[theirs.pk]),
                           {"title": "Piraté"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Document de Bordeaux"


def test_audit_log_is_for_administrators_of_the_authority(client, territory, publish):
    publish(title="Document audité")
    client.force_login(territory.agent)
    assert client.get(reverse("civis_audit_log")).status_code in (302, 403)
    client.force_login(territory.region_admin)
    response = client.get(reverse("civis_audit_log"))
    assert response.status_code == 200
    assert "Document audité" in response.content.decode()
    assert AuditEvent.objects.filter(action="publish").exists()
