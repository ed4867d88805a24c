"""SQLite: an FTS5 table of terms analysed in Python (search.french), with the document's
principals and authority chain as extra columns, so trimming is part of the same MATCH."""

from __future__ import annotations

from django.db import connection

from search.backends.database import ENTRY_COLUMNS, DatabaseBackendBase, SqlValue
from search.french import analyse
from search.indexing import IndexDoc
from search.principals import token
from search.query import SearchQuery, SearchResult

CHUNK = 500
# bm25 column weights: title, meta (authority, type, tags), body; principals and scopes
# only filter.
SCORE = "-bm25(search_fts, 10.0, 4.0, 1.0, 0.0, 0.0)"


# SQLite's default page cache is 2 MB; FTS5 merges and long doclists then go back to the OS
# for every page (a 100k-document rebuild ran 5x slower). A bound, not an allocation.
CACHE_PRAGMA = "PRAGMA cache_size = -262144"


def _terms(text: str) -> str:
    return " ".join(analyse(text))


class SqliteBackend(DatabaseBackendBase):
    name = "sqlite"

    def _delete(self, ids: list[int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(CACHE_PRAGMA)
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                cursor.execute(
                    f"DELETE FROM search_fts WHERE rowid IN ({','.join('%s' for _ in chunk)})",  # noqa: S608
                    chunk,
                )

    def _delete_all(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_fts")

    def _insert(self, docs: list[IndexDoc]) -> None:
        rows = [
            (
                d.id,
                _terms(d.title),
                _terms(d.meta),
                _terms(d.body),
                " ".join(token(p) for p in d.principals),
                " ".join(f"s{a}" for a in d.scopes),
            )
            for d in docs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO search_searchentry ({ENTRY_COLUMNS}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * 7)})",
                [self._entry_values(d) for d in docs],
            )
            cursor.executemany(
                "INSERT INTO search_fts (rowid, title, meta, body, principals, "
                "scopes) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )

    @staticmethod
    def match_expression(query: SearchQuery, principals: frozenset[str] | None) -> str:
        """The FTS5 MATCH string. Terms are [0-9a-z]+ (search.french), safe inside quotes."""
        parts = []
        parsed = query.parsed
        if not parsed.empty:
            items = [f'"{t}"' for t in parsed.terms]
            items += ['"' + " ".join(p) + '"' for p in parsed.phrases]
            # A synonym group: any of its forms (a form of several words is a phrase).
            items += [
                "(" + " OR ".join('"' + " ".join(f) + '"' for f in group) + ")"
                for group in parsed.alternatives
            ]
            joiner = " OR " if query.match_any else " AND "
            parts.append("{title meta body} : (" + joiner.join(items) + ")")
        if principals is not None:
            parts.append(
                "principals : (" + " OR ".join(f'"{token(p)}"' for p in sorted(principals)) + ")"
            )
        if query.authority_id:
            parts.append(f'scopes : "s{int(query.authority_id)}"')
        return " AND ".join(parts)

    def ids_matching(self, text: str, ids: list[int]) -> set[int]:
        expression = self.match_expression(SearchQuery(text=text), None)
        if not expression or not ids:
            return set()
        marks = ", ".join("%s" for _ in ids)
        rows = self._execute(
            f"SELECT rowid FROM search_fts WHERE search_fts MATCH %s AND rowid IN ({marks})",  # noqa: S608
            [expression, *ids],
        )
        return {int(row[0]) for row in rows}

    def search(self, query: SearchQuery, principals: frozenset[str] | None) -> SearchResult:
        with connection.cursor() as cursor:
            cursor.execute(CACHE_PRAGMA)
        return super().search(query, principals)

    def _matches(
        self,
        query: SearchQuery,
        principals: frozenset[str] | None,
    ) -> tuple[str, list[SqlValue], bool]:
        expression = self.match_expression(query, principals)
        filters, params = self._filters(query, "e")
        columns = self._columns("e")
        if not expression:  # a superuser listing everything: no full text at all
            return (
                f"SELECT {columns}, 0.0 AS score FROM search_searchentry e "  # noqa: S608
                f"WHERE 1 = 1{filters}",
                params,
                False,
            )
        return (
            f"SELECT {columns}, {SCORE} AS score FROM search_fts "  # noqa: S608
            "JOIN search_searchentry e ON e.document_id = search_fts.rowid "
            f"WHERE search_fts MATCH %s{filters}",
            [expression, *params],
            not query.parsed.empty,
        )
