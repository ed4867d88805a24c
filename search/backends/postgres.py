"""PostgreSQL: a weighted tsvector (French configuration, GIN index), and the principals and
authority chain as arrays with GIN indexes.

The text goes through search.french first (accent folding, elisions, stop words, our light
stemmer), then through PostgreSQL's French snowball stemmer: unaccent is an extension we
cannot count on, and snowball alone misses plurals such as "rendus"/"rendu" or "élus"/"élu".
Queries take the same two steps, so both sides always agree, as on SQLite.
"""

from __future__ import annotations

from django.db import connection

from search.backends.database import DatabaseBackendBase
from search.french import PHRASE, analyse
from search.indexing import IndexDoc
from search.query import SearchQuery

CONFIG = "french"
VECTOR = (f"setweight(to_tsvector('{CONFIG}', %s), 'A') || "
          f"setweight(to_tsvector('{CONFIG}', %s), 'B') || "
          f"setweight(to_tsvector('{CONFIG}', %s), 'D')")


def folded(text: str) -> str:
    return " ".join(analyse(text))


def websearch(text: str) -> str:
    """A websearch_to_tsquery string: quoted phrases kept, operators ("or", "-") neutralised."""
    phrases: list[str] = []

    def keep(match):
        inner = next(g for g in match.groups() if g is not None)
        phrases.append('"' + folded(inner) + '"')
        return " "

    rest = [w for w in analyse(PHRASE.sub(keep, text).replace('"', " ")) if w != "or"]
    return " ".join([*phrases, *rest])


class PostgresBackend(DatabaseBackendBase):
    name = "postgresql"
    _text_cast = "%s::text"

    def _delete(self, ids: list[int]) -> None:
        pass  # the full-text columns live in the entry rows the base class deletes

    def _delete_all(self) -> None:
        pass

    def _insert(self, docs: list[IndexDoc]) -> None:
        rows = [(folded(d.title), folded(d.meta), folded(d.body), list(d.principals),
                 list(d.scopes), d.id) for d in docs]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE search_searchentry SET vector = {VECTOR}, principals = %s, "  # noqa: S608
                "scopes = %s WHERE document_id = %s", rows)

    def _matches(self, query: SearchQuery, principals):
        ranked = not query.parsed.empty
        source, score, where, params = "search_searchentry e", "0.0", "", []
        if ranked:
            source += f", websearch_to_tsquery('{CONFIG}', %s) q"
            params.append(websearch(query.text))
            where += " AND e.vector @@ q"
            score = "ts_rank(e.vector, q)"
        if principals is not None:
            where += " AND e.principals && %s::text[]"
            params.append(sorted(principals))
        if query.authority_id:
            where += " AND e.scopes @> ARRAY[%s]::bigint[]"
            params.append(int(query.authority_id))
        filters, filter_params = self._filters(query, "e")
        return (f"SELECT e.document_id AS id, e.owner_id, e.document_type, e.year, e.kind, "  # noqa: S608
                f"e.published_on, {score} AS score FROM {source} WHERE TRUE{where}{filters}",
                [*params, *filter_params], ranked)
