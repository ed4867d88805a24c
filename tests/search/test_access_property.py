"""Property-based test: search agrees with the access oracle on random worlds.

Random territories, people, roles (current, ended, future), groups, documents of every
audience and status, and grants (tests/documents/test_access_property.py builds them); every
document gets random words, a type and a year. For every person, with and without words, with
and without an authority filter, search's hits, count and facet counts equal those computed
from tests/documents/oracle.py. Runs on whichever database DATABASE_URL names (CI: both).
"""

from __future__ import annotations

import os
from collections import Counter

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from documents.models import Document, DocumentType
from identity.models import User
from search.query import SearchQuery
from search.selectors import search_documents
from search.services import index_check, reindex
from tests.documents.oracle import World
from tests.documents.test_access_property import build, worlds

EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "60"))
VOCABULARY = ["budget", "piscine", "voirie", "cantine", "bibliothèque"]
TYPES = DocumentType.values[:4]


@st.composite
def searchable_worlds(draw):
    world = draw(worlds(authors=True))
    n_documents = len(world[3])
    texts = [draw(st.lists(st.sampled_from(VOCABULARY), max_size=3)) for _ in range(n_documents)]
    types = [draw(st.sampled_from(TYPES)) for _ in range(n_documents)]
    years = [draw(st.sampled_from([2023, 2024, 2025])) for _ in range(n_documents)]
    query_word = draw(st.sampled_from(VOCABULARY))
    scope = draw(st.integers(0, 6))
    return world, texts, types, years, query_word, scope


def _subtree(oracle: World, root: int) -> set[int]:
    return {a for a in oracle.parent if root in oracle.chain(a)}


def _facets(
    documents: list[Document], oracle: World, scope: int | None = None
) -> dict[str, dict[str, int]]:
    """The facets an oracle expects: an authority counts its whole subtree (what choosing it
    returns); with a scope, only the authorities inside it."""
    kinds = Counter(d.current_version.kind for d in documents if d.current_version_id)
    authorities: Counter[str] = Counter()
    for d in documents:
        chain = oracle.chain(d.owner_id)
        if scope is not None:
            chain = chain[: chain.index(scope) + 1]
        authorities.update(str(a) for a in chain)
    return {
        "authority": dict(authorities),
        "type": dict(Counter(d.document_type for d in documents)),
        "year": dict(Counter(str(d.published_on.year) for d in documents)),
        "format": dict(kinds),
    }


class SearchAccessPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(searchable_worlds())
    def test_hits_counts_and_facets_match_the_oracle(self, data):
        world, texts, types, years, query_word, scope = data
        users, documents = build(world)
        for document, words, doc_type, year in zip(documents, texts, types, years, strict=True):
            document.extracted_text = " ".join(words)
            document.document_type = doc_type
            document.published_on = document.published_on.replace(year=year)
            document.save()
        reindex()
        assert all(r.differences == 0 for r in index_check())
        documents = list(Document.objects.select_related("current_version").order_by("pk"))
        oracle = World.load()
        authorities = sorted(oracle.parent)
        scope_id = authorities[scope % len(authorities)]
        for user in [None, *users]:
            fresh = User.objects.get(pk=user.pk) if user else None
            readable = [d for d in documents if oracle.can_read(fresh, d)]
            cases = [
                (SearchQuery(page_size=100), readable),
                (
                    SearchQuery(text=query_word, page_size=100),
                    [d for d in readable if query_word in d.extracted_text.split()],
                ),
                (
                    SearchQuery(authority_id=scope_id, page_size=100),
                    [d for d in readable if d.owner_id in _subtree(oracle, scope_id)],
                ),
                (
                    SearchQuery(
                        text=query_word, sort="date", document_type=types[0], page_size=100
                    ),
                    [
                        d
                        for d in readable
                        if query_word in d.extracted_text.split() and d.document_type == types[0]
                    ],
                ),
            ]
            for query, expected in cases:
                page = search_documents(fresh, query)
                assert {h.document.pk for h in page.hits} == {d.pk for d in expected}, query
                assert page.total == len(expected), query
                got = {
                    name: {v.value: v.count for v in values} for name, values in page.facets.items()
                }
                assert got == _facets(expected, oracle, query.authority_id), query
            self._check_api(user, query_word, readable)

    def _check_api(self, user: User | None, word: str, readable: list[Document]) -> None:
        client = Client()
        if user is not None:
            client.force_login(user)
        body = client.get("/api/v1/search/", {"q": word, "page_size": 100}).json()
        expected = {d.pk for d in readable if word in d.extracted_text.split()}
        assert {r["id"] for r in body["results"]} == expected
        assert body["count"] == len(expected)
