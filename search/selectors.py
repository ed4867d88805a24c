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
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.utils.safestring import SafeString

from documents.models import Document, DocumentType
from documents.selectors import documents_visible_to
from identity.models import MAX_DEPTH, Authority, User
from search.backends import database_backend, elasticsearch_backend
from search.backends.base import BackendUnavailable
from search.french import PHRASE, analyse
from search.models import IndexOutbox
from search.principals import requester_principals
from search.query import SearchQuery, SearchResult
from search.snippets import snippet
from search.suggest import FEW_RESULTS, suggest_query

logger = logging.getLogger(__name__)
TYPE_LABELS = dict(DocumentType.choices)


@dataclass
class Hit:
    document: Document
    score: float
    snippet: SafeString
    # In a partial answer: the words typed that this document does not contain (shown struck
    # through); empty when it contains them all.
    missing: list[str] = field(default_factory=list)


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
    # "no_searchable_words": the text had only stop words, punctuation or elisions, and
    # nothing is listed (never "everything"); ``notice`` says so in French.
    reason: str = ""
    notice: str = ""
    # No document contains every word: the hits contain some of them, labelled as such.
    partial: bool = False
    matched_words: list[str] = field(default_factory=list)
    missing_words: list[str] = field(default_factory=list)
    # "Vouliez-vous dire …": whole corrected queries, from words of readable documents only.
    suggestions: list[str] = field(default_factory=list)

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


# The authority facet lists the authorities with the most results (a région has thousands).
AUTHORITY_FACET_SIZE = 30
NO_SEARCHABLE_WORDS = (
    "Votre recherche ne contient que des mots trop courants ou des signes (« le », « de », "
    "« ? »…) : ils sont dans presque tous les documents, aucun n'est donc listé. Ajoutez un "
    "mot plus précis."
)

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


def _subtree_counts(owners: dict[str, int], scope: int | None) -> dict[str, int]:
    """Each authority's count is its whole subtree's (its documents and those of the
    authorities under it), as choosing it in the facet filters; with a scope, only the
    authorities inside it (those above would all show the total)."""
    ids = [int(k) for k in owners]
    lookups = ["parent_id"] + [
        "__".join(["parent"] * d) + "__parent_id" for d in range(1, MAX_DEPTH)
    ]
    counts: dict[int, int] = {}
    for row in Authority.objects.filter(pk__in=ids).values_list("pk", *lookups):
        n = owners[str(row[0])]
        chain = [row[0], *(a for a in row[1:] if a is not None)]
        if scope is not None and scope in chain:
            chain = chain[: chain.index(scope) + 1]
        elif scope is not None:
            chain = chain[:1]
        for authority_id in chain:
            counts[authority_id] = counts.get(authority_id, 0) + n
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:AUTHORITY_FACET_SIZE]
    return {str(k): v for k, v in top}


def _facets(result: SearchResult, query: SearchQuery) -> dict[str, list[FacetValue]]:
    if "authority" in result.facets:
        result.facets["authority"] = _subtree_counts(result.facets["authority"], query.authority_id)
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


def _typed_items(text: str) -> list[tuple[str, str]]:
    """The query's items (each word, each quoted phrase) as (shown, searched): "bureaux" is
    shown as typed and searched as the text it came from."""
    items: list[tuple[str, str]] = []
    seen: set[str] = set()

    def keep(match: re.Match[str]) -> str:
        inner = " ".join(next(g for g in match.groups() if g is not None).split())
        if len(analyse(inner)) > 1:
            items.append((f"« {inner} »", f'"{inner}"'))
            return " "
        return f" {inner} "

    rest = PHRASE.sub(keep, text)
    for token in rest.replace('"', " ").split():
        for term in analyse(token):
            if term not in seen:
                seen.add(term)
                items.append((token.strip(",;:!?()[]«»"), token))
    return items


def _partial(
    query: SearchQuery, principals: frozenset[str] | None
) -> tuple[SearchResult, list[tuple[str, str]], list[str]] | None:
    """When no readable document contains every word: the documents that contain some,
    from the database backend (ranked by BM25 over the words they contain: more, and rarer,
    first), the items typed, and the ones found in no readable document."""
    items = _typed_items(query.text)
    if len(items) < 2:
        return None
    backend = database_backend()
    absent = [
        shown
        for shown, searched in items
        if backend.search(replace(query, text=searched, page=1, page_size=1), principals).total == 0
    ]
    if len(absent) == len(items):
        return None
    result = backend.search(replace(query, match_any=True), principals)
    return result, items, absent


def search_documents(user: User | AnonymousUser | None, query: SearchQuery) -> SearchPage:
    if query.text.strip() and query.parsed.empty:
        # Stop words, punctuation or elisions only: no answer (never "everything").
        return SearchPage(
            query=query,
            total=0,
            hits=[],
            reason="no_searchable_words",
            notice=NO_SEARCHABLE_WORDS,
        )
    principals = requester_principals(user)
    result = run_search(query, principals)
    partial = None
    if result.total == 0 and not query.match_any:
        partial = _partial(query, principals)
        if partial is not None:
            result = partial[0]
    ids = [doc_id for doc_id, _score in result.hits]
    loaded = {
        d.pk: d
        for d in documents_visible_to(user)
        .filter(pk__in=ids)
        .select_related("owner", "current_version")
    }
    stems = query.parsed.stems()
    missing: dict[int, list[str]] = {}
    if partial is not None:
        backend = database_backend()
        for shown, searched in partial[1]:
            having = backend.ids_matching(searched, ids)
            for doc_id in ids:
                if doc_id not in having:
                    missing.setdefault(doc_id, []).append(shown)
    hits = [
        Hit(
            loaded[doc_id],
            score,
            snippet(loaded[doc_id].extracted_text or loaded[doc_id].summary, stems),
            missing.get(doc_id, []),
        )
        for doc_id, score in result.hits
        if doc_id in loaded
    ]
    page = SearchPage(
        query=query,
        total=result.total,
        hits=hits,
        facets=_facets(result, query),
        backend=result.backend,
    )
    if partial is not None:
        _result, items, absent = partial
        page.partial = True
        page.matched_words = [shown for shown, _s in items if shown not in absent]
        page.missing_words = absent
    if page.total < FEW_RESULTS or page.partial:
        # "Vouliez-vous dire …": words of documents this requester may read only.
        page.suggestions = suggest_query(user, query.text, total=0 if page.partial else page.total)
    return page


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
