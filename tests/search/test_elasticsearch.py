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

from search.backends.elastic import INDEX_SETTINGS, MAPPINGS, client_kwargs, compile_body
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
    assert not any("principals" in str(f) for f in body["query"]["bool"]["filter"])
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
    elasticsearch_backend().client.indices.delete(index=f"{settings.CIVIS_ELASTICSEARCH_INDEX}-*")


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
