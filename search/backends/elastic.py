"""Elasticsearch 8/9: French analysis in the engine, principals as a keyword filter.

Queries are compiled by ``compile_body`` (pure, testable without a server) with the client's
typed query DSL (``elasticsearch.dsl``: unknown clause names fail at build time, clause options
are type-checked by mypy); every body for a non-superuser carries a ``terms`` filter on
principals. Rebuilds write a new index and swap the alias atomically, so searches never see a
half-built index.

Failures. The engine unreachable (connection refused, timeout, TLS): ``BackendUnavailable``.
Any other error from the engine (a refused request, an outdated index, an answer that is not
what a search answers): logged with the engine's own reason (``logger.error``) and raised as
``EngineError``, a ``BackendUnavailable``, so ``search.selectors.run_search`` answers from the
database and writes stay in the outbox to be retried — never a 500.

Mapping versions. ``MAPPING_VERSION`` is recorded in the index's ``_meta``. An index built with
another version (created before ``doc_id`` existed, say) is refused for writes with a clear
message ("run civis_reindex"): the outbox keeps the changes (and ``run_search`` leaves those
documents out, or answers from the database past ``MAX_STALE_EXCLUDED``) until
``civis_reindex`` builds a new index aside and swaps the alias. Searches still work on it
(``unmapped_type`` on the tie-breaker).

Checked against the reference for ES 8.x/9.x (elastic.co/guide/en/elasticsearch/reference,
"Mapping", "Text analysis", "Query DSL", "Search your data", "REST APIs"):

Mapping (``MAPPINGS``)
- [x] ``dynamic: strict`` (mapping/params/dynamic): an unmapped field is rejected, not guessed.
- [x] ``_meta`` (mapping/fields/meta-field): free-form, holds ``civis_mapping_version``.
- [x] ``text`` with ``analyzer`` (mapping/types/text, mapping/params/analyzer): the same analyzer
  at index and search time (no ``search_analyzer``). Not sorted nor aggregated on (no
  fielddata).
- [x] ``keyword`` (mapping/types/keyword): ``doc_values`` on by default, so ``terms``
  aggregations on owner_id, document_type, year, kind work; ``term``/``terms`` filters match
  the exact string (ids and years are indexed as strings, as the facets answer them).
- [x] ``date`` (mapping/types/date): default format ``strict_date_optional_time||epoch_millis``
  accepts ``date.isoformat()``; null is indexed as missing.
- [x] ``long`` with ``doc_values: true`` (mapping/types/numeric, mapping/params/doc-values):
  ``doc_id``, the sort tie-breaker. ``_id`` cannot be one: "The _id field is restricted from
  use in aggregations, sorting, and scripting" (mapping/fields/mapping-id-field, ES 8.0+).

Analysis (``INDEX_SETTINGS``)
- [x] ``standard`` tokenizer (analysis/tokenizers/standard): keeps "d'urbanisme" (straight
  or typographic apostrophe, U+2019) as one token, for the elision filter.
- [x] ``elision`` token filter with ``articles`` and ``articles_case`` (analysis/tokenfilters/
  elision): strips elisions with either apostrophe.
- [x] ``lowercase``, ``asciifolding`` (analysis/tokenfilters): built in, no options.
- [x] ``stop`` with ``stopwords: _french_`` (analysis/tokenfilters/stop): the list is accented
  and lower case, so it runs after lowercase and before asciifolding.
- [x] ``stemmer`` with ``language: light_french`` (analysis/tokenfilters/stemmer): a listed
  value (as is ``french``, deliberately not used: too aggressive, see search.french).
- [x] No normalizer is used (keywords hold machine values).

Queries (``compile_body``)
- [x] ``bool`` with ``filter`` / ``must`` / ``must_not`` (query-dsl/bool): filters do not score.
- [x] ``terms`` on principals (query-dsl/terms): far below ``index.max_terms_count`` (65,536).
- [x] ``term`` on scopes, document_type, year, kind (query-dsl/term): keyword fields only.
- [x] ``ids`` in ``must_not`` (query-dsl/ids): querying ``_id`` is allowed (only sorting,
  aggregating and scripting on it are not); kept on ``_id``, not ``doc_id``, so it also
  excludes stale entries of an index built before ``doc_id`` existed.
- [x] ``match_all`` (query-dsl/match-all) when no text.
- [x] ``multi_match`` (query-dsl/multi-match): ``type: cross_fields`` with ``operator: and``
  (every word in some field; the fields share one analyzer, so one term-centric group) and
  ``type: phrase``; ``fields`` with ``^boost``.
- [x] ``bool`` ``should`` with ``minimum_should_match: 1`` (query-dsl/bool): a synonym group
  (search.synonyms), any one of its expressions, inside the ``must``.
- [x] ``sort`` (search/sort-search-results): ``_score``; ``published_on`` with
  ``order: desc`` and ``missing: _last``; ``doc_id`` with ``order: desc`` and
  ``unmapped_type: long``.
- [x] ``from`` / ``size`` (search/paginate): ``from + size`` may not exceed
  ``index.max_result_window`` (10,000 by default): deeper pages are answered by the database
  (``MAX_RESULT_WINDOW``), never sent.
- [x] ``track_total_hits: true`` (search/search-your-data, "track total hits"): exact totals.
- [x] ``_source: false`` (search/search-fields): hits carry ``_id`` and ``_score`` only.
- [x] ``terms`` aggregation with ``field`` and ``size`` (aggregations/bucket/terms): keyword
  fields with doc values; well below ``search.max_buckets``.
- [x] ``allow_partial_search_results=false`` (search API, query parameter): a shard failure
  is an error (fallback), not a silently short answer.

APIs
- [x] ``indices.create`` with ``settings`` and ``mappings``; ``indices.get_mapping``;
  ``indices.exists_alias``/``get_alias``; ``indices.update_aliases`` with remove+add in one
  request (atomic); ``indices.refresh``; ``indices.delete`` by concrete name (wildcards are
  refused by default, ``action.destructive_requires_name: true`` since 8.0).
- [x] ``bulk`` with ``refresh=wait_for``: per-item errors come in ``items``, the request
  itself succeeds; a 404 on delete means already gone.
- [x] ``helpers.scan`` (scroll, sorted on ``_doc``) for fingerprints.
- [x] The 8.x client talks to a 9.x cluster through REST compatibility (``compatible-with=8``
  headers); nothing above changed between 8 and 9.

Not verifiable without a cluster (this machine cannot run one): the analyzer's actual tokens,
relevance order, and the error texts — the live tests (``CIVIS_ELASTICSEARCH_URL``) run every
query shape against one.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from elasticsearch.dsl import Mapping, Search
from elasticsearch.dsl import aggs as dsl_aggs
from elasticsearch.dsl import field as dsl_field
from elasticsearch.dsl import query as dsl_query
from elasticsearch.dsl import types as dsl_types

from search.backends.base import BackendUnavailable
from search.french import PHRASE, ParsedQuery, analyse
from search.indexing import IndexDoc
from search.query import SearchQuery, SearchResult

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)


class EngineError(BackendUnavailable):
    """Elasticsearch answered with an error (or an answer that makes no sense): logged with
    the engine's reason; callers fall back to the database, or retry through the outbox."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OutdatedIndex(EngineError):
    """The index behind the alias was built with another mapping version: reindex."""


