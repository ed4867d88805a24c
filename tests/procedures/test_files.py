"""Attachments and messages of a request (procedures.services.files): the document store's
upload validation and a real ClamAV, the field's own types and size, picking from the citizen's
space, and who may write what."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_odt, make_pdf
from documents import services as documents
from documents.models import Audience
from documents.services import Upload
from identity.models import Membership
from procedures.models import Attachment, Message, RequestEvent, RequestState
from procedures.services.files import (
    MAX_FILES_PER_MESSAGE,
    attachment_add,
    attachment_pick,
    attachment_remove,
    message_attachment_rule,
    message_send,
)
from tests.documents import hostile
from tests.documents.clamav import eicar
from tests.documents.conftest import stored_files
from tests.factories import make_agent
from tests.procedures.factories import make_instructor, make_procedure, make_request

pytestmark = pytest.mark.django_db

FIELDS = [
    {"key": "nom", "type": "text", "label": "Nom", "required": True},
    {
        "key": "justificatif",
        "type": "attachment",
        "label": "Justificatif de domicile",
        "allowed_types": ["pdf"],
        "max_size_mb": 1,
    },
    {"key": "photo", "type": "attachment", "label": "Photo", "allowed_types": ["jpg", "png"]},
]


def pdf(
    text: str = "Facture d'électricité, 12 rue des Lilas.", name: str = "facture.pdf"
) -> Upload:
    return Upload(io.BytesIO(make_pdf("Justificatif", [text])), name)


def infected_pdf(name: str = "facture.pdf") -> Upload:
    content = hostile.build_pdf(objects=(hostile.pdf_stream(eicar(), compress=False),))
    return Upload(io.BytesIO(content), name)


def big_pdf(megabytes: float) -> Upload:
    padding = b"0" * int(megabytes * 1024 * 1024)
    content = hostile.build_pdf(objects=(hostile.pdf_stream(padding, compress=False),))
    return Upload(io.BytesIO(content), "gros.pdf")


@pytest.fixture
def procedure(territory):
    return make_procedure(territory.merignac, fields=FIELDS)


@pytest.fixture
def instructor(procedure):
    return make_instructor(procedure, "instructeur-merignac")


def request_of(procedure, user, state=RequestState.DRAFT):
    return make_request(procedure, user, state=state, data={"nom": "Dupont"})


def everything_stored(private_storage) -> list[str]:
    """Files of the attachments' storage and of the documents' private storage."""
    storage = Attachment._meta.get_field("file").storage
    return stored_files(storage) + stored_files(private_storage)


# --- attachment_add --------------------------------------------------------------------------


def test_the_applicant_attaches_a_file_to_a_draft(territory, procedure):
    request = request_of(procedure, territory.citizen)
    upload = pdf()
    content = upload.fileobj.getvalue()  # type: ignore[attr-defined]

    attachment = attachment_add(
        actor=territory.citizen, request=request, field_key="justificatif", upload=upload
    )

    assert attachment.field_key == "justificatif"
    assert attachment.file_name == "facture.pdf"
    assert attachment.mime_type == "application/pdf"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == territory.citizen
    assert attachment.file.name.startswith(f"procedures/{request.uuid}/")
    with attachment.file.open("rb") as handle:
        assert handle.read() == content
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.UPDATE, detail__request=str(request.uuid)
    )
    assert event.actor == territory.citizen
    assert event.authority == territory.merignac
    assert event.detail["attachment"] == attachment.pk
    assert event.detail["procedure"] == procedure.pk
    # A draft has no log the instructors read yet.
    assert not RequestEvent.objects.filter(request=request).exists()


def test_a_file_added_to_a_submitted_request_is_logged(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    attachment_add(actor=territory.citizen, request=request, field_key="justificatif", upload=pdf())
    event = RequestEvent.objects.get(request=request)
    assert event.action == RequestEvent.Action.UPDATE
    assert event.state == RequestState.SUBMITTED
    assert event.detail == {"attachment_added": "justificatif"}


def test_attachment_files_are_not_under_a_public_url(territory, procedure):
    request = request_of(procedure, territory.citizen)
    attachment = attachment_add(
        actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
    )
    # The documents' private storage (local folder or private S3 bucket), never served by
    # a public address: downloads go through the permission-checked views.
    from documents.models import DocumentVersion

    assert attachment.file.storage is DocumentVersion._meta.get_field("file").storage
    assert attachment.file.storage.exists(attachment.file.name)


def test_eicar_is_refused_in_french_and_nothing_is_stored(
    territory, procedure, scanned, private_storage
):
    request = request_of(procedure, territory.citizen)
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen,
            request=request,
            field_key="justificatif",
            upload=infected_pdf(),
        )
    (message,) = caught.value.message_dict["justificatif"]
    assert "L'antivirus a détecté un contenu malveillant" in message
    assert "Eicar-Test-Signature" in message
    assert not Attachment.objects.exists()
    assert everything_stored(private_storage) == []
    assert not AuditEvent.objects.filter(detail__request=str(request.uuid)).exists()


def test_a_clean_file_passes_the_real_scan(territory, procedure, scanned):
    request = request_of(procedure, territory.citizen)
    attachment = attachment_add(
        actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
    )
    assert attachment.pk


def test_a_file_over_the_fields_limit_names_the_limit(territory, procedure, private_storage):
    request = request_of(procedure, territory.citizen)
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=big_pdf(1.3)
        )
    assert caught.value.message_dict["justificatif"] == [
        "Ce fichier fait 1,3 Mo ; cette pièce est limitée à 1 Mo."
    ]
    assert not Attachment.objects.exists()
    assert everything_stored(private_storage) == []


def test_a_file_over_the_portal_cap_is_refused_with_both_limits(territory, procedure, settings):
    settings.CIVIS_MAX_UPLOAD_MB = 1
    request = request_of(procedure, territory.citizen)
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen, request=request, field_key="photo", upload=big_pdf(1.2)
        )
    (message,) = caught.value.message_dict["photo"]
    assert "1 Mo" in message
    assert not Attachment.objects.exists()


def test_a_type_the_field_does_not_accept_is_refused(territory, procedure, private_storage):
    request = request_of(procedure, territory.citizen)
    odt = Upload(io.BytesIO(make_odt("Attestation", ["Je soussigné…"])), "attestation.odt")
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=odt
        )
    assert caught.value.message_dict["justificatif"] == [
        "Ce type de fichier (ODT) n'est pas accepté pour cette pièce. "
        "Formats acceptés : PDF, 1 Mo maximum."
    ]
    with pytest.raises(ValidationError) as caught:
        attachment_add(actor=territory.citizen, request=request, field_key="photo", upload=pdf())
    assert "Formats acceptés : JPG ou PNG, 10 Mo maximum." in caught.value.message_dict["photo"][0]
    assert not Attachment.objects.exists()
    assert everything_stored(private_storage) == []


def test_the_content_decides_not_the_name(territory, procedure):
    request = request_of(procedure, territory.citizen)
    disguised = Upload(io.BytesIO(hostile.image("PNG")), "facture.pdf")
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=disguised
        )
    assert "une image PNG" in caught.value.message_dict["justificatif"][0]
    photo = attachment_add(
        actor=territory.citizen,
        request=request,
        field_key="photo",
        upload=Upload(io.BytesIO(hostile.image("PNG")), "photo.png"),
    )
    assert photo.mime_type == "image/png"


def test_active_content_is_refused(territory, procedure):
    request = request_of(procedure, territory.citizen)
    scripted = Upload(
        io.BytesIO(
            hostile.build_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
        ),
        "formulaire.pdf",
    )
    with pytest.raises(ValidationError):
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=scripted
        )
    assert not Attachment.objects.exists()


def test_unknown_or_non_attachment_fields_are_refused(territory, procedure):
    request = request_of(procedure, territory.citizen)
    for key in ("inconnu", "nom"):
        with pytest.raises(ValidationError) as caught:
            attachment_add(actor=territory.citizen, request=request, field_key=key, upload=pdf())
        assert key in caught.value.message_dict
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "state",
    [RequestState.INSTRUCTION, RequestState.ACCEPTED, RequestState.REFUSED, RequestState.CLOSED],
)
def test_no_attachment_once_instruction_started(territory, procedure, state):
    request = request_of(procedure, territory.citizen, state)
    with pytest.raises(PermissionDenied):
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
        )
    assert not Attachment.objects.exists()


def test_only_the_applicant_attaches_to_the_form(territory, procedure, instructor):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    for someone in (territory.other_citizen, instructor, territory.agent, territory.region_admin):
        with pytest.raises(PermissionDenied):
            attachment_add(actor=someone, request=request, field_key="justificatif", upload=pdf())
    assert not Attachment.objects.exists()


def test_a_field_holds_a_bounded_number_of_files(territory, procedure, monkeypatch):
    from procedures.services import files

    monkeypatch.setattr(files, "MAX_FILES_PER_FIELD", 2)
    request = request_of(procedure, territory.citizen)
    for _ in range(2):
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
        )
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
        )
    assert "déjà 2 fichiers" in caught.value.message_dict["justificatif"][0]


# --- attachment_pick -------------------------------------------------------------------------


def personal_document(territory, addressee, *, upload=None, publish=True, title="Attestation"):
    return documents.document_create(
        actor=None,
        owner=territory.merignac,
        title=title,
        audience=Audience.PERSONAL,
        addressee=addressee,
        upload=upload or pdf("Attestation de quotient familial.", "attestation.pdf"),
        publish=publish,
    )


def test_the_citizen_picks_a_document_of_their_space(territory, procedure):
    document = personal_document(territory, territory.citizen)
    request = request_of(procedure, territory.citizen)

    attachment = attachment_pick(
        actor=territory.citizen, request=request, field_key="justificatif", document=document
    )

    version = document.current_version
    assert attachment.from_document == document
    assert attachment.sha256 == version.sha256
    assert attachment.file_name == version.file_name
    assert attachment.file.name != version.file.name  # a copy: the request keeps what was sent
    with attachment.file.open("rb") as copy, version.file.open("rb") as original:
        assert copy.read() == original.read()
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.UPDATE, detail__request=str(request.uuid)
    )
    assert event.detail["from_document"] == document.pk


def test_the_copy_outlives_the_document(territory, procedure):
    document = personal_document(territory, territory.citizen)
    request = request_of(procedure, territory.citizen)
    attachment = attachment_pick(
        actor=territory.citizen, request=request, field_key="justificatif", document=document
    )
    documents.document_replace_file(
        actor=None, document=document, upload=pdf("Nouvelle attestation.", "nouvelle.pdf")
    )
    attachment.refresh_from_db()
    assert attachment.file_name == "attestation.pdf"
    with attachment.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == attachment.sha256


def test_a_public_document_may_be_picked(territory, procedure, publish):
    document = publish(title="Règlement intérieur de la cantine")
    request = request_of(procedure, territory.citizen)
    attachment = attachment_pick(
        actor=territory.citizen, request=request, field_key="justificatif", document=document
    )
    assert attachment.from_document == document


def test_someone_elses_document_is_refused(territory, procedure, private_storage):
    theirs = personal_document(territory, territory.other_citizen)
    request = request_of(procedure, territory.citizen)
    before = everything_stored(private_storage)
    with pytest.raises(PermissionDenied):
        attachment_pick(
            actor=territory.citizen, request=request, field_key="justificatif", document=theirs
        )
    assert not Attachment.objects.exists()
    assert everything_stored(private_storage) == before


@pytest.mark.parametrize(
    "audience", [Audience.SIGNED_IN, Audience.INTERNAL, Audience.SHARED_UP, Audience.RESTRICTED]
)
def test_only_personal_or_public_documents_are_picked(territory, procedure, publish, audience):
    """Even a document the citizen may read (signed-in audience) is not theirs to send."""
    document = publish(audience=audience)
    request = request_of(procedure, territory.citizen)
    with pytest.raises(PermissionDenied):
        attachment_pick(
            actor=territory.citizen, request=request, field_key="justificatif", document=document
        )


def test_an_unpublished_document_is_refused(territory, procedure):
    draft = personal_document(territory, territory.citizen, publish=False)
    request = request_of(procedure, territory.citizen)
    with pytest.raises(PermissionDenied):
        attachment_pick(
            actor=territory.citizen, request=request, field_key="justificatif", document=draft
        )


def test_a_picked_document_follows_the_fields_rules(territory, procedure):
    odt = Upload(io.BytesIO(make_odt("Attestation", ["Texte."])), "attestation.odt")
    document = personal_document(territory, territory.citizen, upload=odt)
    request = request_of(procedure, territory.citizen)
    with pytest.raises(ValidationError) as caught:
        attachment_pick(
            actor=territory.citizen, request=request, field_key="justificatif", document=document
        )
    assert "n'est pas accepté pour cette pièce" in caught.value.message_dict["justificatif"][0]
    assert not Attachment.objects.exists()


def test_picking_on_someone_elses_request_is_refused(territory, procedure):
    mine = personal_document(territory, territory.other_citizen)
    request = request_of(procedure, territory.citizen)
    with pytest.raises(PermissionDenied):
        attachment_pick(
            actor=territory.other_citizen, request=request, field_key="justificatif", document=mine
        )


AUDIENCES = [
    Audience.PUBLIC,
    Audience.SIGNED_IN,
    Audience.INTERNAL,
    Audience.RESTRICTED,
    Audience.PERSONAL,
]


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    audience=st.sampled_from(AUDIENCES),
    addressed_to_picker=st.booleans(),
    published=st.booleans(),
    picker_is_agent=st.booleans(),
)
def test_pick_rule_property(
    territory, procedure, audience, addressed_to_picker, published, picker_is_agent
):
    """Whoever picks, whatever the document: allowed exactly when it is published and public,
    or personal and addressed to the picker."""
    picker = territory.citizen
    if picker_is_agent:
        # An agent of the owner applying to a procedure open to agents reads internal documents.
        picker = make_agent(roles=[(territory.merignac, Membership.Role.PUBLISHER)])
    addressee = None
    if audience == Audience.PERSONAL:
        addressee = (
            territory.citizen
            if addressed_to_picker and not picker_is_agent
            else territory.other_citizen
        )
    document = documents.document_create(
        actor=None,
        owner=territory.merignac,
        title="Pièce",
        audience=audience,
        addressee=addressee,
        upload=pdf(),
        publish=published,
    )
    request = request_of(procedure, picker)
    expected = published and (
        audience == Audience.PUBLIC
        or (audience == Audience.PERSONAL and addressee is not None and addressee.pk == picker.pk)
    )
    try:
        attachment = attachment_pick(
            actor=picker, request=request, field_key="justificatif", document=document
        )
    except PermissionDenied:
        assert not expected
        assert not Attachment.objects.filter(request=request).exists()
    else:
        assert expected
        assert attachment.from_document == document


# --- attachment_remove -----------------------------------------------------------------------


def test_the_applicant_removes_a_file(territory, procedure, django_capture_on_commit_callbacks):
    request = request_of(procedure, territory.citizen)
    attachment = attachment_add(
        actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
    )
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(actor=territory.citizen, request=request, attachment=attachment)
    assert not Attachment.objects.exists()
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(
        detail__request=str(request.uuid), detail__attachment_removed=attachment.pk
    ).exists()


def test_removal_rules(territory, procedure, instructor):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    attachment = attachment_add(
        actor=territory.citizen, request=request, field_key="justificatif", upload=pdf()
    )
    other = request_of(procedure, territory.other_citizen)
    for actor, target in (
        (territory.other_citizen, request),
        (instructor, request),
        (territory.other_citizen, other),  # an attachment of another request
    ):
        with pytest.raises(PermissionDenied):
            attachment_remove(actor=actor, request=target, attachment=attachment)
    request.state = RequestState.INSTRUCTION
    request.save()
    with pytest.raises(PermissionDenied):
        attachment_remove(actor=territory.citizen, request=request, attachment=attachment)
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_message_file_is_not_removed(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    message = message_send(actor=territory.citizen, request=request, body="Voici", uploads=[pdf()])
    (attachment,) = message.attachments.all()
    with pytest.raises(PermissionDenied):
        attachment_remove(actor=territory.citizen, request=request, attachment=attachment)


# --- message_send ----------------------------------------------------------------------------


def test_the_applicant_writes_to_the_instructors(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    message = message_send(
        actor=territory.citizen, request=request, body="  Bonjour, où en est mon dossier ?  "
    )
    assert message.body == "Bonjour, où en est mon dossier ?"
    assert message.author == territory.citizen
    assert not message.from_instructor
    event = RequestEvent.objects.get(request=request, action=RequestEvent.Action.MESSAGE)
    assert event.detail == {"message": message.pk, "from_instructor": False, "attachments": 0}
    audit = AuditEvent.objects.get(action=AuditEvent.Action.MESSAGE)
    assert audit.detail["request"] == str(request.uuid)
    assert audit.authority == territory.merignac
    assert "Bonjour" not in str(audit.detail)  # the audit log keeps facts, not contents


@pytest.mark.parametrize(
    "state",
    [
        RequestState.SUBMITTED,
        RequestState.INSTRUCTION,
        RequestState.ACCEPTED,
        RequestState.REFUSED,
        RequestState.CLOSED,
    ],
)
def test_an_instructor_writes_on_any_submitted_request(territory, procedure, instructor, state):
    request = request_of(procedure, territory.citizen, state)
    message = message_send(actor=instructor, request=request, body="Pièce reçue.")
    assert message.from_instructor
    assert message.author == instructor


def test_administrators_above_may_write(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.INSTRUCTION)
    message = message_send(actor=territory.region_admin, request=request, body="Vu.")
    assert message.from_instructor


def test_nobody_else_writes(territory, procedure, instructor):
    request = request_of(procedure, territory.citizen, RequestState.INSTRUCTION)
    # Agents of the owner who do not instruct, a neighbour, an agent elsewhere, nobody.
    for someone in (
        territory.agent,
        territory.publisher,
        territory.other_citizen,
        territory.bordeaux_agent,
        None,
    ):
        with pytest.raises(PermissionDenied):
            message_send(actor=someone, request=request, body="Intrusion")
    assert not Message.objects.exists()


def test_no_message_on_a_draft(territory, procedure, instructor):
    request = request_of(procedure, territory.citizen, RequestState.DRAFT)
    for someone in (territory.citizen, instructor):
        with pytest.raises(PermissionDenied):
            message_send(actor=someone, request=request, body="Bonjour")
    assert not Message.objects.exists()


def test_an_empty_or_endless_message_is_refused(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.SUBMITTED)
    with pytest.raises(ValidationError) as caught:
        message_send(actor=territory.citizen, request=request, body="   ")
    assert caught.value.message_dict["body"] == ["Écrivez votre message."]
    with pytest.raises(ValidationError) as caught:
        message_send(actor=territory.citizen, request=request, body="a" * 10_001)
    assert "10000 caractères" in caught.value.message_dict["body"][0]
    assert not Message.objects.exists()


def test_message_files_are_checked_like_the_forms(territory, procedure, instructor):
    request = request_of(procedure, territory.citizen, RequestState.INSTRUCTION)
    photo = Upload(io.BytesIO(hostile.image("JPEG")), "compteur.jpg")
    message = message_send(
        actor=territory.citizen, request=request, body="Les pièces", uploads=[pdf(), photo]
    )
    names = sorted(a.file_name for a in message.attachments.all())
    assert names == ["compteur.jpg", "facture.pdf"]
    assert all(a.field_key == "" and a.request == request for a in message.attachments.all())
    event = RequestEvent.objects.get(request=request, action=RequestEvent.Action.MESSAGE)
    assert event.detail["attachments"] == 2
    assert message_attachment_rule() == "PDF, JPG ou PNG, 10 Mo maximum"
    odt = Upload(io.BytesIO(make_odt("Note", ["Texte."])), "note.odt")
    with pytest.raises(ValidationError) as caught:
        message_send(actor=instructor, request=request, body="Voir la note", uploads=[odt])
    assert (
        "Formats acceptés : PDF, JPG ou PNG, 10 Mo maximum." in caught.value.message_dict["file"][0]
    )


def test_an_infected_message_file_refuses_the_whole_message(
    territory, procedure, scanned, private_storage
):
    request = request_of(procedure, territory.citizen, RequestState.INSTRUCTION)
    with pytest.raises(ValidationError) as caught:
        message_send(
            actor=territory.citizen,
            request=request,
            body="Ma facture",
            uploads=[pdf(), infected_pdf()],
        )
    assert "L'antivirus a détecté un contenu malveillant" in caught.value.message_dict["file"][0]
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert not RequestEvent.objects.filter(request=request).exists()
    assert everything_stored(private_storage) == []


def test_a_message_carries_a_bounded_number_of_files(territory, procedure):
    request = request_of(procedure, territory.citizen, RequestState.INSTRUCTION)
    with pytest.raises(ValidationError):
        message_send(
            actor=territory.citizen,
            request=request,
            body="Tout",
            uploads=[pdf() for _ in range(MAX_FILES_PER_MESSAGE + 1)],
        )
    assert not Message.objects.exists()
