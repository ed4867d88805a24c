""" "Mes données": the page and its table of who read my documents and requests, the ZIP of
everything the portal holds about me, and account deletion (drafts and account gone, submitted
requests kept without their applicant, audited)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_pdf
from documents.services import personal_document_file
from procedures.models import Attachment, Message, Request, RequestEvent, RequestState
from procedures.services.requests import request_read_record
from tests.factories import make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
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


@pytest.fixture
def story(db):
    territory = make_territory()
    procedure = make_procedure(territory["merignac"], title="Inscription scolaire")
    citizen = make_user("citoyen", first_name="Camille", last_name="Martin", email="c@example.org")
    instructor = make_instructor(procedure, "instructrice")
    instructor.first_name, instructor.last_name = "Inès", "Roy"
    instructor.save()
    closed = make_request(
        procedure, citizen, state=RequestState.ACCEPTED, data={"nom": "Léa Martin"}
    )
    RequestEvent.objects.create(
        request=closed, action=RequestEvent.Action.ACCEPT, state=RequestState.ACCEPTED
    )
    Message.objects.create(request=closed, author=citizen, body="Merci pour votre aide.")
    content = make_pdf("Justificatif", ["Adresse : 1 rue des Écoles"])
    attachment = Attachment(
        request=closed,
        field_key="piece",
        file_name="justificatif.pdf",
        mime_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        uploaded_by=citizen,
    )
    attachment.file.save("justificatif.pdf", ContentFile(content), save=False)
    attachment.save()
    draft = make_request(procedure, citizen, data={"nom": "Brouillon"})
    decision = personal_document_file(
        actor=None,
        owner=procedure.owner,
        addressee=citizen,
        title="Décision — Inscription scolaire",
        content=make_pdf("Décision", ["Acceptée."]),
        file_name="decision.pdf",
        reader_group=procedure.instructors,
    )
    closed.decision_document = decision
    closed.save()
    # The instructor reads the decision and the request.
    reader = Client()
    reader.force_login(instructor)
    assert reader.get(reverse("document_download", args=[decision.pk])).status_code == 200
    request_read_record(actor=instructor, request=closed, what="view", ip_address="10.0.0.1")
    return {
        "procedure": procedure,
        "citizen": citizen,
        "instructor": instructor,
        "closed": closed,
        "draft": draft,
        "decision": decision,
        "attachment": attachment,
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_data_page_lists_who_read_my_data(story):
    response = signed_in(story["citizen"]).get(reverse("procedures:my_data"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Qui a consulté mes données" in html
    assert "Inès Roy" in html
    assert "Décision — Inscription scolaire" in html
    assert story["closed"].number in html
    assert reverse("procedures:my_data_download") in html


def test_my_data_pages_need_sign_in(db, client):
    for name in ("procedures:my_data", "procedures:my_data_download", "procedures:account_delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_my_data_zip_holds_everything(story):
    response = signed_in(story["citizen"]).get(reverse("procedures:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    account = json.loads(archive.read("compte.json"))
    assert account["identifiant"] == "citoyen" and account["courriel"] == "c@example.org"
    requests = json.loads(archive.read("demarches.json"))
    numbers = {r["numero"]: r for r in requests}
    closed = numbers[story["closed"].number]
    assert closed["reponses"] == {"nom": "Léa Martin"}
    assert closed["etat"] == "accepte"
    assert [e["action"] for e in closed["journal"]] == ["accept"]
    assert closed["messages"][0]["texte"] == "Merci pour votre aide."
    piece = closed["pieces"][0]["fichier"]
    assert piece in names and archive.read(piece).startswith(b"%PDF")
    assert story["draft"].number in numbers
    documents = json.loads(archive.read("documents.json"))
    assert documents[0]["titre"] == "Décision — Inscription scolaire"
    assert archive.read(documents[0]["fichier"]).startswith(b"%PDF")
    reads = json.loads(archive.read("consultations.json"))
    assert {r["qui"] for r in reads} == {"Inès Roy"}
    assert any(story["closed"].number in r["quoi"] for r in reads)
    assert any("Décision" in r["quoi"] for r in reads)


def test_another_persons_data_is_never_in_my_zip(story):
    other = make_user("autre")
    response = signed_in(other).get(reverse("procedures:my_data_download"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(archive.read("demarches.json")) == []
    assert json.loads(archive.read("documents.json")) == []
    assert json.loads(archive.read("consultations.json")) == []


def test_account_deletion_needs_the_password(story):
    client = signed_in(story["citizen"])
    page = client.get(reverse("procedures:account_delete"))
    assert page.status_code == 200
    assert "1 brouillon sera supprimé" in page.content.decode()
    response = client.post(reverse("procedures:account_delete"), {"mot_de_passe": "faux"})
    assert response.status_code == 400
    assert "Mot de passe incorrect" in response.content.decode()
    assert get_user_model().objects.filter(pk=story["citizen"].pk).exists()


def test_account_deletion_keeps_closed_requests_without_applicant(story):
    citizen = story["citizen"]
    client = signed_in(citizen)
    response = client.post(reverse("procedures:account_delete"), {"mot_de_passe": PASSWORD})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=citizen.pk).exists()
    assert not Request.objects.filter(pk=story["draft"].pk).exists()
    kept = Request.objects.get(pk=story["closed"].pk)
    assert kept.applicant is None and kept.data == {"nom": "Léa Martin"}
    event = AuditEvent.objects.filter(
        action=AuditEvent.Action.ACCOUNT_DELETE, detail__user_id=citizen.pk
    ).get()
    assert event.detail["drafts_deleted"] == 1 and event.detail["requests_kept"] == 1
    assert "citoyen" not in json.dumps(event.detail)
    # Signed out.
    assert client.get(reverse("procedures:my_data")).status_code == 302


def test_account_without_password_confirms_with_the_word(story):
    citizen = story["citizen"]
    citizen.set_unusable_password()
    citizen.save()
    client = signed_in(citizen)
    response = client.post(reverse("procedures:account_delete"), {"confirmation": "oui"})
    assert response.status_code == 400
    assert "SUPPRIMER" in response.content.decode()
    response = client.post(reverse("procedures:account_delete"), {"confirmation": "SUPPRIMER"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=citizen.pk).exists()


def test_an_instruction_session_is_one_french_line_with_its_count(story):
    for _ in range(5):
        request_read_record(
            actor=story["instructor"], request=story["closed"], what="view instruct page"
        )
    html = signed_in(story["citizen"]).get(reverse("procedures:my_data")).content.decode()
    assert "view instruct page" not in html
    assert "page d&#x27;instruction) — 5 fois" in html or "page d'instruction) — 5 fois" in html
