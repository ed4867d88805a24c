"""The citizen's pages of online procedures: the catalogue, a procedure's page and "Commencer",
filling a request (autosaved), its summary and submission, following it (log, messages,
documents), attachment downloads, "Mes données" (page, ZIP, account deletion) and the
verification of a decision PDF.

Who reads what comes from procedures.selectors only. A request or a file the requester may not
read answers 404 — never 403, which would confirm it exists. The request pages are the
applicant's: instructors work in the admin (procedures_admin_request)."""

from __future__ import annotations

import hashlib
import re
import uuid as uuid_module
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import client_ip
from core.params import BadParameter, parse_optional_int
from documents.models import Audience, Document
from documents.selectors import documents_visible_to
from documents.services import Upload
from identity.models import Authority, User
from procedures import fields as procedure_fields
from procedures import privacy
from procedures.models import (
    Attachment,
    Message,
    Procedure,
    ProcedureStatus,
    Request,
    RequestEvent,
    RequestState,
)
from procedures.selectors import (
    attachments_visible_to,
    may_apply,
    procedures_visible_to,
    processing_times,
    requests_visible_to,
)

EDITABLE_STATES = (RequestState.DRAFT, RequestState.SUBMITTED)
DELETE_WORD = "SUPPRIMER"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
QUERY_MAX = 100


def _login_url(request: HttpRequest, next_url: str) -> str:
    return f"{reverse('login')}?{urlencode({'next': next_url})}"


# --- catalogue and procedure page -----------------------------------------------------------------


def published_procedures() -> Any:
    return Procedure.objects.filter(
        status=ProcedureStatus.PUBLISHED, current_revision__isnull=False
    ).select_related("owner")


def published_procedures_of(authority: Authority) -> list[Procedure]:
    """The authority's published procedures (its portal page lists them)."""
    return list(published_procedures().filter(owner=authority).order_by("title", "pk"))


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """/demarches/: every published procedure of the territory, searchable, by authority."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    procedures = published_procedures().filter(
        pk__in=procedures_visible_to(request.user).values("pk")
    )
    authorities = Authority.objects.filter(pk__in=procedures.values("owner_id")).order_by("name")
    error = ""
    selected = request.GET.get("collectivite", "")
    try:
        authority_id = parse_optional_int(selected, field="collectivite", low=1)
    except BadParameter:
        authority_id, error = None, _("Collectivité inconnue.")
    if authority_id is not None:
        if not authorities.filter(pk=authority_id).exists():
            error = _("Collectivité inconnue.")
        procedures = procedures.filter(owner_id=authority_id)
    if query:
        condition = Q()
        for word in query.split()[:10]:
            condition &= (
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(owner__name__icontains=word)
            )
        procedures = procedures.filter(condition)
    procedures = procedures.order_by("owner__name", "title", "pk")
    groups: dict[Authority, list[Procedure]] = {}
    for procedure in procedures:
        groups.setdefault(procedure.owner, []).append(procedure)
    return render(
        request,
        "procedures/catalogue.html",
        {
            "query": query,
            "groups": list(groups.items()),
            "count": sum(len(group) for group in groups.values()),
            "authorities": authorities,
            "selected_authority": selected,
            "error": error,
        },
        status=400 if error else 200,
    )


def _visible_procedure(request: HttpRequest, slug: str) -> Procedure:
    return get_object_or_404(
        procedures_visible_to(request.user).select_related("owner", "current_revision"), slug=slug
    )


def _detail_page(
    request: HttpRequest, procedure: Procedure, *, error: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    drafts: list[Request] = []
    if user.is_authenticated:
        drafts = list(
            Request.objects.filter(applicant_id=user.pk, procedure=procedure).order_by(
                "-updated_at"
            )
        )
    needed = [line.strip() for line in procedure.needed_documents.splitlines() if line.strip()]
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "needed_documents": needed,
            "times": processing_times(procedure),
            "may_apply": may_apply(user, procedure),
            "open": procedure.status == ProcedureStatus.PUBLISHED,
            "my_requests": drafts,
            "error": error,
        },
        status=status,
    )


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail_page(request, _visible_procedure(request, slug))


@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Commencer": a new draft. Anonymous → sign in first, then back to the procedure page."""
    procedure = _visible_procedure(request, slug)
    if not request.user.is_authenticated:
        return redirect(_login_url(request, reverse("procedures:detail", args=[slug])))
    from procedures.services.requests import request_start

    try:
        created = request_start(actor=request.user, procedure=procedure)
    except (PermissionDenied, ValidationError) as exc:
        message = _messages_of(exc) or _("Vous ne pouvez pas faire cette demande.")
        return _detail_page(request, procedure, error=message, status=403)
    messages.success(
        request,
        _("Brouillon %(number)s créé : vos réponses sont enregistrées au fur et à mesure.")
        % {"number": created.number},
    )
    return redirect("procedures:request", uuid=created.uuid)