# Bump when MAPPINGS or INDEX_SETTINGS change: such an index is refused for writes until
# civis_reindex builds a new one (see the module docstring).
MAPPING_VERSION = 2
# index.max_result_window's default: from + size beyond it is refused by the engine.
MAX_RESULT_WINDOW = 10_000

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


def _mapping() -> dict[str, Any]:
    mapping = Mapping()
    mapping.meta("dynamic", "strict")
    mapping.meta("_meta", {"civis_mapping_version": MAPPING_VERSION})
    for name in ("title", "meta", "body"):
        mapping.field(name, dsl_field.Text(analyzer="civis_french"))
    # The sort tie-breaker: _id cannot be sorted on (ES 8+); a numeric field with doc values.
    mapping.field("doc_id", dsl_field.Long(doc_values=True))
    for name in ("owner_id", "scopes", "document_type", "year", "kind", "principals"):
        mapping.field(name, dsl_field.Keyword())
    mapping.field("published_on", dsl_field.Date())
    mapping.field("fingerprint", dsl_field.Keyword())
    return mapping.to_dict()


MAPPINGS: dict[str, Any] = _mapping()
FIELDS = ["title^10", "meta^4", "body"]
AGGREGATIONS = {"authority": "owner_id", "type": "document_type", "year": "year", "format": "kind"}
# Every sort ends on this, so equal scores and dates page in a stable order.
TIE_BREAKER = "doc_id"


