"""Elasticsearch without a cluster: the exact bodies of every query shape, the mapping, and
what happens when the engine refuses or cannot be reached (the database answers, never a 500).

Engine errors are produced by the real client: an ``Elasticsearch`` pointed at a closed
loopback port (connection refused), or a tiny subclass whose API method raises the real
``ApiError`` class the client raises on an error answer."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig, ObjectApiResponse
from elasticsearch import BadRequestError, Elasticsearch, NotFoundError
from elasticsearch._sync.client.indices import IndicesClient

from search.backends.base import BackendUnavailable
from search.backends.elastic import (
    AGGREGATIONS,
    FIELDS,
    MAPPING_VERSION,
    MAPPINGS,
    MAX_RESULT_WINDOW,
    ElasticsearchBackend,
    EngineError,
    OutdatedIndex,
    compile_body,
    document_body,
)
from search.indexing import IndexDoc
from search.query import SearchQuery
from tests.factories import make_authority
from tests.search.factories import make_document

PUBLIC = frozenset({"public"})
SORT_RELEVANCE = [
    "_score",
    {"published_on": {"order": "desc", "missing": "_last"}},
    {"doc_id": {"order": "desc", "unmapped_type": "long"}},
]
SORT_DATE = SORT_RELEVANCE[1:]
AGGS = {name: {"terms": {"field": field, "size": 200}} for name, field in AGGREGATIONS.items()}


def cross(text: str) -> dict:
    return {
        "multi_match": {"query": text, "type": "cross_fields", "operator": "and", "fields": FIELDS}
    }


def phrase(text: str) -> dict:
    return {"multi_match": {"query": text, "type": "phrase", "fields": FIELDS}}


def expected(bool_query: dict, sort: list, offset: int = 0, size: int = 20) -> dict:
    return {
        "query": {"bool": bool_query},
        "sort": sort,
        "from": offset,
        "size": size,
        "track_total_hits": True,
        "_source": False,
        "aggs": AGGS,
    }


SHAPES = [
    (  # words: all required, ranked
        SearchQuery(text="délibération conseil"),
        PUBLIC,
        (),
        expected(
            {
                "filter": [{"terms": {"principals": ["public"]}}],
                "must": [cross("délibération conseil")],
            },
            SORT_RELEVANCE,
        ),
    ),
    (  # a phrase and a word
        SearchQuery(text='"conseil municipal" écoles'),
        PUBLIC,
        (),
        expected(
            {
                "filter": [{"terms": {"principals": ["public"]}}],
                "must": [{"bool": {"must": [phrase("conseil municipal"), cross("écoles")]}}],
            },
            SORT_RELEVANCE,
        ),
    ),
    (  # a phrase alone, typographic quotes and apostrophe
        SearchQuery(text="«\u00a0plan local d\u2019urbanisme\u00a0»"),
        PUBLIC,
        (),
        expected(
            {
                "filter": [{"terms": {"principals": ["public"]}}],
                "must": [phrase("plan local d\u2019urbanisme")],
            },
            SORT_RELEVANCE,
        ),
    ),
    (  # a quoted single word is a word (as search.french.parse_query has it)
        SearchQuery(text='"piscine" horaires'),
        PUBLIC,
        (),
        expected(
            {
                "filter": [{"terms": {"principals": ["public"]}}],
                "must": [cross("piscine horaires")],
            },
            SORT_RELEVANCE,
        ),
    ),
    (  # no text: everything readable, newest first, never by score
        SearchQuery(),
        PUBLIC,
        (),
        expected(
            {"filter": [{"terms": {"principals": ["public"]}}], "must": [{"match_all": {}}]},
            SORT_DATE,
        ),
    ),
    (  # principals of an agent, trimmed and sorted; every filter at once; date sort; page 3
        SearchQuery(
            text="budget",
            authority_id=12,
            document_type="deliberation",
            year=2025,
            kind="pdf",
            sort="date",
            page=3,
            page_size=50,
        ),
        frozenset({"user:8", "public", "signed_in", "agents:12"}),
        (),
        expected(
            {
                "filter": [
                    {"terms": {"principals": ["agents:12", "public", "signed_in", "user:8"]}},
                    {"term": {"scopes": "12"}},
                    {"term": {"document_type": "deliberation"}},
                    {"term": {"year": "2025"}},
                    {"term": {"kind": "pdf"}},
                ],
                "must": [cross("budget")],
            },
            SORT_DATE,
            offset=100,
            size=50,
        ),
    ),
    (  # superuser: no principal filter at all; stale documents left out
        SearchQuery(text="budget", page=2),
        None,
        [12, 3, 12],
        expected(
            {"must": [cross("budget")], "must_not": [{"ids": {"values": ["12", "3"]}}]},
            SORT_RELEVANCE,
            offset=20,
        ),
    ),
    (  # authority scope only, no text
        SearchQuery(authority_id=5),
        PUBLIC,
        (),
        expected(
            {
                "filter": [{"terms": {"principals": ["public"]}}, {"term": {"scopes": "5"}}],
                "must": [{"match_all": {}}],
            },
            SORT_DATE,
        ),
    ),
]


@pytest.mark.parametrize(("query", "principals", "exclude", "body"), SHAPES)
def test_each_query_shape_builds_the_expected_body(query, principals, exclude, body):
    built = compile_body(query, principals, exclude)
    assert built == body
    json.dumps(built)  # what the client sends


def _keys_and_values(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys_and_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys_and_values(item)
    else:
        yield node


@pytest.mark.parametrize(("query", "principals", "exclude", "body"), SHAPES)
def test_no_body_sorts_or_aggregates_on_id(query, principals, exclude, body):
    built = compile_body(query, principals, exclude)
    assert "_id" not in set(_keys_and_values(built["sort"]))
    assert "_id" not in set(_keys_and_values(built["aggs"]))
    assert built["sort"][-1] == {"doc_id": {"order": "desc", "unmapped_type": "long"}}


def test_the_mapping_has_a_numeric_tie_breaker_with_doc_values_and_a_version():
    assert MAPPINGS["properties"]["doc_id"] == {"type": "long", "doc_values": True}
    assert MAPPINGS["dynamic"] == "strict"
    assert MAPPINGS["_meta"] == {"civis_mapping_version": MAPPING_VERSION}
    for field in AGGREGATIONS.values():
        assert MAPPINGS["properties"][field]["type"] == "keyword"  # doc values by default
    doc = IndexDoc(
        id=42,
        title="t",
        meta="m",
        body="b",
        owner_id=3,
        scopes=(3, 1),
        document_type="autre",
        year=2025,
        published_on="2025-01-02",
        kind="pdf",
        principals=("public",),
    )
    body = document_body(doc)
    assert body["doc_id"] == 42
    assert set(body) == set(MAPPINGS["properties"])  # dynamic: strict would refuse extras


# --- Engine errors --------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_error(cls=BadRequestError, status=400):
    body = {
        "error": {
            "root_cause": [
                {
                    "type": "illegal_argument_exception",
                    "reason": "The _id field is restricted from use in aggregations, sorting, "
                    "and scripting",
                }
            ],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
        },
        "status": status,
    }
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders({"x-elastic-product": "Elasticsearch"}),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    return cls(message="search_phase_execution_exception", meta=meta, body=body)


class RefusingClient(Elasticsearch):
    """The real client, whose search gets the engine's error answer."""

    def search(self, **kwargs):
        self.sent = kwargs
        raise api_error()


