"""Writes of the audit log: append an event, purge past the retention period."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    document: models.Model | None = None,
    authority: models.Model | None = None,
    ip_address: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append to the audit log, inside the caller's transaction (so an undone write leaves no
    event). Callers pass metadata only: never file contents or secrets. A document's event is
    filed under the document's owner unless ``authority`` says otherwise."""
    # By id: this floor cannot name the Document and Authority models (string foreign keys).
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        document_id=document.pk if document is not None else None,
        authority_id=(
            authority.pk if authority is not None else getattr(document, "owner_id", None)
        ),
        ip_address=ip_address or None,
        detail=detail,
    )


def audit_purge(*, before: datetime.datetime | None = None) -> int:
    """Delete audit entries older than the retention period (CNIL: 12 months by default)."""
    cutoff = before or timezone.now() - datetime.timedelta(days=settings.CIVIS_AUDIT_RETENTION_DAYS)
    deleted, _by_model = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