def _words_query(text: str) -> dsl_query.Query:
    """Every word of ``text`` in some field."""
    return dsl_query.MultiMatch(query=text, type="cross_fields", operator="and", fields=FIELDS)


def _synonyms_query(expressions: tuple[str, ...]) -> dsl_query.Query:
    """A synonym group (search.french.ParsedQuery.alternatives): any of its expressions, as
    written in the list (the engine analyses them), one word or a phrase."""
    return dsl_query.Bool(
        should=[
            _words_query(e)
            if len(analyse(e)) < 2
            else dsl_query.MultiMatch(query=e, type="phrase", fields=FIELDS)
            for e in expressions
        ],
        minimum_should_match=1,
    )


def _text_query(text: str, parsed: ParsedQuery | None = None) -> dsl_query.Query | None:
    """All words required; quoted passages as phrases (French analysis on both sides). A quoted
    passage of fewer than two searchable words is a word, as search.french.parse_query has it
    (a phrase of stop words alone would match nothing). Words that are an expression of the
    synonym list (``parsed.alternatives``) are each a ``should`` of the group's expressions."""
    must: list[dsl_query.Query] = []

    def keep(match: re.Match[str]) -> str:
        inner = next(g for g in match.groups() if g is not None)
        if len(analyse(inner)) > 1:
            must.append(
                dsl_query.MultiMatch(query=" ".join(inner.split()), type="phrase", fields=FIELDS)
            )
            return " "
        return f" {inner} "

    rest = " ".join(PHRASE.sub(keep, text).replace('"', " ").split())
    if parsed is not None and parsed.alternatives:
        # The words no group took (search.french's reading: folded, stop words out).
        rest = " ".join(parsed.loose_words)
    if rest:
        must.append(_words_query(rest))
    if parsed is not None:
        must += [_synonyms_query(group) for group in parsed.alternative_texts]
    if not must:
        return None
    return must[0] if len(must) == 1 else dsl_query.Bool(must=must)


def compile_search(
    query: SearchQuery, principals: frozenset[str] | None, exclude_ids: Iterable[int] = ()
) -> Search:
    """``compile_body``'s request as a typed ``elasticsearch.dsl.Search``."""
    filters: list[dsl_query.Query] = []
    if principals is not None:
        filters.append(dsl_query.Terms("principals", sorted(principals)))
    if query.authority_id:
        filters.append(dsl_query.Term(scopes=str(query.authority_id)))
    if query.document_type:
        filters.append(dsl_query.Term(document_type=query.document_type))
    if query.year:
        filters.append(dsl_query.Term(year=str(query.year)))
    if query.kind:
        filters.append(dsl_query.Term(kind=query.kind))
    parsed = query.parsed
    text = _text_query(query.text, parsed) if not parsed.empty else None
    excluded = sorted({str(i) for i in exclude_ids})
    bool_query = dsl_query.Bool(
        filter=filters,
        must=[text if text is not None else dsl_query.MatchAll()],
        must_not=[dsl_query.Ids(values=excluded)] if excluded else [],
    )
    ranked = text is not None and query.sort == "relevance"
    sort: list[Any] = ["_score"] if ranked else []
    sort += [
        {"published_on": dsl_types.FieldSort(order="desc", missing="_last").to_dict()},
        {TIE_BREAKER: dsl_types.FieldSort(order="desc", unmapped_type="long").to_dict()},
    ]
    search = (
        Search()
        .query(bool_query)
        .sort(*sort)
        .source(False)
        .extra(track_total_hits=True)[query.offset : query.offset + query.page_size]
    )
    for name, field in AGGREGATIONS.items():
        search.aggs.bucket(name, dsl_aggs.Terms(field=field, size=200))
    return search


