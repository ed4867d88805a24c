"""`make bench`: search latency per persona on SQLite and PostgreSQL, against a naive baseline.

Builds a synthetic territory (one région from the official files, BENCH_DOCS documents,
~2,000 agents, ~20,000 citizens, groups and grants), rebuilds the index (throughput), then
times a fixed query set for four personas, and the same searches done naively (every
document checked one by one against the access rules, then the search). Each database runs in
its own process, since Django reads DATABASE_URL once. Writes bench/results.json and prints
a table.

Environment: BENCH_DOCS (100000), BENCH_DATABASES ("sqlite,postgresql"), BENCH_TERRITORY
(../shared/data/decoupage-administratif), BENCH_REGION (75), BENCH_PG_URL
(postgres://postgres@127.0.0.1:5432/civis_bench, dropped and created afresh), BENCH_REPEAT
(7 timed runs of each query), BENCH_NAIVE_REPEAT (1).

BENCH_SUITES ("search,http,elections,polling,relevance") chooses what runs. "search" also
measures the peers on PostgreSQL (bench/peers.py: the untrimmed limit, Wagtail's search,
django-guardian; BENCH_PEERS=0 skips them, BENCH_PEER_REPEAT) and the database's size per
document. "http" is the portal over HTTP at 16 connections (bench/http_load.py: gunicorn, wrk,
on the PostgreSQL database the search suite built, else a SQLite demo; BENCH_HTTP_DATABASE,
BENCH_HTTP_SECONDS). "elections" is election
night under load over HTTP (bench/election_night.py: gunicorn, wrk, BENCH_LOAD_DATABASE, default
sqlite); "polling" is « Où voter ? » measured on the shared Val-de-Marne ground truth
(bench/polling_eval.py, on SQLite: accuracy of the polling-station lookup on held-out addresses,
and its latency; BENCH_POLLING_CSV, BENCH_POLLING_SEED). `make polling-eval` runs that suite
alone. "relevance" is the French relevance set of tests/search/relevance_corpus.py, on a fresh
SQLite and PostgreSQL database each (bench/relevance.py: score per backend, must-not
violations; BENCH_RELEVANCE_DATABASES, BENCH_RELEVANCE_PG_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REFERENCE_DOCS = 100_000
sys.path.insert(0, str(ROOT))  # run as a script: `python bench/run.py`

from bench.report import scale_summary  # noqa: E402 (after the path above)


def _env(database: str, workdir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CIVIS_DEBUG": "0",
        "CIVIS_SECRET_KEY": "bench-only-not-a-secret",
        "CIVIS_TASKS_IMMEDIATE": "1",
        "CIVIS_VAR_DIR": workdir,
        "CIVIS_LOG_LEVEL": "WARNING",
        "CIVIS_ELASTICSEARCH_URL": "",
        "DJANGO_SETTINGS_MODULE": "civis.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.setdefault("CIVIS_FIELD_ENCRYPTION_KEY", "3kQ7mOIsOLpHbv5dJVlUGHRZ1G1sBxpy7ZBqTmLJXpQ=")
    if database == "postgresql":
        env["DATABASE_URL"] = os.environ.get(
            "BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/civis_bench"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    return env


def _save(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def main() -> int:
    suites = os.environ.get("BENCH_SUITES", "search,http,elections,polling,relevance").split(",")
    databases = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    if "search" not in suites:
        databases = []
    # A run of some suites keeps the others' last results (one file, the README's table).
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    n_docs = int(os.environ.get("BENCH_DOCS", str(REFERENCE_DOCS)))
    # The reference size fills the main tables; any other size (BENCH_DOCS=1000000) adds its
    # figures to "scale" only, beside the reference's, for the growth ratios.
    reference = n_docs == REFERENCE_DOCS
    runs: dict[str, Any] = {}
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="civis-bench-") as workdir:
            out = Path(workdir) / "result.json"
            print(f"== {database}: construction et mesures…", flush=True)
            started = time.perf_counter()
            subprocess.run(  # noqa: S603 (our own worker, our own arguments)
                [sys.executable, "-m", "bench.worker", str(out)],
                env=_env(database, workdir),
                cwd=ROOT,
                check=True,
            )
            runs[database] = json.loads(out.read_text())
            runs[database]["wall_seconds"] = time.perf_counter() - started
    if runs and reference:
        results["documents"] = n_docs
        results["runs"] = runs
    scale = results.setdefault("scale", {})
    if "postgresql" in runs:
        scale[str(n_docs)] = scale_summary(runs["postgresql"])
    _save(results)  # a later suite's failure keeps what was measured
    if "http" in suites:
        from bench import http_load

        # On the database the search suite just built (PostgreSQL), else a fresh demo.
        database = os.environ.get("BENCH_HTTP_DATABASE") or (
            "postgresql" if "postgresql" in databases else "sqlite"
        )
        with tempfile.TemporaryDirectory(prefix="civis-bench-http-") as workdir:
            print(f"== charge HTTP ({database}) : gunicorn et wrk…", flush=True)
            http = http_load.run(_env(database, workdir), Path(workdir))
        if reference:
            results["http"] = http
        elif database == "postgresql" and str(n_docs) in scale:
            scale[str(n_docs)]["http"] = http
        if database == "postgresql" and str(n_docs) in scale and "skipped" not in http:
            scale[str(n_docs)]["web_worker_peak_rss_mb"] = http["web_worker_peak_rss_mb"]
            scale[str(n_docs)]["db_worker_peak_rss_mb"] = http["db_worker_peak_rss_mb"]
        _save(results)
    if "elections" in suites:
        from bench import election_night

        database = os.environ.get("BENCH_LOAD_DATABASE", "sqlite")
        with tempfile.TemporaryDirectory(prefix="civis-bench-load-") as workdir:
            print(f"== soirée électorale ({database}) : serveur gunicorn et wrk…", flush=True)
            results["election_night"] = election_night.run(_env(database, workdir), Path(workdir))
    if "polling" in suites:
        with tempfile.TemporaryDirectory(prefix="civis-bench-polling-") as workdir:
            out = Path(workdir) / "polling.json"
            print("== « Où voter ? » (sqlite) : vérité terrain du Val-de-Marne…", flush=True)
            subprocess.run(  # noqa: S603 (our own worker, our own arguments)
                [sys.executable, "-m", "bench.polling_eval", str(out)],
                env=_env("sqlite", workdir),
                cwd=ROOT,
                check=True,
            )
            results["polling"] = json.loads(out.read_text())
    if "relevance" in suites:
        from bench import relevance

        results["relevance"] = relevance.run(_env)
    _save(results)
    from bench.report import scale_table, table

    if results.get("runs") and "documents" in results:
        print(table(results))
    if len(results.get("scale", {})) > 1:
        print(scale_table(results["scale"]))
    if "http" in results:
        from bench import http_load

        print(http_load.table(results["http"]))
    if "election_night" in results:
        print(election_night.table(results["election_night"]))
    if "polling" in results:
        from bench import polling_eval

        print(polling_eval.table(results["polling"]))
    if "relevance" in results:
        from bench import relevance

        print(relevance.table(results["relevance"]))
    print(f"Résultats détaillés : {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
