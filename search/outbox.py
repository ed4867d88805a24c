"""The index outbox: rows recorded with each change, applied to every target by the worker."""

from __future__ import annotations

import datetime
import logging

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from search.backends import targets
from search.backends.base import Backend
from search.indexing import index_documents
from search.models import IndexOutbox

logger = logging.getLogger(__name__)
BATCH = 500
MAX_DELAY = 300  # seconds between two retries, at most


def lock_target(target: str) -> None:
    """One applier per target at a time, so an older read never overwrites a newer one
    (SQLite serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"civis-{target}"])


def apply_pending(
    *, due_only: bool = True, backends: dict[str, Backend] | None = None
) -> tuple[dict[str, int], float | None]:
    """Apply pending outbox rows, per target; answers how many documents each one applied
    and, when a target failed, in how many seconds to retry. A failing target keeps its rows
    (with a later retry time); the others go on."""
    applied: dict[str, int] = {}
    retry_in: float | None = None
    for name, backend in (backends or targets()).items():
        applied[name] = 0
        while True:
            rows: list[tuple[int, int]] = []
            try:
                with transaction.atomic():
                    lock_target(name)
                    pending = IndexOutbox.objects.filter(target=name)
                    if due_only:
                        pending = pending.filter(available_at__lte=timezone.now())
                    rows = list(pending.order_by("pk").values_list("pk", "document_id")[:BATCH])
                    if not rows:
                        break
                    ids = {doc_id for _pk, doc_id in rows}
                    docs = index_documents(ids)
                    backend.apply(docs, ids - {d.id for d in docs})
                    IndexOutbox.objects.filter(pk__in=[pk for pk, _d in rows]).delete()
                    applied[name] += len(ids)
            except Exception as exc:  # any engine failure: keep the rows, retry later
                delay = _postpone(name, [pk for pk, _d in rows], exc)
                retry_in = delay if retry_in is None else min(retry_in, delay)
                break
    return applied, retry_in


def _postpone(target: str, row_ids: list[int], exc: Exception) -> float:
    attempts = (
        IndexOutbox.objects.filter(pk__in=row_ids).values_list("attempts", flat=True).first() or 0
    )
    delay = float(min(2**attempts, MAX_DELAY))
    IndexOutbox.objects.filter(pk__in=row_ids).update(
        attempts=F("attempts") + 1,
        last_error=str(exc)[:500],
        available_at=timezone.now() + datetime.timedelta(seconds=delay),
    )
    logger.warning(
        "Search index %s unavailable (%s rows kept, retry in %ss): %s",
        target,
        len(row_ids),
        delay,
        exc,
    )
    return delay
