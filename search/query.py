"""A search request, validated once for the page and the API, and its answer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from core.params import MAX_INT, BadParameter, parse_optional_int
from documents.models import DocumentType
from documents.validation import MIME_TYPES
from identity.models import Authority
from search.french import ParsedQuery, parse_query

MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 10_000
MIN_YEAR, MAX_YEAR = 1900, 2100
SORTS = ("relevance", "date")
FORMATS = tuple(MIME_TYPES)


class BadQuery(BadParameter):
    """A request the user must fix; the message is French and shown as is."""


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    authority_id: int | None = None  # includes every authority below it
    document_type: str = ""
    year: int | None = None
    kind: str = ""
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    # Documents containing any of the words, not all (search.selectors' honest partial
    # answer, asked only when no document contains them all).
    match_any: bool = False

    @property
    def parsed(self) -> ParsedQuery:
        return parse_query(self.text)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass
class SearchResult:
    total: int
    hits: list[tuple[int, float]]  # (document id, score), in order
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    backend: str = ""


def clean_text(raw: str) -> str:
    text = raw.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(
            "q",
            _("Votre recherche est trop longue (%(max)d caractères au plus).")
            % {"max": MAX_QUERY_LENGTH},
        )
    return text


def clean_document_type(raw: str) -> str:
    document_type = raw.strip()
    if document_type and document_type not in DocumentType.values:
        raise BadQuery(
            "type",
            "Type de document inconnu. Valeurs possibles : " + ", ".join(DocumentType.values) + ".",
        )
    return document_type


def clean_format(raw: str) -> str:
    kind = raw.strip().lower()
    if kind and kind not in FORMATS:
        raise BadQuery("format", "Format inconnu. Valeurs possibles : " + ", ".join(FORMATS) + ".")
    return kind


def clean_sort(raw: str) -> str:
    sort = raw.strip() or "relevance"
    if sort not in SORTS:
        raise BadQuery("sort", "Tri inconnu : « relevance » (pertinence) ou « date ».")
    return sort


def check_authority(authority_id: int | None, field: str) -> int | None:
    """An unknown authority is an error, not an empty result (a typo must not look like "no
    documents")."""
    if authority_id is not None and not Authority.objects.filter(pk=authority_id).exists():
        raise BadQuery(field, f"Collectivité inconnue : « {authority_id} ».")
    return authority_id


# An INSEE code: a région's or a département's (2 or 3 characters, "2A"/"2B" for Corsica) or
# a commune's (5); a SIREN: 9 digits (an EPCI has no INSEE code).
AUTHORITY_CODE = re.compile(r"(?:[0-9]{2}|2[AB])(?:[0-9]{1,3})?|[0-9]{9}")


def resolve_authority_code(raw: str | None, field: str) -> int | None:
    """The authority with this INSEE code or SIREN (``authority_code=33281``); unknown or
    ambiguous (a région and a département may share a code: "75") is an error listing the
    candidates, never a silent empty answer."""
    code = (raw or "").strip().upper()
    if not code:
        return None
    if not AUTHORITY_CODE.fullmatch(code):
        raise BadQuery(
            field,
            f"Code de collectivité invalide : « {code[:20]} » (code INSEE ou SIREN à 9 chiffres).",
        )
    lookup = Q(siren=code) if len(code) == 9 else Q(insee_code=code)
    candidates = list(Authority.objects.filter(lookup).order_by("kind", "name")[:10])
    if not candidates:
        raise BadQuery(field, f"Collectivité inconnue : code « {code} ».")
    if len(candidates) > 1:
        listed = ", ".join(
            f"{a.name} ({a.get_kind_display()}, authority={a.pk})" for a in candidates
        )
        raise BadQuery(
            field, f"Le code « {code} » désigne plusieurs collectivités : {listed}. Précisez-la."
        )
    return candidates[0].pk


def combine_authority(authority_id: int | None, code_id: int | None, field: str) -> int | None:
    """``authority`` and ``authority_code`` together must name the same authority."""
    if authority_id is not None and code_id is not None and authority_id != code_id:
        raise BadQuery(field, "Le code de collectivité ne désigne pas la collectivité demandée.")
    return authority_id if authority_id is not None else code_id


def _int(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    return parse_optional_int(params.get(name), field=name, low=low, high=high)


def query_from_params(
    params: Mapping[str, str],
    *,
    authority_names: tuple[str, ...] = ("authority",),
    authority_code_names: tuple[str, ...] = ("authority_code",),
) -> SearchQuery:
    """Validate the search page's GET parameters (the API validates the same ones through
    search.api.SearchParams, with the same functions); unknown values are errors, never
    silently ignored. Integers are parsed strictly by core.params (a bad one is a 400)."""
    text = clean_text(params.get("q") or "")
    authority_id = None
    for name in authority_names:
        if (authority_id := check_authority(_int(params, name, 1, MAX_INT), name)) is not None:
            break
    for name in authority_code_names:
        if (code_id := resolve_authority_code(params.get(name), name)) is not None:
            authority_id = combine_authority(authority_id, code_id, name)
            break
    document_type = clean_document_type(params.get("type") or "")
    year = _int(params, "year", MIN_YEAR, MAX_YEAR)
    kind = clean_format(params.get("format") or "")
    sort = clean_sort(params.get("sort") or "")
    return SearchQuery(
        text=text,
        authority_id=authority_id,
        document_type=document_type,
        year=year,
        kind=kind,
        sort=sort,
        page=_int(params, "page", 1, MAX_PAGE) or 1,
        page_size=_int(params, "page_size", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE,
    )
