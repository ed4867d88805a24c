"""Review before publication (``PublishingPolicy.review_required``): an agent of the authority
prepares a draft and submits it; someone who may publish it (a publisher or administrator of
the owner) approves it — published now or scheduled — or sends it back with a comment.

Each step is a ``ReviewStep`` row (shown on the document) and an audit row, in the same
durable transaction as the status change.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from documents.models import Document, ReviewStep, Status
from documents.selectors import can_edit
from documents.services.store import (
    _aware,
    _record_review,
    _require_publisher,
    _save_status,
    _transition,
)
from identity.models import User


def _not_in_review() -> ValidationError:
    return ValidationError({"status": _("Ce document n'est pas en attente de validation.")})


def document_submit(
    *, actor: User | None, document: Document, comment: str = "", ip_address: str | None = None
) -> Document:
    """A draft submitted for review: its author (or any editor) hands it to the publishers."""
    with transaction.atomic(durable=True):
        document = Document.objects.select_for_update().get(pk=document.pk)
        if actor is not None and not can_edit(actor, document):
            raise PermissionDenied(_("Vous ne pouvez pas soumettre ce document."))
        if document.status != Status.DRAFT:
            raise ValidationError(
                {"status": _("Seul un brouillon peut être soumis pour validation.")}
            )
        document.status = Status.IN_REVIEW
        _save_status(document)
        _record_review(
            actor=actor,
            document=document,
            action=ReviewStep.Action.SUBMIT,
            comment=(comment or "").strip(),
            ip_address=ip_address,
        )
    return document


def document_approve(
    *,
    actor: User | None,
    document: Document,
    go_live_at: datetime.datetime | None = None,
    comment: str = "",
    ip_address: str | None = None,
) -> Document:
    """Approve a submitted document: published now, or scheduled at ``go_live_at`` (or at its
    publication date when that is in the future)."""
    with transaction.atomic(durable=True):
        document = Document.objects.select_for_update().get(pk=document.pk)
        _require_publisher(actor, document)
        if document.status != Status.IN_REVIEW:
            raise _not_in_review()
        _record_review(
            actor=actor,
            document=document,
            action=ReviewStep.Action.APPROVE,
            comment=(comment or "").strip(),
            ip_address=ip_address,
        )
        # Approved: the transition below must not record a second approval.
        document.status = Status.DRAFT
        if go_live_at is not None:
            document.go_live_at = _aware(go_live_at)
            _transition(
                actor=actor, document=document, status=Status.SCHEDULED, ip_address=ip_address
            )
        else:
            _transition(
                actor=actor, document=document, status=Status.PUBLISHED, ip_address=ip_address
            )
    return document


def document_send_back(
    *, actor: User | None, document: Document, comment: str, ip_address: str | None = None
) -> Document:
    """Send a submitted document back to its author as a draft, saying what to correct."""
    comment = (comment or "").strip()
    with transaction.atomic(durable=True):
        document = Document.objects.select_for_update().get(pk=document.pk)
        _require_publisher(actor, document)
        if document.status != Status.IN_REVIEW:
            raise _not_in_review()
        if not comment:
            raise ValidationError(
                {"comment": _("Indiquez ce qu'il faut corriger : le commentaire est obligatoire.")}
            )
        document.status = Status.DRAFT
        _save_status(document)
        _record_review(
            actor=actor,
            document=document,
            action=ReviewStep.Action.SEND_BACK,
            comment=comment,
            ip_address=ip_address,
        )
    return document
