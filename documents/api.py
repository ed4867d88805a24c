"""JSON API v1 of the document store, permission-trimmed by documents_visible_to.

GET /api/v1/documents/                 filters: authority (id) or authority_code (SIREN or
                                       a commune's INSEE code), type,
                                       published_after, published_before (YYYY-MM-DD),
                                       page, page_size (≤ 100)
GET /api/v1/documents/<id>/
GET /api/v1/documents/<id>/download
Errors are JSON with a French message: 400 for bad parameters, 404 for anything unreadable.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from core.http import client_ip
from documents.http import file_response
from documents.models import Document, DocumentType
from documents.selectors import documents_visible_to
from documents.services import document_access_record
from identity.models import Authority

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class BadRequest(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def error(status: int, message: str, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _date(request: HttpRequest, name: str) -> datetime.date | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(name, f"« {name} » doit être une date AAAA-MM-JJ.") from exc


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(name, f"« {name} » doit être un entier entre {low} et {high}.")
    return int(raw)


def _authority(request: HttpRequest) -> Authority | None:
    """``authority`` (our id) or ``authority_code`` (SIREN, or INSEE code of a commune).

    An unknown value is a 400, not an empty list: a typo must not look like "no documents".
    """
    if raw := request.GET.get("authority"):
        found = list(Authority.objects.filter(pk=int(raw))) if raw.isdigit() else []
        field = "authority"
    elif raw := request.GET.get("authority_code"):
        found = list(Authority.objects.filter(
            Q(siren=raw) | Q(insee_code=raw, kind=Authority.Kind.COMMUNE))[:2])
        field = "authority_code"
    else:
        return None
    if len(found) != 1:
        raise BadRequest(field, f"Collectivité inconnue : « {raw} ».")
    return found[0]


def filtered_documents(request: HttpRequest) -> QuerySet[Document]:
    documents = documents_visible_to(request.user)
    if (authority := _authority(request)) is not None:
        documents = documents.filter(owner=authority)
    if raw := request.GET.get("type"):
        if raw not in DocumentType.values:
            raise BadRequest("type", "Type inconnu. Valeurs possibles : "
                             + ", ".join(DocumentType.values) + ".")
        documents = documents.filter(document_type=raw)
    after, before = _date(request, "published_after"), _date(request, "published_before")
    if after and before and after > before:
        raise BadRequest("published_after", "La date de début est après la date de fin.")
    if after:
        documents = documents.filter(published_on__gte=after)
    if before:
        documents = documents.filter(published_on__lte=before)
    return documents


def serialize(request: HttpRequest, document: Document) -> dict[str, Any]:
    version = document.current_version
    return {
        "id": document.pk,
        "title": document.title,
        "summary": document.summary,
        "type": document.document_type,
        "type_label": document.get_document_type_display(),
        "authority": {"id": document.owner.pk, "name": document.owner.name,
                      "kind": document.owner.kind, "insee_code": document.owner.insee_code,
                      "siren": document.owner.siren},
        "published_on": document.published_on.isoformat() if document.published_on else None,
        "status": document.status,
        "audience": document.audience,
        "licence": document.licence or None,
        "tags": sorted(tag.name for tag in document.tags.all()),
        "url": request.build_absolute_uri(reverse("document_detail", args=[document.pk])),
        "file": None if version is None else {
            "name": version.file_name, "mime_type": version.mime_type, "size": version.size,
            "sha256": version.sha256, "version": version.number,
            "download_url": request.build_absolute_uri(
                reverse("api_document_download", args=[document.pk])),
        },
    }


def _for_listing(documents: QuerySet[Document]) -> QuerySet[Document]:
    return documents.select_related("owner", "current_version").prefetch_related("tags")


@require_GET
def document_list(request: HttpRequest) -> JsonResponse:
    try:
        documents = filtered_documents(request)
        page = _int(request, "page", 1, 1, 1_000_000)
        size = _int(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    except BadRequest as exc:
        return error(400, exc.message, exc.field)
    total = documents.count()
    last_page = max(1, -(-total // size))
    if page > last_page:
        return error(400, f"La page {page} n'existe pas (dernière page : {last_page}).", "page")
    window = _for_listing(documents.order_by("-published_on", "-pk"))[
        (page - 1) * size: page * size]

    def link(number: int) -> str | None:
        if not 1 <= number <= last_page or number == page:
            return None
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return JsonResponse({
        "count": total, "page": page, "page_size": size,
        "next": link(page + 1), "previous": link(page - 1),
        "results": [serialize(request, d) for d in window],
    }, json_dumps_params={"ensure_ascii": False})


def _visible(request: HttpRequest, document_id: int) -> Document | None:
    return _for_listing(documents_visible_to(request.user)).filter(pk=document_id).first()


@require_GET
def document_item(request: HttpRequest, document_id: int) -> JsonResponse:
    document = _visible(request, document_id)
    if document is None:
        return error(404, "Document introuvable.")
    document_access_record(actor=request.user, document=document,
                           action=AuditEvent.Action.VIEW, ip_address=client_ip(request))
    return JsonResponse(serialize(request, document), json_dumps_params={"ensure_ascii": False})


@require_GET
def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _visible(request, document_id)
    if document is None or document.current_version is None:
        return error(404, "Document introuvable.")
    document_access_record(actor=request.user, document=document,
                           action=AuditEvent.Action.DOWNLOAD, ip_address=client_ip(request))
    return file_response(document, document.current_version)
