"""French relevance: each query must return its documents in the top 3 (score reported)."""

from __future__ import annotations

import pytest

from search.query import SearchQuery
from search.selectors import search_documents
from tests.search.factories import index_now
from tests.search.relevance_corpus import QUERIES, build_corpus

pytestmark = pytest.mark.django_db


def test_french_relevance_set(capsys):
    authorities, ids = build_corpus()
    index_now()
    assert len(QUERIES) >= 40
    failures = []
    for text, filters, keys in QUERIES:
        query = SearchQuery(
            text=text,
            page_size=3,
            document_type=filters.get("type", ""),
            authority_id=authorities[filters["authority"]].pk if "authority" in filters else None,
        )
        top = [hit.document.pk for hit in search_documents(None, query).hits]
        if not all(ids[key] in top for key in keys):
            failures.append((text, filters, keys))
    score = len(QUERIES) - len(failures)
    with capsys.disabled():
        print(
            f"\nPertinence : {score}/{len(QUERIES)} requêtes avec leurs documents dans les "
            f"3 premiers ({100 * score / len(QUERIES):.0f} %)"
        )
    assert not failures, failures
