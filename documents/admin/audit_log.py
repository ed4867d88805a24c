"""The audit log in the admin, for administrators of the authorities it concerns."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEvent
from identity.selectors import principals_of, subtree_ids


def audit_log_view(request: HttpRequest) -> HttpResponse:
    """The audit log of the authorities the requester administers (and those below)."""
    principals = principals_of(request.user)
    if principals.superuser:
        events = AuditEvent.objects.all()
    elif principals.admin_of:
        events = AuditEvent.objects.filter(authority_id__in=subtree_ids(principals.admin_of))
    else:
        raise PermissionDenied
    events = events.select_related("actor", "document", "authority").order_by("-at")
    page = Paginator(events, 50).get_page(request.GET.get("p"))
    return render(request, "documents/admin/audit_log.html", {"page_obj": page})

