"""Agents publish from the Wagtail admin; administrators read their audit log there."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_odt, make_pdf
from documents.models import Audience, Document, Status
from tests.documents.conftest import stored_files

pytestmark = pytest.mark.django_db


def _form(territory, **overrides):
    data = {
        "owner": territory.merignac.pk,
        "title": "Délibération n° 2026-40 — cantine scolaire",
        "summary": "Tarifs de la restauration scolaire.",
        "document_type": "deliberation",
        "published_on": "2026-11-20",
        "audience": "public",
        "licence": "lo-2.0",
        "tag_names": "écoles, cantine",
        "status_action": "publish",
        "addressee_username": "",
        "file": SimpleUploadedFile(
            "deliberation.pdf",
            make_pdf("Délibération", ["Cantine."]),
            content_type="application/pdf",
        ),
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
    response = client.post(
        edit,
        _form(
            territory,
            title="Délibération modifiée",
            status_action="",
            file=SimpleUploadedFile("v2.odt", make_odt("V2", ["Texte"])),
        ),
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Délibération modifiée"
    assert document.versions.count() == 2


def test_a_hostile_upload_in_the_admin_is_a_clear_form_error(client, territory, private_storage):
    client.force_login(territory.publisher)
    response = client.post(
        reverse("civis_documents:add"),
        _form(
            territory, file=SimpleUploadedFile("rapport.pdf", b"<html><script>alert(1)</script>")
        ),
    )
    assert response.status_code == 200
    assert "contenu" in response.content.decode().lower()
    assert Document.objects.count() == 0
    assert stored_files(private_storage) == []


def test_a_publisher_cannot_publish_for_another_authority(client, territory):
    client.force_login(territory.publisher)
    response = client.post(
        reverse("civis_documents:add"), _form(territory, owner=territory.bordeaux.pk)
    )
    assert response.status_code == 200
    assert Document.objects.count() == 0


def test_the_admin_lists_only_documents_the_agent_may_edit(client, territory, publish):
    mine = publish(title="Document de Mérignac")
    theirs = publish(owner=territory.bordeaux, title="Document de Bordeaux")
    client.force_login(territory.publisher)
    html = client.get(reverse("civis_documents:index")).content.decode()
    assert mine.title in html and theirs.title not in html
    assert client.get(reverse("civis_documents:edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("civis_documents:edit", args=[theirs.pk]), {"title": "Piraté"})
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


def _suggested(client, term: str, url: str = "/admin/tag-autocomplete/") -> list[str]:
    response = client.get(url, {"term": term})
    assert response.status_code == 200
    return response.json()


def test_tag_suggestions_come_only_from_documents_the_agent_may_read(client, territory, publish):
    publish(
        owner=territory.bordeaux,
        audience=Audience.RESTRICTED,
        publish=False,
        title="Brouillon",
        tags=["rsa-dossier-brouillon"],
    )
    publish(
        owner=territory.bordeaux,
        audience=Audience.PERSONAL,
        addressee=territory.citizen,
        title="Courrier",
        tags=["rsa-dossier-citoyen"],
    )
    publish(
        owner=territory.merignac,
        audience=Audience.PERSONAL,
        addressee=territory.other_citizen,
        title="Avis",
        tags=["rsa-avis-merignac"],
    )
    publish(owner=territory.bordeaux, title="Public", tags=["rsa-public"])
    publish(
        owner=territory.merignac,
        audience=Audience.RESTRICTED,
        publish=False,
        title="Mon brouillon",
        tags=["rsa-mon-brouillon"],
    )

    client.force_login(territory.publisher)
    for url in ("/admin/tag-autocomplete/", "/admin/tag-autocomplete/taggit/tag/"):
        assert _suggested(client, "rsa", url) == [
            "rsa-avis-merignac",
            "rsa-mon-brouillon",
            "rsa-public",
        ]
        assert _suggested(client, "RSA-DOSSIER", url) == []
    # The territory administrator edits the drafts below them, not the personal documents.
    client.force_login(territory.region_admin)
    assert _suggested(client, "rsa") == ["rsa-dossier-brouillon", "rsa-mon-brouillon", "rsa-public"]
    assert _suggested(client, "") == []


def test_the_audit_log_hides_personal_titles_and_readers_from_administrators_above(
    client, territory, publish
):
    from audit.services import audit_record
    from identity.services import membership_grant
    from tests.factories import make_user

    reader = make_user("zz-citoyenne-lecteur")
    personal = publish(
        owner=territory.merignac,
        audience=Audience.PERSONAL,
        addressee=reader,
        title="Zz avis de droits RSA",
    )
    restricted = publish(
        owner=territory.merignac, audience=Audience.RESTRICTED, title="Zz note restreinte"
    )
    citizen = client.__class__()
    citizen.force_login(reader)
    assert citizen.get(f"/documents/{personal.pk}/").status_code == 200
    assert citizen.get(f"/documents/{personal.pk}/telecharger").status_code == 200
    audit_record(
        actor=territory.publisher,
        action=AuditEvent.Action.UPDATE,
        document=personal,
        changed={"title": ["Zz ancien titre RSA", personal.title]},
    )
    assert AuditEvent.objects.filter(document=personal, actor=reader).count() == 2

    client.force_login(territory.region_admin)
    html = client.get(reverse("civis_audit_log")).content.decode()
    assert "Zz avis" not in html and "Zz ancien" not in html
    assert f"Document n° {personal.pk}" in html
    assert "zz-citoyenne-lecteur" not in html
    assert restricted.title in html  # the administrator above edits (so reads) this one
    assert "editeur-merignac" in html  # who changed the personal document stays visible

    # An administrator of the owner is one of its agents: they see it all.
    merignac_admin = make_user("admin-merignac", kind="agent")
    membership_grant(actor=None, user=merignac_admin, authority=territory.merignac, role="admin")
    client.force_login(merignac_admin)
    html = client.get(reverse("civis_audit_log")).content.decode()
    assert personal.title in html and "zz-citoyenne-lecteur" in html
    assert "Zz ancien titre RSA" in html


def test_the_audit_log_page_costs_the_same_for_few_and_many_documents(client, territory, publish):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(territory.region_admin)
    counts = []
    for n in (2, 20):
        for i in range(n):
            publish(
                owner=territory.merignac,
                audience=Audience.PERSONAL,
                addressee=territory.citizen,
                title=f"Personnel {n}-{i}",
            )
            publish(owner=territory.bordeaux, title=f"Public {n}-{i}")
        client.get(reverse("civis_audit_log"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("civis_audit_log")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
