"""Writes of the document store. Each: one function, the acting user as keyword, one
transaction, an audit row; side effects (text extraction, indexing) after commit."""

from __future__ import annotations

import datetime
import enum
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from audit.models import AuditEvent
from audit.services import audit_record
from documents.models import (
    Audience,
    Document,
    DocumentAuthorityGrant,
    DocumentType,
    DocumentVersion,
    GrantLevel,
    Licence,
    ReviewStep,
    Status,
)
from documents.scanning import scan_upload
from documents.selectors import (
    authorities_draftable_by,
    authorities_publishable_by,
    can_edit,
    can_publish,
)
from documents.services.deliberation import deliberation_details_save
from documents.signals import documents_changed
from documents.validation import CheckedFile, UploadRejected, check_upload
from identity.models import Authority, User


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: its bytes and the name the user gave it."""

    fileobj: IO[bytes]
    name: str


def _max_upload_bytes() -> int:
    return int(settings.CIVIS_MAX_UPLOAD_MB * 1024 * 1024)


def _check(upload: Upload) -> CheckedFile:
    """Validate the content, then scan it for malware (clamd), before anything is written."""
    try:
        checked = check_upload(upload.fileobj, upload.name, max_size=_max_upload_bytes())
        scan_upload(upload.fileobj, checked.name)
    except UploadRejected as exc:
        raise ValidationError({"file": ValidationError(exc.message, code=exc.code)}) from exc
    return checked


@contextmanager
def _files_removed_on_failure() -> Iterator[list[tuple[Storage, str]]]:
    """Collect stored files; delete them if the block fails, so nothing is left half-written.

    The block holds the service's durable transaction (``atomic(durable=True)``), so its commit
    is the real one: a failure at any later step, the commit included, removes the files.
    """
    stored: list[tuple[Storage, str]] = []
    try:
        yield stored
    except BaseException:
        for storage, name in stored:
            storage.delete(name)
        raise


def _store_version(
    *,
    actor: User | None,
    document: Document,
    upload: Upload,
    checked: CheckedFile,
    stored: list[tuple[Storage, str]],
) -> DocumentVersion:
    number = (
        document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        file_name=checked.name,
        kind=checked.kind,
        mime_type=checked.mime_type,
        size=checked.size,
        sha256=checked.sha256,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    upload.fileobj.seek(0)
    version.file.save(checked.name, File(upload.fileobj), save=False)
    assert version.file.name is not None  # noqa: S101 (save() names the file it stored)
    stored.append((version.file.storage, version.file.name))
    version.save()
    document.current_version = version
    document.extracted_text = ""
    document.updated_at = timezone.now()
    document.save(update_fields=["current_version", "extracted_text", "updated_at"])
    documents_changed.send(sender=Document, document_ids=[document.pk])
    transaction.on_commit(lambda: _enqueue_extraction(version.pk))
    return version


def _enqueue_extraction(version_id: int) -> None:
    from documents.tasks import extract_version_text

    extract_version_text.enqueue(version_id)


def _normalise_audience(audience: str, addressee: User | None) -> None:
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Public visé inconnu.")})
    if audience == Audience.PERSONAL:
        if addressee is None:
            raise ValidationError(
                {"addressee": _("Un document personnel doit avoir un destinataire.")}
            )
        if addressee.kind != User.Kind.CITIZEN:
            raise ValidationError(
                {"addressee": _("Le destinataire d'un document personnel doit être un citoyen.")}
            )
    elif addressee is not None:
        raise ValidationError({"addressee": _("Seul un document personnel a un destinataire.")})


def _require_editor(actor: User | None, document: Document) -> None:
    if actor is not None and not can_edit(actor, document):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce document."))


def _require_publisher(actor: User | None, document: Document) -> None:
    if actor is not None and not can_publish(actor, document):
        raise PermissionDenied(
            _(
                "Vous ne pouvez pas publier ce document : soumettez-le pour validation à un "
                "éditeur de la collectivité."
            )
        )


def document_create(
    *,
    actor: User | None,
    owner: Authority,
    title: str,
    upload: Upload,
    document_type: str = DocumentType.AUTRE,
    summary: str = "",
    audience: str = Audience.PUBLIC,
    addressee: User | None = None,
    tags: list[str] | None = None,
    licence: str | None = None,
    published_on: datetime.date | None = None,
    publish: bool = False,
    ip_address: str | None = None,
    deliberation: dict[str, Any] | None = None,
) -> Document:
    """Create a document (a draft unless ``publish``) with its first file version.

    ``deliberation``: the SCDL data of a délibération (``documents.services.deliberation``),
    stored in the same transaction; a wrong value refuses the whole creation.

    ``actor`` None is the system (demo loader, imports). An agent of an authority whose policy
    asks for review creates drafts only (``authorities_draftable_by``). ``publish`` with a
    ``published_on`` in the future schedules the document at 00:00 (Europe/Paris) that day.
    The upload is checked before anything is written; any failure leaves no row and no file.
    """
    if actor is not None:
        if not authorities_draftable_by(actor).filter(pk=owner.pk).exists():
            raise PermissionDenied(_("Vous ne pouvez pas publier pour cette collectivité."))
        if publish and not authorities_publishable_by(actor).filter(pk=owner.pk).exists():
            raise PermissionDenied(
                _(
                    "Vous ne pouvez pas publier pour cette collectivité : enregistrez un "
                    "brouillon et soumettez-le pour validation."
                )
            )
    document = Document(
        owner=owner,
        title=(title or "").strip()[:255],
        summary=summary,
        document_type=document_type,
        audience=audience,
        addressee=addressee,
        licence=licence if licence is not None else Licence.LO2,
        published_on=published_on,
        status=Status.DRAFT,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _validate(document)
    checked = _check(upload)
    with _files_removed_on_failure() as stored, transaction.atomic(durable=True):
        document.save()
        if tags:
            document.tags.set(tags)
        version = _store_version(
            actor=actor, document=document, upload=upload, checked=checked, stored=stored
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            document=document,
            ip_address=ip_address,
            version=version.number,
            sha256=checked.sha256,
            size=checked.size,
        )
        if deliberation is not None:
            _deliberation_save(actor, document, deliberation, ip_address)
        if publish:
            _transition(
                actor=actor, document=document, status=Status.PUBLISHED, ip_address=ip_address
            )
    return document


def _deliberation_save(
    actor: User | None, document: Document, data: dict[str, Any], ip_address: str | None
) -> None:
    deliberation_details_save.step(actor=actor, document=document, data=data, ip_address=ip_address)


class Keep(enum.Enum):
    """An argument of ``document_edit`` left out: the field keeps its value."""

    KEEP = "keep"


KEEP = Keep.KEEP
# The statuses document_edit moves a document to. DRAFT only from SCHEDULED (unschedule);
# IN_REVIEW through document_submit.
TRANSITIONS = (Status.PUBLISHED, Status.WITHDRAWN, Status.SCHEDULED, Status.DRAFT)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def start_of_day(day: datetime.date) -> datetime.datetime:
    """00:00 Europe/Paris on ``day``: when a document dated that day goes live."""
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=PARIS)


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def document_edit(
    *,
    actor: User | None,
    document: Document,
    title: str | Keep = KEEP,
    summary: str | Keep = KEEP,
    document_type: str | Keep = KEEP,
    published_on: datetime.date | Keep | None = KEEP,
    audience: str | Keep = KEEP,
    licence: str | Keep = KEEP,
    addressee: User | Keep | None = KEEP,
    tags: list[str] | None = None,
    upload: Upload | None = None,
    status: str | None = None,
    go_live_at: datetime.datetime | Keep | None = KEEP,
    expire_at: datetime.datetime | Keep | None = KEEP,
    ip_address: str | None = None,
    deliberation: dict[str, Any] | None = None,
) -> Document:
    """Everything the admin edit form does, as one write: metadata, tags, a new file version,
    the go-live and end-of-display times, a status change (``TRANSITIONS``), the SCDL data of
    a délibération (``deliberation``).

    ``Status.SCHEDULED`` needs a ``go_live_at`` (given or already stored): in the future it
    schedules, already past it publishes now. ``Status.PUBLISHED`` with a ``published_on`` in
    the future schedules at 00:00 Europe/Paris that day. ``Status.DRAFT`` unschedules a
    scheduled document. A new ``go_live_at`` on a scheduled document reschedules it.
    ``expire_at`` must come after the go-live time and after now. Changing the status needs
    the right to publish (``documents.selectors.can_publish``).

    One durable transaction: if any step fails, nothing of the edit is kept (no metadata
    change, no version, no file, no audit row)."""
    _require_editor(actor, document)
    if status is not None and status not in TRANSITIONS:
        raise ValidationError({"status": _("Statut inconnu.")})
    go_live_at = go_live_at if isinstance(go_live_at, Keep) else _aware(go_live_at)
    expire_at = expire_at if isinstance(expire_at, Keep) else _aware(expire_at)
    checked = _check(upload) if upload is not None else None
    with _files_removed_on_failure() as stored, transaction.atomic(durable=True):
        document = Document.objects.select_for_update().get(pk=document.pk)
        fields = {
            name: value
            for name, value in (
                ("title", title.strip()[:255] if isinstance(title, str) else title),
                ("summary", summary),
                ("document_type", document_type),
                ("published_on", published_on),
                ("audience", audience),
                ("licence", licence),
                ("addressee", addressee),
                ("go_live_at", go_live_at),
                ("expire_at", expire_at),
            )
            if value is not KEEP
        }
        before = {name: str(getattr(document, name)) for name in fields}
        for name, value in fields.items():
            setattr(document, name, value)
        _validate(document)
        now = timezone.now()
        if "expire_at" in fields and before["expire_at"] != str(document.expire_at):
            _check_expiry(document, now=now)
        changed = {
            name: [before[name], str(getattr(document, name))]
            for name in fields
            if before[name] != str(getattr(document, name))
        }
        if changed or tags is not None:
            document.updated_at = timezone.now()
            document.save(update_fields=[*fields, "licence", "updated_at"])
            if tags is not None:
                document.tags.set(tags)
            documents_changed.send(sender=Document, document_ids=[document.pk])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                document=document,
                ip_address=ip_address,
                changed=changed,
            )
        if checked is not None and upload is not None:
            version = _store_version(
                actor=actor, document=document, upload=upload, checked=checked, stored=stored
            )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.VERSION,
                document=document,
                ip_address=ip_address,
                version=version.number,
                sha256=checked.sha256,
                size=checked.size,
            )
        if deliberation is not None:
            _deliberation_save(actor, document, deliberation, ip_address)
        moved = {"go_live_at", "expire_at"} & set(changed)
        if status is None and document.status == Status.SCHEDULED and moved:
            status = Status.SCHEDULED  # new dates: rescheduled
        was = document.status
        if status is not None and (document.status != status or moved):
            _require_publisher(actor, document)  # the form's unchanged status needs no right
            _transition(actor=actor, document=document, status=status, ip_address=ip_address)
        if "expire_at" in changed and was == document.status == Status.PUBLISHED:
            _enqueue_schedule(document.expire_at)  # a published document gets an end
    return document


def document_replace_file(
    *, actor: User | None, document: Document, upload: Upload, ip_address: str | None = None
) -> DocumentVersion:
    """A new version of the file; earlier versions stay, with who replaced them and when."""
    document = document_edit(actor=actor, document=document, upload=upload, ip_address=ip_address)
    assert document.current_version is not None  # noqa: S101 (document_edit just stored it)
    return document.current_version


def document_publish(
    *, actor: User | None, document: Document, ip_address: str | None = None
) -> Document:
    return document_edit(
        actor=actor, document=document, status=Status.PUBLISHED, ip_address=ip_address
    )


def document_withdraw(
    *, actor: User | None, document: Document, ip_address: str | None = None
) -> Document:
    return document_edit(
        actor=actor, document=document, status=Status.WITHDRAWN, ip_address=ip_address
    )


def _validate(document: Document) -> None:
    """The store's rules on a document about to be saved (French messages per field)."""
    if not (document.title or "").strip():
        raise ValidationError({"title": _("Le titre est obligatoire.")})
    if document.document_type not in DocumentType.values:
        raise ValidationError({"document_type": _("Type de document inconnu.")})
    _normalise_audience(document.audience, document.addressee)
    # Only public documents carry an open licence.
    if document.audience != Audience.PUBLIC:
        document.licence = Licence.NONE
    elif not document.licence:
        document.licence = Licence.LO2
    document.full_clean(
        exclude=["owner", "current_version", "addressee"], validate_constraints=False
    )


