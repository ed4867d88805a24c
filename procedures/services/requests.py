"""The life of a request (dossier), from the citizen's draft to the decision.

States and the only transitions (anything else is a ``ValidationError`` in French)::

    brouillon --submit--> en_construction --open--> en_instruction --decide--> accepte
                                ^                        |                     refuse
                                +----ask correction------+                     sans_suite
    accepte | refuse | sans_suite --reopen--> en_instruction

- The **applicant** starts a draft (``request_start``, if ``may_apply``), saves it as often as
  they like (``request_save``: raw answers kept even when malformed, so nothing typed is
  lost), and submits it (``request_submit``: full validation; the accusé d'enregistrement, AEE,
  is filed as a personal document at once). A submitted request stays editable by them until
  instruction starts; saves then must be valid (what instructors see stays a complete
  request). After a correction request, their first save logs "corrected" and tells the
  instructors, who resume with ``request_open``.
- **Instructors** and administrators above the owner (``requests_instructable_by``, never the
  applicant) open it (``request_open``: the accusé de réception, ARE, is filed once —
  ``request_acknowledge`` also runs from the 10-working-day command), ask for a correction,
  decide (the decision PDF is filed as a personal document addressed to the applicant, read by
  the instructors' group), reopen a decided request (its decision document is withdrawn), and
  assign it.

Refusals: ``PermissionDenied`` — the views answer 404 when the actor does not read the request
(``requests_visible_to``) and 403 otherwise.

Every transition locks the request row, writes a ``RequestEvent`` and an audit row
(``authority=procedure.owner``, detail ``request=<uuid>``, ``procedure=<pk>``, ``event``),
records a webhook delivery (``procedures.webhooks.announce``) and, after commit, sends the
mails (``procedures.notify``). Event names (webhooks, mails) are ``RequestEvent.Action``
values: submit, update, corrected, open, acknowledge, correction, accept, refuse, close,
reopen, assign.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import Document, DocumentType
from identity.models import Authority, User
from procedures.fields import LAYOUT_TYPES, clean_answers
from procedures.models import (
    CLOSED_STATES,
    Message,
    Procedure,
    ProcedureStatus,
    Request,
    RequestEvent,
    RequestState,
)
from procedures.selectors import (
    is_instructor,
    may_apply,
    requests_instructable_by,
    requests_visible_to,
)

Actor = User | AnonymousUser | None
Event = RequestEvent.Action

MESSAGE_MAX = 10_000
REASON_MAX = 2_000
TITLE_MAX = 255

# Outcome of a decision → the event it writes.
OUTCOMES: dict[str, str] = {
    RequestState.ACCEPTED: Event.ACCEPT,
    RequestState.REFUSED: Event.REFUSE,
    RequestState.CLOSED: Event.CLOSE,
}

# Which mails each event sends (after commit): to the applicant, to the instructors.
_NOTIFY: dict[str, tuple[bool, bool]] = {
    Event.SUBMIT: (True, True),
    Event.CORRECTED: (False, True),
    Event.OPEN: (True, False),
    Event.ACKNOWLEDGE: (True, False),
    Event.CORRECTION: (True, False),
    Event.ACCEPT: (True, False),
    Event.REFUSE: (True, False),
    Event.CLOSE: (True, False),
    Event.REOPEN: (True, True),
    Event.ASSIGN: (False, True),
}
# Events announced to the passerelle's webhook (state changes, and corrections made).
_ANNOUNCED = frozenset(
    {
        Event.SUBMIT,
        Event.CORRECTED,
        Event.OPEN,
        Event.ACKNOWLEDGE,
        Event.CORRECTION,
        Event.ACCEPT,
        Event.REFUSE,
        Event.CLOSE,
        Event.REOPEN,
    }
)


# --- helpers ----------------------------------------------------------------------------------


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _lock(request: Request) -> Request:
    """The request, its row locked (not the procedure's: many requests share it)."""
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("procedure", "procedure__owner", "revision", "applicant")
        .get(pk=request.pk)
    )


def _require_reader(actor: Actor, request: Request) -> None:
    if not requests_visible_to(actor).filter(pk=request.pk).exists():
        raise PermissionDenied(_("Dossier introuvable."))


def _require_applicant(actor: Actor, request: Request) -> None:
    _require_reader(actor, request)
    user = _user(actor)
    if user is None or request.applicant_id != user.pk:
        raise PermissionDenied(_("Seul le demandeur modifie son dossier."))


