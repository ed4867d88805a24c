"""Files and messages of a request: attachments to the form (uploaded, or picked from the
citizen's space), and messages between the citizen and the instructors.

- Every file goes through the document store's checks before anything is written: the content
  validation (``documents.validation.check_upload``), then the field's own types and size
  (``procedures.fields``), then the malware scan (``documents.scanning``, ClamAV). A refused
  file leaves no row and no file; the French message names the limit.
- Files are kept in the attachment field's storage under ``procedures/<request uuid>/…``,
  never served by a public URL: downloads go through permission-checked views.
- The form's attachments are written by the applicant while the request is a draft or is
  being built (``brouillon``, ``en_construction``). Messages are written by the applicant or
  an instructor (``procedures.selectors.may_instruct``) on any submitted request; their files
  follow the form's default rules (``MESSAGE_FIELD``).
- Each write is one durable transaction with an audit row (``authority=procedure.owner``,
  detail ``request=<uuid>``); a message also writes a ``RequestEvent`` and, once committed,
  mails the other side (``procedures.notify``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import Audience, Document, Status
from documents.scanning import scan_upload
from documents.selectors import documents_visible_to
from documents.services.store import Upload
from documents.validation import CheckedFile, UploadRejected, check_upload
from identity.models import User
from procedures import fields as form_fields
from procedures.models import Attachment, Message, Request, RequestEvent, RequestState
from procedures.selectors import may_instruct

Actor = User | AnonymousUser | None

# The form's attachments are changed while the citizen may still change the request.
EDITABLE_STATES = (RequestState.DRAFT, RequestState.SUBMITTED)
MAX_FILES_PER_FIELD = 10
MAX_FILES_PER_MESSAGE = 5
MAX_MESSAGE = 10_000
# Files joined to a message follow the form's default rules (the citizen reads them before
# choosing a file: ``message_attachment_rule()``).
MESSAGE_FIELD: dict[str, Any] = {
    "key": "",
    "type": "attachment",
    "label": "Pièce jointe au message",
    "allowed_types": list(form_fields.DEFAULT_ALLOWED_TYPES),
    "max_size_mb": form_fields.DEFAULT_MAX_SIZE_MB,
}


def message_attachment_rule() -> str:
    """What a message's files may be, said before upload: « PDF, JPG ou PNG, 10 Mo maximum »."""
    return form_fields.attachment_rule(MESSAGE_FIELD)


# --- checks ---------------------------------------------------------------------------------


def _megabytes(size: float) -> str:
    """12.4 → « 12,4 Mo » (French decimal comma, no useless ",0")."""
    return f"{size:.1f}".removesuffix(".0").replace(".", ",") + " Mo"


def _rejected(key: str, message: str, code: str) -> ValidationError:
    return ValidationError({key: ValidationError(message, code=code)})


def check_file(upload: Upload, field: dict[str, Any], *, key: str = "file") -> CheckedFile:
    """Validate an upload for an attachment field (or ``MESSAGE_FIELD``) before anything is
    written: content, the field's types and size, then the malware scan. A refusal is a
    ``ValidationError`` ``{key: French message}``."""
    cap = int(form_fields._upload_cap_mb() * 1024 * 1024)
    try:
        checked = check_upload(upload.fileobj, upload.name, max_size=cap)
    except UploadRejected as exc:
        if exc.code == "too_large":
            raise _rejected(
                key,
                _("Ce fichier dépasse %(cap)s ; cette pièce est limitée à %(limit)s.")
                % {
                    "cap": _megabytes(cap / (1024 * 1024)),
                    "limit": _megabytes(form_fields.max_upload_bytes(field) / (1024 * 1024)),
                },
                exc.code,
            ) from exc
        raise _rejected(key, exc.message, exc.code) from exc
    limit = form_fields.max_upload_bytes(field)
    if checked.size > limit:
        raise _rejected(
            key,
            _("Ce fichier fait %(size)s ; cette pièce est limitée à %(limit)s.")
            % {
                "size": _megabytes(max(checked.size / (1024 * 1024), 0.1)),
                "limit": _megabytes(limit / (1024 * 1024)),
            },
            "too_large",
        )
    extension = checked.name.rpartition(".")[2].lower()
    allowed = form_fields.allowed_extensions(field)
    if checked.kind not in form_fields.accepted_kinds(field) or extension not in allowed:
        raise _rejected(
            key,
            _(
                "Ce type de fichier (%(ext)s) n'est pas accepté pour cette pièce. "
                "Formats acceptés : %(rule)s."
            )
            % {"ext": extension.upper(), "rule": form_fields.attachment_rule(field)},
            "type_not_allowed",
        )
    try:
        scan_upload(upload.fileobj, checked.name)
    except UploadRejected as exc:
        raise _rejected(key, exc.message, exc.code) from exc
    upload.fileobj.seek(0)
    return checked


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _is_applicant(actor: Actor, request: Request) -> bool:
    user = _user(actor)
    return user is not None and request.applicant_id is not None and user.pk == request.applicant_id


