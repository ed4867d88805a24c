"""French relevance (issue item 9): at least 120 cases, each with must-have and must-not lists
and the special behaviours (stop words only, partial answers, suggestions, places first).
Target: ≥ 95 % of the cases pass on each backend, and no must-not violation at all.

Runs on the test database (SQLite or PostgreSQL) and, when CIVIS_ELASTICSEARCH_URL is set, on
Elasticsearch. The synonym cases run only once ``search.synonyms`` exists."""

from __future__ import annotations

import importlib.util
import os

import pytest
from django.db import connection

from tests.search.factories import index_now
from tests.search.relevance_corpus import (
    KNOWN_FAILURES,
    QUERIES,
    SYNONYM_QUERIES,
    Case,
    build_corpus,
    describe,
    evaluate,
    percent,
    summary,
)

pytestmark = pytest.mark.django_db
TARGET = 0.95


def synonyms_available() -> bool:
    return importlib.util.find_spec("search.synonyms") is not None


def cases_to_run() -> tuple[list[Case], str]:
    if synonyms_available():
        return [*QUERIES, *SYNONYM_QUERIES], f"{len(SYNONYM_QUERIES)} cas de synonymes inclus"
    return list(QUERIES), (
        f"search.synonyms absent : les {len(SYNONYM_QUERIES)} cas de synonymes ne sont pas joués"
    )


def check(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    authorities, ids = build_corpus()
    if backend == "elasticsearch":
        from search.services import reindex

        reindex()
    else:
        index_now()
    assert len(QUERIES) >= 120
    cases, note = cases_to_run()
    outcomes = evaluate(cases, authorities, ids)
    seen = {o.backend for o in outcomes if o.backend}
    result = summary(outcomes)
    known = evaluate(KNOWN_FAILURES, authorities, ids)
    with capsys.disabled():
        print(
            f"\nPertinence ({backend}) : {percent(result['score'])} "
            f"({result['passed']}/{result['total']}), "
            f"violations must-not : {result['must_not_violations']} ; {note}"
        )
        for line in result["failures"]:
            print(f"  échec : {line}")
        for outcome in known:
            state = "passe désormais" if outcome.passed else "échoue encore"
            print(f"  défaut connu ({state}) : {describe(outcome)}")
    if backend == "elasticsearch":
        assert seen == {"elasticsearch"}, seen
    assert result["must_not_violations"] == 0, result["failures"]
    assert result["score"] >= TARGET, result["failures"]


def test_french_relevance_set(settings, capsys):
    settings.CIVIS_ELASTICSEARCH_URL = ""  # the database backend, whatever CI configures
    check(connection.vendor, capsys)


@pytest.mark.skipif(
    not os.environ.get("CIVIS_ELASTICSEARCH_URL"),
    reason="CIVIS_ELASTICSEARCH_URL n'est pas défini : pas de cluster Elasticsearch à tester.",
)
def test_french_relevance_set_on_elasticsearch(settings, capsys):
    settings.CIVIS_ELASTICSEARCH_INDEX = f"civis-test-{os.getpid()}-relevance"
    from search.backends import elasticsearch_backend

    try:
        check("elasticsearch", capsys)
    finally:
        backend = elasticsearch_backend()
        assert backend is not None
        names = list(backend.client.indices.get(index=f"{backend.alias}-*").keys())
        if names:  # by name: ES 8+ refuses wildcard deletes by default
            backend.client.indices.delete(index=",".join(names))
