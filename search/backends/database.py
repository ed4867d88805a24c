"""What the SQLite and PostgreSQL backends share: one statement answers hits, total and facets.

The matching rows are materialised once in a CTE, then the page of hits and the facet counts
are read from it with UNION ALL, so a search costs one round trip and one full-text
evaluation whatever the filters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from search.indexing import IndexDoc
from search.models import SearchEntry
from search.query import SearchQuery, SearchResult

FACETS = ("authority", "type", "year", "format")
ENTRY_COLUMNS = "document_id, owner_id, document_type, year, published_on, kind, fingerprint"
CELL = "\t"  # joins type, year and format in a facet cell; none of them holds a tab
# How much an authority's own documents are lifted above its members' in its scope.
SCOPE_LIFT = 1.05

# A value bound to a statement parameter (texts, ids, the principals and scopes arrays).
type SqlValue = str | int | float | list[str] | list[int] | None


class DatabaseBackendBase:
    name = "database"
    transactional = True

    # --- writing --------------------------------------------------------------------------
    def apply(self, docs: list[IndexDoc], removed: Iterable[int]) -> None:
        ids = [d.id for d in docs] + list(removed)
        if not ids:
            return
        with transaction.atomic():
            self._delete(ids)
            SearchEntry.objects.filter(document_id__in=ids).delete()
            if docs:
                self._insert(docs)

    def _delete(self, ids: list[int]) -> None:
        raise NotImplementedError

    def _insert(self, docs: list[IndexDoc]) -> None:
        """Write the entries of ``docs`` (their old entries are gone)."""
        raise NotImplementedError

    @staticmethod
    def _entry_values(doc: IndexDoc) -> tuple[SqlValue, ...]:
        """The SearchEntry columns both backends share, in ENTRY_COLUMNS order."""
        return (
            doc.id,
            doc.owner_id,
            doc.document_type,
            doc.year,
            doc.published_on,
            doc.kind,
            doc.fingerprint,
        )

    def fingerprints(self) -> dict[int, str]:
        return dict(SearchEntry.objects.values_list("document_id", "fingerprint"))

    def clear(self) -> None:
        with transaction.atomic():
            self._delete_all()
            SearchEntry.objects.all().delete()

    def _delete_all(self) -> None:
        raise NotImplementedError

    # --- reading --------------------------------------------------------------------------
    @staticmethod
    def _columns(alias: str) -> str:
        """What _matches selects besides the score. The facet cell is one value, so counting
        the cells is one grouping on one column (and it is computed where the rows are read:
        by PostgreSQL's parallel workers)."""
        return (
            f"{alias}.document_id AS id, {alias}.owner_id, {alias}.published_on, "
            f"{alias}.document_type || '{CELL}' || COALESCE(CAST({alias}.year AS TEXT), '') "
            f"|| '{CELL}' || {alias}.kind AS cell"
        )

    def _matches(
        self,
        query: SearchQuery,
        principals: frozenset[str] | None,
    ) -> tuple[str, list[SqlValue], bool]:
        """SQL selecting _columns() and a score."""
        raise NotImplementedError

    def _filters(self, query: SearchQuery, alias: str) -> tuple[str, list[SqlValue]]:
        sql = ""
        params: list[SqlValue] = []
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

    def ids_matching(self, text: str, ids: list[int]) -> set[int]:
        """Which of ``ids`` match the query ``text`` (one word or phrase): the words a hit of
        a partial answer lacks."""
        raise NotImplementedError

    def _execute(self, sql: str, params: list[SqlValue]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def search(self, query: SearchQuery, principals: frozenset[str] | None) -> SearchResult:
        matches, params, ranked = self._matches(query, principals)
        # Scope is a preference too: within an authority's subtree, its own documents come
        # first among equals. A small lift rather than a tie-breaker: SQLite's bm25 counts a
        # row's principals in its length, so two equal documents seldom score exactly alike.
        if query.sort == "relevance" and ranked:
            lift = (
                f"* CASE WHEN owner_id = %s THEN {SCOPE_LIFT} ELSE 1 END "
                if query.authority_id
                else ""
            )
            order = f"score {lift}DESC, published_on DESC NULLS LAST, id DESC"
        else:
            own = "CASE WHEN owner_id = %s THEN 0 ELSE 1 END, " if query.authority_id else ""
            order = f"{own}published_on DESC NULLS LAST, id DESC"
        # Two groupings, not four: the authorities, and the (type, year, format) cells (a few
        # hundred at most), which give the three other facets once summed up here.
        sql = (
            f"WITH m AS MATERIALIZED ({matches}) "  # noqa: S608 - our fragments, values bound
            "SELECT * FROM (SELECT 'h' AS k, CAST(id AS TEXT) AS v, score AS n FROM m "
            f"ORDER BY {order} LIMIT %s OFFSET %s) AS hits "
            # Every owner: the facet counts each authority's whole subtree (its own and its
            # members' documents, as choosing it filters), summed up by search.selectors.
            "UNION ALL SELECT 'a', CAST(owner_id AS TEXT), COUNT(*) FROM m GROUP BY owner_id "
            "UNION ALL SELECT 'c', cell, COUNT(*) FROM m GROUP BY cell"
        )
        scope: list[SqlValue] = [int(query.authority_id)] if query.authority_id else []
        rows = self._execute(sql, [*params, *scope, query.page_size, query.offset])
        hits: list[tuple[int, float]] = []
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        total = 0
        for key, value, number in rows:
            if key == "h":
                hits.append((int(value), float(number or 0)))
            elif key == "a":
                facets["authority"][value] = int(number)
            else:
                total += int(number)
                for name, part in zip(FACETS[1:], value.split(CELL), strict=True):
                    if part:
                        facets[name][part] = facets[name].get(part, 0) + int(number)
        return SearchResult(total=total, hits=hits, facets=facets, backend=self.name)
