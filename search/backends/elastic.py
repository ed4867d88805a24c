"""Elasticsearch 8/9: French analysis in the engine, principals as a keyword filter.

Queries are compiled by ``compile_body`` (pure, testable without a server); every body for a
non-superuser carries a ``terms`` filter on principals. Rebuilds write a new index and swap
the alias atomically, so searches never see a half-built index.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings

from search.backends.base import BackendUnavailable
from search.french import PHRASE
from search.indexing import IndexDoc
from search.query import SearchQuery, SearchResult

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

ELISIONS = ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"]
INDEX_SETTINGS: dict[str, Any] = {
    "analysis": {
        "filter": {
            "civis_elision": {"type": "elision", "articles_case": True, "articles": ELISIONS},
            "civis_stop": {"type": "stop", "stopwords": "_french_"},
            "civis_stemmer": {"type": "stemmer", "language": "light_french"},
        },
        "analyzer": {
            "civis_french": {
                "tokenizer": "standard",
                # Stop words before folding: the _french_ list is written with accents.
                "filter": [
                    "civis_elision",
                    "lowercase",
                    "civis_stop",
                    "asciifolding",
                    "civis_stemmer",
                ],
            },
        },
    },
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "title": {"type": "text", "analyzer": "civis_french"},
        "meta": {"type": "text", "analyzer": "civis_french"},
        "body": {"type": "text", "analyzer": "civis_french"},
        "owner_id": {"type": "keyword"},
        "scopes": {"type": "keyword"},
        "document_type": {"type": "keyword"},
        "year": {"type": "keyword"},
        "published_on": {"type": "date"},
        "kind": {"type": "keyword"},
        "principals": {"type": "keyword"},
        "fingerprint": {"type": "keyword"},
    },
}
FIELDS = ["title^10", "meta^4", "body"]
AGGREGATIONS = {"authority": "owner_id", "type": "document_type", "year": "year", "format": "kind"}


def _text_query(text: str) -> dict[str, Any] | None:
    """All words required; quoted passages as phrases (French analysis on both sides)."""
    must: list[dict[str, Any]] = []

    def keep(match: re.Match[str]) -> str:
        inner = next(g for g in match.groups() if g is not None)
        if inner.strip():
            must.append({"multi_match": {"query": inner, "type": "phrase", "fields": FIELDS}})
        return " "

    rest = PHRASE.sub(keep, text).replace('"', " ").strip()
    if rest:
        must.append(
            {
                "multi_match": {
                    "query": rest,
                    "type": "cross_fields",
                    "operator": "and",
                    "fields": FIELDS,
                }
            }
        )
    if not must:
        return None
    return must[0] if len(must) == 1 else {"bool": {"must": must}}


def compile_body(
    query: SearchQuery, principals: frozenset[str] | None, exclude_ids: Iterable[int] = ()
) -> dict[str, Any]:
    """The request body for ``query`` as ``principals`` (None: superuser, no trimming).
    ``exclude_ids``: documents whose index entry is stale (changes still in the outbox) — they
    are left out rather than counted under readers they may no longer have."""
    filters: list[dict[str, Any]] = []
    if principals is not None:
        filters.append({"terms": {"principals": sorted(principals)}})
    if query.authority_id:
        filters.append({"term": {"scopes": str(query.authority_id)}})
    if query.document_type:
        filters.append({"term": {"document_type": query.document_type}})
    if query.year:
        filters.append({"term": {"year": str(query.year)}})
    if query.kind:
        filters.append({"term": {"kind": query.kind}})
    text = _text_query(query.text) if not query.parsed.empty else None
    bool_query: dict[str, Any] = {"filter": filters}
    if excluded := sorted({str(i) for i in exclude_ids}):
        bool_query["must_not"] = [{"ids": {"values": excluded}}]
    bool_query["must"] = [text] if text else [{"match_all": {}}]
    ranked = text is not None and query.sort == "relevance"
    sort: list[Any] = (["_score"] if ranked else []) + [
        {"published_on": {"order": "desc", "missing": "_last"}},
        {"_id": {"order": "desc"}},
    ]
    return {
        "query": {"bool": bool_query},
        "sort": sort,
        "from": query.offset,
        "size": query.page_size,
        "track_total_hits": True,
        "_source": False,
        "aggs": {
            name: {"terms": {"field": field, "size": 200}} for name, field in AGGREGATIONS.items()
        },
    }


# The REST body's keys that the Python client spells differently (reserved words).
CLIENT_NAMES = {"from": "from_", "_source": "source"}


def client_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """``compile_body``'s REST body as keyword arguments of ``Elasticsearch.search``."""
    return {CLIENT_NAMES.get(key, key): value for key, value in body.items()}