def _check_expiry(document: Document, *, now: datetime.datetime) -> None:
    """The end of display comes after the go-live time (when scheduled) and after now."""
    if document.expire_at is None:
        return
    go_live = document.go_live_at if document.status == Status.SCHEDULED else None
    if go_live is not None and go_live > now and document.expire_at <= go_live:
        raise ValidationError(
            {"expire_at": _("La fin d'affichage doit être postérieure à la mise en ligne.")}
        )
    if document.expire_at <= now:
        raise ValidationError(
            {
                "expire_at": _(
                    "La fin d'affichage doit être dans le futur (modifiez-la ou videz-la)."
                )
            }
        )


def _save_status(document: Document, *fields: str) -> None:
    document.updated_at = timezone.now()
    document.save(update_fields=["status", *fields, "updated_at"])
    documents_changed.send(sender=Document, document_ids=[document.pk])


def _enqueue_schedule(at: datetime.datetime | None) -> None:
    """After commit, ask the worker to apply the schedule at ``at`` (a backend that cannot
    defer, the immediate one of the tests, gets nothing: civis_publish_scheduled sweeps)."""
    if at is None:
        return

    def enqueue() -> None:
        from documents.tasks import apply_schedule

        if apply_schedule.get_backend().supports_defer:
            apply_schedule.using(run_after=at).enqueue()

    transaction.on_commit(enqueue, robust=True)


