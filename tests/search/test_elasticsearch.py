"""Elasticsearch: every query the portal and the API issue compiles without a server, and the
bodies trim by principals; with CIVIS_ELASTICSEARCH_URL set, the same behaviour on a cluster."""

from __future__ import annotations

import inspect
import itertools
import os
import time

import pytest
from elasticsearch import Elasticsearch
from wagtail.models import Page
from wagtail.search.backends.elasticsearch8 import SearchBackend as WagtailES8

from search.backends.base import BackendUnavailable
from search.backends.elastic import (
    INDEX_SETTINGS,
    MAPPINGS,
    EngineError,
    client_kwargs,
    compile_body,
)
from search.principals import requester_principals
from search.query import SearchQuery
from search.selectors import search_documents
from search.services import apply_outbox, index_check, reindex
from tests.factories import make_authority, make_user
from tests.search.factories import make_document

SEARCH_PARAMETERS = set(inspect.signature(Elasticsearch.search).parameters)
TEXTS = [
    "",
    "délibération conseil municipal",
    '"conseil municipal" écoles',
    "l'urbanisme",
    "le la les",
    '"plan local d\u2019urbanisme"',
]
FILTERS = [
    {},
    {"authority_id": 12},
    {"document_type": "deliberation", "year": 2025},
    {"kind": "pdf", "authority_id": 3},
]
PRINCIPALS = [
    frozenset({"public"}),
    frozenset({"public", "signed_in", "user:7"}),
    frozenset({"public", "signed_in", "user:8", "group:2", "agents:12", "editors:12"}),
    frozenset({"public", "signed_in", "user:9", "agents:1", "admins:1"}),
]


def all_queries():
    for text, filters, sort, page in itertools.product(
        TEXTS, FILTERS, ["relevance", "date"], [1, 3]
    ):
        yield SearchQuery(text=text, sort=sort, page=page, **filters)


@pytest.mark.parametrize("principals", PRINCIPALS)
def test_every_portal_and_api_query_compiles_and_is_trimmed(principals):
    for query in all_queries():
        body = compile_body(query, principals)
        assert set(client_kwargs(body)) <= SEARCH_PARAMETERS
        filters = body["query"]["bool"]["filter"]
        assert {"terms": {"principals": sorted(principals)}} in filters
        assert body["from"] == (query.page - 1) * query.page_size
        assert set(body["aggs"]) == {"authority", "type", "year", "format"}
        if query.authority_id:
            assert {"term": {"scopes": str(query.authority_id)}} in filters


def test_superuser_bodies_have_no_principal_filter_and_phrases_are_phrases():
    body = compile_body(SearchQuery(text='"conseil municipal" écoles'), None)
    assert not any("principals" in str(f) for f in body["query"]["bool"].get("filter", []))
    must = body["query"]["bool"]["must"][0]["bool"]["must"]
    assert must[0]["multi_match"] == {
        "query": "conseil municipal",
        "type": "phrase",
        "fields": ["title^10", "meta^4", "body"],
    }
    assert must[1]["multi_match"]["operator"] == "and"


def test_requester_principals_feed_the_body(db):
    citizen = make_user()
    body = compile_body(SearchQuery(text="budget"), requester_principals(citizen))
    assert body["query"]["bool"]["filter"][0] == {
        "terms": {"principals": sorted(["public", "signed_in", f"user:{citizen.pk}"])}
    }
    assert compile_body(SearchQuery(), requester_principals(None))["query"]["bool"]["filter"][
        0
    ] == {"terms": {"principals": ["public"]}}


def test_the_analyzer_is_french():
    analyzer = INDEX_SETTINGS["analysis"]["analyzer"]["civis_french"]
    filters = INDEX_SETTINGS["analysis"]["filter"]
    kinds = [filters[name]["type"] if name in filters else name for name in analyzer["filter"]]
    assert kinds == ["elision", "lowercase", "stop", "asciifolding", "stemmer"]
    assert filters["civis_stemmer"]["language"] == "light_french"
    assert filters["civis_stop"]["stopwords"] == "_french_"
    assert MAPPINGS["properties"]["principals"]["type"] == "keyword"


