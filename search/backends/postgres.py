"""PostgreSQL: a weighted tsvector (French configuration, GIN index), and the principals and
authority chain as arrays with GIN indexes.

The text goes through search.french first (accent folding, elisions, stop words, our light
stemmer), then through PostgreSQL's French snowball stemmer: unaccent is an extension we
cannot count on, and snowball alone misses plurals such as "rendus"/"rendu" or "élus"/"élu".
Queries take the same two steps, so both sides always agree, as on SQLite.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.db import connection, transaction

from search.backends.database import ENTRY_COLUMNS, DatabaseBackendBase, SqlValue
from search.french import ParsedQuery, analyse
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
# Title, metadata and body weighted A, B and D: ts_rank's default weights (1.0, 0.4, 0.1) are
# SQLite's bm25 column weights (10, 4, 1). Each field after the first starts with a stop word
# ("le"), which takes a position and leaves no lexeme: the concatenation shifts a field's
# positions past the previous one's last, so without it a phrase could run from the end of
# the title into the metadata ("conseil municipal" + "Bordeaux").
VECTOR = (
    f"setweight(to_tsvector('{CONFIG}', %s), 'A') || "
    f"setweight(to_tsvector('{CONFIG}', 'le ' || %s), 'B') || "
    f"setweight(to_tsvector('{CONFIG}', 'le ' || %s), 'D')"
)
# ts_rank's normalisation 1: the rank divided by 1 + log(document length), BM25's length
# normalisation; each item's rank is weighted by its rarity (IDF), as BM25 does.
RANK_NORMALISATION = 1
# Document frequencies, per process, for the IDF weights: recounted after this many seconds.
FREQUENCY_SECONDS = 300
_frequencies: dict[str, tuple[float, int]] = {}


def folded(text: str) -> str:
    return " ".join(analyse(text))


def _phrase(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else "(" + " <-> ".join(words) + ")"


def tsquery_items(parsed: ParsedQuery) -> list[str]:
    """The query's items as to_tsquery expressions: each term, each phrase (``a <-> b``), each
    synonym group (``(a | (b <-> c))``: one item, ranked by its own rarity). Terms are
    [0-9a-z]+ (search.french): nothing to quote."""
    return [
        *parsed.terms,
        *("(" + " <-> ".join(p) + ")" for p in parsed.phrases),
        *("(" + " | ".join(_phrase(f) for f in group) + ")" for group in parsed.alternatives),
    ]


def tsquery(parsed: ParsedQuery, *, match_any: bool = False) -> str:
    """Every item required (``&``), or any of them (``|``) for a partial answer."""
    return (" | " if match_any else " & ").join(tsquery_items(parsed))


def _count(sql: str, params: list[SqlValue]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def clear_frequencies() -> None:
    """Forget the document counts (tests index a new corpus each time)."""
    _frequencies.clear()


def idf_weights(items: list[str]) -> list[float]:
    """BM25's IDF of each item, ln(1 + (N - n + 0.5) / (n + 0.5)), from document counts kept
    for a few minutes per process (counting a word through the GIN index costs a few ms)."""
    now = time.monotonic()

    def cached(key: str, sql: str, params: list[SqlValue]) -> int:
        found = _frequencies.get(key)
        if found is None or now - found[0] > FREQUENCY_SECONDS:
            if len(_frequencies) > 10_000:
                _frequencies.clear()
            found = (now, _count(sql, params))
            _frequencies[key] = found
        return found[1]

    total = cached("", "SELECT COUNT(*) FROM search_searchentry", [])
    weights = []
    for item in items:
        n = cached(
            item,
            f"SELECT COUNT(*) FROM search_searchentry WHERE vector @@ to_tsquery('{CONFIG}', %s)",  # noqa: S608 - a constant, the item bound
            [item],
        )
        weights.append(math.log(1 + (total - n + 0.5) / (n + 0.5)))
    return weights


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

    def ids_matching(self, text: str, ids: list[int]) -> set[int]:
        parsed = SearchQuery(text=text).parsed
        if parsed.empty or not ids:
            return set()
        rows = self._execute(
            "SELECT document_id FROM search_searchentry WHERE document_id = ANY(%s) "  # noqa: S608 - a constant, values bound
            f"AND vector @@ to_tsquery('{CONFIG}', %s)",
            [list(ids), tsquery(parsed)],
        )
        return {int(row[0]) for row in rows}

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
        parsed = query.parsed
        ranked = not parsed.empty
        source, score, where = "search_searchentry e", "0.0", ""
        score_params: list[SqlValue] = []
        params: list[SqlValue] = []
        if ranked:
            source += f", to_tsquery('{CONFIG}', %s) q"
            params.append(tsquery(parsed, match_any=query.match_any))
            where += " AND e.vector @@ q"
            items = tsquery_items(parsed)
            parts = []
            for item, weight in zip(items, idf_weights(items), strict=True):
                parts.append(
                    f"%s * ts_rank(e.vector, to_tsquery('{CONFIG}', %s), {RANK_NORMALISATION})"
                )
                score_params += [round(weight, 6), item]
            score = "(" + " + ".join(parts) + ")"
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
            [*score_params, *params, *filter_params],
            ranked,
        )
