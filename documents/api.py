"""JSON API of the document store (a router of civis/api.py), permission-trimmed by
documents_visible_to.

GET /api/v1/documents/                 filters: authority (id) or authority_code (SIREN or
                                       a commune's INSEE code), type,
                                       published_after, published_before (AAAA-MM-JJ),
                                       page, page_size (≤ 100)
GET /api/v1/documents/<id>/
GET /api/v1/documents/<id>/download
Errors are JSON with a French message (core.api): 400 for bad parameters, 404 for anything
unreadable — a document that does not exist and one the caller may not read answer the same.
``DocumentOut`` is the one description of a document; search hits extend it.
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
import datetime
from typing import Annotated, Any, Self

from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AfterValidator

from audit.models import AuditEvent
from core.api import CivisPagination, DateParam, IntParam, error_responses
from core.http import client_ip
from core.params import BadParameter
from documents.http import file_response
from documents.models import Document, DocumentType
from documents.selectors import documents_visible_to
from documents.services import document_access_record
from identity.models import Authority, User

router = Router(tags=["Documents"])

NOT_FOUND = "Document introuvable."


# --- The document, as every API shows it ----------------------------------------------------


class AuthorityOut(Schema):
    id: int
    name: str
    kind: str
    insee_code: str = Field(description="Code INSEE (communes, départements, régions).")
    siren: str | None


class FileOut(Schema):
    name: str
    mime_type: str
    size: int = Field(description="Taille en octets.")
    sha256: str
    version: int
    download_url: str


class DocumentOut(Schema):
    id: int
    title: str
    summary: str
    type: str
    type_label: str
    authority: AuthorityOut
    published_on: datetime.date | None
    status: str
    audience: str
    licence: str | None
    tags: list[str]
    format: str | None = Field(description="pdf, odt, csv…")
    url: str = Field(description="La page du document sur le portail.")
    file: FileOut | None

    @classmethod
    def from_document(cls, request: HttpRequest, document: Document, **extra: Any) -> Self:
        """Load ``owner`` and ``current_version`` with the document, prefetch ``tags``."""
        owner, version = document.owner, document.current_version
        return cls(
            id=document.pk,
            title=document.title,
            summary=document.summary,
            type=document.document_type,
            type_label=str(document.get_document_type_display()),
            authority=AuthorityOut(
                id=owner.pk,
                name=owner.name,
                kind=owner.kind,
                insee_code=owner.insee_code,
                siren=owner.siren,
            ),
            published_on=document.published_on,
            status=document.status,
            audience=document.audience,
            licence=document.licence or None,
            tags=sorted(tag.name for tag in document.tags.all()),
            format=version.kind if version else None,
            url=request.build_absolute_uri(reverse("document_detail", args=[document.pk])),
            file=None
            if version is None
            else FileOut(
                name=version.file_name,
                mime_type=version.mime_type,
                size=version.size,
                sha256=version.sha256,
                version=version.number,
                download_url=request.build_absolute_uri(
                    reverse("api:document_download", args=[document.pk])
                ),
            ),
            **extra,
        )


def for_listing(documents: QuerySet[Document]) -> QuerySet[Document]:
    """What ``DocumentOut.from_document`` reads, in a constant number of queries."""
    # django-stubs cannot resolve taggit's manager (TaggableManager is untyped).
    return documents.select_related("owner", "current_version").prefetch_related("tags")  # type: ignore[misc]


# --- Filters ----------------------------------------------------------------------------------


def _document_type(value: str | None) -> str | None:
    if value and value not in DocumentType.values:
        raise BadParameter(
            "type", "Type inconnu. Valeurs possibles : " + ", ".join(DocumentType.values) + "."
        )
    return value or None


class DocumentFilters(FilterSchema):
    authority: Annotated[int | None, IntParam(1)] = Field(
        None, description="Identifiant de la collectivité (prioritaire sur authority_code)."
    )
    authority_code: str | None = Field(None, description="SIREN, ou code INSEE d'une commune.")
    type: Annotated[str | None, AfterValidator(_document_type), FilterLookup("document_type")] = (
        Field(None, json_schema_extra={"enum": list(DocumentType.values)})
    )
    published_after: Annotated[
        datetime.date | None, DateParam(), FilterLookup("published_on__gte")
    ] = Field(None, description="Publiés ce jour ou après (AAAA-MM-JJ).")
    published_before: Annotated[
        datetime.date | None, DateParam(), FilterLookup("published_on__lte")
    ] = Field(None, description="Publiés ce jour ou avant (AAAA-MM-JJ).")

    def filter_authority(self, value: int | None) -> Q:
        if value is None:
            return Q()
        if not Authority.objects.filter(pk=value).exists():
            raise BadParameter("authority", f"Collectivité inconnue : « {value} ».")
        return Q(owner_id=value)

    def filter_authority_code(self, value: str | None) -> Q:
        """An unknown code is a 400, not an empty list: a typo must not look like "no
        documents"."""
        if not value or self.authority is not None:
            return Q()
        found = list(
            Authority.objects.filter(
                Q(siren=value) | Q(insee_code=value, kind=Authority.Kind.COMMUNE)
            )[:2]
        )
        if len(found) != 1:
            raise BadParameter("authority_code", f"Collectivité inconnue : « {value[:40]} ».")
        return Q(owner=found[0])

    def filter_published_after(self, value: datetime.date | None) -> Q:
        if value and self.published_before and value > self.published_before:
            raise BadParameter("published_after", "La date de début est après la date de fin.")
        return Q(published_on__gte=value)


