"""The search page (/recherche/); the JSON API (/api/v1/search/) is search/api.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.params import BadParameter
from identity.models import Authority
from search.places import search_places
from search.query import SearchQuery, query_from_params
from search.selectors import SearchPage, search_documents

# The page receives "collectivite" from the search box of authority pages.
PAGE_AUTHORITY_PARAMS = ("collectivite", "authority")
PAGE_AUTHORITY_CODE_PARAMS = ("collectivite_code", "authority_code")
FACET_PARAMS = {"authority": "collectivite", "type": "type", "year": "year", "format": "format"}
FACET_TITLES = {
    "authority": "Collectivité",
    "type": "Type de document",
    "year": "Année",
    "format": "Format",
}


def _url(request: HttpRequest, search: SearchQuery | None = None, **changes: str | None) -> str:
    params = request.GET.copy()
    if "authority" in params and "collectivite" not in params:
        params["collectivite"] = params.pop("authority")[0]
    # A code resolves to the same authority: links (facets, pages) carry its id only, so that
    # removing the authority filter removes it.
    for name in PAGE_AUTHORITY_CODE_PARAMS:
        params.pop(name, None)
    if search is not None and search.authority_id and "collectivite" not in params:
        params["collectivite"] = str(search.authority_id)
    params.pop("page", None)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return f"{reverse('search')}?{params.urlencode()}"


def _page_links(request: HttpRequest, page: SearchPage) -> dict[str, str | None]:
    def link(number: int) -> str | None:
        if not 1 <= number <= page.last_page or number == page.query.page:
            return None
        return (
            _url(request, page.query, page=str(number)) if number > 1 else _url(request, page.query)
        )

    return {"previous": link(page.query.page - 1), "next": link(page.query.page + 1)}


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"query": (request.GET.get("q") or "").strip()[:200]}
    try:
        query = query_from_params(
            request.GET,
            authority_names=PAGE_AUTHORITY_PARAMS,
            authority_code_names=PAGE_AUTHORITY_CODE_PARAMS,
        )
    except BadParameter as exc:  # a bad integer too: a 400 with the message, in the page
        context["error"] = exc.message
        return render(request, "search/search.html", context, status=400)
    context["search"] = query
    if query.authority_id:
        context["scope_authority"] = Authority.objects.filter(pk=query.authority_id).first()
    if not (query.text or query.authority_id or query.document_type or query.year or query.kind):
        return render(request, "search/search.html", context)
    page = search_documents(request.user, query)
    context["places"] = (
        search_places(request.user, query.text, request=request) if query.page == 1 else []
    )
    if query.page > page.last_page:
        context["error"] = (
            f"La page {query.page} n'existe pas : les résultats s'arrêtent à la "
            f"page {page.last_page}."
        )
        return render(request, "search/search.html", context, status=400)
    facets = []
    for name, values in page.facets.items():
        param = FACET_PARAMS[name]
        facets.append(
            {
                "name": name,
                "title": FACET_TITLES[name],
                "values": [
                    {
                        "label": v.label,
                        "count": v.count,
                        "selected": v.selected,
                        "url": _url(request, query, **{param: None if v.selected else v.value}),
                    }
                    for v in values
                ],
            }
        )
    context.update(
        {
            "page": page,
            "facets": facets,
            "links": _page_links(request, page),
            "sort_urls": {
                "relevance": _url(request, query, sort=None),
                "date": _url(request, query, sort="date"),
            },
            "suggestions": [
                {"text": text, "url": _url(request, query, q=text)} for text in page.suggestions
            ],
            "clear_filters_url": f"{reverse('search')}?{urlencode({'q': query.text})}",
        }
    )
    return render(request, "search/search.html", context)
