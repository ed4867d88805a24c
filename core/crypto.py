"""Secrets kept in the database, encrypted with the keys of ``CIVIS_FIELD_ENCRYPTION_KEY``.

Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``) under a MultiFernet: the first key
encrypts, every key of the list decrypts, so a key is rotated by putting the new one first,
re-encrypting (``manage.py civis_rotate_field_key``), then dropping the old one. The settings
check the keys when the process starts (required when debug is off).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(ValueError):
    """A value none of the configured keys opens (a key missing from the list)."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def field_fernet() -> MultiFernet:
    return _fernet(tuple(settings.CIVIS_FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return field_fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return field_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "An encrypted value cannot be read with the keys of CIVIS_FIELD_ENCRYPTION_KEY: "
            "the key it was encrypted with is missing from the list."
        ) from None


def rotate(token: str) -> str:
    """The same secret, encrypted again with the first key."""
    try:
        return field_fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "An encrypted value cannot be read with the keys of CIVIS_FIELD_ENCRYPTION_KEY."
        ) from None


class EncryptedTextField(models.TextField[str, str]):
    """Text stored encrypted (a Fernet token), read back in clear by the ORM.

    Encryption is randomised, so the column cannot be searched: only ``isnull`` lookups are
    offered. An empty string stays empty (nothing to hide, and "not set" stays visible).
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None