# --- Operations -------------------------------------------------------------------------------

DocumentId = Annotated[int, IntParam(1)]


@router.get(
    "/",
    response={200: list[DocumentOut], **error_responses(400)},
    url_name="document_list",
    summary="Les documents que l'appelant peut lire",
)
@paginate(CivisPagination, serialize=DocumentOut.from_document)
def document_list(request: HttpRequest, filters: Query[DocumentFilters]) -> QuerySet[Document]:
    """Du plus récent au plus ancien. Un appelant anonyme voit les documents publics ; un
    appelant connecté au portail, aussi ce que ses rôles lui permettent de lire."""
    documents = filters.filter(documents_visible_to(request.user))
    return for_listing(documents.order_by("-published_on", "-pk"))


def _actor(request: HttpRequest) -> User | None:
    """Who the audit log names (an anonymous caller only ever reads public documents, which
    are not logged)."""
    return request.user if isinstance(request.user, User) else None


def _visible(request: HttpRequest, document_id: int) -> Document:
    document = for_listing(documents_visible_to(request.user)).filter(pk=document_id).first()
    if document is None:
        raise HttpError(404, NOT_FOUND)
    return document


@router.get(
    "/{document_id}/",
    response={200: DocumentOut, **error_responses(400, 404)},
    url_name="document_item",
    summary="Un document",
)
def document_item(request: HttpRequest, document_id: DocumentId) -> DocumentOut:
    document = _visible(request, document_id)
    document_access_record(
        actor=_actor(request),
        document=document,
        action=AuditEvent.Action.VIEW,
        ip_address=client_ip(request),
    )
    return DocumentOut.from_document(request, document)


@router.get(
    "/{document_id}/download",
    response=error_responses(400, 404),
    url_name="document_download",
    summary="Le fichier d'un document",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Le fichier (PDF en ligne, les autres formats en pièce jointe).",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def document_download(request: HttpRequest, document_id: DocumentId) -> FileResponse:
    document = _visible(request, document_id)
    if document.current_version is None:
        raise HttpError(404, NOT_FOUND)
    document_access_record(
        actor=_actor(request),
        document=document,
        action=AuditEvent.Action.DOWNLOAD,
        ip_address=client_ip(request),
    )
    return file_response(document, document.current_version)
