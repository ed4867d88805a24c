"""Writes of the search app: keeping the index in step with the document store.

Contract used by documents.services (and identity, when an authority moves): call
``documents_changed(ids)`` inside the transaction that changes documents, their audience,
status, owner or grants. It records the change in the outbox, in that same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable


def documents_changed(document_ids: Iterable[int]) -> None:
    """Record that these documents must be (re)indexed or removed from the index."""
    # Filled in by the search issue: an outbox row per document, applied after commit.
    return None
