"""Reads of the portal: the communes a citizen can find by name, INSEE code or postcode."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest

from identity.models import Authority

MAX_SUGGESTIONS = 10


@dataclass(frozen=True)
class CommuneMatch:
    name: str
    insee_code: str
    postal_code: str
    url: str


def fold(text: str) -> str:
    """Lower case without accents or punctuation: "Saint-Médard" and "saint medard" meet."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def communes_with_pages() -> list[Authority]:
    """Every commune that has a page on the portal, by name (one query)."""
    return list(
        Authority.objects.filter(kind=Authority.Kind.COMMUNE, portal_page__isnull=False)
        .select_related("portal_page", "contact")
        .order_by("name")
    )


def _postal_code(authority: Authority) -> str:
    """The mairie's postcode, else the first of the territory files' (a town may have several)."""
    contact = getattr(authority, "contact", None)
    if contact is not None and contact.postal_code:
        return str(contact.postal_code)
    return authority.postal_codes.split(" ", 1)[0]


def commune_search(
    query: str, *, request: HttpRequest | None = None, limit: int = MAX_SUGGESTIONS
) -> list[CommuneMatch]:
    """Communes whose name starts with (then contains) the words typed, or whose INSEE code or
    mairie postcode starts with the digits typed; names starting with the query first."""
    wanted = fold(query)[:100]
    if not wanted:
        return []
    digits = wanted.replace(" ", "")
    candidates = Authority.objects.filter(
        kind=Authority.Kind.COMMUNE, portal_page__isnull=False
    ).select_related("portal_page", "contact")
    if digits.isdigit():
        candidates = candidates.filter(
            Q(insee_code__startswith=digits)
            | Q(contact__postal_code__startswith=digits)
            | Q(postal_codes__startswith=digits)
            | Q(postal_codes__contains=f" {digits}")
        )
    scored: list[tuple[int, str, Authority]] = []
    for authority in candidates.order_by("name"):
        name = fold(authority.name)
        if digits.isdigit() or name.startswith(wanted):
            rank = 0
        elif any(word.startswith(wanted) for word in name.split()):
            rank = 1
        elif wanted in name:
            rank = 2
        else:
            continue
        scored.append((rank, name, authority))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [
        CommuneMatch(
            name=a.name,
            insee_code=a.insee_code,
            postal_code=_postal_code(a),
            url=a.portal_page.get_url(request) or "",
        )
        for _, _, a in scored[:limit]
    ]
