"""The portal over HTTP under load (`make bench`, issue 15): wrk at 16 connections against
gunicorn on loopback, production-like (debug off, gunicorn.conf.py, the shared cache in Redis
when one answers on 127.0.0.1:6379, else the database table), on the database the search suite
just built (PostgreSQL, BENCH_DOCS documents) or, without it, a fresh SQLite demo.

Measured, one after the other, each for BENCH_HTTP_SECONDS (10): the anonymous home page, an
authority page, the search page, the search API, a document download and a static file of the
home page's size (the reference: what serving bytes costs here). For each: requests/s, p95,
errors, and the ratio to the static file (target: 0 errors; the cached anonymous pages at
least half the static file's rate). Then the peak memory (VmHWM) of each web worker and of a
background worker that ran meanwhile.

    python -m bench.http_load setup <workdir>   # in the portal's environment
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.election_night import LUA, _free_port, _stop, _wait, _wrk

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
TARGET_CACHED_OVER_STATIC = 0.5
CACHED = ("accueil", "page de collectivité")
REDIS = ("127.0.0.1", 6379)
# What the search URLs ending in "q=" are asked, in turn (the search benchmark's words).
MIX = [
    "xylophone",
    "photovolta%C3%AFque",
    "conseil",
    "budget+primitif",
    "%22plan+local+d%27urbanisme%22",
    "d%C3%A9lib%C3%A9ration",
    "%C3%A9cole",
    "chauss%C3%A9e",
    "travaux",
]
ROTATE = """
local words = {%s}
local i = 0
request = function()
  i = i %% #words + 1
  return wrk.format("GET", wrk.path .. words[i])
end
"""


# --- inside the portal's environment (Django set up) ---------------------------------------


def setup(workdir: Path) -> None:
    """The pages to load: the home page and the pages of the commune with the most public
    documents (and of the authorities above it), one public PDF of that commune to download,
    and a static file of the home page's size. Writes ``urls.json``."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    from civis.portal.demo.filegen import make_pdf
    from civis.portal.services import authority_pages_sync, home_page_ensure
    from documents.models import Document
    from documents.services import Upload, document_create
    from identity.models import Authority

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if not Authority.objects.exists():  # no search suite before: the demo, on SQLite
        call_command("civis_demo", verbosity=0)
    busiest = (
        Document.objects.filter(owner__kind="commune", audience="public", status="published")
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    commune = (
        Authority.objects.get(pk=busiest["owner_id"])
        if busiest
        else Authority.objects.filter(kind="commune").order_by("pk").first()
    )
    assert commune is not None  # noqa: S101 (a territory was imported)
    above = commune.ancestors()  # nearest first, the région last
    home = home_page_ensure(title="Civis Data", territory=above[-1] if above else commune)
    authority_pages_sync(home=home, authorities=[*reversed(above), commune])
    pdf = make_pdf("Compte rendu du conseil municipal", ["Séance publique du conseil."] * 40)
    document = document_create(
        actor=None,
        owner=commune,
        title="Compte rendu du conseil municipal (charge HTTP)",
        upload=Upload(io.BytesIO(pdf), "compte-rendu.pdf"),
        publish=True,
    )
    home_page = Client().get("/", HTTP_HOST="127.0.0.1", secure=True)
    assert home_page.status_code == 200, home_page.status_code  # noqa: S101 (the reference)
    body = home_page.content
    (Path(settings.STATIC_ROOT) / "bench-home-size.html").write_bytes(b"x" * len(body))
    commune.refresh_from_db()
    # The searches last: what gunicorn still has queued when wrk stops is not the next one's.
    # Each search URL is a mix of the search benchmark's words, one after the other (MIX);
    # the last line is the worst of them alone, a word in nearly half the documents.
    urls = {
        "fichier statique": "/static/bench-home-size.html",
        "accueil": "/",
        "page de collectivité": commune.portal_page.url,
        "téléchargement": f"/documents/{document.pk}/telecharger",
        "page de recherche": "/recherche/?q=",
        "API de recherche": "/api/v1/search/?q=",
        "API, mot fréquent seul": "/api/v1/search/?q=conseil",
    }
    (workdir / "urls.json").write_text(json.dumps({"urls": urls, "home_bytes": len(body)}))


# --- the driver (bench/run.py's process) ----------------------------------------------------


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def run(env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Set up, serve with gunicorn, measure each URL; returns the results."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk introuvable (paquet Debian « wrk ») : charge HTTP non mesurée"}
    seconds = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
    cache = "redis://127.0.0.1:6379/13" if _redis_answers() else ""
    env = {
        **env,
        "CIVIS_API_RATE_ANON": "off",
        "CIVIS_API_RATE_USER": "off",
        "CIVIS_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CIVIS_CACHE_URL": cache,
        "CIVIS_TASKS_IMMEDIATE": "0",
        # As the README's production section says: connections kept open.
        "CIVIS_DB_CONN_MAX_AGE": "60",
        "GUNICORN_ACCESS_LOG": "off",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    if cache:
        subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-c", _FLUSH], env=env, cwd=ROOT, check=True
        )
    python = sys.executable
    subprocess.run(  # noqa: S603
        [python, "-m", "bench.http_load", "setup", str(workdir)], env=env, cwd=ROOT, check=True
    )
    setup = json.loads((workdir / "urls.json").read_text())
    script = workdir / "report.lua"
    script.write_text(LUA)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [python, "-m", "gunicorn", "--config", "gunicorn.conf.py", "civis.wsgi"],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        cwd=ROOT,
    )
    worker = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "db_worker", "--backend", "civis", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    measured: dict[str, Any] = {}
    try:
        _wait(base + "/sante/")
        time.sleep(1)
        rotating = workdir / "rotate.lua"
        rotating.write_text(ROTATE % ", ".join(f'"{w}"' for w in MIX) + LUA)
        for name, path in setup["urls"].items():
            lua = rotating if path.endswith("q=") else script
            measured[name] = _wrk(base + path, seconds, CONNECTIONS, lua)
            _wait(base + "/sante/")  # what was still queued is done
            time.sleep(2)
        web_peaks = [_peak_mb(pid) for pid in _children(server.pid)]
        worker_peak = _peak_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        _stop(server)
    static_rps = measured["fichier statique"]["rps"]
    for data in measured.values():
        data["over_static"] = data["rps"] / static_rps if static_rps else 0.0
    return {
        "seconds": seconds,
        "connections": CONNECTIONS,
        "workers": len(web_peaks),
        "cache": "Redis" if cache else "table de la base",
        "database": "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite",
        "home_bytes": setup["home_bytes"],
        "urls": setup["urls"],
        "results": measured,
        "web_worker_peak_rss_mb": max(web_peaks, default=0.0),
        "db_worker_peak_rss_mb": worker_peak,
    }


