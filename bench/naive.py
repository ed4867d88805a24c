"""The naive baseline: decide document by document who may read it, then search.

What a portal without security trimming in its index has to do: load every document, check
each one against the access rules (the requester's roles, groups and explicit grants), search
without trimming, and intersect.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from django.contrib.auth.models import AnonymousUser

from documents.models import Document
from identity.models import User
from search.backends import database_backend
from search.query import SearchQuery
from tests.documents.oracle import World


class _Row(NamedTuple):
    """The columns the rules read (tests.documents.oracle.DocumentFacts)."""

    pk: int
    owner_id: int
    audience: str
    status: str
    addressee_id: int | None


def readable_ids(user: User | AnonymousUser | None) -> set[int]:
    """The test suite's oracle (tests/documents/oracle.py), document by document: the rules
    stated once in plain Python, not a fourth time here."""
    requester = user if user is not None and user.is_authenticated else None
    world = World.load(users=[requester] if requester is not None else [])
    return {
        row.pk
        for row in (
            _Row(*values)
            for values in Document.objects.values_list(*_Row._fields).iterator(chunk_size=5000)
        )
        if world.can_read(requester, row)
    }


def naive_search(
    user: User | AnonymousUser | None,
    query: SearchQuery,
) -> tuple[int, list[int], dict[str, Counter[str]]]:
    allowed = readable_ids(user)
    everything = SearchQuery(**{**query.__dict__, "page": 1, "page_size": 10_000_000})
    result = database_backend().search(everything, None)
    hits = [doc for doc, _score in result.hits if doc in allowed]
    rows = Document.objects.filter(pk__in=hits[: query.offset + query.page_size]).select_related(
        "current_version"
    )
    facets: dict[str, Counter[str]] = {"type": Counter()}
    for document_type in (
        Document.objects.filter(pk__in=hits)
        .values_list("document_type", flat=True)
        .iterator(chunk_size=5000)
    ):
        facets["type"][document_type] += 1
    list(rows)
    return len(hits), hits[query.offset : query.offset + query.page_size], facets
