"""Plain views of the portal: the health check and the error pages (search lives in the search
app)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


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


# --- Error pages (handler400/403/404/500 in civis/urls.py) -------------------------------------
# The portal's layout, in the visitor's language, with a way on; never the exception's text.
# "Not allowed" and "does not exist" are one 404: its body depends on the URL asked for and
# the visitor, never on whether something exists there.

ERROR_FALLBACK = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
    "<title>Erreur</title></head><body><h1>Le service rencontre un problème</h1>"
    '<p>Réessayez dans quelques instants. <a href="/">Accueil</a></p>'
    "</body></html>"
)


def _error_page(request: HttpRequest | None, template: str, status: int) -> HttpResponse:
    context = {"site_name": settings.WAGTAIL_SITE_NAME, "error_status": status}
    try:
        if request is None:
            # No context processor: nothing here may need the database or the session.
            html = loader.get_template(template).render(context)
        else:
            html = loader.render_to_string(template, context, request=request)
    except Exception:  # the error page itself must never fail
        logger.exception("Rendering %s failed", template)
        html = ERROR_FALLBACK
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "403.html", 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(request, "403_csrf.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Static-safe: rendered without the request (the database may be what failed).
    return _error_page(None, "500.html", 500)
