"""PostgreSQL: a weighted tsvector (French configuration, GIN index), and the principals and
authority chain as arrays with GIN indexes.

The text goes through search.french first (accent folding, elisions, stop words, our light
stemmer), then through PostgreSQL's French snowball stemmer: unaccent is an extension we
cannot count on, and snowball alone misses plurals such as "rendus"/"rendu" or "élus"/"élu".
Queries take the same two steps, so both sides always agree, as on SQLite.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction

from search.backends.database import ENTRY_COLUMNS, DatabaseBackendBase, SqlValue
from search.french import PHRASE, analyse
from search.indexing import IndexDoc
from search.principals import PUBLIC
from search.query import SearchQuery

CONFIG = "french"
# Settings for the search statement only (SET LOCAL; inside an outer transaction, which a
# request never opens, they last until it ends). The matches of a common word (tens of
# thousands of rows) are materialised once and read by the hits and the facets: at the default
# 4 MB of work_mem they spill to a temporary file. The scan that finds them is worth sharing
# with a parallel worker, which the default costs (tuned for queries shipping few rows out of
# the workers) never choose here; one worker, as more only contend with the leader on small
# machines. A word in 67% of 100k documents: 112 -> 75 ms.
STATEMENT_SETTINGS = {
    "work_mem": "64MB",
    "parallel_setup_cost": "10",
    "parallel_tuple_cost": "0.001",
    "max_parallel_workers_per_gather": "1",
}
VECTOR = (
    f"setweight(to_tsvector('{CONFIG}', %s), 'A') || "
    f"setweight(to_tsvector('{CONFIG}', %s), 'B') || "
    f"setweight(to_tsvector('{CONFIG}', %s), 'D')"
)


def folded(text: str) -> str:
    return " ".join(analyse(text))


def websearch(text: str) -> str:
    """A websearch_to_tsquery string: quoted phrases kept, operators ("or", "-") neutralised."""
    phrases: list[str] = []

    def keep(match: re.Match[str]) -> str:
        inner = next(g for g in match.groups() if g is not None)
        phrases.append('"' + folded(inner) + '"')
        return " "

    rest = [w for w in analyse(PHRASE.sub(keep, text).replace('"', " ")) if w != "or"]
    return " ".join([*phrases, *rest])


class PostgresBackend(DatabaseBackendBase):
    name = "postgresql"

    def _delete(self, ids: list[int]) -> None:
        pass  # the full-text columns live in the entry rows the base class deletes

    def _delete_all(self) -> None:
        pass

    def _insert(self, docs: list[IndexDoc]) -> None:
        # One INSERT with the full-text columns: writing the entry and then updating it would
        # leave a dead version of every row behind (a rebuilt index 10% larger).
        rows = [
            (
                *self._entry_values(d),
                folded(d.title),
                folded(d.meta),
                folded(d.body),
                list(d.principals),
                list(d.scopes),
            )
            for d in docs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO search_searchentry ({ENTRY_COLUMNS}, vector, principals, "  # noqa: S608
                f"scopes) VALUES ({', '.join(['%s'] * 7)}, {VECTOR}, %s, %s)",
                rows,
            )

    def _execute(self, sql: str, params: list[SqlValue]) -> list[tuple[Any, ...]]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in STATEMENT_SETTINGS),
                [v for item in STATEMENT_SETTINGS.items() for v in item],
            )
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _matches(
        self,
        query: SearchQuery,
        principals: frozenset[str] | None,
    ) -> tuple[str, list[SqlValue], bool]:
        ranked = not query.parsed.empty
        source, score, where = "search_searchentry e", "0.0", ""
        params: list[SqlValue] = []
        if ranked:
            source += f", websearch_to_tsquery('{CONFIG}', %s) q"
            params.append(websearch(query.text))
            where += " AND e.vector @@ q"
            score = "ts_rank(e.vector, q)"
        if principals is not None:
            # Most documents are public: the flag (generated from the principals) first, the
            # array overlap only for the others.
            tests = ["e.public"] if PUBLIC in principals else []
            if others := sorted(principals - {PUBLIC}):
                tests.append("e.principals && %s::text[]")
                params.append(others)
            where += f" AND ({' OR '.join(tests) or 'FALSE'})"
        if query.authority_id:
            where += " AND e.scopes @> ARRAY[%s]::bigint[]"
            params.append(int(query.authority_id))
        filters, filter_params = self._filters(query, "e")
        return (
            f"SELECT {self._columns('e')}, {score} AS score FROM {source} "  # noqa: S608
            f"WHERE TRUE{where}{filters}",
            [*params, *filter_params],
            ranked,
        )
