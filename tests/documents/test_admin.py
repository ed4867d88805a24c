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
        "civis_action": "publish",
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
            civis_action="save",
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
    # Their only authority is chosen already: a forged owner is ignored, never obeyed.
    client.post(reverse("civis_documents:add"), _form(territory, owner=territory.bordeaux.pk))
    assert not Document.objects.filter(owner=territory.bordeaux).exists()
    # With several choices, one outside their scope is a form error.
    outside = make_authority_outside()
    client.force_login(territory.region_admin)
    response = client.post(reverse("civis_documents:add"), _form(territory, owner=outside.pk))
    assert response.status_code == 200
    assert not Document.objects.filter(owner=outside).exists()


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
        # Not "rsa-avis-merignac": a personal document of Mérignac the publisher neither
        # created nor was granted is not theirs to read (issue 11).
        assert _suggested(client, "rsa", url) == ["rsa-mon-brouillon", "rsa-public"]
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

    # An administrator of the owner sees who read it, but no longer its title: a personal
    # document is read by its addressee, its creator and grant holders only (issue 11).
    merignac_admin = make_user("admin-merignac", kind="agent")
    membership_grant(actor=None, user=merignac_admin, authority=territory.merignac, role="admin")
    client.force_login(merignac_admin)
    html = client.get(reverse("civis_audit_log")).content.decode()
    assert personal.title not in html and "zz-citoyenne-lecteur" in html
    assert f"Document n° {personal.pk}" in html
    assert "Zz ancien titre RSA" not in html


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


# --- Issue 10: publishing in few steps, scheduling, review --------------------------------


def _edit(client, document, **overrides):
    """Post the edit form of ``document`` as it stands, with ``overrides``."""
    data = {
        "title": document.title,
        "summary": document.summary,
        "document_type": document.document_type,
        "published_on": document.published_on.isoformat() if document.published_on else "",
        "audience": document.audience,
        "licence": document.licence,
        "tag_names": ", ".join(sorted(document.tags.names())),
        "addressee_username": "",
        "civis_action": "save",
    }
    data.update(overrides)
    return client.post(reverse("civis_documents:edit", args=[document.pk]), data)


def _messages(response) -> list[str]:
    """The message the last action left (its text, without Wagtail's buttons)."""
    return [str(m).split("\n")[0].strip() for m in response.wsgi_request._messages][-1:]