def document_body(doc: IndexDoc) -> dict[str, Any]:
    return {
        "title": doc.title,
        "meta": doc.meta,
        "body": doc.body,
        "owner_id": str(doc.owner_id),
        "scopes": [str(a) for a in doc.scopes],
        "document_type": doc.document_type,
        "year": str(doc.year) if doc.year else None,
        "published_on": doc.published_on,
        "kind": doc.kind,
        "principals": list(doc.principals),
        "fingerprint": doc.fingerprint,
    }


class ElasticsearchBackend:
    name = "elasticsearch"
    transactional = False

    def __init__(self, url: str, alias: str, timeout: float = 5.0) -> None:
        self.url = url
        self.alias = alias
        self.timeout = timeout
        self._client: Elasticsearch | None = None

    @classmethod
    def from_settings(cls) -> ElasticsearchBackend:
        prefix = getattr(settings, "CIVIS_ELASTICSEARCH_INDEX", "") or "civis"
        return cls(settings.CIVIS_ELASTICSEARCH_URL, f"{prefix}-documents")

    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            from elasticsearch import Elasticsearch

            # No client retries: the outbox retries, and search falls back at once.
            self._client = Elasticsearch(
                self.url, request_timeout=self.timeout, max_retries=0, retry_on_timeout=False
            )
        return self._client

    def _call(self, method: str, **kwargs: Any) -> Any:
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError

        target: Any = self.client  # walked by name: "indices.create" and the like
        for part in method.split("."):
            target = getattr(target, part)
        try:
            return target(**kwargs)
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise BackendUnavailable(f"Elasticsearch injoignable : {exc}") from exc
        except ApiError as exc:
            if getattr(exc, "status_code", 500) >= 500:
                raise BackendUnavailable(f"Elasticsearch en erreur : {exc}") from exc
            raise

    def ensure_index(self) -> None:
        if not self._call("indices.exists_alias", name=self.alias):
            self._create_and_swap([])

    def apply(self, docs: list[IndexDoc], removed: Iterable[int]) -> None:
        self.ensure_index()
        operations: list[dict[str, Any]] = []
        for doc in docs:
            operations += [
                {"index": {"_index": self.alias, "_id": str(doc.id)}},
                document_body(doc),
            ]
        for doc_id in removed:
            operations.append({"delete": {"_index": self.alias, "_id": str(doc_id)}})
        if operations:
            # refresh=wait_for: permission changes are searchable when the worker returns.
            response = self._call("bulk", operations=operations, refresh="wait_for")
            failures = [
                item
                for item in response.get("items", [])
                for op, result in item.items()
                if result.get("status", 200) >= 300
                and not (op == "delete" and result.get("status") == 404)
            ]
            if failures:
                raise BackendUnavailable(f"Elasticsearch a refusé {len(failures)} opération(s).")

    def search(
        self, query: SearchQuery, principals: frozenset[str] | None, exclude_ids: Iterable[int] = ()
    ) -> SearchResult:
        response = self._call(
            "search",
            index=self.alias,
            **client_kwargs(compile_body(query, principals, exclude_ids)),
        )
        hits = [(int(h["_id"]), float(h.get("_score") or 0.0)) for h in response["hits"]["hits"]]
        facets = {
            name: {b["key"]: b["doc_count"] for b in response["aggregations"][name]["buckets"]}
            for name in AGGREGATIONS
        }
        return SearchResult(
            total=response["hits"]["total"]["value"], hits=hits, facets=facets, backend=self.name
        )

    def fingerprints(self) -> dict[int, str]:
        from elasticsearch.helpers import scan

        self.ensure_index()
        return {
            int(h["_id"]): h["_source"]["fingerprint"]
            for h in scan(
                self.client,
                index=self.alias,
                query={"query": {"match_all": {}}},
                _source=["fingerprint"],
            )
        }

    def clear(self) -> None:
        self._create_and_swap([])

    def rebuild(self, batches: Iterable[list[IndexDoc]]) -> int:
        """Index everything into a fresh index, then point the alias at it in one step."""
        return self._create_and_swap(batches)

    def _create_and_swap(self, batches: Iterable[list[IndexDoc]]) -> int:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.alias}-{stamp}"
        self._call("indices.create", index=name, settings=INDEX_SETTINGS, mappings=MAPPINGS)
        count = 0
        for docs in batches:
            operations: list[dict[str, Any]] = []
            for doc in docs:
                operations += [{"index": {"_index": name, "_id": str(doc.id)}}, document_body(doc)]
            if operations:
                self._call("bulk", operations=operations)
            count += len(docs)
        self._call("indices.refresh", index=name)
        old = []
        if self._call("indices.exists_alias", name=self.alias):
            old = list(self._call("indices.get_alias", name=self.alias).keys())
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self._call("indices.update_aliases", actions=actions)
        for index in old:
            self._call("indices.delete", index=index)
        return count