def compile_body(
    query: SearchQuery, principals: frozenset[str] | None, exclude_ids: Iterable[int] = ()
) -> dict[str, Any]:
    """The request body for ``query`` as ``principals`` (None: superuser, no trimming).
    ``exclude_ids``: documents whose index entry is stale (changes still in the outbox) — they
    are left out rather than counted under readers they may no longer have."""
    return compile_search(query, principals, exclude_ids).to_dict()


# The REST body's keys that the Python client spells differently (reserved words).
CLIENT_NAMES = {"from": "from_", "_source": "source"}


def client_kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """``compile_body``'s REST body as keyword arguments of ``Elasticsearch.search``."""
    return {CLIENT_NAMES.get(key, key): value for key, value in body.items()}


def document_body(doc: IndexDoc) -> dict[str, Any]:
    return {
        "doc_id": doc.id,
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


def engine_reason(exc: Exception) -> str:
    """The engine's own explanation of an ApiError: ``error.root_cause[0].reason`` (or the
    top-level ``error.reason``), with its type; the exception's text otherwise."""
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        causes = error.get("root_cause") or []
        cause = causes[0] if causes and isinstance(causes[0], dict) else error
        kind, reason = cause.get("type") or error.get("type"), cause.get("reason")
        if reason:
            return f"{kind}: {reason}" if kind else str(reason)
    if isinstance(error, str) and error:
        return error
    return str(getattr(exc, "message", "") or exc)


def translate_error(exc: Exception, what: str) -> BackendUnavailable | None:
    """``exc`` raised by the client as the exception the backend raises (None: not the
    engine's). Engine errors other than "unreachable" are logged here."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout, TransportError
    from elasticsearch import ApiError

    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return BackendUnavailable(f"Elasticsearch injoignable : {exc}")
    if isinstance(exc, ApiError):
        status = exc.meta.status if getattr(exc, "meta", None) is not None else None
        reason = engine_reason(exc)
        logger.error("Elasticsearch refused %s (HTTP %s): %s", what, status, reason)
        return EngineError(
            f"Elasticsearch a refusé {what} (HTTP {status}) : {reason}", status=status
        )
    if isinstance(exc, TransportError):  # serialisation, sniffing: the engine's, not ours
        logger.error("Elasticsearch failed on %s: %s", what, exc)
        return EngineError(f"Elasticsearch en erreur sur {what} : {exc}")
    return None


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

    def _call(self, method: str, *, ignore_status: int | None = None, **kwargs: Any) -> Any:
        target: Any = self.client  # walked by name: "indices.create" and the like
        if ignore_status is not None:
            target = target.options(ignore_status=ignore_status)
        for part in method.split("."):
            target = getattr(target, part)
        try:
            return target(**kwargs)
        except Exception as exc:
            if (translated := translate_error(exc, method)) is None:
                raise
            raise translated from exc

    def ensure_index(self) -> None:
        """Create the index if there is none; refuse one built with another mapping version
        (writes would be rejected by ``dynamic: strict`` or land in the wrong fields)."""
        response = self._call("indices.get_mapping", ignore_status=404, index=self.alias)
        if response.meta.status == 404:
            self._create_and_swap([])
            return
        versions = {
            name: (found.get("mappings") or {}).get("_meta", {}).get("civis_mapping_version")
            for name, found in response.body.items()
        }
        outdated = sorted(name for name, version in versions.items() if version != MAPPING_VERSION)
        if outdated:
            message = (
                f"L'index Elasticsearch {', '.join(outdated)} n'est pas à la version "
                f"{MAPPING_VERSION} du mapping : lancez « manage.py civis_reindex »."
            )
            logger.error("Elasticsearch index outdated (%s): run civis_reindex", outdated)
            raise OutdatedIndex(message)

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
            self._check_bulk(response)

    @staticmethod
    def _check_bulk(response: Any) -> None:
        failures = [
            result
            for item in response.get("items", [])
            for op, result in item.items()
            if result.get("status", 200) >= 300
            and not (op == "delete" and result.get("status") == 404)
        ]
        if failures:
            error = failures[0].get("error")
            reason = error.get("reason", error) if isinstance(error, dict) else error
            logger.error("Elasticsearch refused %d bulk operation(s): %s", len(failures), reason)
            raise EngineError(
                f"Elasticsearch a refusé {len(failures)} opération(s) : {reason}",
                status=failures[0].get("status"),
            )

    def search(
        self, query: SearchQuery, principals: frozenset[str] | None, exclude_ids: Iterable[int] = ()
    ) -> SearchResult:
        if query.offset + query.page_size > MAX_RESULT_WINDOW:
            # The engine would refuse it (index.max_result_window): the database answers.
            raise BackendUnavailable(
                f"Page {query.page} au-delà des {MAX_RESULT_WINDOW} premiers résultats."
            )
        response = self._call(
            "search",
            index=self.alias,
            allow_partial_search_results=False,
            **client_kwargs(compile_body(query, principals, exclude_ids)),
        )
        try:
            hits = [
                (int(h["_id"]), float(h.get("_score") or 0.0)) for h in response["hits"]["hits"]
            ]
            facets = {
                # A document without a file is indexed with kind "": no facet value, as on
                # the database.
                name: {
                    str(b["key"]): b["doc_count"]
                    for b in response["aggregations"][name]["buckets"]
                    if str(b["key"])
                }
                for name in AGGREGATIONS
            }
            total = response["hits"]["total"]["value"]
        except (KeyError, TypeError, ValueError) as exc:
            logger.error("Elasticsearch answered a search with an unexpected body: %r", exc)
            raise EngineError(f"Réponse d'Elasticsearch inattendue : {exc!r}") from exc
        return SearchResult(total=total, hits=hits, facets=facets, backend=self.name)

    def fingerprints(self) -> dict[int, str]:
        from elasticsearch.helpers import scan

        self.ensure_index()
        try:
            return {
                int(h["_id"]): h["_source"]["fingerprint"]
                for h in scan(
                    self.client,
                    index=self.alias,
                    query={"query": {"match_all": {}}},
                    _source=["fingerprint"],
                )
            }
        except Exception as exc:
            if (translated := translate_error(exc, "scan")) is None:
                raise
            raise translated from exc

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
        try:
            for docs in batches:
                operations: list[dict[str, Any]] = []
                for doc in docs:
                    operations += [
                        {"index": {"_index": name, "_id": str(doc.id)}},
                        document_body(doc),
                    ]
                if operations:
                    self._check_bulk(self._call("bulk", operations=operations))
                count += len(docs)
            self._call("indices.refresh", index=name)
        except BackendUnavailable:
            # The alias still points at the previous index; drop the half-built one.
            with contextlib.suppress(BackendUnavailable):
                self._call("indices.delete", index=name)
            raise
        old = []
        if self._call("indices.exists_alias", name=self.alias):
            old = list(self._call("indices.get_alias", name=self.alias).keys())
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self._call("indices.update_aliases", actions=actions)
        for index in old:
            self._call("indices.delete", index=index)
        return count