def test_the_only_authority_is_chosen_already(client, territory):
    client.force_login(territory.publisher)
    html = client.get(reverse("civis_documents:add")).content.decode()
    assert "Vous publiez pour Mérignac" in html
    form = _form(territory)
    del form["owner"]
    response = client.post(reverse("civis_documents:add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert document.owner == territory.merignac and document.status == Status.PUBLISHED
    assert response["Location"] == reverse("civis_documents:edit", args=[document.pk])
    assert _messages(response) == [f"« {document.title} » est publié."]


def test_the_chosen_file_is_kept_after_a_form_error(client, territory, private_storage):
    client.force_login(territory.publisher)
    response = client.post(reverse("civis_documents:add"), _form(territory, title=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fichier conservé : deliberation.pdf (" in html
    assert "choisissez-en un autre pour le remplacer" in html
    assert Document.objects.count() == 0 and stored_files(private_storage) == []
    token = response.context["form"].data["kept_file"]
    assert token and f'value="{token}"' in html

    # Corrected, without choosing the file again: the kept one is stored.
    form = _form(territory, kept_file=token)
    del form["file"]
    response = client.post(reverse("civis_documents:add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert document.current_version.file_name == "deliberation.pdf"
    assert document.current_version.file.read()[:5] == b"%PDF-"
    # Used once: the token is spent.
    again = client.post(reverse("civis_documents:add"), form)
    assert again.status_code == 200 and Document.objects.count() == 1


def test_a_kept_file_belongs_to_the_person_who_chose_it(client, territory):
    client.force_login(territory.publisher)
    response = client.post(reverse("civis_documents:add"), _form(territory, title=""))
    token = response.context["form"].data["kept_file"]
    client.force_login(territory.metro_publisher)
    form = _form(territory, owner=territory.metropole.pk, kept_file=token)
    del form["file"]
    response = client.post(reverse("civis_documents:add"), form)
    assert response.status_code == 200
    assert "Choisissez le fichier" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_refused_file_is_not_kept(client, territory):
    client.force_login(territory.publisher)
    response = client.post(
        reverse("civis_documents:add"),
        _form(territory, title="", file=SimpleUploadedFile("x.pdf", b"<html><script>")),
    )
    assert response.status_code == 200
    assert "Fichier conservé" not in response.content.decode()
    assert not response.context["form"].data.get("kept_file")


def test_the_edit_screen_shows_file_versions_trail_and_public_page(client, territory, publish):
    from tests.documents.conftest import odt_upload

    document = publish(title="Arrêté de voirie")
    from documents import services

    services.document_replace_file(
        actor=territory.publisher, document=document, upload=odt_upload("arrete-v2.odt")
    )
    client.force_login(territory.publisher)
    response = client.get(reverse("civis_documents:edit", args=[document.pk]))
    html = response.content.decode()
    versions = response.context["versions"]
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].current and versions[0].file_name == "arrete-v2.odt"
    assert versions[0].sha256 in html and versions[1].sha256 in html
    assert "Sacha" in html or "editeur-merignac" in html  # who replaced the file
    assert f'href="/documents/{document.pk}/"' in html  # the public page
    assert "Voir la page publique" in html
    assert "Nouvelle version" in html and "Publication" in html  # the trail, readable
    assert "(heure de Paris)" in html or "Heures de Paris" in html
    buttons = [b.value for b in response.context["action_buttons"]]
    assert buttons == ["save", "withdraw"]

    # Each version downloads from the admin, through the selector, and the download is logged
    # for a document that is not public.
    old = client.get(versions[1].url)
    assert old.status_code == 200
    assert b"".join(old.streaming_content)[:5] == b"%PDF-"


def test_a_version_download_of_a_non_public_document_is_audited(client, territory, publish):
    document = publish(title="Note interne", audience=Audience.INTERNAL)
    client.force_login(territory.publisher)
    url = reverse("civis_documents:version", args=[document.pk, 1])
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        document=document, actor=territory.publisher, action="download"
    ).exists()
    assert client.get(reverse("civis_documents:version", args=[document.pk, 9])).status_code == 404
    client.force_login(territory.bordeaux_agent)
    assert client.get(url).status_code == 404


def test_a_publisher_schedules_then_unschedules_from_the_edit_screen(client, territory, publish):
    document = publish(title="Délibération du 15 janvier", publish=False)
    client.force_login(territory.publisher)
    response = _edit(
        client,
        document,
        civis_action="schedule",
        go_live_at="2027-01-15T09:00",
        expire_at="2027-03-01T18:00",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    document.refresh_from_db()
    assert document.status == Status.SCHEDULED
    assert document.go_live_at.isoformat() == "2027-01-15T08:00:00+00:00"
    assert _messages(response) == [
        "« Délibération du 15 janvier » est programmé pour le 15 janvier 2027 à 09:00 "
        "(heure de Paris)."
    ]
    html = client.get(reverse("civis_documents:edit", args=[document.pk])).content.decode()
    assert "15 janvier 2027 à 09:00 (heure de Paris)" in html
    assert "1 mars 2027 à 18:00" in html or "1er mars 2027 à 18:00" in html
    # The listing shows it, with its dates, and filters on the new statuses.
    listing = client.get(reverse("civis_documents:index"), {"status": "scheduled"})
    assert "en ligne le 15 janvier 2027 à 09:00" in listing.content.decode()
    assert document.title in listing.content.decode()
    assert anonymous_sees(document) is False

    response = _edit(client, document, civis_action="unschedule")
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Status.DRAFT


def anonymous_sees(document) -> bool:
    from django.test import Client

    return Client().get(f"/documents/{document.pk}/").status_code == 200


def test_scheduling_needs_a_future_time(client, territory, publish):
    document = publish(title="Sans date", publish=False)
    client.force_login(territory.publisher)
    response = _edit(client, document, civis_action="schedule", go_live_at="")
    assert response.status_code == 200
    assert "Indiquez la date et l&#x27;heure de mise en ligne" in response.content.decode()
    response = _edit(client, document, civis_action="schedule", go_live_at="2020-01-01T09:00")
    assert "doit être dans le futur" in response.content.decode()
    document.refresh_from_db()
    assert document.status == Status.DRAFT


def test_publish_and_withdraw_buttons_name_the_document(client, territory, publish):
    document = publish(title="Budget primitif", publish=False)
    client.force_login(territory.publisher)
    response = _edit(client, document, civis_action="publish")
    assert _messages(response) == ["« Budget primitif » est publié."]
    assert anonymous_sees(document)
    response = _edit(client, document, civis_action="withdraw")
    assert _messages(response) == ["« Budget primitif » est retiré : le public ne le voit plus."]
    assert not anonymous_sees(document)
    # A button the document does not offer is refused (here: withdraw a withdrawn document
    # is fine for the store, but "approve" is not an action of a document out of review).
    response = _edit(client, document, civis_action="approve")
    assert response.status_code == 200
    assert "Cette action n&#x27;est pas possible" in response.content.decode()


@pytest.fixture
def reviewed(territory):
    from documents.services.policy import publishing_policy_set

    publishing_policy_set(actor=None, authority=territory.merignac, review_required=True)
    return territory


def test_an_agent_submits_and_a_publisher_approves(client, reviewed, publish):
    territory = reviewed
    client.force_login(territory.agent)
    html = client.get(reverse("civis_documents:add")).content.decode()
    assert "Soumettre pour validation" in html and ">Publier<" not in html
    form = _form(territory, civis_action="submit", review_comment="Pour le conseil de lundi.")
    del form["owner"]
    response = client.post(reverse("civis_documents:add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert document.status == Status.IN_REVIEW and document.created_by == territory.agent
    assert not anonymous_sees(document)

    client.force_login(territory.publisher)
    page = client.get(reverse("civis_documents:edit", args=[document.pk]))
    html = page.content.decode()
    assert "Pour le conseil de lundi." in html and "Soumis pour validation" in html
    assert [b.value for b in page.context["action_buttons"]] == ["approve", "save", "send_back"]
    response = _edit(client, document, civis_action="send_back", review_comment="")
    assert "Écrivez un commentaire" in response.content.decode()
    response = _edit(client, document, civis_action="send_back", review_comment="Titre à revoir.")
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == Status.DRAFT

    client.force_login(territory.agent)
    response = _edit(client, document, title="Titre revu", civis_action="submit")
    assert response.status_code == 302, response.content.decode()[:3000]
    client.force_login(territory.publisher)
    response = _edit(client, document, title="Titre revu", civis_action="approve")
    assert _messages(response) == ["« Titre revu » est validé et publié."]
    document.refresh_from_db()
    assert document.status == Status.PUBLISHED and anonymous_sees(document)
    steps = list(document.review_steps.values_list("action", flat=True))
    assert steps == ["approve", "submit", "send_back", "submit"]


def test_the_publishing_policy_page_is_for_administrators(client, territory):
    url = reverse("civis_publishing_policy")
    client.force_login(territory.publisher)
    assert client.get(url).status_code in (302, 403)
    client.force_login(territory.region_admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"authority": territory.merignac.pk, "review_required": "on"})
    assert response.status_code == 302
    assert _messages(response) == [
        "Mérignac : les documents des agents sont validés avant publication."
    ]
    assert territory.merignac.publishing_policy.review_required
    assert AuditEvent.objects.filter(authority=territory.merignac, action="update").exists()
    page = client.get(url).content.decode()
    assert "Mérignac" in page
    other = make_authority_outside()
    response = client.post(url, {"authority": other.pk, "review_required": "on"})
    assert response.status_code == 200
    assert not type(territory.merignac).objects.get(pk=other.pk).__dict__.get("publishing_policy")


def make_authority_outside():
    from tests.factories import make_authority

    return make_authority("commune", name="Ailleurs")
