"""Audit rows for events other libraries announce: login lockouts (django-axes)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.models import AuditEvent
from audit.services import audit_record


def record_lockout(
    sender: Any,
    request: Any = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """One row when a lock starts. Axes announces every refused attempt during the lock
    too; only the attempt that was counted (``axes_failures_since_start`` set) starts one."""
    failures = getattr(request, "axes_failures_since_start", None)
    if request is None or failures is None:
        return
    with transaction.atomic():
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOCKOUT,
            ip_address=ip_address,
            username=(username or "")[:150],
            failures=failures,
            path=request.path[:200],
        )