@pytest.mark.django_db
def test_portal_page_search_compiles_for_wagtail_elasticsearch():
    backend = WagtailES8({"URLS": ["http://127.0.0.1:9"], "INDEX": "civis", "TIMEOUT": 1})
    for text in TEXTS[1:]:
        body = backend.search(text, Page.objects.live().public().specific())._get_es_body()
        assert body["query"]["bool"]["filter"]


# --- Against a live cluster ------------------------------------------------------------------
live = pytest.mark.skipif(
    not os.environ.get("CIVIS_ELASTICSEARCH_URL"),
    reason="CIVIS_ELASTICSEARCH_URL n'est pas défini : pas de cluster Elasticsearch à tester "
    "(ces tests tournent dès qu'il l'est).",
)


@live
@pytest.mark.django_db
def test_live_cluster_trims_and_follows_permission_changes(settings):
    settings.CIVIS_ELASTICSEARCH_INDEX = f"civis-test-{os.getpid()}"
    from documents.models import Document
    from search.backends import elasticsearch_backend

    owner = make_authority(name="Mérignac")
    public = make_document(owner, "Délibération du conseil municipal", text="écoles")
    internal = make_document(
        owner, "Délibération interne du conseil municipal", audience="internal"
    )
    reindex()
    assert all(r.differences == 0 for r in index_check())
    page = search_documents(None, SearchQuery(text="deliberations conseil"))
    assert page.backend == "elasticsearch"
    assert [h.document.pk for h in page.hits] == [public.pk]
    Document.objects.filter(pk=internal.pk).update(audience="public")
    from search.services import documents_changed

    documents_changed([internal.pk])
    started = time.monotonic()
    apply_outbox(due_only=False)
    assert search_documents(None, SearchQuery(text="conseil")).total == 2
    assert time.monotonic() - started < 5
    drop_test_indices(elasticsearch_backend())


def drop_test_indices(backend) -> None:
    """Delete the test's indices by name: ES 8+ refuses wildcard deletes by default
    (action.destructive_requires_name)."""
    names = list(backend.client.indices.get(index=f"{backend.alias}-*").keys())
    if names:
        backend.client.indices.delete(index=",".join(names))


