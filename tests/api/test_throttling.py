"""Issue 18, finding 5 ("throttle the APIs too"): anonymous callers are counted per address,
signed-in callers per account, each at its own rate (CIVIS_API_RATE_ANON / _USER); beyond,
a 429 with a French error and Retry-After. The counts live in the default cache, so these
tests start from a clean count for the address or account they use."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from core.api import AnonymousRateThrottle, SignedInRateThrottle
from tests.support import run_manage

pytestmark = pytest.mark.django_db


@pytest.fixture
def address() -> str:
    """A fresh address (the cache may be a Redis shared with earlier runs)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def _forget(*idents: str) -> None:
    for throttle in (AnonymousRateThrottle, SignedInRateThrottle):
        cache.delete_many(
            [throttle.cache_format % {"scope": throttle.scope, "ident": ident} for ident in idents]
        )


def _throttled(response) -> None:
    assert response.status_code == 429
    assert response.json()["error"].startswith("Trop de requêtes : réessayez dans ")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_anonymous_callers_get_429_after_the_anonymous_rate(client, settings, corpus, address):
    settings.CIVIS_API_RATE_ANON, settings.CIVIS_API_RATE_USER = "3/m", "1000/m"
    _forget(address)
    urls = [
        "/api/v1/documents/",
        f"/api/v1/documents/{corpus.public[0].pk}/",
        "/api/v1/search/?q=conseil",
    ]
    for url in urls:  # every route counts towards the same quota
        assert client.get(url, REMOTE_ADDR=address).status_code == 200, url
    _throttled(client.get("/api/v1/documents/", REMOTE_ADDR=address))
    _throttled(client.get(f"/api/v1/documents/{corpus.public[0].pk}/download", REMOTE_ADDR=address))
    # Refused before any validation: a bad parameter does not buy an answer either.
    _throttled(client.get("/api/v1/documents/?page=%C2%B2", REMOTE_ADDR=address))
    # A forged X-Forwarded-For is not a fresh address.
    _throttled(
        client.get("/api/v1/documents/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="198.51.100.7")
    )
    # Another address has its own quota; the docs and the description are not throttled.
    other = f"{address}1"
    _forget(other)
    assert client.get("/api/v1/documents/", REMOTE_ADDR=other).status_code == 200
    assert client.get("/api/v1/openapi.json", REMOTE_ADDR=address).status_code == 200
    assert client.get("/api/v1/docs", REMOTE_ADDR=address).status_code == 200
    # The HTML pages are not the API's business.
    assert client.get("/recherche/", {"q": "conseil"}, REMOTE_ADDR=address).status_code == 200


def test_signed_in_callers_are_counted_per_account_at_their_own_rate(
    client, settings, corpus, address
):
    settings.CIVIS_API_RATE_ANON, settings.CIVIS_API_RATE_USER = "2/m", "4/m"
    _forget(address, f"user-{corpus.agent.pk}")
    client.force_login(corpus.agent)
    for i in range(4):  # above the anonymous rate, and from two addresses
        response = client.get("/api/v1/documents/", REMOTE_ADDR=address if i % 2 else "::1")
        assert response.status_code == 200, i
    _throttled(client.get("/api/v1/search/?q=conseil", REMOTE_ADDR=address))
    # The account's quota is not the address's: signed out, the same address may still call.
    client.logout()
    assert client.get("/api/v1/documents/", REMOTE_ADDR=address).status_code == 200


def test_retry_after_tells_when_a_request_leaves_the_window(
    client, settings, corpus, address, monkeypatch
):
    settings.CIVIS_API_RATE_ANON = "1/h"
    _forget(address)
    clock = [1_000_000.0]
    monkeypatch.setattr(AnonymousRateThrottle, "timer", staticmethod(lambda: clock[0]))
    assert client.get("/api/v1/documents/", REMOTE_ADDR=address).status_code == 200
    clock[0] += 600
    response = client.get("/api/v1/documents/", REMOTE_ADDR=address)
    assert response.status_code == 429 and response["Retry-After"] == "3000"
    assert response.json() == {"error": "Trop de requêtes : réessayez dans 3000 s."}
    clock[0] += 3001
    assert client.get("/api/v1/documents/", REMOTE_ADDR=address).status_code == 200


def test_a_malformed_rate_is_refused_at_start():
    result = run_manage({"CIVIS_DEBUG": "1", "CIVIS_API_RATE_ANON": "beaucoup"}, "check")
    assert result.returncode != 0
    assert "CIVIS_API_RATE_ANON must look like 120/m" in result.stderr
