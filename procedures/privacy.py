""" "Mes données": what the portal holds about a person, their account deletion, and the purge of
closed requests past their procedure's retention period.

- ``reads_of(user)``: who read the person's personal documents and requests, newest first (the
  table "Qui a consulté mes données" and ``consultations.json`` in the archive);
- ``export_archive(user)``: a ZIP of the account, the requests (answers, operation log,
  messages), their files, the personal documents' files and that log;
- ``account_delete``: drafts deleted, submitted requests kept without their applicant (the
  authority keeps what the law asks it to keep), then the account;
- ``requests_purge``: closed requests whose decision is older than ``retention_days``.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage
from django.db.models import F, QuerySet
from django.db.transaction import on_commit
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import Audience, Document
from documents.selectors import personal_reads_of
from identity.models import User
from procedures.models import CLOSED_STATES, Attachment, Request, RequestState
from procedures.selectors import request_reads_of

logger = logging.getLogger(__name__)

READS_LIMIT = 500


@dataclass(frozen=True)
class Read:
    """One line of "Qui a consulté mes données"."""

    at: datetime.datetime
    reader: str
    authority: str
    action: str
    what: str
    url: str


def _reader_name(event: AuditEvent) -> str:
    actor = event.actor
    if actor is None:
        return "Compte supprimé ou système"
    return actor.get_full_name() or actor.username


def reads_of(user: User, *, limit: int = READS_LIMIT) -> list[Read]:
    """Reads of ``user``'s personal documents and of their requests by anybody else, newest
    first (at most ``limit``)."""
    rows: list[Read] = []
    for event in personal_reads_of(user).select_related("authority")[:limit]:
        document = event.document
        rows.append(
            Read(
                at=event.at,
                reader=_reader_name(event),
                authority=event.authority.name if event.authority else "",
                action=str(event.get_action_display()),
                what=document.title if document is not None else "Document",
                url=f"/documents/{document.pk}/" if document is not None else "",
            )
        )
    numbers = {
        str(uuid): (pk, uuid)
        for pk, uuid in Request.objects.filter(applicant=user).values_list("pk", "uuid")
    }
    for event in request_reads_of(user).select_related("authority")[:limit]:
        key = str(event.detail.get("request", ""))
        pk, uuid = numbers.get(key, (None, None))
        what = f"Dossier D-{pk:06d}" if pk else "Dossier"
        if event.detail.get("what"):
            what = f"{what} ({_read_label(str(event.detail['what']))})"
        rows.append(
            Read(
                at=event.at,
                reader=_reader_name(event),
                authority=event.authority.name if event.authority else "",
                action=str(event.get_action_display()),
                what=what,
                url=f"/mon-espace/demarches/{uuid}/" if uuid else "",
            )
        )
    rows.sort(key=lambda row: row.at, reverse=True)
    return _collapse_repeats(rows)[:limit]


# What the readers' code records (request_read_record), as the citizen reads it.
_READ_LABELS = {
    "view instruct page": gettext_lazy("page d'instruction"),
    "export csv": gettext_lazy("export CSV des dossiers"),
    "export zip": gettext_lazy("export ZIP des pièces"),
}


def _read_label(what: str) -> str:
    if what in _READ_LABELS:
        return str(_READ_LABELS[what])
    if what.startswith("attachment "):
        return str(_("pièce « %(name)s »") % {"name": what.removeprefix("attachment ")})
    return what


REPEAT_WINDOW = datetime.timedelta(minutes=10)


def _collapse_repeats(rows: list[Read]) -> list[Read]:
    """One line for the same reader reading the same thing again within 10 minutes (each page
    of an instruction session is logged), its count in the line; the audit log keeps every
    read."""
    kept: list[Read] = []
    counts: list[int] = []
    previous: Read | None = None
    for row in rows:  # newest first
        if (
            previous is not None
            and kept
            and (kept[-1].reader, kept[-1].authority, kept[-1].action, kept[-1].what)
            == (row.reader, row.authority, row.action, row.what)
            and kept[-1].url == row.url
            and previous.at - row.at <= REPEAT_WINDOW
        ):
            counts[-1] += 1
        else:
            kept.append(row)
            counts.append(1)
        previous = row
    return [
        row
        if count == 1
        else dataclasses.replace(
            row, what=str(_("%(what)s — %(count)s fois") % {"what": row.what, "count": count})
        )
        for row, count in zip(kept, counts, strict=True)
    ]


# --- the archive ----------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(name: str) -> str:
    """A file name for the archive: no directories, no odd characters."""
    cleaned = _UNSAFE.sub("_", name.rsplit("/", 1)[-1]).strip("._") or "fichier"
    return cleaned[:120]


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def my_requests(user: User) -> QuerySet[Request]:
    return (
        Request.objects.filter(applicant=user)
        .select_related("procedure", "procedure__owner")
        .order_by("created_at", "pk")
    )


def my_documents(user: User) -> QuerySet[Document]:
    """The personal documents addressed to ``user`` that are published to them."""
    from documents.selectors import documents_visible_to

    return (
        documents_visible_to(user)
        .filter(audience=Audience.PERSONAL, addressee=user)
        .select_related("owner", "current_version")
        .order_by("pk")
    )


def _account(user: User) -> dict[str, Any]:
    return {
        "identifiant": user.username,
        "prenom": user.first_name,
        "nom": user.last_name,
        "courriel": user.email,
        "type_de_compte": user.kind,
        "inscrit_le": _when(user.date_joined),
        "derniere_connexion": _when(user.last_login),
    }


def _request(request: Request) -> dict[str, Any]:
    return {
        "numero": request.number,
        "uuid": str(request.uuid),
        "demarche": request.procedure.title,
        "collectivite": request.procedure.owner.name,
        "etat": request.state,
        "etat_libelle": str(request.get_state_display()),
        "reponses": request.data,
        "correction_demandee": request.correction_asked,
        "motivation": request.motivation,
        "cree_le": _when(request.created_at),
        "depose_le": _when(request.submitted_at),
        "instruction_le": _when(request.instruction_at),
        "decide_le": _when(request.decided_at),
        "journal": [
            {
                "le": _when(event.at),
                "action": event.action,
                "libelle": str(event.get_action_display()),
                "etat": event.state,
            }
            for event in request.events.all()
        ],
        "messages": [
            {
                "le": _when(message.at),
                "de_l_administration": message.from_instructor,
                "texte": message.body,
                "pieces": [a.file_name for a in message.attachments.all()],
            }
            for message in request.messages.all()
        ],
        "pieces": [
            {
                "champ": a.field_key,
                "nom": a.file_name,
                "type": a.mime_type,
                "taille": a.size,
                "sha256": a.sha256,
                "fichier": _attachment_path(request, a),
            }
            for a in request.attachments.all()
        ],
    }


def _attachment_path(request: Request, attachment: Attachment) -> str:
    return f"demarches/{request.number}/{attachment.pk}-{_safe(attachment.file_name)}"


def _document_path(document: Document) -> str:
    version = document.current_version
    name = version.file_name if version is not None else document.title
    return f"documents/{document.pk}-{_safe(name)}"


def _copy(archive: zipfile.ZipFile, path: str, field: Any) -> bool:
    try:
        with field.open("rb") as handle:
            archive.writestr(path, handle.read())
    except (OSError, ValueError):
        logger.warning("Mes données: %s is missing from storage", path)
        return False
    return True


def export_archive(user: User) -> bytes:
    """The ZIP of everything the portal holds about ``user``."""
    buffer = io.BytesIO()
    requests = list(my_requests(user).prefetch_related("events", "messages__attachments"))
    documents = list(my_documents(user))
    reads = reads_of(user, limit=10_000)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "LISEZMOI.txt",
            "Vos données sur le portail, au format JSON (UTF-8) :\n"
            "- compte.json : votre compte ;\n"
            "- demarches.json : vos dossiers (réponses, journal, messages, pièces) ;\n"
            "- documents.json : les documents qui vous ont été adressés ;\n"
            "- consultations.json : qui a consulté vos documents et vos dossiers, et quand ;\n"
            "- demarches/ et documents/ : les fichiers.\n",
        )
        archive.writestr("compte.json", _json(_account(user)))
        archive.writestr("demarches.json", _json([_request(r) for r in requests]))
        for request in requests:
            for attachment in request.attachments.all():
                _copy(archive, _attachment_path(request, attachment), attachment.file)
        document_rows = []
        for document in documents:
            version = document.current_version
            path = _document_path(document) if version is not None else None
            if version is not None and path is not None:
                _copy(archive, path, version.file)
            document_rows.append(
                {
                    "id": document.pk,
                    "titre": document.title,
                    "collectivite": document.owner.name,
                    "type": document.document_type,
                    "publie_le": document.published_on.isoformat()
                    if document.published_on
                    else None,
                    "fichier": path,
                    "sha256": version.sha256 if version is not None else None,
                }
            )
        archive.writestr("documents.json", _json(document_rows))
        archive.writestr(
            "consultations.json",
            _json(
                [
                    {
                        "le": _when(read.at),
                        "qui": read.reader,
                        "collectivite": read.authority,
                        "action": read.action,
                        "quoi": read.what,
                    }
                    for read in reads
                ]
            ),
        )
    return buffer.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


# --- deletion and purge ---------------------------------------------------------------------------


def _delete_files_on_commit(files: list[tuple[Storage, str]]) -> None:
    def delete() -> None:
        for storage, name in files:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not delete %s", name)

    if files:
        on_commit(delete)


def _request_files(requests: QuerySet[Request]) -> list[tuple[Storage, str]]:
    return [
        (a.file.storage, a.file.name)
        for a in Attachment.objects.filter(request__in=requests)
        if a.file and a.file.name
    ]


@service
def account_delete(*, actor: User, ip_address: str | None = None) -> dict[str, int]:
    """Delete ``actor``'s account: their drafts (and their files) go; submitted requests stay
    with the authority, without their applicant, until their procedure's retention period after
    the decision (``requests_purge``); the personal documents addressed to them (receipts,
    decisions: the authority keeps the request and can issue them again) and the account go.
    Audited (ACCOUNT_DELETE, no personal data in the row)."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    drafts = Request.objects.filter(applicant=user, state=RequestState.DRAFT)
    files = _request_files(drafts)
    kept = Request.objects.filter(applicant=user).exclude(state=RequestState.DRAFT)
    kept_count = kept.count()
    draft_count = drafts.count()
    for request in kept.select_related("procedure__owner"):
        audit_record(
            actor=None,
            action=AuditEvent.Action.ACCOUNT_DELETE,
            authority=request.procedure.owner,
            request=str(request.uuid),
            procedure=request.procedure_id,
            kept_until_days_after_decision=request.procedure.retention_days,
        )
    drafts.delete()
    kept.update(applicant=None, updated_at=timezone.now())
    documents = Document.objects.filter(audience=Audience.PERSONAL, addressee=user)
    for document in documents.prefetch_related("versions"):
        files += [(v.file.storage, v.file.name) for v in document.versions.all() if v.file.name]
    document_count = documents.count()
    Request.objects.filter(receipt__in=documents).update(receipt=None)
    documents.delete()
    audit_record(
        actor=None,
        action=AuditEvent.Action.ACCOUNT_DELETE,
        ip_address=ip_address,
        user_id=user.pk,
        drafts_deleted=draft_count,
        requests_kept=kept_count,
        documents_deleted=document_count,
    )
    user.delete()
    _delete_files_on_commit(files)
    return {"drafts": draft_count, "kept": kept_count, "documents": document_count}


