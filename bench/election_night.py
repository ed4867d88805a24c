"""Election night under load (`make bench`, issue 13): a real HTTP client (wrk) against the
portal served by gunicorn on loopback, while two agents keep entering and validating results.

Measured, each for BENCH_LOAD_SECONDS with BENCH_LOAD_CONNECTIONS connections:
- a static file of the same size as the results JSON, from the same server (WhiteNoise): the
  physical limit of this machine and server;
- the round's results JSON (the widgets' source), with a new bureau published every
  BENCH_LOAD_WRITE_EVERY seconds meanwhile;
- the round's results page (HTML, with its map).
Reported: requests/s, p50/p95/p99 latency, errors (sockets and HTTP ≥ 400), the JSON's rate
over the static file's, and how long a newly published bureau took to be visible to a reader
polling the JSON (target: within one widget refresh period, 10 s).

Run by bench/run.py (BENCH_SUITES contains "elections"); needs wrk (Debian's `wrk`). The
database is BENCH_LOAD_DATABASE (sqlite by default; postgresql uses BENCH_PG_URL).

    python -m bench.election_night setup <workdir>   # in the portal's environment
    python -m bench.election_night write <workdir> <seconds>
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-legislatives"
BUREAUX = 104
CANDIDATES = 8
TARGET_STATIC_RATIO = 0.5
TARGET_VISIBLE_S = 10.0
# wrk's summary as one JSON line; "errors" counts every failure, "timeouts" the answers that
# took more than wrk's 2 s, "status" the answers other than 2xx/3xx.
LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, "timeouts": %d, '
    .. '"status": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


# --- inside the portal's environment (Django set up) ---------------------------------------


def _django() -> None:
    import django

    django.setup()


def setup(workdir: Path) -> None:
    """Migrate, then a commune of 104 bureaux, an election of 8 candidates with half the bureaux
    published, two counting agents; copy the results JSON's bytes as a static file."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    body = _django_setup_data(workdir)
    # Served by WhiteNoise like every static file (it indexes STATIC_ROOT when gunicorn starts).
    (Path(settings.STATIC_ROOT) / "bench-same-size.json").write_bytes(body)


