"""Plain views of the portal: the health check and the error pages (search lives in the search
app)."""

from __future__ import annotations

import logging
from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from civis.portal.models import AccessibilityDeclaration
from civis.portal.selectors import commune_search
from civis.portal.services import citizen_space_visit_record
from documents.views import citizen_space_page
from identity.models import User
from opendata.selectors import reports_filed_by
from procedures.views import my_request_rows

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


# --- Accessibility declaration and plan (RGAA 4.1), the commune finder, the citizen space --------


@require_GET
def accessibility_declaration(request: HttpRequest) -> HttpResponse:
    declaration = AccessibilityDeclaration.load(request_or_site=request)
    return render(
        request,
        "portal/accessibility_declaration.html",
        {"declaration": declaration, "lines": AccessibilityDeclaration.lines},
    )


@require_GET
def accessibility_plan(request: HttpRequest) -> HttpResponse:
    declaration = AccessibilityDeclaration.load(request_or_site=request)
    return render(request, "portal/accessibility_plan.html", {"declaration": declaration})


@require_GET
def commune_finder(request: HttpRequest) -> HttpResponse:
    """ "Trouver ma collectivité" without JavaScript: the form's results, or straight to the
    commune's page when exactly one matches."""
    query = request.GET.get("q", "").strip()[:100]
    matches = commune_search(query, request=request) if query else []
    if len(matches) == 1 and request.GET.get("aller") == "1":
        return redirect(matches[0].url)
    error = ""
    if "q" in request.GET and not query:
        error = _("Saisissez le nom ou le code postal d'une commune.")
    return render(
        request,
        "portal/commune_finder.html",
        {
            "query": query,
            "matches": matches,
            "error_summary": [("commune-recherche", _("Commune"), error)] if error else [],
        },
        status=400 if error else 200,
    )


@login_required(login_url="login")
@require_GET
def citizen_space(request: HttpRequest) -> HttpResponse:
    """/mon-espace/: the documents view, told when the person last came."""
    person = cast(User, request.user)
    last_visit = citizen_space_visit_record(actor=person)
    my_reports = list(reports_filed_by(person)[:50])
    my_requests = my_request_rows(person, limit=20)
    return citizen_space_page(
        request,
        last_visit=last_visit,
        extra_context={"my_reports": my_reports, "my_requests": my_requests},
    )
