"""Tag suggestions in the admin, from the documents the requester may read or edit only.

Wagtail's own ``/admin/tag-autocomplete/`` offers every tag of the site: a tag naming a file
of another authority's restricted draft, or of a citizen's personal document, would be
suggested to any agent. These patterns answer at the same paths and are included before
Wagtail's admin URLs (civis/urls.py), so every tag widget of the admin uses them.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from taggit.models import Tag
from wagtail.admin.auth import require_admin_access

from documents.models import TaggedDocument
from documents.selectors import documents_visible_to

LIMIT = 10  # as Wagtail's


@never_cache
@require_admin_access  # type: ignore[untyped-decorator]  # Wagtail ships no types
@require_GET
def tag_autocomplete(
    request: HttpRequest, app_name: str | None = None, model_name: str | None = None
) -> JsonResponse:
    """Tag names starting with ``term``, used on a document ``request.user`` may read
    (``documents_visible_to`` includes every document they may edit). The per-model variant
    answers the same for every tag model: documents are the only tagged content here."""
    term = request.GET.get("term", "").strip()[:100]
    if not term:
        return JsonResponse([], safe=False)
    used = TaggedDocument.objects.filter(
        content_object__in=documents_visible_to(request.user)
    ).values("tag_id")
    names = (
        Tag.objects.filter(name__istartswith=term, pk__in=used)
        .order_by("name")
        .values_list("name", flat=True)[:LIMIT]
    )
    return JsonResponse(list(names), safe=False)


urlpatterns = [
    path("tag-autocomplete/", tag_autocomplete, name="civis_tag_autocomplete"),
    path(
        "tag-autocomplete/<slug:app_name>/<slug:model_name>/",
        tag_autocomplete,
        name="civis_tag_model_autocomplete",
    ),
]