def _record_review(
    *, actor: User | None, document: Document, action: str, comment: str, ip_address: str | None
) -> None:
    ReviewStep.objects.create(
        document=document,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        comment=comment,
    )
    audit_record(
        actor=actor, action=action, document=document, ip_address=ip_address, comment=comment
    )


def _transition(
    *, actor: User | None, document: Document, status: str, ip_address: str | None
) -> None:
    """Move a locked document to ``status`` (permissions already checked), in the caller's
    transaction: saved, announced (search), audited; the worker told of any new time."""
    now = timezone.now()
    current = document.status
    if status == Status.DRAFT:
        if current == Status.DRAFT:
            return
        if current != Status.SCHEDULED:
            raise ValidationError(
                {"status": _("Seul un document programmé peut revenir à l'état de brouillon.")}
            )
        document.status = Status.DRAFT
        _save_status(document)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            document=document,
            ip_address=ip_address,
            changed={"status": [current, Status.DRAFT.value]},
        )
        return
    if status == Status.WITHDRAWN:
        withdraw_locked(actor=actor, document=document, ip_address=ip_address)
        return
    go_live: datetime.datetime | None = None
    if status == Status.SCHEDULED:
        if document.go_live_at is None:
            raise ValidationError(
                {"go_live_at": _("Indiquez la date et l'heure de la mise en ligne.")}
            )
        go_live = document.go_live_at
    elif current == Status.PUBLISHED:
        return
    elif document.published_on is not None and document.published_on > timezone.localdate(now):
        go_live = start_of_day(document.published_on)
    if current == Status.IN_REVIEW:
        _record_review(
            actor=actor,
            document=document,
            action=ReviewStep.Action.APPROVE,
            comment="",
            ip_address=ip_address,
        )
    if go_live is not None and go_live > now:
        document.status = Status.SCHEDULED
        document.go_live_at = go_live
        _check_expiry(document, now=now)
        _save_status(document, "go_live_at")
        audit_record(
            actor=actor,
            action=AuditEvent.Action.SCHEDULE,
            document=document,
            ip_address=ip_address,
            go_live_at=go_live.isoformat(),
            expire_at=document.expire_at.isoformat() if document.expire_at else None,
        )
        _enqueue_schedule(go_live)
        return
    _check_expiry(document, now=now)
    if status == Status.PUBLISHED:
        document.go_live_at = None  # published by hand, now
    publish_locked(actor=actor, document=document, ip_address=ip_address, on=go_live)