def _messages_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) if str(exc) else ""


# --- the person's requests ------------------------------------------------------------------------


def _state_label(request: Request) -> str:
    return str(request.get_state_display())


@login_required(login_url="login")
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    person = cast(User, request.user)
    return render(
        request, "procedures/my_requests.html", {"requests": my_request_rows(person, limit=None)}
    )


def my_request_rows(person: User, *, limit: int | None = 50) -> list[dict[str, Any]]:
    """The person's requests with their last message (for /mon-espace/ and its list)."""
    rows = (
        Request.objects.filter(applicant=person)
        .select_related("procedure", "procedure__owner")
        .annotate(message_count=Count("messages"), last_message_at=Max("messages__at"))
        .order_by("-updated_at", "-pk")
    )
    if limit is not None:
        rows = rows[:limit]
    result = []
    for row in rows:
        last = row.messages.order_by("-at", "-pk").first() if row.message_count else None
        result.append({"request": row, "last_message": last})
    return result


def _own_request(request: HttpRequest, uuid: uuid_module.UUID) -> Request:
    """The applicant's request; anything else (not theirs, unknown) is a 404."""
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(
        requests_visible_to(request.user).select_related(
            "procedure", "procedure__owner", "revision"
        ),
        uuid=uuid,
        applicant_id=request.user.pk,
    )


def _attachments_by_key(req: Request) -> dict[str, list[Attachment]]:
    found: dict[str, list[Attachment]] = {}
    for attachment in req.attachments.filter(message__isnull=True).order_by("created_at", "pk"):
        found.setdefault(attachment.field_key, []).append(attachment)
    return found


def _space_documents(person: User) -> list[Document]:
    return list(
        documents_visible_to(person)
        .filter(audience=Audience.PERSONAL, addressee=person, current_version__isnull=False)
        .select_related("owner", "current_version")
        .order_by("-published_on", "-pk")[:100]
    )


def _form(req: Request, *, data: Any = None) -> Any:
    from procedures.forms import AnswersForm

    files = _attachments_by_key(req)
    if data is not None:
        return AnswersForm(req.revision.fields, data=data, partial=True, attachments=files)
    return AnswersForm(req.revision.fields, initial=req.data, partial=True, attachments=files)


def _raw_answers(form: Any) -> dict[str, Any]:
    """What the person typed: the form's answers even when some are malformed (kept as typed;
    request_save reports the errors)."""
    form.is_valid()
    raw = getattr(form, "raw_answers", None)
    if callable(raw):
        return dict(raw())
    return dict(getattr(form, "cleaned_data", {}) or {})


def _file_errors(
    errors: dict[str, list[str]], fields: list[dict[str, Any]], form: Any
) -> list[tuple[str, str, str]]:
    """(input id, label, message) of what the form's own summary does not show: the refusals
    of the file services (format, size, virus) and of the save itself."""
    from procedures.forms import field_id

    labels = _labels(fields)
    shown = set(form.errors) if form is not None and form.is_bound else set()
    return [
        (field_id(key), labels.get(key.split(".", 1)[0], key), " ".join(messages_))
        for key, messages_ in errors.items()
        if key not in shown
    ]


def _labels(fields: list[dict[str, Any]]) -> dict[str, str]:
    return {str(f.get("key")): str(f.get("label", f.get("key"))) for f in fields}


def _follow_context(req: Request) -> dict[str, Any]:
    documents = [
        (label, document)
        for label, document in (
            (_("Accusé d'enregistrement (AEE)"), req.receipt),
            (_("Accusé de réception (ARE)"), req.acknowledgement),
            (_("Décision"), req.decision_document),
        )
        if document is not None
    ]
    return {
        "events": list(req.events.select_related("actor").order_by("at", "pk")),
        "messages_list": list(
            req.messages.prefetch_related("attachments")
            .select_related("author")
            .order_by("at", "pk")
        ),
        "documents": documents,
        "max_upload_mb": _max_upload_mb(),
    }