def _lock(request: Request) -> Request:
    return (
        Request.objects.select_for_update()
        .select_related("procedure", "procedure__owner", "revision")
        .get(pk=request.pk)
    )


def _require_form_writer(actor: Actor, request: Request) -> None:
    """The applicant (or the system, actor None) while the request may still be changed."""
    if actor is not None and not _is_applicant(actor, request):
        raise PermissionDenied(_("Seul le demandeur peut joindre des pièces à ce dossier."))
    if request.state not in EDITABLE_STATES:
        raise PermissionDenied(
            _(
                "Ce dossier est en cours d'instruction ou clos : ses pièces ne peuvent plus être "
                "modifiées. Vous pouvez envoyer un message à l'instructeur."
            )
        )


def attachment_field(request: Request, field_key: str) -> dict[str, Any]:
    """The attachment field ``field_key`` of the request's revision, or ValidationError."""
    for field in request.revision.fields:
        if field.get("key") == field_key and field.get("type") == "attachment":
            return dict(field)
    raise ValidationError(
        {field_key or "file": _("Ce formulaire n'a pas de pièce « %(key)s ».") % {"key": field_key}}
    )


def _audit(actor: Actor, action: str, request: Request, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        authority=request.procedure.owner,
        request=str(request.uuid),
        procedure=request.procedure_id,
        **detail,
    )


def _touch(actor: Actor, request: Request, **detail: Any) -> None:
    """The request changed: its date, and in its log once submitted (the instructors see it)."""
    request.updated_at = timezone.now()
    request.save(update_fields=["updated_at"])
    if request.state != RequestState.DRAFT:
        RequestEvent.objects.create(
            request=request,
            actor=_user(actor),
            action=RequestEvent.Action.UPDATE,
            state=request.state,
            detail=detail,
        )


@contextmanager
def _removed_on_failure(attachment: Attachment) -> Iterator[None]:
    """The stored file is deleted if the rest of the write fails (no file without its row)."""
    try:
        yield
    except BaseException:
        _delete_file(attachment)
        raise


def _delete_file(attachment: Attachment) -> None:
    name = attachment.file.name
    if name:
        attachment.file.storage.delete(name)


def _store(
    *,
    actor: Actor,
    request: Request,
    field_key: str,
    upload: Upload,
    checked: CheckedFile,
    message: Message | None = None,
    from_document: Document | None = None,
) -> Attachment:
    attachment = Attachment(
        request=request,
        field_key=field_key,
        message=message,
        file_name=checked.name,
        mime_type=checked.mime_type,
        size=checked.size,
        sha256=checked.sha256,
        from_document=from_document,
        uploaded_by=_user(actor),
    )
    upload.fileobj.seek(0)
    attachment.file.save(checked.name, File(upload.fileobj), save=False)
    with _removed_on_failure(attachment):
        attachment.save()
    return attachment