def publish_locked(
    *,
    actor: User | None,
    document: Document,
    ip_address: str | None,
    on: datetime.datetime | None = None,
    **detail: Any,
) -> None:
    """Publish a locked document now (in the caller's transaction). ``on``: the go-live time
    it was scheduled for, which dates it when it has no publication date."""
    document.status = Status.PUBLISHED
    if document.published_on is None:
        document.published_on = timezone.localdate(on) if on is not None else timezone.localdate()
    _save_status(document, "published_on", "go_live_at")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.PUBLISH,
        document=document,
        ip_address=ip_address,
        **detail,
    )
    _enqueue_schedule(document.expire_at)


def withdraw_locked(
    *, actor: User | None, document: Document, ip_address: str | None, **detail: Any
) -> None:
    """Withdraw a locked document (in the caller's transaction)."""
    if document.status == Status.WITHDRAWN:
        return
    document.status = Status.WITHDRAWN
    _save_status(document)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.WITHDRAW,
        document=document,
        ip_address=ip_address,
        **detail,
    )


def _permission_codename(level: str) -> str:
    if level not in GrantLevel.values:
        raise ValidationError({"level": _("Niveau d'accès inconnu.")})
    return f"{level}_document"


def grant_add(
    *,
    actor: User | None,
    document: Document,
    level: str = GrantLevel.VIEW,
    user: User | None = None,
    group: Group | None = None,
    authority: Authority | None = None,
    ip_address: str | None = None,
) -> None:
    """Give one principal (a user, a group, or all agents of an authority) view or change."""
    _grant_change(
        actor=actor,
        document=document,
        level=level,
        user=user,
        group=group,
        authority=authority,
        ip_address=ip_address,
        add=True,
    )


