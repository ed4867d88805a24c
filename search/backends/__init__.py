"""Search backends. The database one always exists (it is the fallback); Elasticsearch is
added when CIVIS_ELASTICSEARCH_URL is set. Each answers the same SearchQuery the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from search.backends.base import Backend

if TYPE_CHECKING:
    from search.backends.database import DatabaseBackendBase
    from search.backends.elastic import ElasticsearchBackend


def database_backend() -> DatabaseBackendBase:
    from django.db import connection

    if connection.vendor == "postgresql":
        from search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from search.backends.sqlite import SqliteBackend

    return SqliteBackend()


def elasticsearch_url() -> str:
    return getattr(settings, "CIVIS_ELASTICSEARCH_URL", "") or ""


def elasticsearch_backend() -> ElasticsearchBackend | None:
    if not elasticsearch_url():
        return None
    from search.backends.elastic import ElasticsearchBackend

    return ElasticsearchBackend.from_settings()


def targets() -> dict[str, Backend]:
    """Every backend the outbox feeds, by target name."""
    found: dict[str, Backend] = {"db": database_backend()}
    if (es := elasticsearch_backend()) is not None:
        found["es"] = es
    return found
