"""A search request, validated once for the page and the API, and its answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from documents.models import DocumentType
from documents.validation import MIME_TYPES
from identity.models import Authority
from search.french import ParsedQuery, parse_query

MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
SORTS = ("relevance", "date")
FORMATS = tuple(MIME_TYPES)


class BadQuery(ValueError):
    """A request the user must fix; the message is French and shown as is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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

    @property
    def parsed(self) -> ParsedQuery:
        return parse_query(self.text)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass
class SearchResult:
    total: int
    hits: list[tuple[int, float]]                       # (document id, score), in order
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    backend: str = ""


def _int(params: QueryDict, name: str, default: int, low: int, high: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadQuery(name, f"« {name} » doit être un entier entre {low} et {high}.")
    return int(raw)


def query_from_params(params: QueryDict, *, authority_names: tuple[str, ...] = ("authority",),
                      ) -> SearchQuery:
    """Validate GET parameters; unknown values are errors, never silently ignored (a typo must
    not look like "no documents")."""
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery("q", _("Votre recherche est trop longue (%(max)d caractères au plus).")
                       % {"max": MAX_QUERY_LENGTH})
    authority_id = None
    for name in authority_names:
        raw = (params.get(name) or "").strip()
        if raw:
            if not raw.isdigit() or not Authority.objects.filter(pk=int(raw)).exists():
                raise BadQuery(name, f"Collectivité inconnue : « {raw[:40]} ».")
            authority_id = int(raw)
            break
    document_type = (params.get("type") or "").strip()
    if document_type and document_type not in DocumentType.values:
        raise BadQuery("type", "Type de document inconnu. Valeurs possibles : "
                       + ", ".join(DocumentType.values) + ".")
    year = _int(params, "year", 0, 1900, 2100) or None
    kind = (params.get("format") or "").strip().lower()
    if kind and kind not in FORMATS:
        raise BadQuery("format", "Format inconnu. Valeurs possibles : "
                       + ", ".join(FORMATS) + ".")
    sort = (params.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise BadQuery("sort", "Tri inconnu : « relevance » (pertinence) ou « date ».")
    return SearchQuery(text=text, authority_id=authority_id, document_type=document_type,
                       year=year, kind=kind, sort=sort,
                       page=_int(params, "page", 1, 1, 10_000),
                       page_size=_int(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE))
