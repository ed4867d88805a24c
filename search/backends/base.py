"""The contract every search backend fulfils."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from search.indexing import IndexDoc
from search.query import SearchQuery, SearchResult


class BackendUnavailable(RuntimeError):
    """The engine cannot be reached; callers fall back or retry later."""


class Backend(Protocol):
    name: str
    #: Lives in the portal's own database: updated inside the transaction of each change (so
    #: it never lags); other engines are fed through the outbox after commit.
    transactional: bool

    def apply(self, docs: list[IndexDoc], removed: Iterable[int]) -> None:
        """Upsert ``docs`` and delete ``removed`` (ids of documents that no longer exist)."""

    def search(self, query: SearchQuery, principals: frozenset[str] | None) -> SearchResult:
        """Hits, total and facets over what ``principals`` may read (None: everything)."""

    def fingerprints(self) -> dict[int, str]:
        """Every indexed document id with the fingerprint it was indexed with."""

    def clear(self) -> None:
        """Empty the index (used before a rebuild on the database)."""