def _require_instructor(actor: Actor, request: Request) -> None:
    _require_reader(actor, request)
    if not requests_instructable_by(actor).filter(pk=request.pk).exists():
        raise PermissionDenied(_("Vous n'instruisez pas ce dossier."))


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="state")


def _notify(request_id: int, event: str) -> None:
    """Send the event's mails: ``procedures.notify`` enqueues them once the caller commits."""
    from procedures.notify import notify_applicant, notify_instructors

    to_applicant, to_instructors = _NOTIFY.get(event, (False, False))
    if to_applicant:
        notify_applicant(request_id, event)
    if to_instructors:
        notify_instructors(request_id, event)


def log_event(
    request: Request,
    *,
    actor: Actor,
    event: str,
    audit_action: str,
    ip_address: str | None = None,
    notify: bool = True,
    event_detail: dict[str, Any] | None = None,
    **detail: Any,
) -> RequestEvent:
    """Record what happened to ``request`` (inside the caller's transaction): its operation
    log, the audit row, the webhook delivery, and — after commit — the mails."""
    row = RequestEvent.objects.create(
        request=request,
        actor=_user(actor),
        action=event,
        state=request.state,
        detail=event_detail or {},
    )
    audit_record(
        actor=actor,
        action=audit_action,
        authority=request.procedure.owner,
        ip_address=ip_address,
        request=str(request.uuid),
        procedure=request.procedure_id,
        event=event,
        **detail,
    )
    if event in _ANNOUNCED:
        from procedures.webhooks import announce

        announce(request, event)
    if notify:
        _notify(request.pk, event)
    return row


def _attachment_counts(request: Request) -> dict[str, int]:
    rows = (
        request.attachments.filter(message__isnull=True)
        .exclude(field_key="")
        .values("field_key")
        .annotate(n=Count("pk"))
    )
    return {row["field_key"]: row["n"] for row in rows}


def _answer_keys(fields: list[dict[str, Any]]) -> set[str]:
    """Keys of the revision's fields that hold an answer in ``data``."""
    return {
        field["key"]
        for field in fields
        if isinstance(field, dict)
        and "key" in field
        and field.get("type") not in LAYOUT_TYPES
        and field.get("type") != "attachment"
    }


def _raw(value: Any) -> Any:
    """An answer as the contract stores it: str, list[str] or list[dict[str, str]]."""
    if value is None:
        return ""
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return [{str(k): _raw_text(v) for k, v in item.items()} for item in value]
        return [_raw_text(item) for item in value]
    return _raw_text(value)


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _commune(cleaned: dict[str, Any], fields: list[dict[str, Any]]) -> Authority | None:
    """The commune answered in the revision's first "commune" field, if any."""
    for field in fields:
        if field.get("type") == "commune":
            value = cleaned.get(field["key"])
            if isinstance(value, Authority):
                return value
    return None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_document(
    request: Request,
    *,
    title: str,
    content: bytes,
    file_name: str,
    document_type: str = DocumentType.ATTESTATION,
) -> Document:
    """File a personal document addressed to the applicant, read by the instructors' group."""
    from documents.services import personal_document_file

    procedure = request.procedure
    assert request.applicant is not None  # noqa: S101 (callers check)
    return personal_document_file.step(
        actor=None,
        owner=procedure.owner,
        addressee=request.applicant,
        title=_short(title, TITLE_MAX),
        content=content,
        file_name=file_name,
        document_type=document_type,
        reader_group=procedure.instructors,
    )


def _require_open_procedure(procedure: Procedure) -> None:
    if procedure.status != ProcedureStatus.PUBLISHED or procedure.current_revision_id is None:
        raise _refuse(_("Cette démarche est fermée : elle n'accepte plus de nouveaux dossiers."))


# --- the applicant ----------------------------------------------------------------------------


@service
def request_start(*, actor: Actor, procedure: Procedure) -> Request:
    """A draft on the procedure's current revision, for ``actor`` (if they may apply)."""
    procedure = Procedure.objects.select_related("owner", "current_revision").get(pk=procedure.pk)
    _require_open_procedure(procedure)
    user = _user(actor)
    if user is None or not may_apply(user, procedure):
        raise PermissionDenied(_("Cette démarche ne vous est pas ouverte."))
    assert procedure.current_revision is not None  # noqa: S101 (checked above)
    now = timezone.now()
    request = Request.objects.create(
        procedure=procedure,
        revision=procedure.current_revision,
        applicant=user,
        state=RequestState.DRAFT,
        created_at=now,
        updated_at=now,
    )
    log_event(
        request,
        actor=actor,
        event=Event.CREATE,
        audit_action=AuditEvent.Action.CREATE,
        revision=procedure.current_revision.number,
    )
    return request


