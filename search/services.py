"""Writes of the search app: keeping the indexes in step with the document store.

Contract used by documents.services (and identity, when an authority moves): call
``documents_changed(ids)`` inside the transaction that changes documents, their audience,
status, owner or grants. It records the change in the outbox, in that same transaction, and
asks the worker to apply it after commit. If an engine is down, the write still succeeds; the
rows stay in the outbox and are retried with a growing delay until the engine is back.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from search.backends import targets
from search.backends.base import Backend
from search.indexing import AuthorityTree, all_document_ids, index_documents
from search.models import IndexOutbox

logger = logging.getLogger(__name__)
BATCH = 500
MAX_DELAY = 300  # seconds between two retries, at most


def documents_changed(document_ids: Iterable[int]) -> None:
    """Record that these documents must be (re)indexed or removed from the index."""
    ids = sorted({int(i) for i in document_ids})
    if not ids:
        return
    IndexOutbox.objects.bulk_create([IndexOutbox(document_id=i, target=name)
                                     for name in targets() for i in ids])
    transaction.on_commit(_enqueue_apply, robust=True)


def authorities_moved(authority_ids: Iterable[int]) -> int:
    """An authority changed parent: its documents and those below it change principals
    (shared_up, administrators above). Call inside the importer's transaction."""
    from documents.models import Document
    from identity.selectors import subtree_ids

    ids = list(Document.objects.filter(owner_id__in=subtree_ids(set(authority_ids)))
               .values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        documents_changed(ids[start:start + 5000])
    return len(ids)


def _enqueue_apply(delay: datetime.timedelta | None = None) -> None:
    from search.tasks import apply_index_outbox

    task = apply_index_outbox
    if delay is not None:
        if not task.get_backend().supports_defer:
            return  # immediate mode (tests): the next change or `civis_reindex` retries
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue()


def _lock(target: str) -> None:
    """One applier per target at a time, so an older read never overwrites a newer one
    (SQLite serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"civis-{target}"])


def apply_outbox(*, due_only: bool = True,
                 backends: dict[str, Backend] | None = None) -> dict[str, int]:
    """Apply pending outbox rows, per target; answers how many documents each one applied.
    A failing target keeps its rows (with a later retry time); the others go on."""
    applied: dict[str, int] = {}
    retry_in: float | None = None
    for name, backend in (backends or targets()).items():
        applied[name] = 0
        while True:
            rows: list[tuple[int, int]] = []
            try:
                with transaction.atomic():
                    _lock(name)
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
    if retry_in is not None:
        _enqueue_apply(datetime.timedelta(seconds=retry_in))
    return applied


def _postpone(target: str, row_ids: list[int], exc: Exception) -> float:
    attempts = IndexOutbox.objects.filter(pk__in=row_ids).values_list(
        "attempts", flat=True).first() or 0
    delay = float(min(2 ** attempts, MAX_DELAY))
    IndexOutbox.objects.filter(pk__in=row_ids).update(
        attempts=F("attempts") + 1, last_error=str(exc)[:500],
        available_at=timezone.now() + datetime.timedelta(seconds=delay))
    logger.warning("Search index %s unavailable (%s rows kept, retry in %ss): %s",
                   target, len(row_ids), delay, exc)
    return delay


@dataclass
class IndexReport:
    target: str
    documents: int
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.extra)


def expected_fingerprints() -> dict[int, str]:
    tree = AuthorityTree()
    return {d.id: d.fingerprint for ids in all_document_ids() for d in index_documents(ids, tree)}


def index_check(backends: dict[str, Backend] | None = None) -> list[IndexReport]:
    """Compare every index with what the document store says it should hold."""
    expected = expected_fingerprints()
    reports = []
    for name, backend in (backends or targets()).items():
        actual = backend.fingerprints()
        reports.append(IndexReport(
            target=name, documents=len(expected),
            missing=sorted(set(expected) - set(actual)),
            extra=sorted(set(actual) - set(expected)),
            stale=sorted(i for i in set(expected) & set(actual) if expected[i] != actual[i])))
    return reports


def repair(name: str, backend: Backend) -> int:
    """Apply whatever index_check finds different (after a rebuild raced with live changes)."""
    report = index_check({name: backend})[0]
    ids = set(report.missing) | set(report.stale) | set(report.extra)
    for start in range(0, len(ids), BATCH):
        chunk = sorted(ids)[start:start + BATCH]
        with transaction.atomic():
            _lock(name)
            docs = index_documents(chunk)
            backend.apply(docs, set(chunk) - {d.id for d in docs})
    return len(ids)


def reindex(backends: dict[str, Backend] | None = None, batch: int = 1000) -> dict[str, int]:
    """Rebuild every index from the document store. Idempotent; safe while the site runs:
    the database index is rewritten batch by batch (each batch under the applier's lock, so a
    live change is never overwritten by an older read), and Elasticsearch is built aside,
    swapped in through its alias, then repaired for changes made during the build."""
    started = timezone.now()
    counts: dict[str, int] = {}
    tree = AuthorityTree()
    for name, backend in (backends or targets()).items():
        if hasattr(backend, "rebuild"):
            counts[name] = backend.rebuild(
                index_documents(ids, tree) for ids in all_document_ids(batch))
            repair(name, backend)
        else:
            count, seen = 0, set()
            for ids in all_document_ids(batch):
                with transaction.atomic():
                    _lock(name)
                    docs = index_documents(ids, tree)
                    backend.apply(docs, [])
                seen.update(d.id for d in docs)
                count += len(docs)
            extra = set(backend.fingerprints()) - seen
            with transaction.atomic():
                backend.apply([], sorted(extra))
            counts[name] = count
        # Changes recorded before the rebuild started are in it now.
        IndexOutbox.objects.filter(target=name, created_at__lt=started).delete()
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner guesses the index is tiny after a bulk rebuild.
        cursor.execute("ANALYZE search_searchentry")
    return counts
