"""The life of a request through its services: every transition, every refusal, the log, the
audit rows, the documents filed (real PDFs, read back with pypdf), the mails and webhooks
after commit — and nothing half-written when a step fails."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from audit.models import AuditEvent
from documents.models import Audience, Document, Status
from documents.selectors import documents_visible_to
from identity.models import Authority, Membership, User
from procedures.models import (
    Message,
    Procedure,
    ProcedureStatus,
    Request,
    RequestEvent,
    RequestState,
    WebhookDelivery,
)
from procedures.services.requests import (
    request_acknowledge,
    request_ask_correction,
    request_assign,
    request_decide,
    request_open,
    request_read_record,
    request_reopen,
    request_save,
    request_start,
    request_submit,
)
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

pytestmark = pytest.mark.django_db

FIELDS = [
    {"key": "identite", "type": "header", "label": "Identité"},
    {"key": "nom", "type": "text", "label": "Nom de l'enfant", "required": True},
    {"key": "naissance", "type": "date", "label": "Date de naissance", "required": True},
    {"key": "commune", "type": "commune", "label": "Commune de résidence", "required": False},
]
ANSWERS = {"nom": "Léa Martin", "naissance": "12/03/2019", "commune": "33281"}


@dataclass
class World:
    territory: dict[str, Authority]
    procedure: Procedure
    citizen: User
    other_citizen: User
    instructor: User
    second_instructor: User
    agent: User  # agent of Mérignac, not an instructor
    metro_admin: User  # administrator of the métropole, above Mérignac
    bordeaux_admin: User  # administrator of a sibling commune


@pytest.fixture
def world(settings) -> World:
    settings.TASKS = {
        **settings.TASKS,
        "civis": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    territory = make_territory()
    merignac = territory["merignac"]
    procedure = make_procedure(
        merignac, fields=FIELDS, title="Inscription scolaire", slug="inscription-scolaire"
    )
    return World(
        territory=territory,
        procedure=procedure,
        citizen=make_user("citoyen", email="citoyen@example.org", first_name="Camille"),
        other_citizen=make_user("voisin", email="voisin@example.org"),
        instructor=make_instructor(procedure, "instructeur", email="instructeur@example.org"),
        second_instructor=make_instructor(
            procedure, "instructrice", email="instructrice@example.org"
        ),
        agent=make_agent("agent", roles=[(merignac, Membership.Role.PUBLISHER)]),
        metro_admin=make_agent(
            "admin-metro", roles=[(territory["metropole"], Membership.Role.ADMIN)]
        ),
        bordeaux_admin=make_agent(
            "admin-bordeaux", roles=[(territory["bordeaux"], Membership.Role.ADMIN)]
        ),
    )


def pdf_text(document: Document) -> str:
    assert document.current_version is not None
    with document.current_version.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join((page.extract_text() or "") for page in reader.pages)


def events(request: Request) -> list[str]:
    return list(request.events.order_by("at", "pk").values_list("action", flat=True))


def audits(request: Request) -> list[str]:
    return list(
        AuditEvent.objects.filter(detail__request=str(request.uuid))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


def submitted(w: World, **answers: str) -> Request:
    request = request_start(actor=w.citizen, procedure=w.procedure)
    assert request_save(actor=w.citizen, request=request, data={**ANSWERS, **answers}) == {}
    return request_submit(actor=w.citizen, request=request)


def reload(request: Request) -> Request:
    return Request.objects.get(pk=request.pk)


# --- the journey ------------------------------------------------------------------------------


def test_the_whole_life_of_a_request(world, django_capture_on_commit_callbacks):
    w = world
    with django_capture_on_commit_callbacks(execute=True):
        request = request_start(actor=w.citizen, procedure=w.procedure)
    assert request.state == RequestState.DRAFT
    assert request.revision_id == w.procedure.current_revision_id
    assert events(request) == [RequestEvent.Action.CREATE]

    # A draft keeps what was typed, malformed values included.
    errors = request_save(
        actor=w.citizen, request=request, data={"nom": "Léa", "naissance": "32/13"}
    )
    assert set(errors) == {"naissance"}
    assert reload(request).data == {"nom": "Léa", "naissance": "32/13"}

    with django_capture_on_commit_callbacks(execute=True):
        request_save(actor=w.citizen, request=request, data=ANSWERS)
        request = request_submit(actor=w.citizen, request=request)
    request = reload(request)
    assert request.state == RequestState.SUBMITTED
    assert request.submitted_at is not None
    assert request.commune == w.territory["merignac"]
    assert request.data == ANSWERS  # raw, as typed
    receipt = request.receipt
    assert receipt is not None
    assert receipt.audience == Audience.PERSONAL and receipt.addressee == w.citizen
    assert receipt.status == Status.PUBLISHED and receipt.owner == w.procedure.owner
    assert request.number in receipt.title and "Inscription scolaire" in receipt.title
    text = pdf_text(receipt)
    assert request.number in text and "Léa Martin" in text
    # The applicant and the instructors read the receipt; the other agent does not.
    assert documents_visible_to(w.citizen).filter(pk=receipt.pk).exists()
    assert documents_visible_to(w.instructor).filter(pk=receipt.pk).exists()
    assert not documents_visible_to(w.agent).filter(pk=receipt.pk).exists()
    # Mails: the applicant (receipt) and every instructor (a new request).
    recipients = sorted(to for m in mail.outbox for to in m.to)
    assert recipients == [
        "citoyen@example.org",
        "instructeur@example.org",
        "instructrice@example.org",
    ]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        request = request_open(actor=w.instructor, request=request)
    request = reload(request)
    assert request.state == RequestState.INSTRUCTION and request.instruction_at is not None
    ack = request.acknowledgement
    assert ack is not None and ack.addressee == w.citizen
    assert "Accusé de réception" in ack.title
    assert request.number in pdf_text(ack)
    assert [m.to for m in mail.outbox] == [["citoyen@example.org"]]  # one mail, not two
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        request_ask_correction(
            actor=w.instructor, request=request, message="La date de naissance est fausse."
        )
    request = reload(request)
    assert request.state == RequestState.SUBMITTED
    assert request.correction_asked == "La date de naissance est fausse."
    message = Message.objects.get(request=request)
    assert message.from_instructor and message.author == w.instructor
    assert [m.to for m in mail.outbox] == [["citoyen@example.org"]]
    mail.outbox.clear()

    # The applicant corrects: "corrected" logged once, the instructors told.
    with django_capture_on_commit_callbacks(execute=True):
        request_save(actor=w.citizen, request=request, data={**ANSWERS, "naissance": "13/03/2019"})
        request_save(actor=w.citizen, request=request, data={**ANSWERS, "naissance": "14/03/2019"})
    request = reload(request)
    assert request.data["naissance"] == "14/03/2019"
    assert events(request).count(RequestEvent.Action.CORRECTED) == 1
    assert sorted(to for m in mail.outbox for to in m.to) == [
        "instructeur@example.org",
        "instructrice@example.org",
    ]

    request = request_open(actor=w.instructor, request=request)
    request = reload(request)
    assert request.acknowledgement_id == ack.pk  # filed once
    assert request.correction_asked == ""

    with django_capture_on_commit_callbacks(execute=True):
        request = request_decide(
            actor=w.instructor, request=request, outcome=RequestState.ACCEPTED, motivation=""
        )
    request = reload(request)
    assert request.state == RequestState.ACCEPTED and request.decided_at is not None
    decision = request.decision_document
    assert decision is not None and decision.addressee == w.citizen
    text = pdf_text(decision)
    assert request.number in text
    assert documents_visible_to(w.citizen).filter(pk=decision.pk).exists()
    assert documents_visible_to(w.second_instructor).filter(pk=decision.pk).exists()
    assert not documents_visible_to(w.agent).filter(pk=decision.pk).exists()
    decided = request.events.get(action=RequestEvent.Action.ACCEPT)
    assert decided.actor == w.instructor
    assert decided.detail["decision_document"] == decision.pk

    request = request_reopen(actor=w.instructor, request=request, reason="Pièce manquante.")
    request = reload(request)
    assert request.state == RequestState.INSTRUCTION
    assert request.decision_document is None and request.decided_at is None
    decision.refresh_from_db()
    assert decision.status == Status.WITHDRAWN
    assert not documents_visible_to(w.citizen).filter(pk=decision.pk, status=Status.PUBLISHED)
    assert AuditEvent.objects.filter(
        document=decision, action=AuditEvent.Action.WITHDRAW, actor=w.instructor
    ).exists()

    request = request_decide(
        actor=w.instructor,
        request=request,
        outcome=RequestState.REFUSED,
        motivation="Hors secteur scolaire.",
    )
    request = reload(request)
    assert request.state == RequestState.REFUSED and request.motivation == "Hors secteur scolaire."
    assert request.decision_document is not None
    assert request.decision_document.pk != decision.pk

    A = RequestEvent.Action
    assert events(request) == [
        A.CREATE,
        A.SUBMIT,
        A.OPEN,
        A.ACKNOWLEDGE,
        A.CORRECTION,
        A.CORRECTED,
        A.OPEN,
        A.ACCEPT,
        A.REOPEN,
        A.REFUSE,
    ]
    # Every event's state is the state it left the request in.
    states = list(request.events.order_by("at", "pk").values_list("state", flat=True))
    assert states[1] == RequestState.SUBMITTED and states[-1] == RequestState.REFUSED
    act = AuditEvent.Action
    trail = audits(request)
    for action in (act.CREATE, act.UPDATE, act.SUBMIT, act.INSTRUCT, act.DECIDE):
        assert action in trail
    assert trail.count(act.DECIDE) == 2
    # Every row of the request's trail names the owner and the procedure.
    rows = AuditEvent.objects.filter(detail__request=str(request.uuid))
    assert {r.authority_id for r in rows} == {w.procedure.owner_id}
    assert {r.detail["procedure"] for r in rows} == {w.procedure.pk}


def test_an_administrator_above_the_owner_instructs(world):
    w = world
    request = submitted(w)
    request = request_open(actor=w.metro_admin, request=request)
    assert reload(request).state == RequestState.INSTRUCTION
    request_decide(
        actor=w.metro_admin, request=request, outcome=RequestState.CLOSED, motivation="Doublon."
    )
    assert reload(request).state == RequestState.CLOSED


def test_assign_to_an_instructor_only(world):
    w = world
    request = submitted(w)
    request_assign(actor=w.instructor, request=request, assignee=w.second_instructor)
    request = reload(request)
    assert request.assigned_to == w.second_instructor
    assert events(request)[-1] == RequestEvent.Action.ASSIGN
    with pytest.raises(ValidationError) as error:
        request_assign(actor=w.instructor, request=request, assignee=w.agent)
    assert "assignee" in error.value.message_dict
    request_assign(actor=w.instructor, request=request, assignee=None)
    assert reload(request).assigned_to is None


def test_acknowledge_by_the_system_files_the_are_once(world):
    w = world
    draft = request_start(actor=w.citizen, procedure=w.procedure)
    with pytest.raises(ValidationError):
        request_acknowledge(actor=None, request=draft)
    request = submitted(w)
    request_acknowledge(request=request)
    request = reload(request)
    first = request.acknowledgement_id
    assert first is not None and request.state == RequestState.SUBMITTED
    request_acknowledge(request=request)
    assert reload(request).acknowledgement_id == first
    assert events(request).count(RequestEvent.Action.ACKNOWLEDGE) == 1
    with pytest.raises(PermissionDenied):
        request_acknowledge(actor=w.agent, request=request)


def test_submitted_request_saves_only_valid_answers(world):
    w = world
    request = submitted(w)
    errors = request_save(actor=w.citizen, request=request, data={**ANSWERS, "nom": ""})
    assert "nom" in errors
    assert reload(request).data == ANSWERS
    assert request_save(actor=w.citizen, request=request, data={**ANSWERS, "nom": "Léo"}) == {}
    assert reload(request).data["nom"] == "Léo"
    assert events(reload(request))[-1] == RequestEvent.Action.UPDATE
    # Unknown keys are not stored.
    request_save(actor=w.citizen, request=request, data={**ANSWERS, "intrus": "x"})
    assert "intrus" not in reload(request).data


def test_webhook_delivery_recorded_on_each_state_change(world, django_capture_on_commit_callbacks):
    w = world
    w.procedure.webhook_url = "https://backoffice.example.org/hook"
    w.procedure.webhook_secret = "s3cret"
    w.procedure.save()
    request = request_start(actor=w.citizen, procedure=w.procedure)
    request_save(actor=w.citizen, request=request, data=ANSWERS)
    assert not WebhookDelivery.objects.exists()  # drafts are the citizen's alone
    request_submit(actor=w.citizen, request=request)
    request_open(actor=w.instructor, request=request)
    assert list(
        WebhookDelivery.objects.filter(request=request)
        .order_by("pk")
        .values_list("event", flat=True)
    ) == ["submit", "open", "acknowledge"]
    payload = WebhookDelivery.objects.filter(request=request).first().payload
    assert "Léa" not in str(payload)


# --- refusals ---------------------------------------------------------------------------------


def test_who_may_not_start(world):
    w = world
    with pytest.raises(PermissionDenied):
        request_start(actor=None, procedure=w.procedure)
    w.procedure.eligibility = "agents"
    w.procedure.save()
    with pytest.raises(PermissionDenied):
        request_start(actor=w.citizen, procedure=w.procedure)
    w.procedure.eligibility = "signed_in"
    w.procedure.status = ProcedureStatus.CLOSED
    w.procedure.save()
    with pytest.raises(ValidationError):
        request_start(actor=w.citizen, procedure=w.procedure)
    assert not Request.objects.exists()


def test_only_the_applicant_writes_the_draft(world):
    w = world
    request = request_start(actor=w.citizen, procedure=w.procedure)
    for intruder in (w.other_citizen, w.instructor, w.agent, w.metro_admin, None):
        with pytest.raises(PermissionDenied):
            request_save(actor=intruder, request=request, data=ANSWERS)
        with pytest.raises(PermissionDenied):
            request_submit(actor=intruder, request=request)
    assert reload(request).data == {}
    # Drafts are the applicant's alone: nobody instructs them.
    for actor in (w.instructor, w.metro_admin):
        with pytest.raises(PermissionDenied):
            request_open(actor=actor, request=request)


def test_submission_with_errors_writes_nothing(world):
    w = world
    request = request_start(actor=w.citizen, procedure=w.procedure)
    request_save(actor=w.citizen, request=request, data={"nom": "Léa", "naissance": "demain"})
    before = (Document.objects.count(), RequestEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        request_submit(actor=w.citizen, request=request)
    assert "naissance" in error.value.message_dict
    request = reload(request)
    assert request.state == RequestState.DRAFT and request.submitted_at is None
    assert request.receipt is None
    after = (Document.objects.count(), RequestEvent.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_submission_refused_once_the_procedure_is_closed(world):
    w = world
    request = request_start(actor=w.citizen, procedure=w.procedure)
    request_save(actor=w.citizen, request=request, data=ANSWERS)
    Procedure.objects.filter(pk=w.procedure.pk).update(status=ProcedureStatus.CLOSED)
    with pytest.raises(ValidationError):
        request_submit(actor=w.citizen, request=request)
    assert reload(request).state == RequestState.DRAFT


def test_instructors_only(world):
    w = world
    request = submitted(w)
    for outsider in (w.agent, w.bordeaux_admin, w.other_citizen, w.citizen, None):
        for call in (
            lambda a: request_open(actor=a, request=request),
            lambda a: request_assign(actor=a, request=request, assignee=None),
        ):
            with pytest.raises(PermissionDenied):
                call(outsider)
    request_open(actor=w.instructor, request=request)
    for outsider in (w.agent, w.bordeaux_admin, w.other_citizen, w.citizen):
        with pytest.raises(PermissionDenied):
            request_ask_correction(actor=outsider, request=request, message="x")
        with pytest.raises(PermissionDenied):
            request_decide(actor=outsider, request=request, outcome="accepte", motivation="")
    assert reload(request).state == RequestState.INSTRUCTION


def test_nobody_instructs_their_own_request(world):
    w = world
    w.procedure.eligibility = "anyone"
    w.procedure.save()
    request = request_start(actor=w.instructor, procedure=w.procedure)
    request_save(actor=w.instructor, request=request, data=ANSWERS)
    request_submit(actor=w.instructor, request=request)
    with pytest.raises(PermissionDenied):
        request_open(actor=w.instructor, request=request)
    request_open(actor=w.second_instructor, request=request)


def test_an_instructor_whose_roles_ended_no_longer_instructs(world):
    w = world
    request = submitted(w)
    Membership.objects.filter(user=w.instructor).update(
        ends_on="2000-01-01", starts_on="1999-01-01"
    )
    instructor = User.objects.get(pk=w.instructor.pk)
    with pytest.raises(PermissionDenied):
        request_open(actor=instructor, request=request)


@pytest.mark.parametrize(
    ("state", "call"),
    [
        (RequestState.DRAFT, "open"),
        (RequestState.INSTRUCTION, "open"),
        (RequestState.ACCEPTED, "open"),
        (RequestState.SUBMITTED, "correction"),
        (RequestState.REFUSED, "correction"),
        (RequestState.SUBMITTED, "decide"),
        (RequestState.CLOSED, "decide"),
        (RequestState.SUBMITTED, "reopen"),
        (RequestState.INSTRUCTION, "reopen"),
        (RequestState.INSTRUCTION, "save"),
        (RequestState.ACCEPTED, "save"),
        (RequestState.SUBMITTED, "submit"),
        (RequestState.REFUSED, "submit"),
    ],
)
def test_transitions_outside_the_machine_are_refused(world, state, call):
    w = world
    request = make_request(w.procedure, w.citizen, state=state, data=ANSWERS)
    actor = w.citizen if call in ("save", "submit") else w.instructor
    calls = {
        "open": lambda: request_open(actor=actor, request=request),
        "correction": lambda: request_ask_correction(actor=actor, request=request, message="x"),
        "decide": lambda: request_decide(
            actor=actor, request=request, outcome="accepte", motivation=""
        ),
        "reopen": lambda: request_reopen(actor=actor, request=request, reason="x"),
        "save": lambda: request_save(actor=actor, request=request, data=ANSWERS),
        "submit": lambda: request_submit(actor=actor, request=request),
    }
    expected = (
        PermissionDenied
        if state == RequestState.DRAFT and actor == w.instructor
        else (ValidationError)
    )
    with pytest.raises(expected) as error:
        calls[call]()
    if expected is ValidationError:
        assert error.value.messages[0]  # a French sentence, shown as 400/409
    assert reload(request).state == state
    assert not request.events.exists()
    assert not AuditEvent.objects.filter(detail__request=str(request.uuid)).exists()


def test_decision_needs_a_known_outcome_and_a_motivation_to_refuse(world):
    w = world
    request = make_request(w.procedure, w.citizen, state=RequestState.INSTRUCTION, data=ANSWERS)
    with pytest.raises(ValidationError) as error:
        request_decide(actor=w.instructor, request=request, outcome="peut-etre", motivation="x")
    assert "outcome" in error.value.message_dict
    for outcome in (RequestState.REFUSED, RequestState.CLOSED):
        with pytest.raises(ValidationError) as error:
            request_decide(actor=w.instructor, request=request, outcome=outcome, motivation="  ")
        assert "motivation" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        request_ask_correction(actor=w.instructor, request=request, message=" ")
    assert "message" in error.value.message_dict
    assert reload(request).state == RequestState.INSTRUCTION
    assert not Document.objects.exists()


def test_reopen_needs_a_reason(world):
    w = world
    request = make_request(w.procedure, w.citizen, state=RequestState.ACCEPTED, data=ANSWERS)
    with pytest.raises(ValidationError) as error:
        request_reopen(actor=w.instructor, request=request, reason="")
    assert "reason" in error.value.message_dict


# --- nothing half-written ---------------------------------------------------------------------


def test_a_failed_decision_leaves_nothing(world, monkeypatch, django_capture_on_commit_callbacks):
    w = world
    request = submitted(w)
    request_open(actor=w.instructor, request=request)
    before = (
        Document.objects.count(),
        RequestEvent.objects.count(),
        AuditEvent.objects.count(),
        WebhookDelivery.objects.count(),
    )
    mail.outbox.clear()

    def broken(_request: Request) -> bytes:
        raise RuntimeError("PDF engine down")

    monkeypatch.setattr("procedures.pdf.decision_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        request_decide(actor=w.instructor, request=request, outcome="accepte", motivation="")
    assert callbacks == []
    request = reload(request)
    assert request.state == RequestState.INSTRUCTION and request.decided_at is None
    after = (
        Document.objects.count(),
        RequestEvent.objects.count(),
        AuditEvent.objects.count(),
        WebhookDelivery.objects.count(),
    )
    assert after == before
    assert mail.outbox == []


def test_a_failed_receipt_leaves_the_draft(world, monkeypatch):
    w = world
    request = request_start(actor=w.citizen, procedure=w.procedure)
    request_save(actor=w.citizen, request=request, data=ANSWERS)

    def broken(_request: Request) -> bytes:
        raise RuntimeError("PDF engine down")

    monkeypatch.setattr("procedures.pdf.receipt_pdf", broken)
    with pytest.raises(RuntimeError):
        request_submit(actor=w.citizen, request=request)
    request = reload(request)
    assert request.state == RequestState.DRAFT and request.submitted_at is None
    assert not Document.objects.exists()
    assert events(request) == [RequestEvent.Action.CREATE]


def test_a_failed_withdrawal_keeps_the_decision(world, monkeypatch):
    w = world
    request = submitted(w)
    request_open(actor=w.instructor, request=request)
    request_decide(actor=w.instructor, request=request, outcome="accepte", motivation="")
    decision = reload(request).decision_document

    def broken(**_kwargs: object) -> None:
        raise PermissionDenied("non")

    import documents.services

    monkeypatch.setattr(documents.services.personal_document_withdraw, "step", broken)
    with pytest.raises(PermissionDenied):
        request_reopen(actor=w.instructor, request=request, reason="Erreur.")
    request = reload(request)
    assert request.state == RequestState.ACCEPTED and request.decision_document == decision


# --- reads ------------------------------------------------------------------------------------


def test_reads_by_others_are_audited(world):
    w = world
    request = submitted(w)
    assert request_read_record(actor=w.citizen, request=request, what="page") is None
    view = request_read_record(
        actor=w.instructor, request=request, what="instruct_page", ip_address="192.0.2.1"
    )
    assert view is not None and view.action == AuditEvent.Action.VIEW
    assert view.detail["request"] == str(request.uuid) and view.ip_address == "192.0.2.1"
    assert view.authority_id == w.procedure.owner_id
    for what in ("attachment:3", "export_csv", "download"):
        row = request_read_record(actor=w.metro_admin, request=request, what=what)
        assert row is not None and row.action == AuditEvent.Action.DOWNLOAD
    from procedures.selectors import request_reads_of

    reads = list(request_reads_of(w.citizen))
    assert len(reads) == 4 and all(r.actor != w.citizen for r in reads)
    assert not request_reads_of(w.other_citizen).exists()
