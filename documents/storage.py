"""Where document files live: a private storage, local by default, S3 when configured.

Nothing here hands out a URL: every download goes through the permission-checked views.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty


class _DocumentStorage(LazyObject):
    """``STORAGES["documents"]``, resolved on first use and again when the setting changes
    (a FileField keeps the storage object it was given at import time)."""

    def _setup(self) -> None:
        self._wrapped = storages["documents"]


_storage = _DocumentStorage()


def document_storage() -> Storage:
    # A callable, so migrations record a reference rather than a configured backend.
    return _storage  # type: ignore[return-value]


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _storage._wrapped = empty


setting_changed.connect(_reset)