def backend_with(client: Elasticsearch) -> ElasticsearchBackend:
    backend = ElasticsearchBackend(client_url := "http://127.0.0.1:9", "civis-documents")
    assert backend.url == client_url
    backend._client = client
    return backend


def test_an_engine_error_is_logged_with_its_reason_and_falls_back(caplog):
    backend = backend_with(RefusingClient("http://127.0.0.1:9"))
    with (
        caplog.at_level(logging.ERROR, logger="search.backends.elastic"),
        pytest.raises(EngineError) as raised,
    ):
        backend.search(SearchQuery(text="budget"), PUBLIC)
    assert isinstance(raised.value, BackendUnavailable)  # what run_search falls back from
    assert raised.value.status == 400
    assert "restricted from use" in str(raised.value)
    assert "illegal_argument_exception" in caplog.text and "restricted from use" in caplog.text
    assert backend.client.sent["allow_partial_search_results"] is False


def test_an_unreachable_engine_is_unavailable():
    backend = ElasticsearchBackend(f"http://127.0.0.1:{closed_port()}", "civis-documents", 2)
    with pytest.raises(BackendUnavailable, match="injoignable") as raised:
        backend.search(SearchQuery(text="budget"), PUBLIC)
    assert not isinstance(raised.value, EngineError)
    with pytest.raises(BackendUnavailable, match="injoignable"):
        backend.apply([], [1])


