"""Scheduled publication and end of display.

An editor schedules a document (``document_schedule``, or ``document_edit`` with
``Status.SCHEDULED`` or a future publication date); the worker applies the schedule at its
time: the task ``documents.tasks.apply_schedule`` is enqueued for that time after commit, and
``manage.py civis_publish_scheduled`` (cron, systemd timer) is the safety net. Both call the
two sweeps below, which are idempotent: each due document is published (or withdrawn) in its
own durable transaction, with the system as actor, so one failure does not hold up the others.
"""

from __future__ import annotations

import datetime
import logging

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from documents.models import Document, Status
from documents.services.store import (
    KEEP,
    Keep,
    document_edit,
    publish_locked,
    withdraw_locked,
)
from identity.models import User

logger = logging.getLogger(__name__)


def document_schedule(
    *,
    actor: User | None,
    document: Document,
    go_live_at: datetime.datetime,
    expire_at: datetime.datetime | Keep | None = KEEP,
    ip_address: str | None = None,
) -> Document:
    """Schedule ``document`` to go live at ``go_live_at`` (already past: published now), with
    an optional end of display. Rescheduling a scheduled document moves its time."""
    return document_edit(
        actor=actor,
        document=document,
        status=Status.SCHEDULED,
        go_live_at=go_live_at,
        expire_at=expire_at,
        ip_address=ip_address,
    )


def document_unschedule(
    *, actor: User | None, document: Document, ip_address: str | None = None
) -> Document:
    """A scheduled document back to a draft (it will not go live)."""
    return document_edit(actor=actor, document=document, status=Status.DRAFT, ip_address=ip_address)


def _locked(queryset: QuerySet[Document]) -> QuerySet[Document]:
    """Row lock, skipping rows another sweeper holds, where the database has them (PostgreSQL;
    SQLite serialises writers by itself)."""
    features = connection.features
    if features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    if features.has_select_for_update:
        return queryset.select_for_update()
    return queryset


def _due_go_live(now: datetime.datetime) -> QuerySet[Document]:
    # Not what has already passed its end of display: documents_expire_due withdraws it.
    return Document.objects.filter(status=Status.SCHEDULED, go_live_at__lte=now).exclude(
        expire_at__lte=now
    )


def _due_expiry(now: datetime.datetime) -> QuerySet[Document]:
    return Document.objects.filter(
        Q(status__in=[Status.PUBLISHED, Status.SCHEDULED]), expire_at__lte=now
    )


def documents_go_live_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish every scheduled document whose time has come; answers their ids."""
    now = now or timezone.now()
    done: list[int] = []
    for pk in _due_go_live(now).order_by("go_live_at", "pk").values_list("pk", flat=True):
        try:
            with transaction.atomic(durable=True):
                document = _locked(_due_go_live(now).filter(pk=pk)).first()
                if document is None:
                    continue  # done by another sweeper, or rescheduled meanwhile
                publish_locked(
                    actor=None,
                    document=document,
                    ip_address=None,
                    on=document.go_live_at,
                    scheduled=True,
                )
        except Exception:  # one document's failure must not hold up the others
            logger.exception("Scheduled publication failed for document %s", pk)
            continue
        done.append(pk)
    return done


def documents_expire_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Withdraw every published (or still scheduled) document past its end of display."""
    now = now or timezone.now()
    done: list[int] = []
    for pk in _due_expiry(now).order_by("expire_at", "pk").values_list("pk", flat=True):
        try:
            with transaction.atomic(durable=True):
                document = _locked(_due_expiry(now).filter(pk=pk)).first()
                if document is None:
                    continue
                withdraw_locked(actor=None, document=document, ip_address=None, reason="expired")
        except Exception:
            logger.exception("End of display failed for document %s", pk)
            continue
        done.append(pk)
    return done


def documents_schedule_apply(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """Both sweeps, ends of display first (a window already over never goes live)."""
    now = now or timezone.now()
    expired = documents_expire_due(now=now)
    published = documents_go_live_due(now=now)
    return {"published": published, "expired": expired}
