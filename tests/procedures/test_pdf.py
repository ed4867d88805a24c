"""The generated PDFs (AEE, ARE, decision), read back with pypdf: the French text is there,
accents, guillemets and ligatures included; the decision's verification code and
verify_decision."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from documents.models import DocumentVersion, Status
from procedures.fields import validate_definition
from procedures.models import RequestState, SilenceMeans
from procedures.pdf import (
    acknowledgement_pdf,
    decision_pdf,
    fill_template,
    french_date,
    receipt_pdf,
    verification_code,
    verify_decision,
)
from tests.documents.conftest import pdf_upload
from tests.procedures.factories import make_instructor, make_procedure, make_request

FIELDS = validate_definition(
    [
        {"key": "identite", "type": "header", "label": "Identité de l'enfant"},
        {"key": "nom_enfant", "type": "text", "label": "Nom de l'enfant", "required": True},
        {"key": "ecole", "type": "choice", "label": "École souhaitée", "choices": ["Jules-Ferry"]},
        {"key": "cantine", "type": "yesno", "label": "Cantine"},
        {"key": "remarque", "type": "textarea", "label": "Remarque"},
    ]
)
DATA = {
    "nom_enfant": "Chloé Lefèvre",
    "ecole": "Jules-Ferry",
    "cantine": "oui",
    "remarque": "Sœur déjà inscrite « en CP »",
}


def text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def request_(db, territory):
    territory.citizen.first_name, territory.citizen.last_name = "Élodie", "Lefèvre"
    territory.citizen.save()
    procedure = make_procedure(
        territory.merignac,
        title="Inscription scolaire",
        fields=FIELDS,
        expected_days=30,
        silence_means=SilenceMeans.ACCEPTANCE,
        contact_email="scolarite@merignac.example.fr",
        contact_phone="05 56 55 66 00",
        decision_template=(
            "{demandeur}, votre demande {numero} ({demarche}) auprès de {collectivite} est "
            "{decision} le {date}. Enfant : {champ:nom_enfant}. {motivation} {inconnu}"
        ),
    )
    submitted = datetime.datetime(2026, 12, 1, 9, 5, tzinfo=datetime.UTC)
    return make_request(
        procedure,
        territory.citizen,
        state=RequestState.SUBMITTED,
        data=DATA,
        submitted_at=submitted,
    )


def test_receipt_states_number_date_answers_and_time(request_):
    text = text_of(receipt_pdf(request_))
    assert "Accusé d'enregistrement électronique" in text
    assert f"D-{request_.pk:06d}" in text
    assert "Mérignac" in text
    assert "Inscription scolaire" in text
    assert "Élodie Lefèvre" in text
    assert "1er décembre 2026 à 10 h 05" in text  # Paris time
    assert "Identité de l'enfant" in text
    assert "Nom de l'enfant" in text and "Chloé Lefèvre" in text
    assert "École souhaitée" in text and "Jules-Ferry" in text
    assert "Sœur déjà inscrite « en CP »" in text
    assert "30 jours" in text
    assert "10 jours ouvrés" in text
    assert "scolarite@merignac.example.fr" in text


def test_receipt_lists_attached_file_names(request_, territory):
    procedure = request_.procedure
    procedure.current_revision.fields = validate_definition(
        [
            *FIELDS,
            {"key": "justificatif", "type": "attachment", "label": "Justificatif de domicile"},
        ]
    )
    procedure.current_revision.save()
    request_.refresh_from_db()
    from django.core.files.base import ContentFile

    from procedures.models import Attachment

    attachment = Attachment(
        request=request_,
        field_key="justificatif",
        file_name="facture-électricité.pdf",
        mime_type="application/pdf",
        size=3,
        sha256="0" * 64,
    )
    attachment.file.save("f.pdf", ContentFile(b"pdf"), save=True)
    text = text_of(receipt_pdf(request_))
    assert "Justificatif de domicile" in text
    assert "facture-électricité.pdf" in text


def test_acknowledgement_carries_the_legal_mentions(request_):
    text = text_of(acknowledgement_pdf(request_))
    assert "Accusé de réception électronique" in text
    assert f"D-{request_.pk:06d}" in text
    assert "Date de réception" in text and "1er décembre 2026" in text
    assert "30 jours" in text
    assert "31 décembre 2026" in text  # the date of the implicit decision
    assert "décision implicite d'acceptation" in text
    assert "réputée acceptée" in text
    assert "Voies et délais de recours" in text
    assert "tribunal administratif" in text
    assert "2016-1411" in text
    assert "05 56 55 66 00" in text


def test_acknowledgement_when_silence_means_refusal_and_custom_appeal(request_):
    procedure = request_.procedure
    procedure.silence_means = SilenceMeans.REFUSAL
    procedure.appeal = "Recours gracieux auprès du maire sous deux mois ; œuvre commune."
    procedure.save()
    text = text_of(acknowledgement_pdf(request_))
    assert "décision implicite de rejet" in text
    assert "réputée rejetée le 31 décembre 2026" in text
    assert "Recours gracieux auprès du maire sous deux mois ; œuvre commune." in text


def decided(
    request_, state=RequestState.REFUSED, motivation="Dossier incomplet : l\u2019attestation"
):
    request_.state = state
    request_.motivation = motivation
    request_.decided_at = datetime.datetime(2026, 12, 15, 14, 0, tzinfo=datetime.UTC)
    request_.save()
    return request_


def test_decision_states_outcome_motivation_template_signer_and_code(request_, territory):
    instructor = make_instructor(request_.procedure, "instructrice")
    instructor.first_name, instructor.last_name = "Anaïs", "Béranger"
    instructor.save()
    request_.assigned_to = instructor
    decided(request_)
    text = text_of(decision_pdf(request_))
    assert "Décision" in text
    assert "Votre demande est refusée." in text
    assert "Dossier incomplet : l\u2019attestation" in text
    number = f"D-{request_.pk:06d}"
    assert (
        f"Élodie Lefèvre, votre demande {number} (Inscription scolaire) auprès de Mérignac est "
        "refusée le 15 décembre 2026. Enfant : Chloé Lefèvre." in text
    )
    assert "{inconnu}" in text  # an unknown field stays as written
    assert "Signé électroniquement par Anaïs Béranger" in text
    code = verification_code(request_)
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){4}", code)
    assert f"Code de vérification : {code}" in text
    assert "/demarches/verifier/" in text


def test_verification_code_depends_on_uuid_outcome_and_time(request_):
    decided(request_)
    code = verification_code(request_)
    assert code == verification_code(request_)
    request_.state = RequestState.ACCEPTED
    assert verification_code(request_) != code
    request_.state = RequestState.REFUSED
    request_.decided_at += datetime.timedelta(seconds=1)
    assert verification_code(request_) != code
    request_.state = RequestState.INSTRUCTION
    assert verification_code(request_) == ""


def test_accepted_decision_without_template(request_):
    request_.procedure.decision_template = ""
    request_.procedure.save()
    decided(request_, RequestState.ACCEPTED, motivation="")
    text = text_of(decision_pdf(request_))
    assert "Votre demande est acceptée." in text
    assert "Motivation" not in text
    assert "Signé électroniquement par le service instructeur" in text


def test_french_dates():
    assert french_date(datetime.date(2027, 3, 1)) == "1er mars 2027"
    assert french_date(datetime.date(2027, 8, 15)) == "15 août 2027"


def test_fill_template_with_lists(request_):
    request_.data = {**DATA, "options": ["A", "B"]}
    assert fill_template(request_, "{champ:options}/{champ:absent}/{numero}") == (
        f"A, B//D-{request_.pk:06d}"
    )


def test_verify_decision_finds_the_published_decision_only(request_, territory):
    from documents.services import personal_document_file

    decided(request_)
    content = decision_pdf(request_)
    document = personal_document_file(
        actor=None,
        owner=territory.merignac,
        addressee=territory.citizen,
        title="Décision",
        content=content,
        file_name="decision.pdf",
        reader_group=request_.procedure.instructors,
    )
    request_.decision_document = document
    request_.save()
    digest = hashlib.sha256(content).hexdigest()
    assert DocumentVersion.objects.get(document=document).sha256 == digest
    assert verify_decision(digest) == request_
    assert verify_decision(digest.upper()) == request_
    assert verify_decision("0" * 64) is None
    assert verify_decision("pas une empreinte") is None
    other = hashlib.sha256(pdf_upload().fileobj.read()).hexdigest()
    assert verify_decision(other) is None
    document.status = Status.WITHDRAWN
    document.save()
    assert verify_decision(digest) is None


def test_deleted_applicant_and_missing_dates(request_):
    request_.applicant = None
    request_.submitted_at = None
    request_.updated_at = timezone.now()
    text = text_of(receipt_pdf(request_))
    assert "Demandeur (compte supprimé)" in text