def expired_requests(now: datetime.datetime | None = None) -> QuerySet[Request]:
    """Closed requests whose decision is older than their procedure's retention period."""
    now = now or timezone.now()
    candidates = Request.objects.filter(state__in=CLOSED_STATES, decided_at__isnull=False)
    expired = [
        pk
        for pk, decided_at, days in candidates.values_list(
            "pk", "decided_at", F("procedure__retention_days")
        )
        if decided_at + datetime.timedelta(days=days) <= now
    ]
    return Request.objects.filter(pk__in=expired)


@service
def requests_purge(*, actor: User | None = None, now: datetime.datetime | None = None) -> int:
    """Delete the closed requests past their retention period (answers, log, messages, files);
    one PURGE audit row per procedure with the count. Returns how many were deleted."""
    expired = expired_requests(now)
    by_procedure: dict[int, tuple[Any, int]] = {}
    for request in expired.select_related("procedure__owner"):
        owner, count = by_procedure.get(request.procedure_id, (request.procedure.owner, 0))
        by_procedure[request.procedure_id] = (owner, count + 1)
    files = _request_files(expired)
    total = sum(count for _owner, count in by_procedure.values())
    expired.delete()
    for procedure_id, (owner, count) in by_procedure.items():
        audit_record(
            actor=actor,
            action=AuditEvent.Action.PURGE,
            authority=owner,
            procedure=procedure_id,
            requests_deleted=count,
        )
    _delete_files_on_commit(files)
    return total
