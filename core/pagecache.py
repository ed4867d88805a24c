"""What anonymous visitors see, kept in the shared cache and answered without rendering again
(settings block "Cache": ``CIVIS_PAGE_CACHE_SECONDS``, ``CIVIS_PAGE_CACHE_VIEWS``).

*What is kept.* A ``200`` answer to a ``GET`` (or ``HEAD``) of one of the views
``CIVIS_PAGE_CACHE_VIEWS`` names (the home and authority pages, document pages, the feed, the
sitemap, the catalog), asked by a visitor who sends no session and no messages cookie, and
answered without setting a cookie (a page that used a CSRF token or the session is never
kept: it is that visitor's). A signed-in visitor's request always carries the session cookie:
it is never answered from here and never stored.

*Invalidation.* Every copy is stored with the site's *generation*, read before the page is
rendered; ``public_pages_changed()`` moves the generation when the transaction that changed
what anonymous visitors see commits (the floors above call it:
publication, withdrawal, scheduled go-live, an authority's or a page's edit). A copy of
another generation is never answered, so a change is seen by the next request, on every
process; a page rendered while the change committed carries the old generation and is never
answered either. The timeout
(``CIVIS_PAGE_CACHE_SECONDS``) only bounds what is kept.

*Nonces.* An HTML page carries the nonce of its Content-Security-Policy. A copy is answered
with a fresh nonce (the stored one replaced in the body; Django's CSP middleware writes the
header with the request's own), so a nonce is never shared between visitors. The copy's
``ETag`` is the hash of what was stored, so revalidation (``If-None-Match``) gives a 304.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.transaction import on_commit
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csp import get_nonce
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

logger = logging.getLogger(__name__)
GENERATION_KEY = "pagecache|generation"
HIT_HEADER = "X-Civis-Cache"
# Headers a copy is answered with; the others are the request's own (cookies, CSP, Date).
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-language",
        "content-disposition",
        "cache-control",
        "expires",
        "last-modified",
        "vary",
        "x-frame-options",
        "x-robots-tag",
        "access-control-allow-origin",
        "link",
    }
)


def public_pages_changed() -> None:
    """What anonymous visitors see changed: every kept page is stale once the current
    transaction commits (at once outside one).

    At commit, not before: a page rendered before the commit read the old rows, and carries
    the generation it read before rendering, which the commit then leaves behind. Nothing is
    written inside the transaction: with the database cache, a write there would hold the
    generation's row locked until commit and serialise (or deadlock) concurrent publishers."""
    on_commit(_new_generation, robust=True)


def _new_generation() -> int:
    # A time in nanoseconds, not a counter: a generation evicted from the cache and started
    # again can never match a copy stored under an earlier one.
    generation = time.time_ns()
    cache.set(GENERATION_KEY, generation, None)
    return generation


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or settings.CIVIS_PAGE_CACHE_SECONDS <= 0:
        return False
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies
    )


@lru_cache(maxsize=4096)
def _view_name(path_info: str) -> str | None:
    """The URL's view (the URLconf never changes while a process runs; bounded: any path
    may be asked)."""
    try:
        return resolve(path_info).view_name
    except Resolver404:
        return None


def _key(request: HttpRequest) -> str:
    where = f"{request.scheme}|{request.get_host()}|{get_language() or ''}"
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:40]
    return f"pagecache|{where}|{path}"


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if not isinstance(response, HttpResponse) or response.status_code != 200:
        return False
    if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    # What the outer middlewares will turn into cookies for this visitor alone.
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "added_new", False):
        return False
    control = response.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


class AnonymousPageCacheMiddleware:
    """Below the authentication and messages middlewares (it reads neither: a request
    that could carry someone is never looked up), above the views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.views = frozenset(settings.CIVIS_PAGE_CACHE_VIEWS)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not _cacheable_request(request) or _view_name(request.path_info) not in self.views:
            return self.get_response(request)
        key = _key(request)
        try:
            found = cache.get_many([GENERATION_KEY, key])
            generation = found.get(GENERATION_KEY) or _new_generation()
        except Exception:  # the cache is down: the page is rendered, never a 500
            logger.warning("Page cache unavailable, rendering %s", request.path, exc_info=True)
            return self.get_response(request)
        kept = found.get(key)
        if kept is not None and kept["generation"] == generation:
            return self._answer(request, kept)
        response = self.get_response(request)
        if _storable(request, response):
            assert isinstance(response, HttpResponse)  # noqa: S101 (checked by _storable)
            kept = self._keep(request, response, generation)
            try:
                cache.set(key, kept, settings.CIVIS_PAGE_CACHE_SECONDS)
            except Exception:  # kept next time, when the cache answers again
                logger.warning("Page cache unavailable, not keeping %s", request.path)
                return response
            response["ETag"] = kept["etag"]
            response[HIT_HEADER] = "miss"
        return response

    @staticmethod
    def _keep(request: HttpRequest, response: HttpResponse, generation: int) -> dict[str, Any]:
        patch_vary_headers(response, ("Cookie",))
        nonce = get_nonce(request)
        return {
            "generation": generation,
            "status": response.status_code,
            "headers": [(k, v) for k, v in response.items() if k.lower() in KEPT_HEADERS],
            "content": response.content,
            # The nonce the page was rendered with, if it used one (LazyNonce is falsy
            # until read).
            "nonce": str(nonce) if nonce else "",
            # The view's own validator if it gave one (the catalog's), else the body's: weak
            # when the answers differ by their nonce, byte for byte otherwise.
            "etag": response.get("ETag")
            or ("W/" if nonce else "")
            + '"pc-'
            + hashlib.sha256(response.content).hexdigest()[:32]
            + '"',
        }

    @staticmethod
    def _answer(request: HttpRequest, kept: dict[str, Any]) -> HttpResponse:
        content: bytes = kept["content"]
        if kept["nonce"]:
            fresh = get_nonce(request)
            if fresh is not None:
                content = content.replace(kept["nonce"].encode(), str(fresh).encode())
        response = HttpResponse(content, status=kept["status"])
        for name, value in kept["headers"]:
            response[name] = value
        response["ETag"] = kept["etag"]
        response[HIT_HEADER] = "hit"
        return response
