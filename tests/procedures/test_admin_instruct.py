"""Admin > Démarches > dossiers as an instructor uses it: the queue and its filters, the request
page (an audited read), opening (ARE), asking a correction, deciding with a motivation,
reopening, assigning, messages with a scanned file, downloads, the CSV and ZIP exports (each
an audited read). Another agent of the same authority, not an instructor, gets 404 on all."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import procedures.wagtail_hooks  # noqa: F401 (registers the admin section's hooks)
from audit.models import AuditEvent
from identity.models import Membership
from procedures.models import Attachment, Message, RequestState
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def world(db):
    places = make_territory()
    merignac = places["merignac"]
    procedure = make_procedure(
        merignac,
        title="Inscription scolaire",
        fields=[
            {"key": "nom", "type": "text", "label": "Nom de l'enfant", "required": True},
            {"key": "formule", "type": "text", "label": "Formule", "required": False},
        ],
    )
    instructor = make_instructor(procedure, "instructrice")
    colleague = make_instructor(procedure, "collegue")
    outsider = make_agent("autre-agent", roles=[(merignac, Membership.Role.AGENT)])
    publisher = make_agent("publie", roles=[(merignac, Membership.Role.PUBLISHER)])
    citizen = make_user("citoyen", first_name="Camille", last_name="Martin", email="c@ex.fr")
    submitted = make_request(
        procedure,
        citizen,
        state=RequestState.SUBMITTED,
        data={"nom": "Léa Martin", "formule": '=HYPERLINK("x")'},
        commune=merignac,
    )
    instructing = make_request(
        procedure, citizen, state=RequestState.INSTRUCTION, data={"nom": "Tom"}
    )
    old = make_request(
        procedure,
        citizen,
        state=RequestState.ACCEPTED,
        data={"nom": "Ancien"},
        submitted_at=timezone.now() - datetime.timedelta(days=400),
    )
    draft = make_request(procedure, citizen, state=RequestState.DRAFT, data={"nom": "Brouillon"})
    attachment = Attachment.objects.create(
        request=submitted,
        field_key="nom",
        file=ContentFile(PDF, name="acte.pdf"),
        file_name="acte.pdf",
        mime_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    return {
        "places": places,
        "procedure": procedure,
        "instructor": instructor,
        "colleague": colleague,
        "outsider": outsider,
        "publisher": publisher,
        "citizen": citizen,
        "submitted": submitted,
        "instructing": instructing,
        "old": old,
        "draft": draft,
        "attachment": attachment,
    }


def page_url(item) -> str:
    return reverse("procedures_admin_request", kwargs={"request_uuid": item.uuid})


def reads(item, action=AuditEvent.Action.VIEW):
    return AuditEvent.objects.filter(action=action, detail__request=str(item.uuid))


def test_queue_lists_open_requests_and_filters(client: Client, world) -> None:
    client.force_login(world["instructor"])
    url = reverse("procedures_admin_queue", args=[world["procedure"].pk])
    body = client.get(url).content.decode()
    assert world["submitted"].number in body
    assert world["instructing"].number in body
    assert world["old"].number not in body  # closed: only with "Tous"
    assert world["draft"].number not in body  # never a draft
    body = client.get(url, {"etat": "tous"}).content.decode()
    assert world["old"].number in body and world["draft"].number not in body
    body = client.get(url, {"etat": "en_instruction"}).content.decode()
    assert world["submitted"].number not in body and world["instructing"].number in body
    body = client.get(url, {"etat": "tous", "commune": "33281"}).content.decode()
    assert world["submitted"].number in body and world["instructing"].number not in body
    since = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    body = client.get(url, {"etat": "tous", "du": since}).content.decode()
    assert world["old"].number not in body and world["submitted"].number in body
    body = client.get(url, {"moi": "on"}).content.decode()
    assert "Aucun dossier" in body
    bad = client.get(url, {"du": "2026-05-01", "au": "2026-01-01"})
    assert bad.status_code == 400
    assert "précède" in bad.content.decode()
    bad = client.get(url, {"du": "pas une date"})
    assert bad.status_code == 400


def test_request_page_is_an_audited_read(client: Client, world) -> None:
    client.force_login(world["instructor"])
    response = client.get(page_url(world["submitted"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Léa Martin" in body and "acte.pdf" in body
    assert "Commencer l&#x27;instruction" in body or "Commencer l'instruction" in body
    event = reads(world["submitted"]).get()
    assert event.actor == world["instructor"]
    download = client.get(
        reverse(
            "procedures_admin_attachment",
            kwargs={"request_uuid": world["submitted"].uuid, "pk": world["attachment"].pk},
        )
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert reads(world["submitted"], AuditEvent.Action.DOWNLOAD).count() == 1


def test_open_correct_decide_reopen(client: Client, world) -> None:
    item = world["submitted"]
    client.force_login(world["instructor"])
    url = page_url(item)
    assert client.post(url, {"action": "decide", "outcome": "accepte"}).status_code == 400
    response = client.post(url, {"action": "open"})
    assert response.status_code == 302, response.content.decode()
    item.refresh_from_db()
    assert item.state == RequestState.INSTRUCTION
    assert item.acknowledgement is not None

    refused = client.post(url, {"action": "correction", "correction": ""})
    assert refused.status_code == 400
    assert "corriger" in refused.content.decode()
    response = client.post(url, {"action": "correction", "correction": "Joignez le livret."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED
    assert item.correction_asked == "Joignez le livret."

    assert client.post(url, {"action": "open"}).status_code == 302
    refused = client.post(url, {"action": "decide", "outcome": "refuse", "motivation": ""})
    assert refused.status_code == 400
    assert "Motivez" in refused.content.decode()
    refused = client.post(url, {"action": "decide", "outcome": "peut-etre"})
    assert refused.status_code == 400
    response = client.post(
        url, {"action": "decide", "outcome": "accepte", "motivation": "Dossier complet."}
    )
    assert response.status_code == 302, response.content.decode()
    item.refresh_from_db()
    assert item.state == RequestState.ACCEPTED
    assert item.decision_document is not None

    assert client.post(url, {"action": "reopen", "reason": ""}).status_code == 400
    response = client.post(url, {"action": "reopen", "reason": "Erreur de saisie."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.INSTRUCTION
    journal = client.get(url).content.decode()
    assert "Dossier rouvert" in journal and "Dossier accepté" in journal


def test_assign_and_message(client: Client, world) -> None:
    item = world["instructing"]
    client.force_login(world["instructor"])
    url = page_url(item)
    assert client.post(url, {"action": "assign", "assignee": "me"}).status_code == 302
    item.refresh_from_db()
    assert item.assigned_to == world["instructor"]
    queue = reverse("procedures_admin_queue", args=[world["procedure"].pk])
    assert item.number in client.get(queue, {"moi": "on"}).content.decode()
    response = client.post(url, {"action": "assign", "assignee": str(world["colleague"].pk)})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.assigned_to == world["colleague"]
    refused = client.post(url, {"action": "assign", "assignee": str(world["outsider"].pk)})
    assert refused.status_code == 400
    assert client.post(url, {"action": "assign", "assignee": ""}).status_code == 302
    item.refresh_from_db()
    assert item.assigned_to is None

    refused = client.post(url, {"action": "message", "body": ""})
    assert refused.status_code == 400
    assert "Écrivez" in refused.content.decode()
    response = client.post(url, {"action": "message", "body": "Bonjour, pièce reçue."})
    assert response.status_code == 302
    message = Message.objects.get(request=item)
    assert message.from_instructor and message.author == world["instructor"]
    assert "pièce reçue" in client.get(url).content.decode()


def test_message_with_a_scanned_file(client: Client, world, scanned) -> None:
    item = world["instructing"]
    client.force_login(world["instructor"])
    upload = SimpleUploadedFile("courrier.pdf", PDF, content_type="application/pdf")
    response = client.post(
        page_url(item), {"action": "message", "body": "Voici le courrier.", "files": [upload]}
    )
    assert response.status_code == 302, response.content.decode()
    message = Message.objects.get(request=item)
    assert [a.file_name for a in message.attachments.all()] == ["courrier.pdf"]
    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    infected = SimpleUploadedFile("virus.pdf", eicar, content_type="application/pdf")
    refused = client.post(
        page_url(item), {"action": "message", "body": "Encore.", "files": [infected]}
    )
    assert refused.status_code == 400
    assert Message.objects.filter(request=item).count() == 1


def test_csv_export(client: Client, world) -> None:
    client.force_login(world["instructor"])
    url = reverse("procedures_admin_export_csv", args=[world["procedure"].pk])
    response = client.get(url, {"etat": "tous"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[0] == "Numéro" and "Nom de l'enfant" in header
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {
        world["submitted"].number,
        world["instructing"].number,
        world["old"].number,
    }
    row = by_number[world["submitted"].number]
    assert row[header.index("Nom de l'enfant")] == "Léa Martin"
    assert row[header.index("Formule")].startswith("'=")  # never a live formula
    assert row[header.index("Courriel")] == "c@ex.fr"
    for key in ("submitted", "instructing", "old"):
        assert (
            reads(world[key], AuditEvent.Action.DOWNLOAD).filter(detail__what="export csv").exists()
        )


def test_zip_export(client: Client, world) -> None:
    client.force_login(world["instructor"])
    url = reverse("procedures_admin_export_zip", args=[world["procedure"].pk])
    response = client.get(url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    name = f"{world['submitted'].number}/nom/acte.pdf"
    assert archive.namelist() == [name]
    assert archive.read(name) == PDF


def test_non_instructors_get_404_everywhere(client: Client, world) -> None:
    pk = world["procedure"].pk
    item = world["submitted"]
    for user in (world["outsider"], world["publisher"], world["citizen"]):
        client.force_login(user)
        for url in (
            reverse("procedures_admin_queue", args=[pk]),
            reverse("procedures_admin_export_csv", args=[pk]),
            reverse("procedures_admin_export_zip", args=[pk]),
            page_url(item),
            page_url(world["draft"]),
            reverse(
                "procedures_admin_attachment",
                kwargs={"request_uuid": item.uuid, "pk": world["attachment"].pk},
            ),
        ):
            assert client.get(url).status_code in (404, 302), (user, url)
        assert client.post(page_url(item), {"action": "open"}).status_code in (404, 302)
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED
    assert not reads(item).exists()
    assert not reads(item, AuditEvent.Action.DOWNLOAD).exists()


def test_administrator_above_reads_the_queue(client: Client, world) -> None:
    admin = make_agent(
        "admin-metropole",
        roles=[(world["places"]["metropole"], Membership.Role.TERRITORY_ADMIN)],
    )
    client.force_login(admin)
    url = reverse("procedures_admin_queue", args=[world["procedure"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert world["submitted"].number in response.content.decode()
