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
from search.places import search_places
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
    combine_authority,
    resolve_authority_code,
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
    authority_code: str = Field(
        "",
        description="Code INSEE (commune : 5 caractères, 2A/2B acceptés ; département, région) "
        "ou SIREN (9 chiffres) d'une collectivité, à la place de ``authority`` : elle et "
        "celles qui en dépendent. Inconnu ou ambigu : erreur 400.",
        json_schema_extra={"maxLength": 9},
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
    missing_words: list[str] = Field(
        default_factory=list,
        description="Réponse partielle : les mots cherchés que ce document ne contient pas.",
    )


class PlaceOut(Schema):
    kind: str = Field(json_schema_extra={"enum": ["authority", "procedure", "page"]})
    label: str
    url: str
    description: str = Field(description="Par exemple « Commune · Gironde · 33281 ».")


class FacetOut(Schema):
    value: str
    label: str
    count: int


class SearchResultsOut(PageOut):
    results: list[SearchHitOut]
    facets: dict[str, list[FacetOut]] = Field(
        description="Comptes par collectivité (authority), type, année (year) et format."
    )
    places: list[PlaceOut] = Field(
        description="Collectivités, démarches et pages du portail qui correspondent, à montrer "
        "avant les documents (première page seulement)."
    )
    reason: str | None = Field(
        description="« no_searchable_words » : la recherche ne contient aucun mot cherchable."
    )
    notice: str | None = Field(description="Le message à montrer à la place des résultats.")
    partial: bool = Field(
        description="Aucun document ne contient tous les mots : les résultats en contiennent "
        "une partie (matched_words)."
    )
    matched_words: list[str]
    missing_words: list[str]
    suggestions: list[str] = Field(description="« Vouliez-vous dire » : requêtes corrigées.")


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
        authority_id=combine_authority(
            check_authority(params.authority, "authority"),
            resolve_authority_code(params.authority_code, "authority_code"),
            "authority_code",
        ),
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
            request,
            hit.document,
            snippet=str(hit.snippet),
            score=round(hit.score, 4),
            missing_words=list(hit.missing),
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
        places=[
            PlaceOut(
                kind=p.kind,
                label=p.label,
                url=request.build_absolute_uri(p.url),
                description=p.description,
            )
            for p in (search_places(request.user, query.text) if query.page == 1 else [])
        ],
        reason=page.reason or None,
        notice=page.notice or None,
        partial=page.partial,
        matched_words=list(page.matched_words),
        missing_words=list(page.missing_words),
        suggestions=list(page.suggestions),
    )


# --- suggestions and autocomplete (search.suggest) ------------------------------------------
class SuggestParams(Schema):
    q: Annotated[str, AfterValidator(clean_text)] = Field(
        "",
        description="Le texte saisi : ses mots rares sont corrigés, le dernier est complété.",
        json_schema_extra={"maxLength": MAX_QUERY_LENGTH},
    )


class AutocompleteOut(Schema):
    kind: str = Field(json_schema_extra={"enum": ["word", "authority"]})
    label: str
    value: str = Field(description="Le mot qui remplace le dernier mot saisi, ou le nom.")
    url: str | None = Field(description="La page de la collectivité ; null pour un mot.")
    detail: str = Field(description="Le type de collectivité (« Commune »…), vide pour un mot.")


class SuggestOut(Schema):
    suggestions: list[str] = Field(
        description="« Vouliez-vous dire … ? » : des recherches corrigées qui trouvent des "
        "documents que l'appelant peut lire."
    )
    autocomplete: list[AutocompleteOut]


@router.get(
    "/suggest/",
    response={200: SuggestOut, **error_responses(400)},
    url_name="search_suggest",
    summary="Suggestions et complétion, tirées des documents que l'appelant peut lire",
)
def suggest(request: HttpRequest, params: Query[SuggestParams]) -> SuggestOut:
    """Chaque mot proposé figure dans au moins un document que l'appelant peut lire."""
    from search.suggest import autocomplete, suggest_query

    return SuggestOut(
        suggestions=suggest_query(request.user, params.q),
        autocomplete=[AutocompleteOut(**item) for item in autocomplete(request.user, params.q)],
    )
