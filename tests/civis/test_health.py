"""GET /sante/: the web process's health check (database and shared cache), for load
balancers; no session, no cookie, never cached, never redirected to HTTPS."""

from __future__ import annotations

import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_sante_answers_200_with_each_check(client):
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
def test_sante_sets_no_cookie_and_is_never_cached(client):
    response = client.get("/sante/")
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response["Cache-Control"]
    # Nothing about the visitor was read: the answer does not vary with the session.
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_sante_is_cheap(client):
    client.get("/sante/")  # the first request of a process may load per-site data
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/sante/")
    assert response.status_code == 200
    # SELECT 1, then the database cache's write and read (none at all with Redis); the
    # savepoints are the test's transaction.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 5, statements


@pytest.mark.django_db
def test_sante_answers_503_naming_the_cache_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/sante/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"] == {"database": "ok", "cache": "error"}
    assert body["errors"] == {"cache": "Le cache partagé ne répond pas."}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_sante_is_answered_anonymously_and_only_to_get_and_head(client):
    assert client.head("/sante/").status_code == 200
    assert client.post("/sante/").status_code == 405


@pytest.mark.django_db
def test_a_probe_over_plain_http_is_not_redirected_to_https(client, settings):
    # A load balancer probes the web process directly, without the proxy's X-Forwarded-Proto.
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/sante/").status_code == 200
    assert client.get("/documents/flux/").status_code == 301