# Empties the benchmark's own Redis database (13) before a run: pages kept by an earlier
# run on another database must not be answered.
_FLUSH = "import django; django.setup(); from django.core.cache import cache; cache.clear()"


def table(run: dict[str, Any]) -> str:
    if "skipped" in run:
        return f"Charge HTTP : {run['skipped']}"
    lines = [
        f"Charge HTTP (wrk, {run['connections']} connexions x {run['seconds']} s, gunicorn "
        f"{run['workers']} workers, {run['database']}, cache {run['cache']}) :",
        f"{'adresse':<24}{'/statique':>10}{'req/s':>9}{'p95 ms':>9}{'erreurs':>9}"
        f"{'dont >2 s':>11}  cibles",
    ]
    lines.append("-" * len(lines[-1]))
    for name, data in run["results"].items():
        checks = [f"0 erreur:{'ok' if data['errors'] == 0 else 'NON'}"]
        if name in CACHED:
            good = data["over_static"] >= TARGET_CACHED_OVER_STATIC
            checks.append(f"≥{TARGET_CACHED_OVER_STATIC:.0%} statique:{'ok' if good else 'NON'}")
        lines.append(
            f"{name:<24}{data['over_static']:>9.0%} {data['rps']:>9.0f}"
            f"{data['p95_us'] / 1000:>9.1f}{data['errors']:>9}{data.get('timeouts', 0):>11}"
            f"  {' '.join(checks)}"
        )
    lines.append(
        f"mémoire de pointe : worker web {run['web_worker_peak_rss_mb']:.0f} Mo, "
        f"worker de tâches {run['db_worker_peak_rss_mb']:.0f} Mo"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(Path(sys.argv[2]))
