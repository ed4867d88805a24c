"""The search page (/recherche/) and the JSON API (/api/v1/search/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from identity.models import Authority
from search.query import BadQuery, SearchQuery, query_from_params
from search.selectors import SearchPage, search_documents, search_pages

# The page receives "collectivite" from the search box of authority pages.
PAGE_AUTHORITY_PARAMS = ("collectivite", "authority")
FACET_PARAMS = {"authority": "collectivite", "type": "type", "year": "year", "format": "format"}
FACET_TITLES = {"authority": "Collectivité", "type": "Type de document", "year": "Année",
                "format": "Format"}


def _url(request: HttpRequest, **changes: str | None) -> str:
    params = request.GET.copy()
    if "authority" in params and "collectivite" not in params:
        params["collectivite"] = params.pop("authority")[0]
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
        return _url(request, page=str(number)) if number > 1 else _url(request)

    return {"previous": link(page.query.page - 1), "next": link(page.query.page + 1)}


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"query": (request.GET.get("q") or "").strip()[:200]}
    try:
        query = query_from_params(request.GET, authority_names=PAGE_AUTHORITY_PARAMS)
    except BadQuery as exc:
        context["error"] = exc.message
        return render(request, "search/search.html", context, status=400)
    context["search"] = query
    if query.authority_id:
        context["scope_authority"] = Authority.objects.filter(pk=query.authority_id).first()
    if not (query.text or query.authority_id or query.document_type or query.year
            or query.kind):
        return render(request, "search/search.html", context)
    page = search_documents(request.user, query)
    if query.page > page.last_page:
        context["error"] = (f"La page {query.page} n'existe pas : les résultats s'arrêtent à la "
                            f"page {page.last_page}.")
        return render(request, "search/search.html", context, status=400)
    facets = []
    for name, values in page.facets.items():
        param = FACET_PARAMS[name]
        facets.append({
            "name": name, "title": FACET_TITLES[name],
            "values": [{"label": v.label, "count": v.count, "selected": v.selected,
                        "url": _url(request, **{param: None if v.selected else v.value})}
                       for v in values],
        })
    context.update({
        "page": page, "facets": facets, "links": _page_links(request, page),
        "sort_urls": {"relevance": _url(request, sort=None), "date": _url(request, sort="date")},
        "pages": search_pages(query.text) if query.page == 1 else [],
        "clear_filters_url": f"{reverse('search')}?{urlencode({'q': query.text})}",
    })
    return render(request, "search/search.html", context)


def _error(message: str, field: str) -> JsonResponse:
    return JsonResponse({"error": message, "field": field}, status=400,
                        json_dumps_params={"ensure_ascii": False})


def _hit_json(request: HttpRequest, hit) -> dict[str, Any]:
    document = hit.document
    version = document.current_version
    return {
        "id": document.pk, "title": document.title, "type": document.document_type,
        "type_label": str(document.get_document_type_display()),
        "authority": {"id": document.owner.pk, "name": document.owner.name},
        "published_on": document.published_on.isoformat() if document.published_on else None,
        "format": version.kind if version else None,
        "snippet": str(hit.snippet), "score": round(hit.score, 4),
        "url": request.build_absolute_uri(reverse("document_detail", args=[document.pk])),
    }


@require_GET
def search_api(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/search/?q=&authority=&type=&year=&format=&sort=&page=&page_size="""
    try:
        query: SearchQuery = query_from_params(request.GET)
    except BadQuery as exc:
        return _error(exc.message, exc.field)
    page = search_documents(request.user, query)
    if query.page > page.last_page:
        return _error(f"La page {query.page} n'existe pas (dernière page : {page.last_page}).",
                      "page")

    def link(number: int) -> str | None:
        if not 1 <= number <= page.last_page or number == query.page:
            return None
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return JsonResponse({
        "count": page.total, "page": query.page, "page_size": query.page_size,
        "next": link(query.page + 1), "previous": link(query.page - 1),
        "results": [_hit_json(request, hit) for hit in page.hits],
        "facets": {name: [{"value": v.value, "label": v.label, "count": v.count}
                          for v in values] for name, values in page.facets.items()},
    }, json_dumps_params={"ensure_ascii": False})