def test_pages_beyond_the_result_window_are_not_sent():
    backend = backend_with(RefusingClient("http://127.0.0.1:9"))
    query = SearchQuery(text="budget", page=MAX_RESULT_WINDOW // 100 + 1, page_size=100)
    with pytest.raises(BackendUnavailable) as raised:
        backend.search(query, PUBLIC)
    assert not isinstance(raised.value, EngineError)
    assert not hasattr(backend.client, "sent")


def _mapping_response(version):
    meta = ApiResponseMeta(
        status=200,
        http_version="1.1",
        headers=HttpHeaders({"x-elastic-product": "Elasticsearch"}),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    mappings = {"properties": {}} if version is None else {"_meta": {"civis_mapping_version": 1}}
    return ObjectApiResponse(body={"civis-documents-2025": {"mappings": mappings}}, meta=meta)


class OldIndices(IndicesClient):
    def get_mapping(self, **kwargs):
        return _mapping_response(None)


class OldIndexClient(Elasticsearch):
    """An index built before doc_id existed (no _meta version); bulk must not be reached."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indices = OldIndices(self)

    def bulk(self, **kwargs):
        raise AssertionError("an outdated index is never written to")


def test_an_outdated_index_is_refused_for_writes_with_a_clear_message(caplog):
    backend = backend_with(OldIndexClient("http://127.0.0.1:9"))
    with (
        caplog.at_level(logging.ERROR, logger="search.backends.elastic"),
        pytest.raises(OutdatedIndex, match="civis_reindex"),
    ):
        backend.apply([], [1])
    assert "civis_reindex" in caplog.text


class BulkRefusingClient(Elasticsearch):
    def bulk(self, **kwargs):
        meta = _mapping_response(MAPPING_VERSION).meta
        body = {
            "errors": True,
            "items": [
                {"delete": {"status": 404}},
                {
                    "index": {
                        "status": 400,
                        "error": {
                            "type": "strict_dynamic_mapping_exception",
                            "reason": "mapping set to strict, dynamic introduction of "
                            "[doc_id] within [_doc] is not allowed",
                        },
                    }
                },
            ],
        }
        return ObjectApiResponse(body=body, meta=meta)


def test_bulk_item_failures_keep_the_rows_with_the_engine_reason(caplog):
    backend = backend_with(BulkRefusingClient("http://127.0.0.1:9"))
    with (
        caplog.at_level(logging.ERROR, logger="search.backends.elastic"),
        pytest.raises(EngineError, match="strict"),
    ):
        backend._check_bulk(backend.client.bulk(operations=[]))
    assert "strict_dynamic_mapping" not in caplog.text  # the reason, not the type
    assert "dynamic introduction of [doc_id]" in caplog.text


def test_not_found_is_an_engine_error_too():
    class Missing(Elasticsearch):
        def search(self, **kwargs):
            raise api_error(NotFoundError, 404)

    with pytest.raises(EngineError) as raised:
        backend_with(Missing("http://127.0.0.1:9")).search(SearchQuery(), PUBLIC)
    assert raised.value.status == 404


# --- The portal and the API still answer ----------------------------------------------------


@pytest.mark.django_db
def test_run_search_answers_from_the_database_when_the_engine_is_unreachable(settings, client):
    from search.selectors import run_search

    settings.CIVIS_ELASTICSEARCH_URL = f"http://127.0.0.1:{closed_port()}"
    owner = make_authority(name="Mérignac")
    document = make_document(owner, "Horaires de la piscine municipale")
    result = run_search(SearchQuery(text="piscine"), PUBLIC)
    assert result.backend in {"sqlite", "postgresql"}
    assert [doc_id for doc_id, _score in result.hits] == [document.pk]
    page = client.get("/recherche/", {"q": "piscine"})
    assert page.status_code == 200
    assert "Horaires de la piscine municipale" in page.content.decode()
    answer = client.get("/api/v1/search/", {"q": "piscine"})
    assert answer.status_code == 200


@pytest.mark.django_db
def test_the_page_and_the_api_answer_when_the_engine_refuses(settings, client, monkeypatch, caplog):
    from search import selectors

    settings.CIVIS_ELASTICSEARCH_URL = "http://127.0.0.1:9"
    refusing = backend_with(RefusingClient("http://127.0.0.1:9"))
    monkeypatch.setattr(selectors, "elasticsearch_backend", lambda: refusing)
    owner = make_authority(name="Mérignac")
    make_document(owner, "Horaires de la piscine municipale")
    with caplog.at_level(logging.ERROR, logger="search.backends.elastic"):
        page = client.get("/recherche/", {"q": "piscine", "sort": "date"})
        answer = client.get("/api/v1/search/", {"q": "piscine"})
    assert page.status_code == 200
    assert "Horaires de la piscine municipale" in page.content.decode()
    assert answer.status_code == 200
    assert "restricted from use" in caplog.text


class AnsweringClient(Elasticsearch):
    """The real client, given the engine's answer (``body``) to a search."""

    body: dict = {}

    def search(self, **kwargs):
        return ObjectApiResponse(body=self.body, meta=_mapping_response(MAPPING_VERSION).meta)


def test_an_answer_is_read_like_the_database_answers_it():
    client = AnsweringClient("http://127.0.0.1:9")
    client.body = {
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "hits": [{"_id": "7", "_score": None}, {"_id": "3", "_score": 1.5}],
        },
        "aggregations": {
            "authority": {"buckets": [{"key": "12", "doc_count": 2}]},
            "type": {"buckets": [{"key": "autre", "doc_count": 2}]},
            "year": {"buckets": [{"key": "2025", "doc_count": 2}]},
            "format": {"buckets": [{"key": "pdf", "doc_count": 1}, {"key": "", "doc_count": 1}]},
        },
    }
    result = backend_with(client).search(SearchQuery(sort="date"), PUBLIC)
    assert result.total == 2 and result.hits == [(7, 0.0), (3, 1.5)]
    assert result.facets == {
        "authority": {"12": 2},
        "type": {"autre": 2},
        "year": {"2025": 2},
        "format": {"pdf": 1},  # a document without a file has no format, as on the database
    }


def test_an_answer_that_is_not_a_search_answer_falls_back(caplog):
    client = AnsweringClient("http://127.0.0.1:9")
    client.body = {"hits": {"total": {"value": 0}, "hits": []}}  # no aggregations
    with (
        caplog.at_level(logging.ERROR, logger="search.backends.elastic"),
        pytest.raises(EngineError, match="inattendue"),
    ):
        backend_with(client).search(SearchQuery(), PUBLIC)
    assert "aggregations" in caplog.text


class HalfBuildClient(Elasticsearch):
    """Creates the index, then refuses the documents: the half-built index is dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indices = RecordingIndices(self)

    bulk = BulkRefusingClient.bulk


class RecordingIndices(IndicesClient):
    calls: list[tuple[str, str]] = []

    def create(self, **kwargs):
        self.calls.append(("create", kwargs["index"]))
        assert kwargs["mappings"] == MAPPINGS

    def delete(self, **kwargs):
        self.calls.append(("delete", kwargs["index"]))


def test_a_refused_rebuild_leaves_the_alias_alone_and_drops_its_index():
    doc = IndexDoc(1, "t", "m", "b", 3, (3,), "autre", None, None, "", ("public",))
    backend = backend_with(HalfBuildClient("http://127.0.0.1:9"))
    RecordingIndices.calls = []
    with pytest.raises(EngineError):
        backend.rebuild([[doc]])
    (created, dropped) = RecordingIndices.calls
    assert created[0] == "create" and dropped == ("delete", created[1])
