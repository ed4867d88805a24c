"""Parameters from a query string or a URL, parsed once and strictly, for the HTML pages and
the JSON API alike. A bad value raises ``BadParameter`` (the field and a French message): the
API answers it with a 400 ``{"error": …, "field": …}``, a page with a 400 showing the message.

Why not ``str.isdigit()`` and ``int()``: ``"²".isdigit()`` is true but ``int("²")`` raises;
``int()`` accepts ``" 1"``, ``"+1"``, ``"1_000"`` and other scripts' digits (``"٣"``); an
unbounded value overflows SQLite (``2**63``) and a 5,000-digit one makes ``int()`` itself
raise. Here an integer is ASCII digits only, bounded.
"""

from __future__ import annotations

import datetime
import re

#: The default upper bound: a 32-bit signed integer (every id, page and year fits).
MAX_INT = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,20}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameter(ValueError):
    """A parameter the caller must fix. ``field`` names it as sent, ``message`` is French and
    shown as is. A ValueError, so a pydantic validator may raise it too."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_int(raw: str, *, field: str, low: int = 0, high: int = MAX_INT) -> int:
    """``raw`` as an integer in [low, high]: ASCII digits only (no sign, space, decimal point,
    superscript or other script's digit), or ``BadParameter``."""
    if _ASCII_DIGITS.fullmatch(raw) and low <= (value := int(raw)) <= high:
        return value
    raise BadParameter(field, f"« {field} » doit être un entier entre {low} et {high}.")


def parse_optional_int(
    raw: str | None, *, field: str, low: int = 0, high: int = MAX_INT
) -> int | None:
    """Like ``parse_int``; absent or empty (an empty form field) is ``None``."""
    if raw is None or raw == "":
        return None
    return parse_int(raw, field=field, low=low, high=high)


def parse_date(raw: str, *, field: str) -> datetime.date:
    """``raw`` as a date written AAAA-MM-JJ (only that form), or ``BadParameter``."""
    if _ISO_DATE.fullmatch(raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadParameter(field, f"« {field} » doit être une date AAAA-MM-JJ.")