@service
def request_save(*, actor: Actor, request: Request, data: dict[str, Any]) -> dict[str, list[str]]:
    """Store the applicant's answers; returns the errors by key.

    A draft keeps whatever was typed (malformed values included; only malformed values are
    reported, nothing is required yet). A submitted request (en_construction) is checked in
    full and stored only when valid — instructors never see an incomplete request; the first
    save after a correction request logs "corrected" and tells the instructors."""
    request = _lock(request)
    _require_applicant(actor, request)
    if request.state not in (RequestState.DRAFT, RequestState.SUBMITTED):
        raise _refuse(_("Ce dossier est en cours d'instruction : il ne se modifie plus."))
    if not isinstance(data, dict):
        raise ValidationError(_("Les réponses sont mal formées."))
    fields = request.revision.fields
    keys = _answer_keys(fields)
    raw = {str(key): _raw(value) for key, value in data.items() if key in keys}
    draft = request.state == RequestState.DRAFT
    cleaned, errors = clean_answers(
        fields, raw, attachments=_attachment_counts(request), partial=draft
    )
    if not draft and errors:
        return errors
    changed = sorted(key for key in keys if raw.get(key) != request.data.get(key))
    if not changed:
        return errors
    request.data = raw
    request.updated_at = timezone.now()
    update = ["data", "updated_at"]
    if not draft:
        request.commune = _commune(cleaned, fields)
        update.append("commune")
    request.save(update_fields=update)
    if draft:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            authority=request.procedure.owner,
            request=str(request.uuid),
            procedure=request.procedure_id,
            fields=changed,
        )
        return errors
    last = request.events.order_by("-at", "-pk").values_list("action", flat=True).first()
    if last == Event.CORRECTION:
        event = Event.CORRECTED
    elif last in (Event.UPDATE, Event.CORRECTED):
        # Successive saves of one editing session: one line in the log, an audit row each.
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            authority=request.procedure.owner,
            request=str(request.uuid),
            procedure=request.procedure_id,
            fields=changed,
        )
        return errors
    else:
        event = Event.UPDATE
    log_event(
        request,
        actor=actor,
        event=event,
        audit_action=AuditEvent.Action.UPDATE,
        event_detail={"fields": changed},
        fields=changed,
    )
    return errors


@service
def request_submit(*, actor: Actor, request: Request) -> Request:
    """Check every answer and submit the draft; the AEE is filed in the applicant's space.
    A ``ValidationError`` carries the errors by field key."""
    request = _lock(request)
    _require_applicant(actor, request)
    if request.state != RequestState.DRAFT:
        raise _refuse(_("Ce dossier a déjà été déposé."))
    _require_open_procedure(request.procedure)
    fields = request.revision.fields
    cleaned, errors = clean_answers(
        fields, request.data, attachments=_attachment_counts(request), partial=False
    )
    if errors:
        raise ValidationError({key: list(messages) for key, messages in errors.items()})
    now = timezone.now()
    request.state = RequestState.SUBMITTED
    request.submitted_at = now
    request.updated_at = now
    request.commune = _commune(cleaned, fields)
    request.save(update_fields=["state", "submitted_at", "updated_at", "commune"])
    from procedures.pdf import receipt_pdf

    request.receipt = _file_document(
        request,
        title=_("Accusé d'enregistrement — %(procedure)s — %(number)s")
        % {"procedure": request.procedure.title, "number": request.number},
        content=receipt_pdf(request),
        file_name=f"accuse-enregistrement-{request.number}.pdf",
    )
    request.save(update_fields=["receipt"])
    log_event(
        request,
        actor=actor,
        event=Event.SUBMIT,
        audit_action=AuditEvent.Action.SUBMIT,
        event_detail={"receipt": request.receipt.pk},
        receipt=request.receipt.pk,
    )
    return request


# --- the instructors --------------------------------------------------------------------------


