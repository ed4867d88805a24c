"""Election night's fast path: the public results answers a process has just built are
answered again, for ``CIVIS_RESULTS_FRESH_SECONDS`` (1 by default), without going down the
rest of the middleware or to the database — as a reverse proxy's micro-cache would, but in
every deployment, the embedded one included.

Thousands of widgets ask for the same round every few seconds; each answer is the same bytes
until the next publication. Placed just above WhiteNoise (``civis/settings.py``), this
middleware stores the 200s that ``elections.exports.cached`` marks as shared (public results,
the same for every reader: no session, no user, no per-request header), keyed by what they
depend on (scheme, host, path, query string, the language cookie), and answers a copy while it
is fresh. The middlewares above it still run on every answer: security headers and CSP,
``ConditionalGetMiddleware`` (a matching ``If-None-Match`` gets its 304) and HEAD.

A publication is visible to a reader after at most this freshness plus the answers'
``max-age`` (5 s during the count): within one widget refresh period (10 s at least). API
throttling does not apply to a copy: it costs what a static file costs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

SHARED_ATTRIBUTE = "civis_shared_answer"
# The copies a process keeps, in bytes of body; over it, the oldest go first.
MAX_BYTES = 32 * 1024 * 1024
PATH_PREFIX = "/api/v1/elections/"


@dataclass(frozen=True)
class _Copy:
    stored_at: float
    content: bytes
    headers: tuple[tuple[str, str], ...]


def mark_shared(response: HttpResponseBase) -> None:
    """This answer is the same for every reader of the URL: the fast path may repeat it."""
    setattr(response, SHARED_ATTRIBUTE, True)


class ResultsFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.copies: dict[tuple[str, ...], _Copy] = {}
        self.size = 0
        self.lock = threading.Lock()

    def _key(self, request: HttpRequest) -> tuple[str, ...] | None:
        if request.method not in ("GET", "HEAD") or not request.path.startswith(PATH_PREFIX):
            return None
        return (
            request.scheme or "",
            request.get_host(),
            request.path,
            request.META.get("QUERY_STRING", ""),
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        fresh = float(settings.CIVIS_RESULTS_FRESH_SECONDS)
        key = self._key(request) if fresh > 0 else None
        if key is None:
            return self.get_response(request)
        now = time.monotonic()
        copy = self.copies.get(key)
        if copy is not None and now - copy.stored_at < fresh:
            repeated = HttpResponse(copy.content)
            for name, value in copy.headers:
                repeated[name] = value
            return repeated
        response = self.get_response(request)
        if (
            getattr(response, SHARED_ATTRIBUTE, False)
            and response.status_code == 200
            and isinstance(response, HttpResponse)
            and not response.cookies
        ):
            self._store(key, _Copy(now, response.content, tuple(response.items())))
        return response

    def _store(self, key: tuple[str, ...], copy: _Copy) -> None:
        with self.lock:
            old = self.copies.pop(key, None)
            if old is not None:
                self.size -= len(old.content)
            while self.copies and self.size + len(copy.content) > MAX_BYTES:
                _oldest, dropped = next(iter(self.copies.items()))
                del self.copies[_oldest]
                self.size -= len(dropped.content)
            if len(copy.content) <= MAX_BYTES:
                self.copies[key] = copy
                self.size += len(copy.content)
