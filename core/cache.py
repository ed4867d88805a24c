"""The shared cache's Redis backend: Django's, keeping its redis-py client.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every operation
(over the same connection pool); building one fills its table of about 170 reply callbacks,
which measured here cost as much as the round trip itself on every read of a kept page
(core/pagecache.py). The client is kept per pool instead: redis-py's clients are safe to
share, the pool hands out the connections, and Django keeps one cache object per thread.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers, untyped in django-stubs.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
