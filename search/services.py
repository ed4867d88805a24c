"""Writes of the search app: keeping the indexes in step with the document store.

Search subscribes (``search.receivers``) to what the lower floors announce:
``documents.signals.documents_changed``, sent inside the transaction that changes documents
(audience, status, owner, grants), and ``identity.signals.authorities_moved``. Each records the
change in the outbox in that same transaction and asks the worker to apply it after commit. If
an engine is down, the write still succeeds; the rows stay in the outbox and are retried with a
growing delay until the engine is back.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from search.backends import targets
from search.backends.base import Backend
from search.indexing import AuthorityTree, all_document_ids, index_documents
from search.models import IndexOutbox
from search.outbox import apply_pending, lock_target
from search.tasks import schedule_apply

logger = logging.getLogger(__name__)
BATCH = 500
MAX_DELAY = 300  # seconds between two retries, at most


def documents_changed(document_ids: Iterable[int]) -> None:
    """These documents changed: the database index is updated now, in the caller's transaction
    (so totals and facets never count a document under readers it no longer has); other
    engines get outbox rows, applied by the worker after commit."""
    ids = sorted({int(i) for i in document_ids})
    if not ids:
        return
    later = []
    for name, backend in targets().items():
        if getattr(backend, "transactional", False):
            lock_target(name)
            docs = index_documents(ids)
            backend.apply(docs, set(ids) - {d.id for d in docs})
        else:
            later.append(name)
    if later:
        IndexOutbox.objects.bulk_create(
            [IndexOutbox(document_id=i, target=name) for name in later for i in ids]
        )
        transaction.on_commit(schedule_apply, robust=True)


def authorities_moved(authority_ids: Iterable[int]) -> int:
    """An authority changed parent: its documents and those below it change principals
    (shared_up, administrators above). Runs inside the importer's transaction."""
    from documents.models import Document
    from identity.selectors import subtree_ids

    ids = list(
        Document.objects.filter(owner_id__in=subtree_ids(set(authority_ids))).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(ids), 5000):
        documents_changed(ids[start : start + 5000])
    return len(ids)


def apply_outbox(
    *, due_only: bool = True, backends: dict[str, Backend] | None = None
) -> dict[str, int]:
    """Apply pending outbox rows now; a failing target is retried later by the worker."""
    applied, retry_in = apply_pending(due_only=due_only, backends=backends)
    if retry_in is not None:
        schedule_apply(datetime.timedelta(seconds=retry_in))
    return applied


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
        reports.append(
            IndexReport(
                target=name,
                documents=len(expected),
                missing=sorted(set(expected) - set(actual)),
                extra=sorted(set(actual) - set(expected)),
                stale=sorted(i for i in set(expected) & set(actual) if expected[i] != actual[i]),
            )
        )
    return reports


def repair(name: str, backend: Backend) -> int:
    """Apply whatever index_check finds different (after a rebuild raced with live changes)."""
    report = index_check({name: backend})[0]
    ids = set(report.missing) | set(report.stale) | set(report.extra)
    for start in range(0, len(ids), BATCH):
        chunk = sorted(ids)[start : start + BATCH]
        with transaction.atomic():
            lock_target(name)
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
                index_documents(ids, tree) for ids in all_document_ids(batch)
            )
            repair(name, backend)
        else:
            count, seen = 0, set[int]()
            for ids in all_document_ids(batch):
                with transaction.atomic():
                    lock_target(name)
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