def _max_upload_mb() -> Any:
    from django.conf import settings

    return settings.CIVIS_MAX_UPLOAD_MB


def _request_page(
    request: HttpRequest,
    req: Request,
    *,
    form: Any = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    message_error: str = "",
    message_body: str = "",
) -> HttpResponse:
    person = cast(User, request.user)
    editable = req.state in EDITABLE_STATES
    context: dict[str, Any] = {
        "req": req,
        "procedure": req.procedure,
        "editable": editable,
        "message_error": message_error,
        "message_body": message_body,
        **_follow_context(req),
    }
    if editable:
        context_form = form if form is not None else _form(req)
        context.update(
            form=context_form,
            fields=req.revision.fields,
            attachments=_attachments_by_key(req),
            space_documents=_space_documents(person),
            request=req,
            file_errors=_file_errors(errors or {}, req.revision.fields, context_form),
        )
    response = render(request, "procedures/request.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _apply_files(request: HttpRequest, req: Request) -> dict[str, list[str]]:
    """Uploads (``<key>__upload``), picks from the space (``<key>__pick``) and removals
    (``<key>__remove``) of a posted form; errors by field key."""
    from procedures.services.files import attachment_add, attachment_pick, attachment_remove

    person = cast(User, request.user)
    errors: dict[str, list[str]] = {}
    keys = {str(f.get("key")) for f in req.revision.fields if f.get("type") == "attachment"}
    for key in sorted(keys):
        remove = request.POST.get(f"{key}__remove", "")
        if remove.isdigit():
            attachment = req.attachments.filter(
                pk=int(remove), field_key=key, message__isnull=True
            ).first()
            if attachment is not None:
                try:
                    attachment_remove(actor=person, request=req, attachment=attachment)
                except (PermissionDenied, ValidationError) as exc:
                    errors.setdefault(key, []).append(_messages_of(exc))
        for upload in request.FILES.getlist(f"{key}__upload"):
            try:
                attachment_add(
                    actor=person,
                    request=req,
                    field_key=key,
                    upload=Upload(fileobj=upload, name=upload.name or "fichier"),
                )
            except (PermissionDenied, ValidationError) as exc:
                errors.setdefault(key, []).append(_messages_of(exc))
        pick = request.POST.get(f"{key}__pick", "")
        if pick:
            document = None
            if pick.isdigit():
                document = (
                    documents_visible_to(person)
                    .filter(pk=int(pick), audience=Audience.PERSONAL, addressee=person)
                    .first()
                )
            if document is None:
                errors.setdefault(key, []).append(_("Ce document n'est pas dans votre espace."))
                continue
            try:
                attachment_pick(actor=person, request=req, field_key=key, document=document)
            except (PermissionDenied, ValidationError) as exc:
                errors.setdefault(key, []).append(_messages_of(exc))
    return errors


@login_required(login_url="login")
@never_cache
@require_http_methods(["GET", "POST"])
def request_page(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Fill a draft (or a submitted request until instruction starts) and follow it. Without
    JavaScript the form posts here: answers saved, files added or removed, then the same page
    (or the summary with ``action=recapitulatif``)."""
    req = _own_request(request, uuid)
    if request.method == "GET":
        return _request_page(request, req)
    if req.state not in EDITABLE_STATES:
        return _request_page(
            request,
            req,
            status=409,
        )
    from procedures.services.requests import request_save

    form = _form(req, data=request.POST)
    file_errors = _apply_files(request, req)
    try:
        errors = request_save(actor=request.user, request=req, data=_raw_answers(form))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _messages_of(exc) or _("Ce dossier ne peut plus être modifié."))
        return redirect("procedures:request", uuid=req.uuid)
    errors = {**errors, **file_errors}
    req.refresh_from_db()
    if errors:
        return _request_page(
            request, req, form=_form(req, data=request.POST), errors=errors, status=400
        )
    if request.POST.get("action") == "recapitulatif":
        return redirect("procedures:summary", uuid=req.uuid)
    messages.success(request, _("Vos réponses sont enregistrées."))
    return redirect("procedures:request", uuid=req.uuid)


@require_POST
def autosave(request: HttpRequest, uuid: uuid_module.UUID) -> JsonResponse:
    """form.js: the answers as typed, saved; ``{saved_at, errors}`` (malformed values kept)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Votre session a expiré : reconnectez-vous.")}, status=403)
    try:
        req = _own_request(request, uuid)
    except Http404:
        return JsonResponse({"error": _("Dossier introuvable.")}, status=404)
    if req.state not in EDITABLE_STATES:
        return JsonResponse(
            {"error": _("Ce dossier est en instruction : il ne peut plus être modifié.")},
            status=409,
        )
    from procedures.services.requests import request_save

    form = _form(req, data=request.POST)
    try:
        errors = request_save(actor=request.user, request=req, data=_raw_answers(form))
    except (PermissionDenied, ValidationError) as exc:
        return JsonResponse({"error": _messages_of(exc)}, status=409)
    return JsonResponse(
        {"saved_at": timezone.now().isoformat(), "errors": errors},
        headers={"Cache-Control": "no-store"},
    )


@require_GET
def attachment_download(request: HttpRequest, uuid: uuid_module.UUID, pk: int) -> HttpResponseBase:
    """A file of a request, for those who read the request; reads by others are audited."""
    attachment = get_object_or_404(
        attachments_visible_to(request.user).select_related("request"),
        pk=pk,
        request__uuid=uuid,
    )
    req = attachment.request
    if req.applicant_id != request.user.pk:
        from procedures.services.requests import request_read_record

        request_read_record(
            actor=request.user,
            request=req,
            what=f"attachment {attachment.file_name}",
            ip_address=client_ip(request),
        )
    try:
        handle = attachment.file.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=attachment.mime_type or "application/octet-stream",
        as_attachment=True,
        filename=attachment.file_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required(login_url="login")
@never_cache
@require_http_methods(["GET", "POST"])
def summary(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """Check before sending; POST submits (draft) or sends the corrections (en_construction)."""
    req = _own_request(request, uuid)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if req.state != RequestState.DRAFT:
            errors = {"": [_("Ce dossier a déjà été déposé.")]}
            status = 409
        else:
            from procedures.services.requests import request_submit

            try:
                submitted = request_submit(actor=request.user, request=req)
            except ValidationError as exc:
                errors = _errors_by_key(exc)
                status = 400
            except PermissionDenied as exc:
                errors = {"": [_messages_of(exc) or _("Ce dossier ne peut pas être déposé.")]}
                status = 403
            else:
                receipt = submitted.receipt
                messages.success(
                    request,
                    _(
                        "Votre dossier %(number)s est déposé. Votre accusé d'enregistrement "
                        "électronique (AEE) « %(receipt)s » est dans votre espace."
                    )
                    % {
                        "number": submitted.number,
                        "receipt": receipt.title if receipt is not None else submitted.number,
                    },
                )
                return redirect("procedures:request", uuid=submitted.uuid)
            req.refresh_from_db()
    names = {key: [a.file_name for a in files] for key, files in _attachments_by_key(req).items()}
    answers = procedure_fields.display_answers(req.revision.fields, req.data, names)
    from procedures.forms import field_id

    labels = _labels(req.revision.fields)
    error_list = [
        (
            field_id(key) if key else "",
            labels.get(key.split(".", 1)[0], "") if key else "",
            " ".join(str(m) for m in messages_),
        )
        for key, messages_ in errors.items()
    ]
    response = render(
        request,
        "procedures/summary.html",
        {
            "req": req,
            "procedure": req.procedure,
            "answers": answers,
            "errors": error_list,
            "submittable": req.state == RequestState.DRAFT,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _errors_by_key(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            key: [str(m) for m in ValidationError(v).messages] for key, v in exc.error_dict.items()
        }
    return {"": [str(m) for m in exc.messages]}


@login_required(login_url="login")
@require_POST
def message(request: HttpRequest, uuid: uuid_module.UUID) -> HttpResponse:
    """The applicant writes to the instructors (with files: same checks as the form)."""
    req = _own_request(request, uuid)
    body = request.POST.get("message", "").strip()
    uploads = [
        Upload(fileobj=f, name=f.name or "fichier") for f in request.FILES.getlist("fichiers")
    ]
    if not body:
        return _request_page(
            request, req, status=400, message_error=_("Écrivez votre message avant de l'envoyer.")
        )
    from procedures.services.files import message_send

    try:
        message_send(actor=request.user, request=req, body=body, uploads=uploads)
    except (PermissionDenied, ValidationError) as exc:
        return _request_page(
            request,
            req,
            status=400,
            message_error=_messages_of(exc) or _("Le message n'a pas pu être envoyé."),
            message_body=body,
        )
    messages.success(request, _("Votre message est envoyé aux instructeurs."))
    return redirect(reverse("procedures:request", kwargs={"uuid": req.uuid}) + "#messages")


# --- Mes données ----------------------------------------------------------------------------------


@login_required(login_url="login")
@never_cache
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    person = cast(User, request.user)
    return render(
        request,
        "procedures/my_data.html",
        {
            "person": person,
            "request_count": Request.objects.filter(applicant=person).count(),
            "document_count": privacy.my_documents(person).count(),
            "message_count": Message.objects.filter(request__applicant=person).count(),
            "attachment_count": Attachment.objects.filter(request__applicant=person).count(),
            "reads": privacy.reads_of(person),
        },
    )


@login_required(login_url="login")
@never_cache
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    person = cast(User, request.user)
    content = privacy.export_archive(person)
    name = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.zip"
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required(login_url="login")
@never_cache
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Confirmation with the password (or, for an account without one, the word SUPPRIMER)."""
    person = cast(User, request.user)
    uses_password = person.has_usable_password()
    error = ""
    if request.method == "POST":
        if uses_password:
            if not person.check_password(request.POST.get("mot_de_passe", "")):
                error = _("Mot de passe incorrect : votre compte n'a pas été supprimé.")
        elif request.POST.get("confirmation", "").strip() != DELETE_WORD:
            error = _("Tapez le mot %(word)s pour confirmer.") % {"word": DELETE_WORD}
        if not error:
            privacy.account_delete(actor=person, ip_address=client_ip(request))
            logout(request)
            messages.success(request, _("Votre compte est supprimé."))
            return redirect("/")
    kept = (
        Request.objects.filter(applicant=person)
        .exclude(state=RequestState.DRAFT)
        .select_related("procedure")
    )
    field_id = "id_mot_de_passe" if uses_password else "id_confirmation"
    return render(
        request,
        "procedures/account_delete.html",
        {
            "uses_password": uses_password,
            "delete_word": DELETE_WORD,
            "error": error,
            "error_summary": [(field_id, _("Confirmation"), error)] if error else [],
            "draft_count": Request.objects.filter(
                applicant=person, state=RequestState.DRAFT
            ).count(),
            "kept": list(kept),
        },
        status=400 if error else 200,
    )


# --- verification of a decision -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Is this PDF a decision issued on the portal? By its file or its SHA-256."""
    result: Request | None = None
    checked = False
    error = ""
    digest = ""
    if request.method == "POST":
        upload = request.FILES.get("fichier")
        typed = request.POST.get("sha256", "").strip().lower()
        if upload is not None:
            sha = hashlib.sha256()
            for chunk in upload.chunks():
                sha.update(chunk)
            digest = sha.hexdigest()
        elif typed:
            if SHA256.match(typed):
                digest = typed
            else:
                error = _("L'empreinte SHA-256 compte 64 caractères (chiffres et lettres a à f).")
        else:
            error = _("Choisissez le fichier PDF de la décision ou collez son empreinte SHA-256.")
        if digest:
            from procedures.pdf import verify_decision

            result = verify_decision(digest)
            checked = True
    error_field = "id_sha256" if request.POST.get("sha256") else "id_fichier"
    return render(
        request,
        "procedures/verify.html",
        {
            "result": result,
            "checked": checked,
            "digest": digest,
            "error": error,
            "error_summary": [(error_field, _("Décision à vérifier"), error)] if error else [],
            "decided_event": _decision_event(result),
        },
        status=400 if error else 200,
    )


def _decision_event(result: Request | None) -> RequestEvent | None:
    if result is None:
        return None
    return (
        result.events.filter(
            action__in=[
                RequestEvent.Action.ACCEPT,
                RequestEvent.Action.REFUSE,
                RequestEvent.Action.CLOSE,
            ]
        )
        .order_by("-at")
        .first()
    )
