"""The citizen's request pages as people meet them: filling a draft (autosave keeping malformed
input, several drafts), the summary and submission (errors, AEE), following a request
(messages, documents, what is asked), attachment downloads (audited for others) — and 404 for
everybody else: anonymous, another citizen, an agent of the owner who does not instruct."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_pdf
from identity.models import Membership
from procedures.models import Attachment, Request, RequestState
from tests.documents.conftest import clamd, scanned  # noqa: F401 (clamd for uploads)
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

FIELDS = [
    {"key": "nom", "type": "text", "label": "Nom de l'enfant", "required": True},
    {"key": "age", "type": "integer", "label": "Âge", "required": True, "min": 0, "max": 20},
    {"key": "piece", "type": "attachment", "label": "Justificatif", "required": False},
]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


class World:
    def __init__(self) -> None:
        self.territory = make_territory()
        merignac = self.territory["merignac"]
        self.procedure = make_procedure(
            merignac, fields=FIELDS, title="Inscription scolaire", slug="inscription-scolaire"
        )
        self.citizen = make_user("citoyen-a")
        self.other = make_user("citoyen-b")
        self.instructor = make_instructor(self.procedure, "instructrice")
        self.agent = make_agent("agent-merignac", roles=[(merignac, Membership.Role.AGENT)])


@pytest.fixture
def world(db) -> World:
    return World()


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def add_file(request: Request, *, name: str = "justificatif.pdf") -> Attachment:
    from django.core.files.base import ContentFile

    content = make_pdf("Justificatif de domicile", ["Adresse : 1 rue X"])
    attachment = Attachment(
        request=request,
        field_key="piece",
        file_name=name,
        mime_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        uploaded_by=request.applicant,
    )
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


# --- who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "other", "agent", "instructor"])
def test_request_pages_are_404_for_everybody_but_the_applicant(world, who):
    submitted = make_request(
        world.procedure, world.citizen, state=RequestState.SUBMITTED, data={"nom": "Léa"}
    )
    user = {
        "anonymous": None,
        "other": world.other,
        "agent": world.agent,
        "instructor": world.instructor,
    }[who]
    client = client_for(user)
    for name in ("procedures:request", "procedures:summary"):
        response = client.get(reverse(name, args=[submitted.uuid]))
        if user is None:
            assert response.status_code == 302 and "/connexion/" in response["Location"]
        else:
            assert response.status_code == 404, (who, name)
    response = client.post(reverse("procedures:autosave", args=[submitted.uuid]), {"nom": "X"})
    assert response.status_code in (403, 404) if user is None else response.status_code == 404
    response = client.post(reverse("procedures:message", args=[submitted.uuid]), {"message": "X"})
    assert response.status_code in (302, 404)
    submitted.refresh_from_db()
    assert submitted.data == {"nom": "Léa"}
    assert not submitted.messages.exists()


def test_unknown_request_is_404_like_an_unreadable_one(world):
    client = client_for(world.citizen)
    assert client.get(reverse("procedures:request", args=[uuid.uuid4()])).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "other", "agent"])
def test_attachment_download_is_404_for_non_readers(world, who):
    submitted = make_request(world.procedure, world.citizen, state=RequestState.SUBMITTED)
    attachment = add_file(submitted)
    user = {"anonymous": None, "other": world.other, "agent": world.agent}[who]
    url = reverse("procedures:attachment", args=[submitted.uuid, attachment.pk])
    assert client_for(user).get(url).status_code == 404


def test_attachment_download_by_the_instructor_is_audited(world):
    submitted = make_request(world.procedure, world.citizen, state=RequestState.SUBMITTED)
    attachment = add_file(submitted)
    url = reverse("procedures:attachment", args=[submitted.uuid, attachment.pk])
    response = client_for(world.instructor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(detail__request=str(submitted.uuid))
    assert event.actor == world.instructor
    assert event.action == AuditEvent.Action.DOWNLOAD
    # The applicant's own downloads are not "reads by others".
    assert client_for(world.citizen).get(url).status_code == 200
    assert AuditEvent.objects.filter(detail__request=str(submitted.uuid)).count() == 1


def test_attachment_of_another_request_is_404_even_for_its_reader(world):
    mine = make_request(world.procedure, world.citizen, state=RequestState.SUBMITTED)
    theirs = make_request(world.procedure, world.other, state=RequestState.SUBMITTED)
    attachment = add_file(theirs)
    url = reverse("procedures:attachment", args=[mine.uuid, attachment.pk])
    assert client_for(world.citizen).get(url).status_code == 404


def test_a_draft_is_not_readable_by_the_instructor(world):
    draft = make_request(world.procedure, world.citizen)
    attachment = add_file(draft)
    url = reverse("procedures:attachment", args=[draft.uuid, attachment.pk])
    assert client_for(world.instructor).get(url).status_code == 404


# --- filling --------------------------------------------------------------------------------------


def test_start_then_two_drafts_then_my_requests(world):
    client = client_for(world.citizen)
    start = reverse("procedures:start", args=[world.procedure.slug])
    first = client.post(start)
    second = client.post(start)
    assert first.status_code == second.status_code == 302
    drafts = list(Request.objects.filter(applicant=world.citizen))
    assert len(drafts) == 2 and all(r.state == RequestState.DRAFT for r in drafts)
    page = client.get(first["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-autosave-url" in html and "Nom de l" in html
    listing = client.get(reverse("procedures:my_requests")).content.decode()
    assert all(r.number in listing for r in drafts)
    space = client.get(reverse("citizen_space")).content.decode()
    assert "Mes démarches" in space and drafts[0].number in space


def test_autosave_keeps_malformed_input_and_reports_it(world):
    draft = make_request(world.procedure, world.citizen)
    client = client_for(world.citizen)
    response = client.post(
        reverse("procedures:autosave", args=[draft.uuid]), {"nom": "Léa", "age": "douze"}
    )
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["saved_at"]
    assert "age" in body["errors"] and "nom" not in body["errors"]
    draft.refresh_from_db()
    assert draft.data["nom"] == "Léa" and draft.data["age"] == "douze"
    # The page shows what was typed, as typed.
    html = client.get(reverse("procedures:request", args=[draft.uuid])).content.decode()
    assert 'value="douze"' in html


def test_autosave_of_a_request_under_instruction_is_refused(world):
    req = make_request(world.procedure, world.citizen, state=RequestState.INSTRUCTION)
    response = client_for(world.citizen).post(
        reverse("procedures:autosave", args=[req.uuid]), {"nom": "Autre"}
    )
    assert response.status_code == 409
    assert "instruction" in json.loads(response.content)["error"]


def test_plain_post_saves_and_goes_to_summary(world):
    draft = make_request(world.procedure, world.citizen)
    client = client_for(world.citizen)
    response = client.post(
        reverse("procedures:request", args=[draft.uuid]),
        {"nom": "Léa", "age": "8", "action": "recapitulatif"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("procedures:summary", args=[draft.uuid])
    summary = client.get(response["Location"]).content.decode()
    assert "Léa" in summary and "Déposer mon dossier" in summary


def test_plain_post_with_malformed_value_shows_the_error(world):
    draft = make_request(world.procedure, world.citizen)
    response = client_for(world.citizen).post(
        reverse("procedures:request", args=[draft.uuid]), {"nom": "Léa", "age": "-3"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "resume-erreurs" in html and "Âge" in html
    draft.refresh_from_db()
    assert draft.data["age"] == "-3"


def test_submission_with_missing_required_fields_shows_errors(world):
    draft = make_request(world.procedure, world.citizen, data={"nom": "Léa"})
    response = client_for(world.citizen).post(reverse("procedures:summary", args=[draft.uuid]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "ne peut pas être déposé" in html
    assert "Âge" in html
    assert reverse("procedures:request", args=[draft.uuid]) + "#champ-age" in html
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_submission_files_the_aee_and_says_so(world):
    draft = make_request(world.procedure, world.citizen, data={"nom": "Léa", "age": "8"})
    client = client_for(world.citizen)
    response = client.post(reverse("procedures:summary", args=[draft.uuid]), follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.state == RequestState.SUBMITTED and draft.receipt is not None
    html = response.content.decode()
    assert "accusé d'enregistrement" in html.lower() or "accusé d&#x27;enregistrement" in html
    assert draft.receipt.title in html.replace("&#x27;", "'")
    assert reverse("document_detail", args=[draft.receipt.pk]) in html
    # A second submission is refused, not a 500.
    again = client.post(reverse("procedures:summary", args=[draft.uuid]))
    assert again.status_code == 409


def test_follow_page_shows_state_log_messages_and_what_is_asked(world):
    from procedures.models import Message, RequestEvent

    req = make_request(
        world.procedure,
        world.citizen,
        state=RequestState.SUBMITTED,
        data={"nom": "Léa", "age": "8"},
        correction_asked="Merci de joindre le livret de famille.",
    )
    RequestEvent.objects.create(
        request=req, action=RequestEvent.Action.CORRECTION, state=RequestState.SUBMITTED
    )
    Message.objects.create(
        request=req, author=world.instructor, from_instructor=True, body="Bonjour, il manque…"
    )
    html = client_for(world.citizen).get(reverse("procedures:request", args=[req.uuid])).content
    text = html.decode()
    assert "Ce qui vous est demandé" in text and "livret de famille" in text
    assert "Correction demandée" in text
    assert "Bonjour, il manque" in text
    assert "Déposé" in text


def test_applicant_sends_a_message(world):
    req = make_request(
        world.procedure, world.citizen, state=RequestState.INSTRUCTION, data={"nom": "Léa"}
    )
    client = client_for(world.citizen)
    empty = client.post(reverse("procedures:message", args=[req.uuid]), {"message": "  "})
    assert empty.status_code == 400
    assert "Écrivez votre message" in empty.content.decode()
    response = client.post(
        reverse("procedures:message", args=[req.uuid]), {"message": "Voici ma réponse."}
    )
    assert response.status_code == 302
    message = req.messages.get()
    assert message.body == "Voici ma réponse." and not message.from_instructor


@pytest.mark.usefixtures("scanned")
def test_upload_goes_through_the_checks(world, settings):
    draft = make_request(world.procedure, world.citizen, data={"nom": "Léa"})
    client = client_for(world.citizen)
    url = reverse("procedures:request", args=[draft.uuid])
    good = io.BytesIO(make_pdf("Justificatif", ["Adresse : 1 rue X"]))
    good.name = "justificatif.pdf"
    response = client.post(url, {"nom": "Léa", "piece__upload": good, "joindre": "piece"})
    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert attachment.file_name.endswith(".pdf")
    eicar = io.BytesIO(rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
    eicar.name = "virus.pdf"
    refused = client.post(url, {"nom": "Léa", "piece__upload": eicar, "joindre": "piece"})
    assert refused.status_code == 400
    assert draft.attachments.count() == 1
    removed = client.post(url, {"nom": "Léa", "piece__remove": str(attachment.pk)})
    assert removed.status_code == 302
    assert not draft.attachments.exists()


@pytest.mark.usefixtures("scanned")
def test_pick_a_document_from_my_space(world):
    from documents.services import personal_document_file

    mine = personal_document_file(
        actor=None,
        owner=world.territory["merignac"],
        addressee=world.citizen,
        title="Attestation de domicile",
        content=make_pdf("Attestation", ["Domicile : Mérignac"]),
        file_name="attestation.pdf",
    )
    theirs = personal_document_file(
        actor=None,
        owner=world.territory["merignac"],
        addressee=world.other,
        title="Attestation d'un autre",
        content=make_pdf("Attestation", ["Autre"]),
        file_name="autre.pdf",
    )
    draft = make_request(world.procedure, world.citizen, data={"nom": "Léa"})
    client = client_for(world.citizen)
    url = reverse("procedures:request", args=[draft.uuid])
    page = client.get(url).content.decode()
    assert "Attestation de domicile" in page and "Attestation d&#x27;un autre" not in page
    refused = client.post(url, {"nom": "Léa", "piece__pick": str(theirs.pk), "joindre": "piece"})
    assert refused.status_code == 400
    assert "pas dans votre espace" in refused.content.decode()
    response = client.post(url, {"nom": "Léa", "piece__pick": str(mine.pk), "joindre": "piece"})
    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert attachment.from_document == mine