def _acknowledge_locked(request: Request, *, actor: Actor, notify: bool = True) -> bool:
    """File the ARE if the request has none (in the caller's transaction); True if filed."""
    if request.acknowledgement_id is not None or request.applicant is None:
        return False
    from procedures.pdf import acknowledgement_pdf

    request.acknowledgement = _file_document(
        request,
        title=_("Accusé de réception — %(procedure)s — %(number)s")
        % {"procedure": request.procedure.title, "number": request.number},
        content=acknowledgement_pdf(request),
        file_name=f"accuse-reception-{request.number}.pdf",
    )
    request.save(update_fields=["acknowledgement"])
    log_event(
        request,
        actor=actor,
        event=Event.ACKNOWLEDGE,
        audit_action=AuditEvent.Action.INSTRUCT,
        notify=notify,
        event_detail={"acknowledgement": request.acknowledgement.pk},
        acknowledgement=request.acknowledgement.pk,
    )
    return True


@service
def request_acknowledge(*, actor: Actor = None, request: Request) -> Request:
    """File the accusé de réception (ARE) once. ``actor=None``: the system (the command that
    acknowledges, at the latest, 10 working days after submission). A decided request needs
    none (its decision answers it)."""
    request = _lock(request)
    if actor is not None:
        _require_instructor(actor, request)
    if request.state == RequestState.DRAFT:
        raise _refuse(_("Un brouillon n'est pas encore déposé : rien à accuser."))
    if request.state in CLOSED_STATES:
        return request
    _acknowledge_locked(request, actor=actor, notify=True)
    return request


@service
def request_open(*, actor: Actor, request: Request) -> Request:
    """Start (or resume, after a correction) the instruction; the ARE is filed if none yet."""
    request = _lock(request)
    _require_instructor(actor, request)
    if request.state != RequestState.SUBMITTED:
        raise _refuse(_("Seul un dossier déposé peut passer en instruction."))
    now = timezone.now()
    request.state = RequestState.INSTRUCTION
    if request.instruction_at is None:
        request.instruction_at = now
    request.correction_asked = ""
    request.updated_at = now
    request.save(update_fields=["state", "instruction_at", "correction_asked", "updated_at"])
    log_event(request, actor=actor, event=Event.OPEN, audit_action=AuditEvent.Action.INSTRUCT)
    # The acknowledgement's mail says instruction started (procedures.notify sends one mail).
    _acknowledge_locked(request, actor=actor, notify=True)
    return request


@service
def request_ask_correction(*, actor: Actor, request: Request, message: str) -> Request:
    """Send the request back to the applicant (en_construction) with what to correct; the
    message is also posted in the request's thread."""
    request = _lock(request)
    _require_instructor(actor, request)
    if request.state != RequestState.INSTRUCTION:
        raise _refuse(_("Seul un dossier en instruction peut être renvoyé pour correction."))
    text = (message or "").strip()
    if not text:
        raise ValidationError({"message": _("Dites au demandeur ce qu'il doit corriger.")})
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {"message": _("Le message dépasse %(n)d caractères.") % {"n": MESSAGE_MAX}}
        )
    now = timezone.now()
    posted = Message.objects.create(
        request=request, author=_user(actor), from_instructor=True, body=text, at=now
    )
    request.state = RequestState.SUBMITTED
    request.correction_asked = text
    request.updated_at = now
    request.save(update_fields=["state", "correction_asked", "updated_at"])
    log_event(
        request,
        actor=actor,
        event=Event.CORRECTION,
        audit_action=AuditEvent.Action.INSTRUCT,
        event_detail={"message": posted.pk},
        message=posted.pk,
    )
    return request


