"""Personal documents filed by the portal itself: receipts, acknowledgements and decisions of
online procedures (issue 11), addressed to one person and read by the people who have a reason
to — the addressee, the creator while an agent of the owner, an explicit grant (the
procedure's instructors group) and superusers (``documents.selectors``).

Both are ``@service`` writes: alone they are one durable transaction; a procedure's service
calls them with ``.step(...)`` so the document is filed in the procedure's own transaction
(a failed submission files nothing).
"""

from __future__ import annotations

import io

from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import (
    Audience,
    Document,
    DocumentGroupGrant,
    DocumentType,
    GrantLevel,
    Licence,
    Status,
)
from documents.selectors import VIEW_CODENAMES, authorities_publishable_by, can_edit
from documents.services.store import (
    Upload,
    _check,
    _files_removed_on_failure,
    _store_version,
    publish_locked,
    withdraw_locked,
)
from identity.models import Authority, User
from identity.selectors import principals_of, subtree_ids


def _require_filer(
    actor: User | AnonymousUser | None, owner: Authority, reader_group: Group | None
) -> None:
    """The system (None), the owner's publishers (and administrators above, superusers), or an
    agent of the owner or below it who belongs to ``reader_group`` (a procedure's instructor
    filing the decision they took)."""
    if actor is None:
        return
    if authorities_publishable_by(actor).filter(pk=owner.pk).exists():
        return
    principals = principals_of(actor)
    if (
        reader_group is not None
        and reader_group.pk in principals.group_ids
        and Authority.objects.filter(
            pk__in=subtree_ids(frozenset({owner.pk})), id__in=principals.agent_of
        ).exists()
    ):
        return
    raise PermissionDenied(_("Vous ne pouvez pas adresser de document pour cette collectivité."))


@service
def personal_document_file(
    *,
    actor: User | AnonymousUser | None,
    owner: Authority,
    addressee: User,
    title: str,
    content: bytes,
    file_name: str,
    document_type: str = DocumentType.AUTRE,
    summary: str = "",
    reader_group: Group | None = None,
) -> Document:
    """File ``content`` (a PDF's bytes) as a published personal document of ``owner`` addressed
    to ``addressee``, with its first version; ``reader_group`` (if any) gets a view grant.

    The file goes through the store's checks (format, size, antivirus) like any upload. The
    addressee is any active person (an agent applying to a procedure gets their receipts too).
    ``actor`` None is the system (the 10-working-day acknowledgement command)."""
    _require_filer(actor, owner, reader_group)
    if addressee is None or not addressee.is_active:
        raise ValidationError({"addressee": _("Le destinataire doit être un compte actif.")})
    title = (title or "").strip()[:255]
    if not title:
        raise ValidationError({"title": _("Le titre est obligatoire.")})
    if document_type not in DocumentType.values:
        raise ValidationError({"document_type": _("Type de document inconnu.")})
    creator = actor if isinstance(actor, User) else None
    document = Document(
        owner=owner,
        title=title,
        summary=summary,
        document_type=document_type,
        audience=Audience.PERSONAL,
        addressee=addressee,
        licence=Licence.NONE,
        status=Status.DRAFT,
        created_by=creator,
    )
    document.full_clean(
        exclude=["owner", "current_version", "addressee", "created_by"], validate_constraints=False
    )
    upload = Upload(io.BytesIO(content), file_name)
    checked = _check(upload)
    # In the service's transaction: its own durable one, or the caller's (``.step``). A failure
    # here removes the stored file; a caller failing after the step leaves it unreferenced.
    with _files_removed_on_failure() as stored:
        document.save()
        version = _store_version(
            actor=creator, document=document, upload=upload, checked=checked, stored=stored
        )
        audit_record(
            actor=creator,
            action=AuditEvent.Action.CREATE,
            document=document,
            version=version.number,
            sha256=checked.sha256,
            size=checked.size,
        )
        if reader_group is not None:
            assign_perm(f"documents.{GrantLevel.VIEW}_document", reader_group, document)
            audit_record(
                actor=creator,
                action=AuditEvent.Action.GRANT,
                document=document,
                level=GrantLevel.VIEW.value,
                grantee=f"group:{reader_group.pk}",
            )
        publish_locked(actor=creator, document=document, ip_address=None)
    return document


@service
def personal_document_withdraw(
    *, actor: User | AnonymousUser | None, document: Document, reason: str
) -> Document:
    """Withdraw a personal document (a decision reopened): nobody but its editors reads it any
    more (but its author and editors); the audit row keeps the reason. ``actor`` None is the
    system; otherwise the actor edits it, or may file for its owner
    (``personal_document_file``'s rule, with the groups that hold a view grant on it)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.audience != Audience.PERSONAL:
        raise ValidationError({"document": _("Ce document n'est pas un document personnel.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif du retrait.")})
    if actor is not None and not can_edit(actor, document):
        granted = (
            DocumentGroupGrant.objects.filter(
                content_object=document,
                group_id__in=principals_of(actor).group_ids,
                permission__codename__in=VIEW_CODENAMES,
            )
            .values_list("group_id", flat=True)
            .first()
        )
        reader_group = Group.objects.filter(pk=granted).first() if granted else None
        _require_filer(actor, document.owner, reader_group)
    withdraw_locked(
        actor=actor if isinstance(actor, User) else None,
        document=document,
        ip_address=None,
        reason=reason[:1000],
    )
    return document


__all__ = ["personal_document_file", "personal_document_withdraw"]
