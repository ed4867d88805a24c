"""Portal views of the document store. Visibility comes from documents_visible_to only; a
document the requester may not read answers 404, never 403."""

from __future__ import annotations

import datetime
from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from core.http import client_ip
from core.params import BadParameter, parse_optional_int
from documents.http import download_name, file_response
from documents.models import Audience, Document, DocumentType
from documents.selectors import can_edit, documents_visible_to
from documents.services import document_access_record
from identity.models import Authority, User


def visible_document(request: HttpRequest, document_id: int) -> Document:
    return get_object_or_404(
        documents_visible_to(request.user).select_related("owner", "current_version"),
        pk=document_id,
    )


@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = visible_document(request, document_id)
    editor = can_edit(request.user, document)
    document_access_record(
        actor=request.user,
        document=document,
        action=AuditEvent.Action.VIEW,
        ip_address=client_ip(request),
    )
    versions = document.versions.select_related("created_by").order_by("-number") if editor else []
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "version": document.current_version,
            "download_name": (
                download_name(document, document.current_version)
                if document.current_version
                else ""
            ),
            "versions": versions,
            "is_editor": editor,
            "tags": list(document.tags.names()),
        },
    )


@require_GET
def document_download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    document = visible_document(request, document_id)
    version = document.current_version
    if version is None:
        raise Http404
    document_access_record(
        actor=request.user,
        document=document,
        action=AuditEvent.Action.DOWNLOAD,
        ip_address=client_ip(request),
    )
    return file_response(document, version)


@login_required(login_url="login")
@require_GET
def citizen_space(request: HttpRequest) -> HttpResponse:
    """Every document addressed to the signed-in person, by any authority, newest first."""
    return citizen_space_page(request, last_visit=None)


def citizen_space_page(
    request: HttpRequest,
    *,
    last_visit: datetime.datetime | None,
    extra_context: dict[str, object] | None = None,
) -> HttpResponse:
    """The citizen space; with ``last_visit``, what arrived since then is counted and marked
    (the portal's view, civis.portal.views.citizen_space, remembers the visits).
    ``extra_context``: what upper floors add (open data: the person's reports)."""
    person = cast(User, request.user)  # signed in: the callers require it
    documents = (
        documents_visible_to(person)
        .filter(audience=Audience.PERSONAL, addressee=person)
        .select_related("owner", "current_version")
        .order_by("-published_on", "-pk")
    )
    new_ids: set[int] = set()
    if last_visit is not None:
        new_ids = set(
            documents.filter(
                Q(created_at__gt=last_visit)
                | Q(go_live_at__gt=last_visit, go_live_at__lte=timezone.now())
            ).values_list("pk", flat=True)
        )
    senders = Authority.objects.filter(pk__in=documents.values("owner_id")).order_by("name")
    selected_authority = request.GET.get("collectivite", "")
    selected_type = request.GET.get("type", "")
    error = ""
    try:  # integers are parsed strictly (core.params): "²" or a huge id is a 400, not a 500
        authority_id = parse_optional_int(selected_authority, field="collectivite", low=1)
    except BadParameter:
        authority_id, error = None, "Collectivité inconnue."
    if authority_id is not None:
        documents = documents.filter(owner_id=authority_id)
    if selected_type:
        if selected_type in DocumentType.values:
            documents = documents.filter(document_type=selected_type)
        else:
            error = "Type de document inconnu."
    try:
        page_number = parse_optional_int(request.GET.get("page"), field="page", low=1) or 1
    except BadParameter as exc:
        page_number, error = 1, exc.message
    # A page past the last one shows the last one.
    page = Paginator(documents, 20).get_page(page_number)
    return render(
        request,
        "documents/citizen_space.html",
        {
            "page_obj": page,
            "senders": senders,
            "types": DocumentType.choices,
            "selected_authority": selected_authority,
            "selected_type": selected_type,
            "error": error,
            "last_visit": last_visit,
            "new_ids": new_ids,
            **(extra_context or {}),
        },
        status=400 if error else 200,
    )