def _django_setup_data(workdir: Path) -> bytes:
    import datetime

    from django.test import Client

    from elections.models import BureauResult, ElectionKind
    from elections.services.elections import (
        candidates_set,
        election_create,
        round_expect_owner_stations,
        station_save_step,
    )
    from elections.services.results import result_enter, result_validate
    from identity.models import Authority, Membership, User
    from identity.services import membership_grant

    commune = Authority.objects.create(kind="commune", name="Bancville", insee_code="99001")
    users = []
    for name, role in (("bench-saisie", "agent"), ("bench-validation", "publisher")):
        user = User.objects.create(username=name, kind=User.Kind.AGENT)
        membership_grant(
            actor=None, user=user, authority=commune, role=getattr(Membership.Role, role.upper())
        )
        users.append(user)
    from django.db import transaction

    with transaction.atomic():
        for number in range(1, BUREAUX + 1):
            x, y = -0.9 + 0.01 * (number % 13), 44.5 + 0.01 * (number // 13)
            ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
            station_save_step(
                commune=commune,
                number=number,
                valid_from=datetime.date(2024, 3, 1),
                name=f"Bureau n° {number}",
                canton=f"Canton {1 + number % 4}",
                circonscription="1re circonscription",
                contour={"type": "Polygon", "coordinates": [ring]},
            )
    election = election_create(
        actor=users[1],
        owner=commune,
        title="Législatives de banc d'essai",
        kind=ElectionKind.LEGISLATIVES,
        round_dates=[datetime.date(2026, 6, 14)],
        slug=SLUG,
    )
    round = election.rounds.get()
    candidates_set(
        actor=users[1],
        round=round,
        candidates=[
            {"panel": p, "last_name": f"Candidat {p}", "first_name": "Camille", "nuance": "DIV"}
            for p in range(1, CANDIDATES + 1)
        ],
    )
    round_expect_owner_stations(actor=users[1], round=round)
    for result in BureauResult.objects.filter(round=round).order_by("station__code")[
        : BUREAUX // 2
    ]:
        _count_one(result, users, result_enter, result_validate)
    body: bytes = Client().get(_json_path(), HTTP_HOST="127.0.0.1", secure=True).content
    (workdir / "sizes.json").write_text(json.dumps({"json_bytes": len(body)}))
    return body


def _count_one(result: Any, users: list[Any], enter: Any, validate: Any) -> None:
    n = result.station.number
    votes = {p: 20 + (n * p * 7) % 90 for p in range(1, CANDIDATES + 1)}
    exprimes = sum(votes.values())
    figures = {
        "inscrits": exprimes + 400,
        "votants": exprimes + 15,
        "blancs": 10,
        "nuls": 5,
        "exprimes": exprimes,
    }
    enter(actor=users[0], result=result, figures=figures, votes=votes)
    validate(actor=users[1], result=result)


def write(workdir: Path, seconds: float) -> None:
    """Publish the next expected bureau every BENCH_LOAD_WRITE_EVERY seconds, as two agents
    would; log each publication's commit time."""
    from elections.models import BureauResult, ResultState
    from elections.services.results import result_enter, result_validate
    from identity.models import User

    every = float(os.environ.get("BENCH_LOAD_WRITE_EVERY", "2"))
    users = [
        User.objects.get(username="bench-saisie"),
        User.objects.get(username="bench-validation"),
    ]
    log = (workdir / "writes.jsonl").open("a")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        result = (
            BureauResult.objects.filter(round__election__slug=SLUG, state=ResultState.EXPECTED)
            .select_related("station")
            .order_by("station__code")
            .first()
        )
        if result is None:
            break
        _count_one(result, users, result_enter, result_validate)
        log.write(json.dumps({"code": result.station.code, "at": time.time()}) + "\n")
        log.flush()
        time.sleep(every)


def _json_path() -> str:
    return f"/api/v1/elections/{SLUG}/tours/1/resultats"


# --- the driver (bench/run.py's process) ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str) -> urllib.request.Request:
    """As the reverse proxy in front of gunicorn forwards it (docs/production/): HTTPS said by
    X-Forwarded-Proto, which gunicorn trusts from loopback; without it production settings
    redirect to https://."""
    return urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310


def _wait(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(_request(url), timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"le serveur ne répond pas : {url}")


def _wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, Any]:
    wrk = shutil.which("wrk") or "wrk"
    out = subprocess.run(  # noqa: S603 (wrk, our arguments)
        [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            "-H",
            "Host: 127.0.0.1",
            "-H",
            "X-Forwarded-Proto: https",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("{"))
    data: dict[str, Any] = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def _visibility(base: str, workdir: Path, seconds: float) -> list[float]:
    """Poll the JSON as a widget would (but every 0.25 s) and measure, for each publication the
    writer logged, how long until the JSON showed it."""
    seen: dict[str, float] = {}
    start = time.time()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with urllib.request.urlopen(_request(base + _json_path()), timeout=5) as response:  # noqa: S310
            payload = json.loads(response.read())
        now = time.time()
        for bureau in payload.get("bureaux", []):
            if bureau.get("published") and bureau["code"] not in seen:
                seen[bureau["code"]] = now
        time.sleep(0.25)
    delays = []
    log = workdir / "writes.jsonl"
    for line in log.read_text().splitlines() if log.exists() else []:
        write = json.loads(line)
        # Only what was published while this reader polled (the others, during the load
        # phase, were seen when it started).
        if write["at"] >= start and write["code"] in seen:
            delays.append(max(0.0, seen[write["code"]] - write["at"]))
    return delays


def _serve(env: dict[str, str], workers: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "civis.wsgi",
            "--workers",
            workers,
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    return server, f"http://127.0.0.1:{port}"


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=30)


def run(env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Set up, serve with gunicorn, measure; returns the results (bench/results.json)."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk introuvable (paquet Debian « wrk ») : test de charge non mesuré"}
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "15"))
    connections = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "32"))
    workers = os.environ.get("BENCH_LOAD_WORKERS", str(max(2, os.cpu_count() or 2)))
    env = {
        **env,
        "CIVIS_API_RATE_ANON": "off",
        "CIVIS_API_RATE_USER": "off",
        "CIVIS_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    python = sys.executable
    subprocess.run(  # noqa: S603
        [python, "-m", "bench.election_night", "setup", str(workdir)], env=env, cwd=ROOT, check=True
    )
    script = workdir / "report.lua"
    script.write_text(LUA)
    server, base = _serve(env, workers)
    try:
        _wait(base + _json_path())
        static = _wrk(base + "/static/bench-same-size.json", seconds, connections, script)
        writer = subprocess.Popen(  # noqa: S603
            [python, "-m", "bench.election_night", "write", str(workdir), str(seconds * 3 + 10)],
            env=env,
            cwd=ROOT,
        )
        try:
            results_json = _wrk(base + _json_path(), seconds, connections, script)
            delays = _visibility(base, workdir, seconds)
            page = _wrk(base + f"/elections/{SLUG}/tour-1/", seconds, connections, script)
            # The baseline: the same JSON with the fast path off (every answer goes through
            # the whole stack and the database), same machine, same run.
            _stop(server)
            server, base = _serve({**env, "CIVIS_RESULTS_FRESH_SECONDS": "0"}, workers)
            _wait(base + _json_path())
            no_fast_path = _wrk(base + _json_path(), seconds, connections, script)
        finally:
            writer.terminate()
            writer.wait(timeout=30)
    finally:
        _stop(server)
    sizes = json.loads((workdir / "sizes.json").read_text())
    return {
        "bureaux": BUREAUX,
        "candidates": CANDIDATES,
        "seconds": seconds,
        "connections": connections,
        "workers": int(workers),
        "json_bytes": sizes["json_bytes"],
        "static": static,
        "results_json": results_json,
        "results_page": page,
        "results_json_without_fast_path": no_fast_path,
        "fast_path_speedup": results_json["rps"] / no_fast_path["rps"]
        if no_fast_path["rps"]
        else 0.0,
        "json_over_static": results_json["rps"] / static["rps"] if static["rps"] else 0.0,
        "visible_after_s": delays,
    }


def table(run: dict[str, Any]) -> str:
    if "skipped" in run:
        return f"Soirée électorale : {run['skipped']}"
    lines = [
        f"Soirée électorale : {run['bureaux']} bureaux, {run['candidates']} candidats, "
        f"gunicorn {run['workers']} workers, wrk {run['connections']} connexions x "
        f"{run['seconds']} s, JSON de {run['json_bytes']} octets",
        f"{'cible':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'erreurs':>9}",
    ]
    for label, key in (
        ("fichier statique (même taille)", "static"),
        ("résultats JSON (saisies en cours)", "results_json"),
        ("page des résultats", "results_page"),
        ("JSON sans chemin rapide", "results_json_without_fast_path"),
    ):
        m = run[key]
        lines.append(
            f"{label:<28}{m['rps']:>9.0f}{m['p50_us'] / 1000:>9.1f}{m['p95_us'] / 1000:>9.1f}"
            f"{m['p99_us'] / 1000:>9.1f}{m['errors']:>9}"
        )
    ratio = run["json_over_static"]
    delays = run["visible_after_s"]
    worst = max(delays) if delays else float("nan")
    if "fast_path_speedup" in run:
        lines.append(f"Chemin rapide : JSON {run['fast_path_speedup']:.1f}x plus rapide que sans")
    lines.append(
        f"JSON / statique : {ratio:.0%} (cible ≥ {TARGET_STATIC_RATIO:.0%} : "
        f"{'ok' if ratio >= TARGET_STATIC_RATIO else 'NON'}) ; erreurs : "
        f"{run['results_json']['errors'] + run['results_page']['errors']} ; "
        f"nouveau bureau visible après {worst:.2f} s au pire sur {len(delays)} publications "
        f"(cible ≤ {TARGET_VISIBLE_S:.0f} s : "
        f"{'ok' if delays and worst <= TARGET_VISIBLE_S else 'NON'})"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    command, workdir_arg = sys.argv[1], Path(sys.argv[2])
    if command == "setup" and os.environ["DATABASE_URL"].startswith("postgres"):
        from bench.worker import _recreate_postgres_database

        _recreate_postgres_database()
    _django()
    if command == "setup":
        setup(workdir_arg)
    elif command == "write":
        write(workdir_arg, float(sys.argv[3]))
