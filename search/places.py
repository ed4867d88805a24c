"""Places and pages found by a search, listed above the documents: authorities (by name, INSEE
code, SIREN or postcode), online procedures and portal pages.

Search sits below the portal and the procedures (import-linter's layers), so it names neither:

* an authority's page is any live, public Wagtail page whose model has a one-to-one field to
  ``Authority`` (the portal's ``AuthorityPage`` today), found through the model's relations;
* higher floors add their own results with ``register_place_source`` at app ready (procedures
  register their published procedures); a source gets the requester and the text typed, and
  must answer only what that requester may see.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from identity.models import Authority, User
from search.french import STOP_WORDS, fold
from search.selectors import search_pages

logger = logging.getLogger(__name__)

Actor = User | AnonymousUser | None
PlaceKind = Literal["authority", "procedure", "page"]

INSEE_CODE = re.compile(r"(?:[0-9]{2}|2[ab])[0-9]{3}")  # folded: "2A004" -> "2a004"
SIREN = re.compile(r"[0-9]{9}")
POSTCODE = re.compile(r"[0-9]{5}")
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
MAX_WORDS = 32


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    label: str
    url: str
    description: str = ""
    # Lower is better: 0 an exact name or code, 1 the whole name in the text, 2 every word of
    # the text in the name, 3 anything else a source found (procedures, pages).
    rank: int = 3


PlaceSource = Callable[[Actor, str, int], Iterable[Place]]
_SOURCES: list[PlaceSource] = []


def register_place_source(source: PlaceSource) -> PlaceSource:
    """Add ``source(user, text, limit) -> places`` to every search (once, however often it is
    registered: app ready may run twice in tests). Usable as a decorator."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def place_sources() -> list[PlaceSource]:
    return list(_SOURCES)


def name_words(text: str) -> list[str]:
    """Folded words of a name or a query: accents, case, hyphens and apostrophes ignored,
    "St"/"Ste" read as "Saint"/"Sainte"."""
    plain = "".join(c if c.isalnum() else " " for c in fold(text))
    return [ABBREVIATIONS.get(w, w) for w in plain.split()][:MAX_WORDS]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _name_rank(name: list[str], typed: list[str], meaningful: set[str]) -> int | None:
    if not name:
        return None
    if name == typed:
        return 0
    if _contains(typed, name):
        return 1
    if meaningful and meaningful <= set(name):
        return 2
    return None


def _authority_pages(authorities: list[Authority], request: HttpRequest | None) -> dict[int, str]:
    """The url of each authority's live, public page, through every Wagtail page model with a
    one-to-one field to Authority."""
    from wagtail.models import Page

    ids = [a.pk for a in authorities]
    urls: dict[int, str] = {}
    if not ids:
        return urls
    for relation in Authority._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_one or isinstance(model, str) or not issubclass(model, Page):
            continue
        field_name = relation.field.attname
        pages: Any = model._default_manager  # Wagtail's PageManager (untyped)
        for page in pages.live().public().filter(**{f"{field_name}__in": ids}):
            url = page.get_url(request)
            if url:
                urls.setdefault(getattr(page, field_name), url)
    return urls


def _departement_code(authority: Authority) -> str:
    """A commune's département, from its INSEE code ("33281" -> "33", "97411" -> "974")."""
    code = authority.insee_code
    if authority.kind != Authority.Kind.COMMUNE or len(code) != 5:
        return ""
    return code[:3] if code.startswith("97") else code[:2]


def _describe(authorities: list[Authority]) -> dict[int, str]:
    """« Commune · Gironde · 33281 »: the kind, the département (a commune's, from its code;
    else the parent), the code."""
    departements = dict(
        Authority.objects.filter(
            kind=Authority.Kind.DEPARTEMENT,
            insee_code__in={c for a in authorities if (c := _departement_code(a))},
        ).values_list("insee_code", "name")
    )
    out = {}
    for a in authorities:
        area = departements.get(_departement_code(a)) or (a.parent.name if a.parent else "")
        parts = [str(a.get_kind_display()), area, a.code]
        out[a.pk] = " · ".join(p for p in parts if p)
    return out


def search_authorities(
    text: str, limit: int = 5, *, request: HttpRequest | None = None
) -> list[Place]:
    """Authorities named by the text (the whole name, or every word typed), or by an INSEE
    code, a SIREN or a postcode written in it; exact names and codes first."""
    typed = name_words(text)
    if not typed:
        return []
    meaningful = {w for w in typed if w not in STOP_WORDS and not w.isdigit()}
    ranks: dict[int, int] = {}
    # Every authority's name, folded in Python (accents and abbreviations): a territory holds
    # a few thousand at most, the portal's commune finder does the same.
    for pk, name in Authority.objects.values_list("pk", "name"):
        rank = _name_rank(name_words(name), typed, meaningful)
        if rank is not None:
            ranks[pk] = rank
    codes = Q()
    for word in typed:
        if INSEE_CODE.fullmatch(word):
            codes |= Q(insee_code__iexact=word)
        if SIREN.fullmatch(word):
            codes |= Q(siren=word)
        if POSTCODE.fullmatch(word):
            codes |= (
                Q(contact__postal_code=word)
                | Q(postal_codes=word)
                | Q(postal_codes__startswith=f"{word} ")
                | Q(postal_codes__endswith=f" {word}")
                | Q(postal_codes__contains=f" {word} ")
            )
    if codes:
        exact = len(typed) == 1
        for pk in Authority.objects.filter(codes).values_list("pk", flat=True).distinct():
            ranks[pk] = min(ranks.get(pk, 3), 0 if exact else 1)
    if not ranks:
        return []
    found = list(Authority.objects.filter(pk__in=ranks).select_related("parent"))
    found.sort(key=lambda a: (ranks[a.pk], fold(a.name), a.pk))
    found = found[:limit]
    pages = _authority_pages(found, request)
    descriptions = _describe(found)
    search_url = reverse("search")
    return [
        Place(
            kind="authority",
            label=a.name,
            url=pages.get(a.pk) or f"{search_url}?{urlencode({'collectivite': a.pk})}",
            description=descriptions[a.pk],
            rank=ranks[a.pk],
        )
        for a in found
    ]


def search_portal_pages(
    text: str, limit: int = 5, *, request: HttpRequest | None = None
) -> list[Place]:
    places = []
    for page in search_pages(text, limit=limit):
        url = page.get_url(request)
        if url:
            places.append(
                Place(
                    kind="page",
                    label=page.title,
                    url=url,
                    description=getattr(page, "search_description", "") or "",
                )
            )
    return places


def search_places(
    user: Actor, text: str, limit: int = 5, *, request: HttpRequest | None = None
) -> list[Place]:
    """Authorities, then what the registered sources found (procedures…), then portal pages,
    ``limit`` in all, each url once; exact names and codes before the rest. Everything listed is
    public (authorities are public records; pages live and public) or checked by its source
    against ``user``."""
    if not name_words(text):
        return []
    places = search_authorities(text, limit, request=request)
    for source in place_sources():
        try:
            places.extend(source(user, text, limit))
        except Exception:  # a higher floor's fault must not fail the document search
            logger.exception("Place source %r failed", source)
    places.extend(search_portal_pages(text, limit, request=request))
    seen: set[str] = set()
    unique = []
    for place in places:
        if place.url not in seen:
            seen.add(place.url)
            unique.append(place)
    order = {"authority": 0, "procedure": 1, "page": 2}
    unique.sort(key=lambda p: (p.rank, order[p.kind]))  # stable: each source's order is kept
    return unique[:limit]