@service
def request_decide(*, actor: Actor, request: Request, outcome: str, motivation: str) -> Request:
    """Accept, refuse or close the request; the decision PDF is filed in the applicant's space
    (read by the instructors' group). A refusal or a closing must be motivated."""
    request = _lock(request)
    _require_instructor(actor, request)
    if request.state != RequestState.INSTRUCTION:
        raise _refuse(_("Seul un dossier en instruction peut recevoir une décision."))
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Choisissez : accepté, refusé ou classé sans suite.")})
    text = (motivation or "").strip()
    if outcome != RequestState.ACCEPTED and not text:
        raise ValidationError(
            {"motivation": _("Motivez la décision : elle est communiquée au demandeur.")}
        )
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {"motivation": _("La motivation dépasse %(n)d caractères.") % {"n": MESSAGE_MAX}}
        )
    now = timezone.now()
    request.state = outcome
    request.motivation = text
    request.decided_at = now
    request.updated_at = now
    request.save(update_fields=["state", "motivation", "decided_at", "updated_at"])
    # The event first: the PDF names who signed the decision from it.
    row = log_event(
        request,
        actor=actor,
        event=OUTCOMES[outcome],
        audit_action=AuditEvent.Action.DECIDE,
        event_detail={"outcome": outcome},
        outcome=outcome,
    )
    if request.applicant is not None:
        from procedures.pdf import decision_pdf

        request.decision_document = _file_document(
            request,
            title=_("Décision — %(procedure)s — %(number)s")
            % {"procedure": request.procedure.title, "number": request.number},
            content=decision_pdf(request),
            file_name=f"decision-{request.number}.pdf",
            document_type=DocumentType.AUTRE,
        )
        request.save(update_fields=["decision_document"])
        row.detail = {**row.detail, "decision_document": request.decision_document.pk}
        row.save(update_fields=["detail"])
    return request


@service
def request_reopen(*, actor: Actor, request: Request, reason: str) -> Request:
    """Take a decided request back into instruction; its decision document is withdrawn from
    the applicant's space (audited by the document store)."""
    request = _lock(request)
    _require_instructor(actor, request)
    if request.state not in CLOSED_STATES:
        raise _refuse(_("Seul un dossier clos peut être rouvert."))
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Indiquez pourquoi le dossier est rouvert.")})
    if len(text) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Le motif dépasse %(n)d caractères.") % {"n": REASON_MAX}}
        )
    previous = request.state
    withdrawn = request.decision_document
    if withdrawn is not None:
        from documents.services import personal_document_withdraw

        personal_document_withdraw.step(actor=actor, document=withdrawn, reason=text)
    request.state = RequestState.INSTRUCTION
    request.decided_at = None
    request.motivation = ""
    request.decision_document = None
    request.updated_at = timezone.now()
    request.save(
        update_fields=["state", "decided_at", "motivation", "decision_document", "updated_at"]
    )
    detail: dict[str, Any] = {
        "previous": previous,
        "withdrawn_document": withdrawn.pk if withdrawn is not None else None,
    }
    log_event(
        request,
        actor=actor,
        event=Event.REOPEN,
        audit_action=AuditEvent.Action.INSTRUCT,
        event_detail={**detail, "reason": text},
        **detail,
    )
    return request


@service
def request_assign(*, actor: Actor, request: Request, assignee: User | None) -> Request:
    """Assign the request to one of the procedure's instructors (or to nobody)."""
    request = _lock(request)
    _require_instructor(actor, request)
    if assignee is not None and not is_instructor(assignee, request.procedure):
        raise ValidationError(
            {"assignee": _("Seul un instructeur de la démarche peut se voir assigner le dossier.")}
        )
    new = assignee.pk if assignee is not None else None
    if request.assigned_to_id == new:
        return request
    request.assigned_to = assignee
    request.updated_at = timezone.now()
    request.save(update_fields=["assigned_to", "updated_at"])
    log_event(
        request,
        actor=actor,
        event=Event.ASSIGN,
        audit_action=AuditEvent.Action.UPDATE,
        event_detail={"assignee": new},
        assignee=new,
    )
    return request


# --- reads ------------------------------------------------------------------------------------

_DOWNLOAD_PREFIXES = ("download", "attachment", "export", "file", "zip", "csv")


def request_read_record(
    *, actor: Actor, request: Request, what: str, ip_address: str | None = None
) -> AuditEvent | None:
    """Log a read of ``request`` by someone other than its applicant (the instruct page, a
    file, an export, the passerelle API), so "Mes données" shows who read it and when.
    ``what`` says which read: one starting with download/attachment/export/file/zip/csv is a
    DOWNLOAD, anything else a VIEW. Not a service: it joins the caller's transaction if any
    (a read is logged with the page that shows it). Nothing is logged for the applicant."""
    user = _user(actor)
    if user is not None and request.applicant_id == user.pk:
        return None
    label = (what or "view")[:100]
    action = (
        AuditEvent.Action.DOWNLOAD
        if label.lower().startswith(_DOWNLOAD_PREFIXES)
        else AuditEvent.Action.VIEW
    )
    return audit_record(
        actor=actor,
        action=action,
        authority=request.procedure.owner,
        ip_address=ip_address,
        request=str(request.uuid),
        procedure=request.procedure_id,
        what=label,
    )
