"""JSON search API (a router of civis/api.py): GET /api/v1/search/.

The same request as the search page (search.query validates both, with the same messages),
trimmed the same way (search.selectors.search_documents). Hits are documents as
documents.api.DocumentOut describes them, plus ``snippet`` and ``score``.
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
from typing import Annotated

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator

from core.api import CivisPagination, IntParam, PageOut, PageParams, error_responses
from documents.api import DocumentOut
from documents.models import DocumentType
from search.query import (
    FORMATS,
    MAX_PAGE,
    MAX_QUERY_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    SORTS,
    SearchQuery,
    check_authority,
    clean_document_type,
    clean_format,
    clean_sort,
    clean_text,
)
from search.selectors import search_documents

router = Router(tags=["Recherche"])


class SearchParams(PageParams):
    q: Annotated[str, AfterValidator(clean_text)] = Field(
        "",
        description='Les mots cherchés (syntaxe : "expression exacte", -exclu, OR).',
        json_schema_extra={"maxLength": MAX_QUERY_LENGTH},
    )
    authority: Annotated[int | None, IntParam(1)] = Field(
        None, description="Identifiant d'une collectivité : elle et celles qui en dépendent."
    )
    type: Annotated[str, AfterValidator(clean_document_type)] = Field(
        "", json_schema_extra={"enum": ["", *DocumentType.values]}
    )
    year: Annotated[int | None, IntParam(MIN_YEAR, MAX_YEAR)] = Field(
        None, description="Année de publication."
    )
    format: Annotated[str, AfterValidator(clean_format)] = Field(
        "", json_schema_extra={"enum": ["", *FORMATS]}
    )
    sort: Annotated[str, AfterValidator(clean_sort)] = Field(
        "relevance", json_schema_extra={"enum": list(SORTS)}
    )
    page: Annotated[int, IntParam(1, MAX_PAGE)] = Field(
        1, description="Numéro de la page, à partir de 1."
    )


class SearchHitOut(DocumentOut):
    snippet: str = Field(
        description="Extrait, mots trouvés entre <mark> et </mark> ; le reste "
        "est échappé (HTML sûr)."
    )
    score: float


class FacetOut(Schema):
    value: str
    label: str
    count: int


class SearchResultsOut(PageOut):
    results: list[SearchHitOut]
    facets: dict[str, list[FacetOut]] = Field(
        description="Comptes par collectivité (authority), type, année (year) et format."
    )


@router.get(
    "/",
    response={200: SearchResultsOut, **error_responses(400)},
    url_name="search",
    summary="Chercher dans les documents que l'appelant peut lire",
)
def search(request: HttpRequest, params: Query[SearchParams]) -> SearchResultsOut:
    """Le total, les résultats et les facettes ne comptent que ce que l'appelant peut lire."""
    query = SearchQuery(
        text=params.q,
        authority_id=check_authority(params.authority, "authority"),
        document_type=params.type,
        year=params.year,
        kind=params.format,
        sort=params.sort,
        page=params.page,
        page_size=params.page_size,
    )
    page = search_documents(request.user, query)
    CivisPagination.check_page(query.page, query.page_size, page.total)
    prefetch_related_objects([hit.document for hit in page.hits], "tags")
    hits = [
        SearchHitOut.from_document(
            request, hit.document, snippet=str(hit.snippet), score=round(hit.score, 4)
        )
        for hit in page.hits
    ]
    return SearchResultsOut(
        **CivisPagination.envelope(
            request, page=query.page, page_size=query.page_size, total=page.total, results=hits
        ),
        facets={
            name: [FacetOut(value=v.value, label=v.label, count=v.count) for v in values]
            for name, values in page.facets.items()
        },
    )
