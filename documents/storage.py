"""Where document files live: a private storage, local by default, S3 when configured.

Nothing here hands out a URL: every download goes through the permission-checked views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty

# LazyObject is generic in django-stubs only (subscripted at run time it raises TypeError).
if TYPE_CHECKING:
    _LazyStorage = LazyObject[Storage]
else:
    _LazyStorage = LazyObject


class _DocumentStorage(_LazyStorage):
    """``STORAGES["documents"]``, resolved on first use and again when the setting changes
    (a FileField keeps the storage object it was given at import time)."""

    _wrapped: object  # the Storage, or ``empty`` until resolved

    def _setup(self) -> None:
        self._wrapped = storages["documents"]


_storage = _DocumentStorage()


def document_storage() -> Storage:
    # A callable, so migrations record a reference rather than a configured backend.
    # The proxy forwards every attribute to the storage it wraps.
    return cast(Storage, _storage)


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _storage._wrapped = empty


setting_changed.connect(_reset)
