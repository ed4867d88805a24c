"""Plain views of the portal: health check and the page search."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.models import Page

logger = logging.getLogger(__name__)
MAX_QUERY_LENGTH = 200


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    error = ""
    results = []
    status = 200
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Votre recherche est trop longue (%(max)d caractères au plus).") % {
            "max": MAX_QUERY_LENGTH}
        status = 400
    elif query:
        results = list(Page.objects.live().public().specific().search(query)[:50])
    return render(request, "portal/search.html",
                  {"query": query, "results": results, "error": error}, status=status)
