"""JSON API of online procedures (a router of civis/api.py).

Public, read by anyone:

GET  /api/v1/procedures/                       the published procedures (public fields only)
GET  /api/v1/procedures/{slug}                 one published procedure, with its form

Passerelle, for a back-office, with ``Authorization: Bearer <token>`` (a token of one
procedure, created in the admin; only its SHA-256 is stored; a revoked token is refused):

GET  /api/v1/procedures/passerelle/requests              the token's procedure's requests
                                                          (never drafts), paged; filters
                                                          state, updated_since (AAAA-MM-JJ)
GET  /api/v1/procedures/passerelle/requests/{uuid}        answers, operation log, attachments
GET  /api/v1/procedures/passerelle/requests/{uuid}/attachments/{pk}   one file
POST /api/v1/procedures/passerelle/requests/{uuid}/decision  {"outcome", "motivation"}

Without a token, or with an unknown or revoked one: 401. A request of another procedure, or
a draft: 404. Every read of a request through the passerelle is an audited read
(``request_read_record``, actor = the token's creator, ``what="passerelle …"``), so the
citizen's "Mes données" lists it; a decision is ``request_decide`` with the token's creator
as actor (the token is only usable while its creator may still instruct the request).
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
import datetime
import hmac
import uuid
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from core.api import CivisPagination, DateParam, PageOut, PageParams, error_responses
from core.http import client_ip
from core.params import BadParameter
from procedures.fields import display_answers
from procedures.models import (
    ApiToken,
    Procedure,
    ProcedureStatus,
    Request,
    RequestState,
)
from procedures.services.passerelle import token_hash

router = Router(tags=["Démarches en ligne"])

NOT_FOUND = "Démarche introuvable."
REQUEST_NOT_FOUND = "Dossier introuvable."
UNAUTHORIZED = (
    "Jeton manquant, inconnu ou révoqué : envoyez « Authorization: Bearer <jeton> » "
    "avec un jeton de la démarche."
)
OUTCOMES = ("accepte", "refuse", "sans_suite")


# --- Schemas ----------------------------------------------------------------------------------


class OwnerOut(Schema):
    id: int
    name: str
    insee_code: str
    siren: str | None


class ProcedureOut(Schema):
    slug: str
    title: str
    description: str
    owner: OwnerOut
    eligibility: str = Field(description="anyone, signed_in, residents ou agents.")
    needed_documents: list[str]
    expected_days: int = Field(description="Délai de traitement annoncé, en jours.")
    silence_means: str = Field(description="acceptance ou refusal.")
    appeal: str
    contact_email: str
    contact_phone: str
    url: str = Field(description="Adresse absolue de la page de la démarche.")

    @classmethod
    def from_procedure(cls, request: HttpRequest, procedure: Procedure) -> "ProcedureOut":
        owner = procedure.owner
        return cls(
            slug=procedure.slug,
            title=procedure.title,
            description=procedure.description,
            owner=OwnerOut(
                id=owner.pk, name=owner.name, insee_code=owner.insee_code, siren=owner.siren
            ),
            eligibility=procedure.eligibility,
            needed_documents=[
                line.strip() for line in procedure.needed_documents.splitlines() if line.strip()
            ],
            expected_days=procedure.expected_days,
            silence_means=procedure.silence_means,
            appeal=procedure.appeal,
            contact_email=procedure.contact_email,
            contact_phone=procedure.contact_phone,
            url=request.build_absolute_uri(_public_path(procedure)),
        )


class ProcedureDetailOut(ProcedureOut):
    revision: int | None = Field(description="Numéro de la révision publiée du formulaire.")
    fields: list[dict[str, Any]] = Field(description="Les champs du formulaire.")


class RequestSummaryOut(Schema):
    uuid: uuid.UUID
    number: str
    state: str
    revision: int
    commune_insee_code: str | None
    assigned_to: str | None
    submitted_at: datetime.datetime | None
    instruction_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    updated_at: datetime.datetime
    url: str = Field(description="Adresse absolue du dossier dans cette API.")

    @classmethod
    def from_request(cls, request: HttpRequest, item: Request) -> "RequestSummaryOut":
        return cls(
            uuid=item.uuid,
            number=item.number,
            state=item.state,
            revision=item.revision.number,
            commune_insee_code=item.commune.insee_code if item.commune else None,
            assigned_to=_name(item.assigned_to),
            submitted_at=item.submitted_at,
            instruction_at=item.instruction_at,
            decided_at=item.decided_at,
            updated_at=item.updated_at,
            url=request.build_absolute_uri(f"/api/v1/procedures/passerelle/requests/{item.uuid}"),
        )


class AnswerOut(Schema):
    label: str
    value: str


class EventOut(Schema):
    at: datetime.datetime
    action: str
    state: str
    actor: str | None


class AttachmentOut(Schema):
    id: int
    field_key: str
    message: int | None
    file_name: str
    mime_type: str
    size: int
    sha256: str
    url: str


class MessageOut(Schema):
    id: int
    at: datetime.datetime
    from_instructor: bool
    body: str


class RequestDetailOut(RequestSummaryOut):
    applicant: str | None = Field(description="Nom du demandeur (vide : compte supprimé).")
    applicant_email: str | None
    data: dict[str, Any] = Field(description="Les réponses telles que saisies, par clé.")
    answers: list[AnswerOut] = Field(description="Les réponses affichées (libellé, valeur).")
    motivation: str
    correction_asked: str
    events: list[EventOut]
    messages: list[MessageOut]
    attachments: list[AttachmentOut]


class DecisionIn(Schema):
    outcome: str = Field(description="accepte, refuse ou sans_suite.")
    motivation: str = Field("", max_length=10_000)


class RequestFilters(PageParams):
    state: str | None = Field(None, description="Un état : en_construction, en_instruction…")
    updated_since: Annotated[datetime.date | None, DateParam()] = Field(
        None, description="Dossiers modifiés depuis ce jour (AAAA-MM-JJ)."
    )


# --- Helpers ----------------------------------------------------------------------------------


def _public_path(procedure: Procedure) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("procedures:detail", kwargs={"slug": procedure.slug})
    except NoReverseMatch:
        return f"/demarches/{procedure.slug}/"


def _name(user: Any) -> str | None:
    if user is None:
        return None
    display = getattr(user, "display_name", "") or user.get_full_name() or user.get_username()
    return str(display)


def _published() -> QuerySet[Procedure]:
    from django.contrib.auth.models import AnonymousUser

    from procedures.selectors import procedures_visible_to

    return (
        procedures_visible_to(AnonymousUser())
        .filter(status=ProcedureStatus.PUBLISHED, current_revision__isnull=False)
        .select_related("owner", "current_revision")
    )


def authenticate(request: HttpRequest) -> ApiToken:
    """The request's live passerelle token, or 401 (core.api's JSON error). Marks it used.
    Run by django-ninja before the body is read, so a caller without a token learns nothing
    (not even whether its body was valid)."""
    header = request.headers.get("Authorization", "")
    scheme, _space, clear = header.partition(" ")
    clear = clear.strip()
    if scheme.lower() != "bearer" or not clear or len(clear) > 200:
        raise HttpError(401, UNAUTHORIZED)
    digest = token_hash(clear)
    token = (
        ApiToken.objects.filter(token_sha256=digest, revoked_at__isnull=True)
        .select_related("procedure__owner", "created_by")
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_sha256, digest):
        raise HttpError(401, UNAUTHORIZED)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return token


class PasserelleBearer(HttpBearer):
    """``Authorization: Bearer <token>`` (documented as such in the OpenAPI schema)."""

    def __call__(self, request: HttpRequest) -> ApiToken:
        return authenticate(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        return authenticate(request)


passerelle_auth = PasserelleBearer()


def _token(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # never: the operation's auth ran first
        raise HttpError(401, UNAUTHORIZED)
    return token


def _requests_of(token: ApiToken) -> QuerySet[Request]:
    return (
        Request.objects.filter(procedure_id=token.procedure_id)
        .exclude(state=RequestState.DRAFT)
        .select_related("revision", "commune", "assigned_to", "applicant", "procedure")
    )


def _request_of(token: ApiToken, request_uuid: uuid.UUID) -> Request:
    item = _requests_of(token).filter(uuid=request_uuid).first()
    if item is None:
        raise HttpError(404, REQUEST_NOT_FOUND)
    return item


def _record_read(request: HttpRequest, token: ApiToken, item: Request, what: str) -> None:
    """``what`` starts with "view" or "attachment" (VIEW / DOWNLOAD audit rows)."""
    from procedures.services.requests import request_read_record

    request_read_record(
        actor=token.created_by,
        request=item,
        what=f"{what} (passerelle : {token.name})",
        ip_address=client_ip(request),
    )


# --- Public -----------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: PageOut, **error_responses(400)},
    summary="Les démarches en ligne publiées",
)
def procedures_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    procedures = _published().order_by("title", "pk")
    total = procedures.count()
    page, size = params.page, params.page_size
    CivisPagination.check_page(page, size, total)
    window = procedures[(page - 1) * size : page * size]
    return CivisPagination.envelope(
        request,
        page=page,
        page_size=size,
        total=total,
        results=[ProcedureOut.from_procedure(request, p).dict() for p in window],
    )


# --- Passerelle (declared before /{slug} so "passerelle" is never taken for a slug) ----------


@router.get(
    "/passerelle/requests",
    auth=passerelle_auth,
    response={200: PageOut, **error_responses(400, 401)},
    summary="Passerelle : les dossiers de la démarche du jeton",
)
def passerelle_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    token = _token(request)
    items = _requests_of(token).order_by("-updated_at", "-pk")
    if filters.state:
        if filters.state not in RequestState.values or filters.state == RequestState.DRAFT:
            raise BadParameter("state", "« state » n'est pas un état de dossier connu.")
        items = items.filter(state=filters.state)
    if filters.updated_since:
        start = datetime.datetime.combine(
            filters.updated_since, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        items = items.filter(updated_at__gte=start)
    total = items.count()
    page, size = filters.page, filters.page_size
    CivisPagination.check_page(page, size, total)
    window = items[(page - 1) * size : page * size]
    return CivisPagination.envelope(
        request,
        page=page,
        page_size=size,
        total=total,
        results=[RequestSummaryOut.from_request(request, item).dict() for item in window],
    )


def _detail(request: HttpRequest, item: Request) -> RequestDetailOut:
    attachments = list(item.attachments.all())
    names: dict[str, list[str]] = {}
    for attachment in attachments:
        if attachment.field_key and attachment.message_id is None:
            names.setdefault(attachment.field_key, []).append(attachment.file_name)
    answers = display_answers(item.revision.fields, item.data, names)
    base = f"/api/v1/procedures/passerelle/requests/{item.uuid}"
    summary = RequestSummaryOut.from_request(request, item)
    applicant = item.applicant
    return RequestDetailOut(
        **summary.dict(),
        applicant=_name(applicant),
        applicant_email=applicant.email if applicant is not None else None,
        data=item.data,
        answers=[AnswerOut(label=str(label), value=str(value)) for label, value in answers],
        motivation=item.motivation,
        correction_asked=item.correction_asked,
        events=[
            EventOut(at=e.at, action=e.action, state=e.state, actor=_name(e.actor))
            for e in item.events.select_related("actor")
        ],
        messages=[
            MessageOut(id=m.pk, at=m.at, from_instructor=m.from_instructor, body=m.body)
            for m in item.messages.all()
        ],
        attachments=[
            AttachmentOut(
                id=a.pk,
                field_key=a.field_key,
                message=a.message_id,
                file_name=a.file_name,
                mime_type=a.mime_type,
                size=a.size,
                sha256=a.sha256,
                url=request.build_absolute_uri(f"{base}/attachments/{a.pk}"),
            )
            for a in attachments
        ],
    )


@router.get(
    "/passerelle/requests/{request_uuid}",
    auth=passerelle_auth,
    response={200: RequestDetailOut, **error_responses(401, 404)},
    summary="Passerelle : un dossier (réponses, journal, messages, pièces)",
)
def passerelle_request(request: HttpRequest, request_uuid: uuid.UUID) -> RequestDetailOut:
    token = _token(request)
    item = _request_of(token, request_uuid)
    _record_read(request, token, item, "view")
    return _detail(request, item)


@router.get(
    "/passerelle/requests/{request_uuid}/attachments/{attachment_id}",
    auth=passerelle_auth,
    response={200: None, **error_responses(401, 404)},
    summary="Passerelle : le fichier d'une pièce du dossier",
)
def passerelle_attachment(
    request: HttpRequest, request_uuid: uuid.UUID, attachment_id: int
) -> FileResponse:
    token = _token(request)
    item = _request_of(token, request_uuid)
    attachment = item.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise HttpError(404, "Pièce introuvable.")
    try:
        handle = attachment.file.open("rb")
    except OSError as exc:
        raise HttpError(404, "Pièce introuvable.") from exc
    _record_read(request, token, item, f"attachment {attachment.file_name}")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.file_name,
        content_type=attachment.mime_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/passerelle/requests/{request_uuid}/decision",
    auth=passerelle_auth,
    response={200: RequestDetailOut, **error_responses(400, 401, 403, 404)},
    summary="Passerelle : décider d'un dossier en instruction",
)
def passerelle_decision(
    request: HttpRequest, request_uuid: uuid.UUID, decision: DecisionIn
) -> RequestDetailOut:
    from procedures.services.requests import request_decide

    token = _token(request)
    item = _request_of(token, request_uuid)
    if decision.outcome not in OUTCOMES:
        raise BadParameter("outcome", "« outcome » doit valoir accepte, refuse ou sans_suite.")
    if token.created_by is None:
        raise HttpError(403, "Ce jeton n'a plus d'auteur : créez-en un nouveau.")
    try:
        item = request_decide(
            actor=token.created_by,
            request=item,
            outcome=decision.outcome,
            motivation=decision.motivation,
        )
    except PermissionDenied as exc:
        raise HttpError(
            403, str(exc) or "L'auteur du jeton ne peut plus instruire ce dossier."
        ) from exc
    except ValidationError as exc:
        raise HttpError(400, " ".join(str(m) for m in exc.messages)) from exc
    item = _request_of(token, request_uuid)
    return _detail(request, item)


# --- Public detail (last: {slug} would take every path above) ---------------------------------


@router.get(
    "/{slug}",
    response={200: ProcedureDetailOut, **error_responses(404)},
    summary="Une démarche publiée et son formulaire",
)
def procedure_detail(request: HttpRequest, slug: str) -> ProcedureDetailOut:
    procedure = _published().filter(slug=slug).first()
    if procedure is None:
        raise HttpError(404, NOT_FOUND)
    out = ProcedureOut.from_procedure(request, procedure)
    revision = procedure.current_revision
    return ProcedureDetailOut(
        **out.dict(),
        revision=revision.number if revision else None,
        fields=list(revision.fields) if revision else [],
    )
