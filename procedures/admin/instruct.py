"""Admin > Démarches > dossiers: the instruction side.

- The queue of a procedure (``/admin/demarches/<pk>/dossiers/``): its requests the agent
  instructs (``requests_instructable_by``), filtered by state, submission dates, commune and
  "assigned to me", paged; CSV export (one row per request, the displayed answers as columns,
  ``;`` separator, UTF-8 with BOM for Excel) and a ZIP of the files.
- The request page (``/admin/demarches/dossiers/<uuid>/``, ``procedures_admin_request``):
  answers, files, operation log, messages, and the actions its state allows (open, ask for a
  correction, decide, reopen, assign, send a message). Each action is a POST with CSRF.

Every read is audited (``request_read_record``): opening the page, each download, each export
(one row per request exported). Someone who does not instruct the request gets 404.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from typing import Any, cast
from uuid import UUID

from django import forms
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from documents.services import Upload
from identity.models import Authority, User
from identity.selectors import authorities_overseen_by
from procedures.fields import display_answers
from procedures.models import Attachment, Procedure, Request, RequestEvent, RequestState
from procedures.selectors import is_instructor, procedures_editable_by, requests_instructable_by

PAGE_SIZE = 50
EXPORT_MAX = 5000
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DECISIONS = [
    ("accepte", gettext_lazy("Accepter")),
    ("refuse", gettext_lazy("Refuser")),
    ("sans_suite", gettext_lazy("Classer sans suite")),
]


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _record(request: HttpRequest, item: Request, what: str) -> None:
    from procedures.services.requests import request_read_record

    request_read_record(
        actor=_actor(request), request=item, what=what, ip_address=client_ip(request)
    )


def _queue_procedure(request: HttpRequest, pk: int) -> Procedure:
    """The procedure whose queue the user reads: they instruct it or oversee its owner."""
    procedure = Procedure.objects.select_related("owner").filter(pk=pk).first()
    if procedure is None or not request.user.is_authenticated:
        raise Http404
    if not (
        is_instructor(request.user, procedure)
        or authorities_overseen_by(request.user).filter(pk=procedure.owner_id).exists()
    ):
        raise Http404
    return procedure


def _editable_by(request: HttpRequest, procedure: Procedure) -> bool:
    return procedures_editable_by(request.user).filter(pk=procedure.pk).exists()


def _instructable(request: HttpRequest, request_uuid: UUID) -> Request:
    item = (
        requests_instructable_by(request.user)
        .select_related("procedure__owner", "revision", "applicant", "assigned_to", "commune")
        .filter(uuid=request_uuid)
        .first()
    )
    if item is None:
        raise Http404
    return item


# --- Queue ------------------------------------------------------------------------------------


class QueueFilters(forms.Form):
    etat = forms.ChoiceField(
        label=gettext_lazy("État"),
        required=False,
        choices=[],
    )
    du = forms.DateField(
        label=gettext_lazy("Déposé à partir du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa).")},
    )
    au = forms.DateField(
        label=gettext_lazy("Déposé jusqu'au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa).")},
    )
    commune = forms.ModelChoiceField(
        label=gettext_lazy("Commune"),
        required=False,
        queryset=Authority.objects.none(),
        to_field_name="insee_code",
        empty_label=gettext_lazy("Toutes"),
        error_messages={"invalid_choice": gettext_lazy("Choisissez une commune de la liste.")},
    )
    moi = forms.BooleanField(label=gettext_lazy("Assignés à moi"), required=False)

    def __init__(self, *args: Any, requests: QuerySet[Request], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state_field = cast(forms.ChoiceField, self.fields["etat"])
        state_field.choices = [
            ("", _("Tous (sauf clos)")),
            ("tous", _("Tous")),
            *((s, str(label)) for s, label in RequestState.choices if s != RequestState.DRAFT),
        ]
        commune_field = cast(forms.ModelChoiceField[Authority], self.fields["commune"])
        commune_field.queryset = Authority.objects.filter(
            pk__in=requests.exclude(commune__isnull=True).values("commune_id")
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if start and end and start > end:
            self.add_error("au", _("La date de fin précède la date de début."))
        return data

    def apply(self, requests: QuerySet[Request], user: Any) -> QuerySet[Request]:
        data = self.cleaned_data
        state = data.get("etat") or ""
        if state == "":
            requests = requests.filter(state__in=[RequestState.SUBMITTED, RequestState.INSTRUCTION])
        elif state != "tous":
            requests = requests.filter(state=state)
        tz = timezone.get_current_timezone()
        if data.get("du"):
            requests = requests.filter(
                submitted_at__gte=datetime.datetime.combine(data["du"], datetime.time.min, tz)
            )
        if data.get("au"):
            after = data["au"] + datetime.timedelta(days=1)
            requests = requests.filter(
                submitted_at__lt=datetime.datetime.combine(after, datetime.time.min, tz)
            )
        if data.get("commune"):
            requests = requests.filter(commune=data["commune"])
        if data.get("moi"):
            requests = requests.filter(assigned_to=user)
        return requests


def _filtered(request: HttpRequest, procedure: Procedure) -> tuple[QueueFilters, QuerySet[Request]]:
    scope = requests_instructable_by(request.user).filter(procedure=procedure)
    filters = QueueFilters(request.GET or None, requests=scope)
    items = scope
    if filters.is_bound and filters.is_valid():
        items = filters.apply(scope, request.user)
    elif not filters.is_bound:
        items = scope.filter(state__in=[RequestState.SUBMITTED, RequestState.INSTRUCTION])
    else:
        items = scope.none()
    items = items.select_related("applicant", "assigned_to", "commune").order_by(
        "submitted_at", "pk"
    )
    return filters, items


@require_http_methods(["GET"])
def queue_view(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _queue_procedure(request, pk)
    filters, items = _filtered(request, procedure)
    paginator = Paginator(items, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/admin/queue.html",
        {
            "page_title": _("Dossiers"),
            "procedure": procedure,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "instruct_only": not _editable_by(request, procedure),
        },
        status=400 if filters.is_bound and filters.errors else 200,
    )


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(CSV_FORMULA_START):
        text = "'" + text  # a spreadsheet must not run it as a formula
    return text


def _attachment_names(item: Request) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for attachment in item.attachments.all():
        if attachment.field_key and attachment.message_id is None:
            names.setdefault(attachment.field_key, []).append(attachment.file_name)
    return names


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


@require_http_methods(["GET"])
def export_csv_view(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _queue_procedure(request, pk)
    _filters, items = _filtered(request, procedure)
    rows = list(items.select_related("revision").prefetch_related("attachments")[:EXPORT_MAX])
    labels: list[str] = []
    values: list[dict[str, str]] = []
    for item in rows:
        shown: dict[str, str] = {}
        for label, value in display_answers(
            item.revision.fields, item.data, _attachment_names(item)
        ):
            label = str(label)
            if not value and label not in labels:
                continue  # a section header
            if label not in labels:
                labels.append(label)
            shown[label] = f"{shown[label]} | {value}" if label in shown else str(value)
        values.append(shown)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    fixed = [
        _("Numéro"),
        _("État"),
        _("Demandeur"),
        _("Courriel"),
        _("Commune"),
        _("Déposé le"),
        _("Décidé le"),
        _("Instructeur assigné"),
    ]
    writer.writerow([*fixed, *labels])
    for item, shown in zip(rows, values, strict=True):
        applicant = item.applicant
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    item.number,
                    item.get_state_display(),
                    applicant.display_name if applicant else _("(compte supprimé)"),
                    applicant.email if applicant else "",
                    item.commune.name if item.commune else "",
                    _when(item.submitted_at),
                    _when(item.decided_at),
                    item.assigned_to.display_name if item.assigned_to else "",
                    *(shown.get(label, "") for label in labels),
                )
            ]
        )
    for item in rows:
        _record(request, item, "export csv")
    response = HttpResponse(
        buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = get_valid_filename(f"dossiers-{procedure.slug}-{timezone.localdate():%Y%m%d}.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET"])
def export_zip_view(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _queue_procedure(request, pk)
    _filters, items = _filtered(request, procedure)
    rows = list(items.prefetch_related("attachments")[:EXPORT_MAX])
    spooled = io.BytesIO()
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in rows:
            used: set[str] = set()
            for attachment in item.attachments.all():
                folder = attachment.field_key or (
                    f"message-{attachment.message_id}" if attachment.message_id else "pieces"
                )
                base = get_valid_filename(attachment.file_name) or f"piece-{attachment.pk}"
                arcname = f"{item.number}/{folder}/{base}"
                if arcname in used:
                    arcname = f"{item.number}/{folder}/{attachment.pk}-{base}"
                used.add(arcname)
                try:
                    with attachment.file.open("rb") as handle:
                        archive.writestr(arcname, handle.read())
                except OSError:
                    archive.writestr(arcname + ".manquant.txt", _("Fichier introuvable."))
            _record(request, item, "export zip")
    response = HttpResponse(spooled.getvalue(), content_type="application/zip")
    name = get_valid_filename(f"pieces-{procedure.slug}-{timezone.localdate():%Y%m%d}.zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Request page ----------------------------------------------------------------------------


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message au demandeur"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        error_messages={"required": gettext_lazy("Écrivez le message.")},
    )


def _state_actions(item: Request) -> set[str]:
    actions = {"message", "assign"}
    if item.state == RequestState.SUBMITTED:
        actions |= {"open"}
    elif item.state == RequestState.INSTRUCTION:
        actions |= {"correction", "decide"}
    elif item.closed:
        actions |= {"reopen"}
    return actions


def _perform(request: HttpRequest, item: Request, action: str) -> str:
    """Run one action; the French message on success. Raises ValidationError/PermissionDenied."""
    from procedures.services.files import message_send
    from procedures.services.requests import (
        request_ask_correction,
        request_assign,
        request_decide,
        request_open,
        request_reopen,
    )

    actor = _actor(request)
    post = request.POST
    if action not in _state_actions(item):
        raise ValidationError(_("Cette action n'est pas possible dans l'état du dossier."))
    if action == "open":
        request_open(actor=actor, request=item)
        return _("Instruction commencée : l'accusé de réception est envoyé au demandeur.")
    if action == "correction":
        text = post.get("correction", "").strip()
        if not text:
            raise ValidationError({"correction": _("Dites ce qu'il faut corriger.")})
        request_ask_correction(actor=actor, request=item, message=text)
        return _("Correction demandée : le dossier est rendu au demandeur.")
    if action == "decide":
        outcome = post.get("outcome", "")
        if outcome not in dict(DECISIONS):
            raise ValidationError({"outcome": _("Choisissez une décision.")})
        motivation = post.get("motivation", "").strip()
        if outcome != "accepte" and not motivation:
            raise ValidationError({"motivation": _("Motivez la décision.")})
        request_decide(actor=actor, request=item, outcome=outcome, motivation=motivation)
        return _(
            "Décision enregistrée : le document de décision est déposé dans l'espace du demandeur."
        )
    if action == "reopen":
        reason = post.get("reason", "").strip()
        if not reason:
            raise ValidationError({"reason": _("Indiquez pourquoi le dossier est rouvert.")})
        request_reopen(actor=actor, request=item, reason=reason)
        return _("Dossier rouvert : la décision est retirée.")
    if action == "assign":
        value = post.get("assignee", "")
        assignee: User | None = None
        if value == "me":
            assignee = actor
        elif value:
            assignee = (
                _instructors(item.procedure).filter(pk=value if value.isdigit() else 0).first()
            )
            if assignee is None:
                raise ValidationError({"assignee": _("Choisissez un instructeur de la démarche.")})
        request_assign(actor=actor, request=item, assignee=assignee)
        return _("Dossier assigné.") if assignee else _("Dossier désassigné.")
    # message
    form = MessageForm(post)
    if not form.is_valid():
        raise ValidationError({"body": form.errors.get("body", [_("Écrivez le message.")])})
    uploads = [Upload(f, f.name or "") for f in request.FILES.getlist("files")]
    message_send(actor=actor, request=item, body=form.cleaned_data["body"], uploads=uploads)
    return _("Message envoyé au demandeur.")


def _instructors(procedure: Procedure) -> QuerySet[User]:
    return procedure.instructors.user_set.filter(is_active=True).order_by(
        "last_name", "first_name", "username"
    )


@require_http_methods(["GET", "POST"])
def request_view(request: HttpRequest, request_uuid: UUID) -> HttpResponse:
    item = _instructable(request, request_uuid)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            done = _perform(request, item, action)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                errors = {k: [str(m) for m in v] for k, v in error.message_dict.items()}
            else:
                general = [str(m) for m in error.messages]
        except PermissionDenied as error:
            general = [str(error) or _("Action refusée.")]
        else:
            django_messages.success(request, done)
            return redirect("procedures_admin_request", request_uuid=item.uuid)
        status = 400
        item = _instructable(request, request_uuid)
    else:
        _record(request, item, "view instruct page")
    attachments = list(item.attachments.select_related("message"))
    names: dict[str, list[str]] = {}
    for attachment in attachments:
        if attachment.field_key and attachment.message_id is None:
            names.setdefault(attachment.field_key, []).append(attachment.file_name)
    by_message: dict[int, list[Attachment]] = {}
    for attachment in attachments:
        if attachment.message_id:
            by_message.setdefault(attachment.message_id, []).append(attachment)
    messages_ = [(m, by_message.get(m.pk, [])) for m in item.messages.select_related("author")]
    return render(
        request,
        "procedures/admin/request.html",
        {
            "page_title": _("Dossier %(number)s") % {"number": item.number},
            "item": item,
            "procedure": item.procedure,
            "answers": display_answers(item.revision.fields, item.data, names),
            "field_files": [a for a in attachments if not a.message_id],
            "events": list(
                RequestEvent.objects.filter(request=item)
                .select_related("actor")
                .order_by("at", "pk")
            ),
            "thread": messages_,
            "actions": _state_actions(item),
            "decisions": DECISIONS,
            "instructors": list(_instructors(item.procedure)),
            "errors": errors,
            "general_errors": general,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


@require_http_methods(["GET"])
def attachment_view(request: HttpRequest, request_uuid: UUID, pk: int) -> HttpResponseBase:
    from procedures.selectors import attachments_visible_to

    item = _instructable(request, request_uuid)
    attachment = attachments_visible_to(request.user).filter(request=item, pk=pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    _record(request, item, f"attachment {attachment.file_name}")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.file_name,
        content_type=attachment.mime_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
