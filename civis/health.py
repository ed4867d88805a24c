"""``GET /sante/``: is this web process able to serve? For load balancers and orchestrators.

Liveness and readiness in one cheap request: a trivial query on the database and a write then
read of the shared cache (the two things every page needs). 200 with
``{"status": "ok", "checks": {"database": "ok", "cache": "ok"}}``; 503 with the checks that
failed and why, in French. No session, no cookie, no template, no sign-in: the view reads
neither ``request.user`` nor ``request.session``. Never cached (``Cache-Control: no-store``).
The reason of a failure goes to the log, never into the answer.

The background worker has its own check: ``manage.py civis_worker_health``.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

MESSAGES = {
    "database": "La base de données ne répond pas.",
    "cache": "Le cache partagé ne répond pas.",
}


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 did not return 1")


def check_cache() -> None:
    # One key per process and thread: concurrent probes never read each other's token, and
    # the keys stay as few as the processes.
    key = f"civis-sante-{os.getpid()}-{threading.get_ident()}"
    token = secrets.token_hex(8)
    cache.set(key, token, timeout=60)
    if cache.get(key) != token:
        raise RuntimeError("the cache did not give back what was just written")


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache}


@never_cache
@require_safe
def sante(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            # Whatever the engine raises (psycopg, sqlite3, redis…): the probe answers 503.
            logger.exception("Health check: %s failed", name)
            checks[name] = "error"
            errors[name] = MESSAGES[name]
        else:
            checks[name] = "ok"
    if errors:
        return JsonResponse({"status": "error", "checks": checks, "errors": errors}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
