"""French relevance measured on each database (bench/run.py, suite "relevance").

The cases of tests/search/relevance_corpus.py (the issue's item 9: at least 120 queries with
must-have and must-not lists, stop words only, partial answers, suggestions, places first), run
against a fresh database per backend: migrate, build the corpus, index, run every case. The
synonym cases are played only once ``search.synonyms`` exists. Target: ≥ 95 % on each backend
and no must-not violation.

    python -m bench.relevance [out.json]   # in bench/run.py's _env(database, workdir)

Environment: BENCH_RELEVANCE_DATABASES ("sqlite,postgresql"), BENCH_RELEVANCE_PG_URL
(postgres://postgres@127.0.0.1:5432/civis_bench_relevance, dropped and created afresh).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.95
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/civis_bench_relevance"


def _corpus() -> ModuleType:
    """tests/search/relevance_corpus.py, imported by name: mypy checks bench strictly, and would
    otherwise follow it into the test factories, which are not typed to that standard."""
    return importlib.import_module("tests.search.relevance_corpus")


def measure() -> dict[str, Any]:
    """Every case on the database of DATABASE_URL (created afresh for PostgreSQL)."""
    if os.environ["DATABASE_URL"].startswith("postgres"):
        from bench.worker import _recreate_postgres_database

        _recreate_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    corpus = _corpus()
    synonyms = importlib.util.find_spec("search.synonyms") is not None
    authorities, ids = corpus.build_corpus()
    importlib.import_module("tests.search.factories").index_now()
    cases = [*corpus.QUERIES, *corpus.SYNONYM_QUERIES] if synonyms else list(corpus.QUERIES)
    result: dict[str, Any] = corpus.summary(corpus.evaluate(cases, authorities, ids))
    result["database"] = connection.vendor
    result["synonym_cases"] = len(corpus.SYNONYM_QUERIES) if synonyms else 0
    result["known_failures"] = [
        corpus.describe(o) for o in corpus.evaluate(corpus.KNOWN_FAILURES, authorities, ids)
    ]
    return result


def percent(value: float) -> str:
    """97,5 % (French decimal comma; this process has no Django, the corpus needs it)."""
    return f"{100 * value:.1f}".replace(".", ",") + " %"


def line(results: dict[str, Any]) -> str:
    """Pertinence : sqlite 97,5 % (117/120), postgresql …, violations must-not : 0"""
    runs = results["runs"]
    parts = [
        f"{name} {percent(r['score'])} ({r['passed']}/{r['total']})" for name, r in runs.items()
    ]
    violations = sum(r["must_not_violations"] for r in runs.values())
    return f"Pertinence : {', '.join(parts)}, violations must-not : {violations}"


def table(results: dict[str, Any]) -> str:
    lines = [line(results)]
    for name, run in results["runs"].items():
        synonyms = run["synonym_cases"]
        lines.append(
            f"  {name} : {synonyms} cas de synonymes inclus"
            if synonyms
            else f"  {name} : search.synonyms absent, cas de synonymes non joués"
        )
        lines.extend(f"  {name} échec : {failure}" for failure in run["failures"])
        lines.extend(f"  {name} défaut connu : {known}" for known in run["known_failures"])
    verdict = "atteinte" if results["target_met"] else "NON atteinte"
    lines.append(f"Cible (≥ 95 % par base, 0 violation must-not) : {verdict}")
    return "\n".join(lines)


def run(env_for: Callable[[str, str], dict[str, str]]) -> dict[str, Any]:
    """Each database in its own process (Django reads DATABASE_URL once); ``env_for`` is
    bench/run.py's ``_env(database, workdir)``."""
    databases = os.environ.get("BENCH_RELEVANCE_DATABASES", "sqlite,postgresql").split(",")
    runs: dict[str, Any] = {}
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="civis-bench-relevance-") as workdir:
            out = Path(workdir) / "relevance.json"
            env = env_for(database, workdir)
            if database == "postgresql":
                env["DATABASE_URL"] = os.environ.get("BENCH_RELEVANCE_PG_URL", DEFAULT_PG_URL)
            print(f"== pertinence ({database}) : corpus et cas…", flush=True)
            subprocess.run(  # noqa: S603 (our own module, our own arguments)
                [sys.executable, "-m", "bench.relevance", str(out)],
                env=env,
                cwd=ROOT,
                check=True,
            )
            runs[database] = json.loads(out.read_text())
    results: dict[str, Any] = {
        "target": TARGET,
        "runs": runs,
        "target_met": all(
            r["score"] >= TARGET and r["must_not_violations"] == 0 for r in runs.values()
        ),
    }
    results["line"] = line(results)
    print(results["line"], flush=True)
    return results


def main(argv: list[str]) -> int:
    if len(argv) <= 1:  # run alone: every database, printed
        sys.path.insert(0, str(ROOT))
        from bench.run import _env

        print(table(run(_env)))
        return 0
    Path(argv[1]).write_text(json.dumps(measure(), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