@live
@pytest.mark.django_db
def test_live_every_query_shape_runs_and_agrees_with_the_database(settings):
    """Every query shape the portal and the API issue (text, phrases, stop words only, no
    text; authority scope, type, year, format; both sorts; pages; as the public, an agent, a
    superuser; with stale documents left out) runs on the cluster without an engine error and
    answers what the database answers: same total, same facets, same hits (in the same order
    when sorted by date, the tie-breaker included)."""
    settings.CIVIS_ELASTICSEARCH_INDEX = f"civis-test-{os.getpid()}-shapes"
    import datetime

    from search.backends import database_backend, elasticsearch_backend
    from search.backends.elastic import MAPPING_VERSION

    region = make_authority(name="Gironde")
    town = make_authority(name="Mérignac", parent=region)
    other = make_authority(name="Pessac")
    same_day = datetime.date(2025, 3, 4)
    docs = [
        make_document(
            town,
            "Délibération conseil municipal",
            text="écoles cantine",
            document_type="deliberation",
            published_on=same_day,
        ),
        make_document(
            town,
            "Délibération conseil municipal bis",
            text="écoles",
            document_type="deliberation",
            published_on=same_day,
        ),
        make_document(
            town,
            "Conseil municipal interne",
            text="urbanisme",
            audience="internal",
            document_type="compte_rendu",
            published_on=same_day,
        ),
        make_document(
            region,
            "Plan local d\u2019urbanisme",
            text="l'urbanisme révisé",
            document_type="rapport",
            kind="odt",
            published_on=datetime.date(2024, 6, 1),
        ),
        make_document(
            other,
            "Budget primitif",
            text="délibération conseil municipal écoles",
            document_type="budget",
            published_on=datetime.date(2025, 1, 2),
        ),
        make_document(
            other, "Sans fichier", text="conseil", kind=None, published_on=datetime.date(2023, 2, 3)
        ),
    ]
    reindex()
    es, db = elasticsearch_backend(), database_backend()
    mapping = es.client.indices.get_mapping(index=es.alias).body
    (index_mapping,) = [found["mappings"] for found in mapping.values()]
    assert index_mapping["properties"]["doc_id"]["type"] == "long"
    assert index_mapping["_meta"]["civis_mapping_version"] == MAPPING_VERSION
    filters = [
        {},
        {"authority_id": region.pk},
        {"authority_id": town.pk, "document_type": "deliberation", "year": 2025},
        {"kind": "pdf", "authority_id": other.pk},
        {"kind": "odt"},
    ]
    readers = [
        frozenset({"public"}),
        frozenset({"public", "signed_in", f"agents:{town.pk}"}),
        None,
    ]
    for principals, text, extra, sort, page in itertools.product(
        readers, TEXTS, filters, ["relevance", "date"], [1, 2]
    ):
        query = SearchQuery(text=text, sort=sort, page=page, page_size=2, **extra)
        if query.parsed.empty and text:
            es.search(query, principals)  # stop words only: runs (the page says "no words")
            continue
        got, want = es.search(query, principals), db.search(query, principals)
        assert got.total == want.total, query
        assert got.facets == {
            name: {str(value): count for value, count in counts.items()}
            for name, counts in want.facets.items()
        }, query
        if sort == "date":
            assert [i for i, _ in got.hits] == [i for i, _ in want.hits], query
    stale = es.search(SearchQuery(), None, exclude_ids=[docs[0].pk])
    assert stale.total == len(docs) - 1 and docs[0].pk not in [i for i, _ in stale.hits]
    deep = SearchQuery(page=200, page_size=100)
    with pytest.raises(BackendUnavailable):
        es.search(deep, None)  # beyond index.max_result_window: the database answers
    # What the reference says the engine refuses, it refuses, and the backend says so.
    with pytest.raises(EngineError) as refused:
        es._call("search", index=es.alias, sort=[{"_id": {"order": "desc"}}])
    assert refused.value.status == 400
    drop_test_indices(es)


def test_documents_waiting_in_the_outbox_are_left_out_of_elasticsearch_answers(db, monkeypatch):
    """Elasticsearch is fed after commit; until then a narrowed document must not be counted
    under its old readers (issue 18 #9): its id goes into a must_not, totals included."""
    from search import selectors
    from search.models import IndexOutbox

    body = compile_body(SearchQuery(text="piscine"), frozenset({"public"}), exclude_ids=[7, 3])
    assert body["query"]["bool"]["must_not"] == [{"ids": {"values": ["3", "7"]}}]
    assert "must_not" not in compile_body(SearchQuery(text="piscine"), frozenset({"public"}))

    seen: list[list[int]] = []

    class Engine:  # stands in for the cluster this machine cannot run; records what it is asked
        def search(self, query, principals, exclude_ids=()):
            seen.append(sorted(exclude_ids))
            raise selectors.BackendUnavailable("pas de grappe ici")

    monkeypatch.setattr(selectors, "elasticsearch_backend", lambda: Engine())
    owner = make_authority(name="Mérignac")
    document = make_document(owner, "Piscine", audience="public")
    IndexOutbox.objects.create(document_id=document.pk, target="es")
    page = search_documents(None, SearchQuery(text="piscine"))
    assert seen == [[document.pk]]
    assert page.total == 1  # the database answered, exactly
