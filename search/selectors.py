"""Reads of the search app: one search, trimmed to what the requester may read.

Trimming happens in the engine (principals, see search.principals), so hits, total and facet
counts are all computed over readable documents only. The page of hits is then loaded through
documents.selectors.documents_visible_to, the one answer to "what may this user read": if the
index lags behind a permission change, a hit the user may no longer read is dropped, never
shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.utils.safestring import SafeString

from documents.models import Document, DocumentType
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from search.backends import database_backend, elasticsearch_backend
from search.backends.base import BackendUnavailable
from search.models import IndexOutbox
from search.principals import requester_principals
from search.query import SearchQuery, SearchResult
from search.snippets import snippet

logger = logging.getLogger(__name__)
TYPE_LABELS = dict(DocumentType.choices)


@dataclass
class Hit:
    document: Document
    score: float
    snippet: SafeString


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    query: SearchQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    backend: str = ""

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


# More documents than this waiting for Elasticsearch: the database answers (it never lags).
MAX_STALE_EXCLUDED = 1000


def run_search(query: SearchQuery, principals: frozenset[str] | None) -> SearchResult:
    """Elasticsearch when configured, reachable and nearly caught up, else the database.

    Elasticsearch is fed after commit, so it may still hold a document under readers it no
    longer has: documents with changes waiting in its outbox are left out of its answer
    (totals and facets included), never counted for someone who may not read them."""
    engine = elasticsearch_backend()
    if engine is not None:
        stale = list(
            IndexOutbox.objects.filter(target="es")
            .values_list("document_id", flat=True)
            .distinct()[: MAX_STALE_EXCLUDED + 1]
        )
        if len(stale) <= MAX_STALE_EXCLUDED:
            try:
                return engine.search(query, principals, exclude_ids=stale)
            except BackendUnavailable as exc:
                logger.warning("Elasticsearch unavailable, searching the database: %s", exc)
    return database_backend().search(query, principals)


def _facets(result: SearchResult, query: SearchQuery) -> dict[str, list[FacetValue]]:
    names = dict(
        Authority.objects.filter(
            pk__in=[int(k) for k in result.facets.get("authority", {})]
        ).values_list("pk", "name")
    )
    selected = {
        "authority": str(query.authority_id or ""),
        "type": query.document_type,
        "year": str(query.year or ""),
        "format": query.kind,
    }
    labels: dict[str, Callable[[str], str]] = {
        "authority": lambda v: str(names.get(int(v), v)),
        "type": lambda v: str(TYPE_LABELS.get(v, v)),
        "year": str,
        "format": str.upper,
    }
    out = {}
    for name, counts in result.facets.items():
        values = [FacetValue(v, labels[name](v), n, v == selected[name]) for v, n in counts.items()]
        if name == "year":
            values.sort(key=lambda f: f.value, reverse=True)
        else:
            values.sort(key=lambda f: (-f.count, f.label))
        out[name] = values
    return out


def search_documents(user: User | AnonymousUser | None, query: SearchQuery) -> SearchPage:
    principals = requester_principals(user)
    result = run_search(query, principals)
    ids = [doc_id for doc_id, _score in result.hits]
    loaded = {
        d.pk: d
        for d in documents_visible_to(user)
        .filter(pk__in=ids)
        .select_related("owner", "current_version")
    }
    stems = query.parsed.stems()
    hits = [
        Hit(
            loaded[doc_id],
            score,
            snippet(loaded[doc_id].extracted_text or loaded[doc_id].summary, stems),
        )
        for doc_id, score in result.hits
        if doc_id in loaded
    ]
    return SearchPage(
        query=query,
        total=result.total,
        hits=hits,
        facets=_facets(result, query),
        backend=result.backend,
    )


# Wagtail's database backends pass quotes and operators on to the engine (SQLite FTS5 fails
# on an unbalanced '"'): pages are searched for the words of the query only, without the
# operators people type (every word is required, so "OR" would match nothing).
PAGE_SEARCH_WORDS = re.compile(r"\w+")
PAGE_SEARCH_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def search_pages(text: str, limit: int = 5) -> list[Any]:
    """Portal pages (authority pages now, service pages later) through Wagtail's search."""
    from wagtail.models import Page

    words = " ".join(
        [
            word
            for word in PAGE_SEARCH_WORDS.findall(text or "")
            if word not in PAGE_SEARCH_OPERATORS
        ][:32]
    )
    if not words:
        return []
    pages = Page.objects.live().public().specific()
    try:
        # A savepoint when inside a transaction: a refused query must not abort it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return list(pages.search(words)[:limit])
    except DatabaseError as exc:
        # Bad input is not a server fault: one line, no traceback, no page hits.
        logger.warning("Page search refused the query: %s", exc)
        return []
    except Exception as exc:  # e.g. Elasticsearch down: never fail the document search
        logger.warning("Page search unavailable, matching titles instead: %s", exc)
        return list(pages.filter(title__icontains=words)[:limit])
