"""What the SQLite and PostgreSQL backends share: one statement answers hits, total and facets.

The matching rows are materialised once in a CTE, then the page of hits and the four facet
counts are read from it with UNION ALL, so a search costs one round trip and one full-text
evaluation whatever the filters.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from search.indexing import IndexDoc
from search.models import SearchEntry
from search.query import SearchQuery, SearchResult

FACETS = {"a": "authority", "t": "type", "y": "year", "f": "format"}
# A région has thousands of authorities: the facet lists the ones with the most results.
AUTHORITY_FACET_SIZE = 30


class DatabaseBackendBase:
    name = "database"

    # --- writing --------------------------------------------------------------------------
    def apply(self, docs: list[IndexDoc], removed: Iterable[int]) -> None:
        ids = [d.id for d in docs] + list(removed)
        if not ids:
            return
        with transaction.atomic():
            self._delete(ids)
            SearchEntry.objects.filter(document_id__in=ids).delete()
            SearchEntry.objects.bulk_create([
                SearchEntry(document_id=d.id, owner_id=d.owner_id, document_type=d.document_type,
                            year=d.year, published_on=d.published_on, kind=d.kind,
                            fingerprint=d.fingerprint) for d in docs])
            if docs:
                self._insert(docs)

    def _delete(self, ids: list[int]) -> None:
        raise NotImplementedError

    def _insert(self, docs: list[IndexDoc]) -> None:
        raise NotImplementedError

    def fingerprints(self) -> dict[int, str]:
        return dict(SearchEntry.objects.values_list("document_id", "fingerprint"))

    def clear(self) -> None:
        with transaction.atomic():
            self._delete_all()
            SearchEntry.objects.all().delete()

    def _delete_all(self) -> None:
        raise NotImplementedError

    # --- reading --------------------------------------------------------------------------
    def _matches(self, query: SearchQuery, principals: frozenset[str] | None,
                 ) -> tuple[str, list, bool]:
        """SQL selecting (id, owner_id, document_type, year, kind, published_on, score)."""
        raise NotImplementedError

    def _filters(self, query: SearchQuery, alias: str) -> tuple[str, list]:
        sql, params = "", []
        if query.document_type:
            sql += f" AND {alias}.document_type = %s"
            params.append(query.document_type)
        if query.year:
            sql += f" AND {alias}.year = %s"
            params.append(query.year)
        if query.kind:
            sql += f" AND {alias}.kind = %s"
            params.append(query.kind)
        return sql, params

    def search(self, query: SearchQuery, principals: frozenset[str] | None) -> SearchResult:
        matches, params, ranked = self._matches(query, principals)
        if query.sort == "relevance" and ranked:
            order = "score DESC, published_on DESC NULLS LAST, id DESC"
        else:
            order = "published_on DESC NULLS LAST, id DESC"
        text = self._text_cast
        sql = (
            f"WITH m AS MATERIALIZED ({matches}) "  # noqa: S608 - our fragments, values bound
            f"SELECT * FROM (SELECT 'h' AS k, {text % 'id'} AS v, score AS n FROM m "
            f"ORDER BY {order} LIMIT %s OFFSET %s) AS hits "
            f"UNION ALL SELECT * FROM (SELECT 'a', {text % 'owner_id'}, COUNT(*) AS c FROM m "
            f"GROUP BY owner_id ORDER BY c DESC, owner_id LIMIT {AUTHORITY_FACET_SIZE}) AS a "
            "UNION ALL SELECT 't', document_type, COUNT(*) FROM m GROUP BY document_type "
            f"UNION ALL SELECT 'y', {text % 'year'}, COUNT(*) FROM m GROUP BY year "
            "UNION ALL SELECT 'f', kind, COUNT(*) FROM m GROUP BY kind"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, query.page_size, query.offset])
            rows = cursor.fetchall()
        hits: list[tuple[int, float]] = []
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS.values()}
        for key, value, number in rows:
            if key == "h":
                hits.append((int(value), float(number or 0)))
            elif value not in (None, ""):
                facets[FACETS[key]][str(value)] = int(number)
        total = sum(facets["type"].values())
        return SearchResult(total=total, hits=hits, facets=facets, backend=self.name)

    _text_cast = "%s"
