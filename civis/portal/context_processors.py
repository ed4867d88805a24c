from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _declaration(request: HttpRequest) -> Any:
    from civis.portal.models import AccessibilityDeclaration

    return AccessibilityDeclaration.load(request_or_site=request)


def portal(request: HttpRequest) -> dict[str, Any]:
    # Lazy: read (one query) only by the templates that show it — the footer of every page.
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "accessibility": SimpleLazyObject(lambda: _declaration(request)),
    }
