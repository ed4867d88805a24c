"""One database's benchmark run (see bench/run.py), in a process of its own."""

from __future__ import annotations

import gc
import io
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


def _recreate_postgres_database() -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def _machine(connection: BaseDatabaseWrapper) -> str:
    """Where the figures were measured: they mean little without it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), current_setting('shared_buffers')"
            )
            version, buffers = cursor.fetchone()
        database = f"PostgreSQL {version}, shared_buffers {buffers}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    return f"{os.cpu_count()} processeurs, {database}"


def _sizes(connection: BaseDatabaseWrapper, n_docs: int) -> dict[str, float]:
    """The database's size per document, and this process's peak memory (it built the world
    and the index: the worker's share of the work, in one process)."""
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if connection.vendor != "postgresql":
        return {"build_peak_rss_mb": peak_mb}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT pg_total_relation_size('search_searchentry')")
        index = cursor.fetchone()[0]
    return {
        "build_peak_rss_mb": peak_mb,
        "database_bytes": total,
        "database_bytes_per_document": total / n_docs if n_docs else 0.0,
        "search_index_bytes_per_document": index / n_docs if n_docs else 0.0,
    }


def _explain_slowest(
    personas: dict[str, Any], queries: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """Where the time goes: for each persona, the slowest statement of its slowest query,
    with PostgreSQL's EXPLAIN (ANALYZE, BUFFERS)."""
    from django.db import connection

    from identity.selectors import forget_principals
    from search.backends import database_backend
    from search.selectors import search_documents

    found: dict[str, dict[str, str]] = {}
    for name, user in personas.items():
        slowest: tuple[float, str, str, Any] = (0.0, "", "", None)
        for label, query in queries.items():
            statements: list[tuple[float, str, Any]] = []

            def timed(  # type: ignore[no-untyped-def]
                execute, sql, params, many, context, statements=statements
            ):
                t = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    statements.append((time.perf_counter() - t, sql, params))

            if user is not None:
                forget_principals(user)
            with connection.execute_wrapper(timed):
                search_documents(user, query)
            for seconds, sql, params in statements:
                if seconds > slowest[0] and sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    slowest = (seconds, label, sql, params)
        seconds, label, sql, params = slowest
        if not sql:
            continue
        # Run as the backend runs its statements: with its settings (work_mem, workers).
        rows = database_backend()._execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in rows)
        found[name] = {"query": label, "ms": f"{seconds * 1000:.1f}", "plan": plan}
    return found


def _peers(
    personas: dict[str, Any], queries: dict[str, Any], measured: dict[str, Any], repeat: int
) -> dict[str, Any]:
    """The limit, Wagtail's way and guardian's way, per persona, on the same queries (see
    bench/peers.py); guardian's totals must be Civis's."""
    from bench import peers
    from identity.models import User

    peer_repeat = int(os.environ.get("BENCH_PEER_REPEAT", "3"))
    print("   pairs : index de Wagtail…", flush=True)
    wagtail_seconds = peers.build_wagtail_index()
    superuser = User.objects.create(username="bench-superuser", is_superuser=True, kind="agent")
    timings: dict[str, dict[str, list[float]]] = {}
    totals: dict[str, dict[str, dict[str, int]]] = {}

    def measure(name: str, peer: str, count: int, run: Callable[[], int], label: str) -> None:
        totals.setdefault(name, {}).setdefault(label, {})[peer] = run()  # warm
        for _ in range(count):
            t = time.perf_counter()
            run()
            timings.setdefault(name, {}).setdefault(peer, []).append(
                (time.perf_counter() - t) * 1000
            )

    for name, user in personas.items():
        for label, query in queries.items():
            measure(name, "limit", repeat, partial(peers.limit_way, superuser, query), label)
            measure(name, "wagtail", peer_repeat, partial(peers.wagtail_way, user, query), label)
    print("   pairs : droits django-guardian…", flush=True)
    guardian_seconds, readers, rows = peers.build_guardian_rights(personas)
    for name in personas:
        for label, query in queries.items():
            run = partial(peers.guardian_way, readers[name], query)
            measure(name, "guardian", peer_repeat, run, label)
            civis_total = measured[name]["queries"][label]["total"]
            if totals[name][label]["guardian"] != civis_total:
                raise SystemExit(
                    f"{name} / {label}: guardian {totals[name][label]['guardian']} "
                    f"!= Civis {civis_total}"
                )
    result: dict[str, Any] = {
        "wagtail_index_seconds": wagtail_seconds,
        "guardian_rights_seconds": guardian_seconds,
        "guardian_rows": rows,
        "personas": {},
    }
    for name in personas:
        civis_p50, civis_p95 = measured[name]["p50_ms"], measured[name]["p95_ms"]
        row: dict[str, Any] = {"totals": totals[name]}
        for peer, values in timings[name].items():
            p50, p95 = statistics.median(values), percentile(values, 0.95)
            row[peer] = {"p50_ms": p50, "p95_ms": p95}
        row["civis_over_limit_p95"] = civis_p95 / row["limit"]["p95_ms"]
        row["wagtail_over_civis_p95"] = row["wagtail"]["p95_ms"] / civis_p95
        row["guardian_over_civis_p95"] = row["guardian"]["p95_ms"] / civis_p95
        row["wagtail_over_civis_p50"] = row["wagtail"]["p50_ms"] / civis_p50
        row["guardian_over_civis_p50"] = row["guardian"]["p50_ms"] / civis_p50
        result["personas"][name] = row
        print(
            f"   {name}: limite p95 {row['limit']['p95_ms']:.1f} ms, Wagtail "
            f"{row['wagtail']['p95_ms']:.1f} ms, guardian {row['guardian']['p95_ms']:.1f} ms",
            flush=True,
        )
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(out: Path) -> None:
    if os.environ["DATABASE_URL"].startswith("postgres"):
        _recreate_postgres_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from bench.naive import naive_search
    from bench.world import NO_PASSWORD, build_documents, build_grants, build_people
    from documents.models import Document
    from identity.models import Authority, Membership, User
    from identity.selectors import forget_principals
    from search.query import SearchQuery
    from search.selectors import search_documents
    from search.services import reindex

    n_docs = int(os.environ.get("BENCH_DOCS", "100000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "7"))
    naive_repeat = int(os.environ.get("BENCH_NAIVE_REPEAT", "1"))
    territory = os.environ.get(
        "BENCH_TERRITORY",
        str(
            Path(__file__).resolve().parent.parent.parent
            / "shared"
            / "data"
            / "decoupage-administratif"
        ),
    )
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    region = os.environ.get("BENCH_REGION", "75")
    call_command("civis_import_territory", territory, "--region", region, stdout=io.StringIO())
    rng = random.Random(2026)  # noqa: S311 - reproducible synthetic data, not secrets
    world = build_people(
        rng,
        region,
        int(os.environ.get("BENCH_AGENTS", "2000")),
        int(os.environ.get("BENCH_CITIZENS", "20000")),
    )
    build_documents(rng, world, n_docs)
    build_grants(rng, world, max(200, n_docs // 25))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have done on a live database
    build_seconds = time.perf_counter() - started
    print(f"   construit en {build_seconds:.0f} s ; réindexation…", flush=True)

    started = time.perf_counter()
    indexed = reindex()["db"]
    index_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would, after a bulk load
            cursor.execute("VACUUM ANALYZE search_searchentry")
    print(f"   {indexed} documents indexés en {index_seconds:.1f} s ; mesures…", flush=True)

    busiest_commune = (
        Document.objects.filter(owner__kind="commune")
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["owner_id"]
    )
    busiest_epci = (
        Document.objects.filter(owner__parent__kind="epci")
        .values("owner__parent_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["owner__parent_id"]
    )
    agent = User.objects.create(username="bench-agent", kind="agent", password=NO_PASSWORD)
    Membership.objects.create(user=agent, authority_id=busiest_commune, role="agent")
    citizen_id = (
        Document.objects.filter(audience="personal")
        .values("addressee_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[0]["addressee_id"]
    )
    citizen = User.objects.get(pk=citizen_id)
    citizen.groups.add(*world.groups[:3])
    admin = (
        User.objects.filter(
            memberships__role="territory_admin", memberships__authority=world.region
        )
        .order_by("pk")
        .first()
    )
    personas = {
        "anonyme": None,
        "citoyen": citizen,
        "agent communal": agent,
        "admin régional": admin,
    }
    queries = {
        "mot rare": SearchQuery(text="xylophone"),
        "mot peu fréquent": SearchQuery(text="photovoltaïque"),
        "mot fréquent": SearchQuery(text="conseil"),
        "deux mots": SearchQuery(text="budget primitif"),
        "expression": SearchQuery(text='"plan local d\'urbanisme"'),
        "mot + type": SearchQuery(text="délibération", document_type="deliberation"),
        "mot + EPCI": SearchQuery(text="école", authority_id=busiest_epci),
        "facettes seules": SearchQuery(year=2024, kind="pdf"),
        "tri par date": SearchQuery(text="chaussée", sort="date"),
        "page 5": SearchQuery(text="travaux", page=5),
    }
    gc.collect()
    gc.freeze()  # what civis/wsgi.py does once the server has loaded
    measured = {}
    for name, user in personas.items():
        timings: list[float] = []
        per_query = {}
        naive: list[float] = []
        for label, query in queries.items():
            search_documents(user, query)  # warm caches
            runs = []
            for _ in range(repeat):
                if user is not None:
                    forget_principals(user)  # principals are computed once per request
                t = time.perf_counter()
                page = search_documents(user, query)
                runs.append((time.perf_counter() - t) * 1000)
            timings += runs
            per_query[label] = {"p50_ms": statistics.median(runs), "total": page.total}
            for _ in range(naive_repeat):
                if user is not None:
                    forget_principals(user)
                t = time.perf_counter()
                total, _hits, _facets = naive_search(user, query)
                naive.append((time.perf_counter() - t) * 1000)
                if total != page.total:
                    raise SystemExit(f"{name} / {label}: naive {total} != trimmed {page.total}")
        p50 = statistics.median(timings)
        # BENCH_NAIVE_REPEAT=0 (a million documents: the naive way takes minutes a query).
        naive_p50 = statistics.median(naive) if naive else 0.0
        measured[name] = {
            "p50_ms": p50,
            "p95_ms": percentile(timings, 0.95),
            "naive_p50_ms": naive_p50,
            "naive_ratio": naive_p50 / p50 if p50 else 0.0,
            "queries": per_query,
        }
        print(f"   {name}: p50 {p50:.1f} ms, p95 {measured[name]['p95_ms']:.1f} ms", flush=True)
    sizes = _sizes(connection, n_docs)
    explain = _explain_slowest(personas, queries) if connection.vendor == "postgresql" else {}
    peers = (
        _peers(personas, queries, measured, repeat)
        if connection.vendor == "postgresql" and os.environ.get("BENCH_PEERS", "1") != "0"
        else {}
    )
    out.write_text(
        json.dumps(
            {
                "machine": _machine(connection),
                **sizes,
                "explain": explain,
                "peers": peers,
                "build_seconds": build_seconds,
                "index_seconds": index_seconds,
                "index_docs_per_s": indexed / index_seconds if index_seconds else 0.0,
                "authorities": Authority.objects.count(),
                "people": {
                    "agents": len(world.agents),
                    "citizens": len(world.citizens),
                    "groups": len(world.groups),
                },
                "personas": measured,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
