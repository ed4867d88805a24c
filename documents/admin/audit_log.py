"""The audit log in the admin, for administrators of the authorities it concerns.

An administrator reads the log of their oversight scope (``identity.selectors.overseen_subtree``)
but not every document in it: a personal document stays between the citizen and the owner's
agents. So a row shows a document's title (and the detail of the change, which may quote it)
only if the viewer may read the document — else "Document n° <id>" — and, for a reading or a
download of a personal document, who read it and from where only to the owner's agents.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEvent
from documents.models import Audience
from documents.selectors import documents_visible_to
from identity.selectors import Principals, overseen_subtree, principals_of

READINGS = frozenset({AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD})


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    document_readable: bool  # title and detail shown
    reader_shown: bool  # actor and IP address shown


def _rows(events: list[AuditEvent], principals: Principals, readable: set[int]) -> list[AuditRow]:
    rows = []
    for event in events:
        document = event.document
        if document is None:
            rows.append(AuditRow(event, document_readable=True, reader_shown=True))
            continue
        private_reading = event.action in READINGS and document.audience == Audience.PERSONAL
        rows.append(
            AuditRow(
                event,
                document_readable=principals.superuser or document.pk in readable,
                reader_shown=(
                    not private_reading
                    or principals.superuser
                    or document.owner_id in principals.agent_of
                ),
            )
        )
    return rows


def audit_log_view(request: HttpRequest) -> HttpResponse:
    """The audit log of the authorities the requester administers (and those below)."""
    principals = principals_of(request.user)
    if principals.superuser:
        events = AuditEvent.objects.all()
    elif principals.admin_of:
        events = AuditEvent.objects.filter(authority_id__in=overseen_subtree(principals))
    else:
        raise PermissionDenied
    events = events.select_related("actor", "document", "authority").order_by("-at")
    page = Paginator(events, 50).get_page(request.GET.get("p"))
    listed = list(page.object_list)
    # One query for the page: which of its documents the viewer may read.
    ids = {event.document_id for event in listed if event.document_id}
    readable = (
        set(documents_visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids and not principals.superuser
        else set()
    )
    return render(
        request,
        "documents/admin/audit_log.html",
        {"page_obj": page, "rows": _rows(listed, principals, readable)},
    )
