"""A copy of the whole test database (and the media files) taken once, put back in a second.

The browser tests need the demo committed (the live server reads it from another thread), so
each one used to load it again after the previous test's flush: about 15 s per test, most of
the suite's time, twice in CI. The first test of a process loads the demo and takes a snapshot;
the next ones restore it. SQLite copies the database with its online backup API (the FTS5
index included); PostgreSQL copies every table with COPY, in one transaction (Django's foreign
keys are deferred, so the order does not matter). The restored rows are the very rows the demo
wrote, with the same ids, so nothing cached in the process (principals, querysets) goes stale.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

# Never copied: Django's record of applied migrations (the flush keeps it too).
_KEPT = {"django_migrations"}


class DatabaseSnapshot:
    def __init__(self) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._tables: list[tuple[str, str, bytes]] = []
        self._media: Path | None = None
        self.taken = False

    def take(self) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            self._sqlite = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(self._sqlite)
        else:
            self._tables = self._copy_out()
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            self._media = Path(tempfile.mkdtemp(prefix="civis-snapshot-media-"))
            shutil.copytree(media, self._media, dirs_exist_ok=True)
        self.taken = True

    def restore(self) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            assert self._sqlite is not None
            self._sqlite.backup(connection.connection)
        else:
            self._copy_in()
        # The rows came back with the ids they had: forget those a flush recreated since.
        ContentType.objects.clear_cache()
        if self._media is not None:
            media = Path(settings.MEDIA_ROOT)
            shutil.rmtree(media, ignore_errors=True)
            shutil.copytree(self._media, media, dirs_exist_ok=True)

    def _tables_and_columns(self) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, string_agg(quote_ident(column_name), ', ' "
                "ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_generated = 'NEVER' "
                "AND table_name IN (SELECT tablename FROM pg_tables "
                "WHERE schemaname = current_schema()) GROUP BY table_name ORDER BY table_name"
            )
            return [(name, columns) for name, columns in cursor.fetchall() if name not in _KEPT]

    def _copy_out(self) -> list[tuple[str, str, bytes]]:
        copied = []
        with connection.cursor() as cursor:
            for table, columns in self._tables_and_columns():
                sql = f'COPY "{table}" ({columns}) TO STDOUT (FORMAT BINARY)'
                with cursor.cursor.copy(sql) as copy:
                    copied.append((table, columns, b"".join(bytes(chunk) for chunk in copy)))
        return copied

    def _copy_in(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            names = ", ".join(f'"{table}"' for table, _, _ in self._tables)
            cursor.execute(f"TRUNCATE {names} CASCADE")
            for table, columns, data in self._tables:
                with cursor.cursor.copy(
                    f'COPY "{table}" ({columns}) FROM STDIN (FORMAT BINARY)'
                ) as copy:
                    copy.write(data)
