"""The shared cache (CIVIS_CACHE_URL): Redis when set, the database table otherwise; what one
process writes, another reads."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

from core.cache import RedisCache

REDIS_URL = os.environ.get("CIVIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _caches_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "CIVIS_CACHE_URL"}
    environment.update(env)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "civis.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_without_a_cache_url_the_cache_is_the_database_table():
    result = _caches_with({})
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert default["LOCATION"] == "civis_cache"


def test_a_redis_url_selects_djangos_redis_cache_keeping_its_client():
    result = _caches_with({"CIVIS_CACHE_URL": "redis://127.0.0.1:6379/2"})
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "core.cache.RedisCache"
    assert default["LOCATION"] == "redis://127.0.0.1:6379/2"


def test_a_cache_url_of_another_kind_is_refused_clearly():
    result = _caches_with({"CIVIS_CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0
    assert "CIVIS_CACHE_URL must be a redis://" in result.stderr


@pytest.mark.django_db
def test_migrations_create_the_cache_table_and_two_connections_share_it():
    assert "civis_cache" in connection.introspection.table_names()
    key = f"shared-{uuid.uuid4().hex}"
    caches["default"].set(key, {"jti": "abc"}, 60)
    other = DatabaseCache("civis_cache", {"KEY_PREFIX": "civis"})
    assert other.get(key) == {"jti": "abc"}


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_redis_cache_set_in_one_connection_is_read_in_another():
    params = {"KEY_PREFIX": "civis-tests", "TIMEOUT": 60}
    writer, reader = RedisCache(REDIS_URL, params), RedisCache(REDIS_URL, params)
    key = f"shared-{uuid.uuid4().hex}"
    try:
        writer.set(key, {"jti": "abc"}, 60)
        assert reader.get(key) == {"jti": "abc"}
        assert reader.add(key, "again") is False  # what the replay set relies on
        # One redis-py client for every operation (core/cache.py), over Django's pool.
        assert reader._cache.get_client() is reader._cache.get_client()
    finally:
        writer.delete(key)
        writer.close()
        reader.close()
