"""The audit log's export is itself audited: who took which part of the log, and when."""

from __future__ import annotations

from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record
from identity.models import Authority, User


def audit_log_export_record(
    *,
    actor: User,
    filters: dict[str, str],
    count: int,
    authority: Authority | None = None,
    export_format: str = "csv",
    ip_address: str | None = None,
) -> AuditEvent:
    """One ``export`` event naming the filters used and how many events left with the file.
    Filed under ``authority`` (the one filtered on, or the exporter's own), so the
    administrators of that authority read it in their log."""
    with transaction.atomic(durable=True):
        return audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORT,
            authority=authority,
            ip_address=ip_address,
            format=export_format,
            filters=filters,
            count=count,
        )