def _count_check(request: Request, field_key: str) -> None:
    count = Attachment.objects.filter(request=request, field_key=field_key, message=None).count()
    if count >= MAX_FILES_PER_FIELD:
        raise ValidationError(
            {
                field_key: _(
                    "Cette pièce compte déjà %(max)s fichiers : retirez-en un avant d'en ajouter."
                )
                % {"max": MAX_FILES_PER_FIELD}
            }
        )


# --- the form's attachments ------------------------------------------------------------------


@service
def attachment_add(
    *,
    actor: Actor,
    request: Request,
    field_key: str,
    upload: Upload,
    message: Message | None = None,
) -> Attachment:
    """Join an uploaded file to the request: to the attachment field ``field_key`` (by the
    applicant, while the request may be changed), or to ``message`` (``message_send`` calls
    it with ``.step``). Checked first (``check_file``); nothing is written when refused."""
    request = _lock(request)
    if message is not None:
        if message.request_id != request.pk:
            raise PermissionDenied(_("Ce message n'appartient pas à ce dossier."))
        author = _user(actor)
        if actor is not None and (author is None or message.author_id != author.pk):
            raise PermissionDenied(_("Seul l'auteur du message peut y joindre un fichier."))
        checked = check_file(upload, MESSAGE_FIELD)
        attachment = _store(
            actor=actor,
            request=request,
            field_key="",
            upload=upload,
            checked=checked,
            message=message,
        )
        with _removed_on_failure(attachment):
            _audit(
                actor,
                AuditEvent.Action.UPDATE,
                request,
                attachment=attachment.pk,
                message=message.pk,
                file_name=checked.name,
                size=checked.size,
                sha256=checked.sha256,
            )
        return attachment
    _require_form_writer(actor, request)
    field = attachment_field(request, field_key)
    _count_check(request, field_key)
    checked = check_file(upload, field, key=field_key)
    attachment = _store(
        actor=actor, request=request, field_key=field_key, upload=upload, checked=checked
    )
    with _removed_on_failure(attachment):
        _touch(actor, request, attachment_added=field_key)
        _audit(
            actor,
            AuditEvent.Action.UPDATE,
            request,
            attachment=attachment.pk,
            field=field_key,
            file_name=checked.name,
            size=checked.size,
            sha256=checked.sha256,
        )
    return attachment


def pickable_documents(user: Actor) -> Any:
    """Documents ``user`` may attach from their space: published, readable by them, and either
    addressed to them (personal) or public."""
    principal = _user(user)
    if principal is None:
        return Document.objects.none()
    return (
        documents_visible_to(principal)
        .filter(status=Status.PUBLISHED, current_version__isnull=False)
        .filter(
            Q(audience=Audience.PUBLIC) | Q(audience=Audience.PERSONAL, addressee_id=principal.pk)
        )
    )


@service
def attachment_pick(
    *, actor: Actor, request: Request, field_key: str, document: Document
) -> Attachment:
    """Attach a copy of ``document``'s current file (a document of the actor's space: one
    addressed to them, or a public one) to the attachment field ``field_key``. The copy is
    checked like an upload against the field's rules; the request keeps what was sent even if
    the document changes later."""
    request = _lock(request)
    _require_form_writer(actor, request)
    field = attachment_field(request, field_key)
    readable = pickable_documents(actor) if actor is not None else Document.objects.all()
    picked = readable.select_related("current_version").filter(pk=document.pk).first()
    if picked is None or picked.current_version is None:
        raise PermissionDenied(
            _("Vous ne pouvez joindre que vos documents personnels ou des documents publics.")
        )
    version = picked.current_version
    _count_check(request, field_key)
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as copy:
        try:
            with version.file.open("rb") as source:
                shutil.copyfileobj(source, copy)
        except OSError as exc:
            raise ValidationError(
                {field_key: _("Le fichier de ce document est introuvable ; joignez-le à la main.")}
            ) from exc
        copy.seek(0)
        upload = Upload(copy, version.file_name)
        checked = check_file(upload, field, key=field_key)
        attachment = _store(
            actor=actor,
            request=request,
            field_key=field_key,
            upload=upload,
            checked=checked,
            from_document=picked,
        )
    with _removed_on_failure(attachment):
        _touch(actor, request, attachment_added=field_key)
        _audit(
            actor,
            AuditEvent.Action.UPDATE,
            request,
            attachment=attachment.pk,
            field=field_key,
            file_name=checked.name,
            size=checked.size,
            sha256=checked.sha256,
            from_document=picked.pk,
        )
    return attachment


