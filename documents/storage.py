"""Where document files live: a private storage, local by default, S3 when configured.

Nothing here hands out a URL: every download goes through ``documents.views`` and its
permission check.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    # A callable, so tests and settings can swap the backend without a migration.
    return storages["documents"]