def grant_remove(
    *,
    actor: User | None,
    document: Document,
    level: str = GrantLevel.VIEW,
    user: User | None = None,
    group: Group | None = None,
    authority: Authority | None = None,
    ip_address: str | None = None,
) -> None:
    _grant_change(
        actor=actor,
        document=document,
        level=level,
        user=user,
        group=group,
        authority=authority,
        ip_address=ip_address,
        add=False,
    )


def _grant_change(
    *,
    actor: User | None,
    document: Document,
    level: str,
    user: User | None,
    group: Group | None,
    authority: Authority | None,
    ip_address: str | None,
    add: bool,
) -> None:
    with transaction.atomic(durable=True):
        _grant_change_in_transaction(
            actor=actor,
            document=document,
            level=level,
            user=user,
            group=group,
            authority=authority,
            ip_address=ip_address,
            add=add,
        )


def _grant_change_in_transaction(
    *,
    actor: User | None,
    document: Document,
    level: str,
    user: User | None,
    group: Group | None,
    authority: Authority | None,
    ip_address: str | None,
    add: bool,
) -> None:
    _require_editor(actor, document)
    codename = _permission_codename(level)
    grantee = _one_principal(user=user, group=group, authority=authority)
    if authority is not None:
        grants = DocumentAuthorityGrant.objects
        if add:
            grants.get_or_create(document=document, authority=authority, level=level)
        else:
            grants.filter(document=document, authority=authority, level=level).delete()
    else:
        (assign_perm if add else remove_perm)(f"documents.{codename}", user or group, document)
    documents_changed.send(sender=Document, document_ids=[document.pk])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.GRANT if add else AuditEvent.Action.REVOKE,
        document=document,
        ip_address=ip_address,
        level=level,
        grantee=grantee,
    )


def _one_principal(*, user: User | None, group: Group | None, authority: Authority | None) -> str:
    """The grantee as the audit log records it ("user:<id>", "group:<id>"…)."""
    given = [
        f"{k}:{v.pk}"
        for k, v in (("user", user), ("group", group), ("authority", authority))
        if v is not None
    ]
    if len(given) != 1:
        raise ValueError("Exactly one of user, group or authority is granted at a time.")
    return given[0]


def document_access_record(
    *,
    actor: User | AnonymousUser | None,
    document: Document,
    action: str,
    ip_address: str | None = None,
) -> None:
    """Log a read or download of a non-public document (public ones are not personal data)."""
    if not document.is_public:
        audit_record(actor=actor, action=action, document=document, ip_address=ip_address)