@service
def attachment_remove(*, actor: Actor, request: Request, attachment: Attachment) -> None:
    """Take a file off a form field (the applicant, while the request may be changed); the file
    is deleted once the removal is committed. A message's files stay (the exchange is kept)."""
    request = _lock(request)
    _require_form_writer(actor, request)
    locked = (
        Attachment.objects.select_for_update()
        .filter(pk=attachment.pk, request=request, message__isnull=True)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("Cette pièce n'appartient pas à ce dossier."))
    storage, name = locked.file.storage, locked.file.name
    field_key, file_name, pk = locked.field_key, locked.file_name, locked.pk
    locked.delete()
    _touch(actor, request, attachment_removed=field_key)
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        request,
        attachment_removed=pk,
        field=field_key,
        file_name=file_name,
    )
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


# --- messages --------------------------------------------------------------------------------


@service
def message_send(
    *, actor: Actor, request: Request, body: str, uploads: Sequence[Upload] = ()
) -> Message:
    """A message on a submitted request, by its applicant or one of its instructors, with
    files checked like the form's (``MESSAGE_FIELD``). Logged (``RequestEvent`` MESSAGE) and
    audited; once committed the other side is told by e-mail (never the message itself)."""
    request = _lock(request)
    from_applicant = _is_applicant(actor, request)
    if not from_applicant and not (actor is not None and may_instruct(actor, request)):
        raise PermissionDenied(_("Vous ne pouvez pas écrire sur ce dossier."))
    if request.state == RequestState.DRAFT:
        raise PermissionDenied(
            _("Un brouillon n'a pas encore d'instructeur : déposez le dossier pour écrire.")
        )
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": _("Écrivez votre message.")})
    if len(text) > MAX_MESSAGE:
        raise ValidationError(
            {
                "body": _("Le message dépasse %(max)s caractères (il en compte %(count)s).")
                % {"max": MAX_MESSAGE, "count": len(text)}
            }
        )
    uploads = [u for u in uploads if u is not None]
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(
            {
                "file": _("Joignez au plus %(max)s fichiers à un message.")
                % {"max": MAX_FILES_PER_MESSAGE}
            }
        )
    # Every file is checked before anything is written (a refused one refuses the message).
    checked = [(upload, check_file(upload, MESSAGE_FIELD)) for upload in uploads]
    message = Message.objects.create(
        request=request, author=_user(actor), from_instructor=not from_applicant, body=text
    )
    stored: list[Attachment] = []
    try:
        for upload, described in checked:
            stored.append(
                _store(
                    actor=actor,
                    request=request,
                    field_key="",
                    upload=upload,
                    checked=described,
                    message=message,
                )
            )
        request.updated_at = timezone.now()
        request.save(update_fields=["updated_at"])
        RequestEvent.objects.create(
            request=request,
            actor=_user(actor),
            action=RequestEvent.Action.MESSAGE,
            state=request.state,
            detail={
                "message": message.pk,
                "from_instructor": message.from_instructor,
                "attachments": len(stored),
            },
        )
        _audit(
            actor,
            AuditEvent.Action.MESSAGE,
            request,
            message=message.pk,
            from_instructor=message.from_instructor,
            attachments=[a.pk for a in stored],
        )
    except BaseException:
        for attachment in stored:
            _delete_file(attachment)
        raise
    from procedures.notify import notify_applicant, notify_instructors

    if message.from_instructor:
        notify_applicant(request.pk, "message")
    else:
        notify_instructors(request.pk, "message")
    return message
