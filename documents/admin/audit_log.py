"""The audit log in the admin, for administrators of the authorities it concerns.

Who reads which events, and how much of each, is documents.admin.audit_scope's: the log of
the administrator's oversight scope (everything for a superuser), personal documents' titles
and readers hidden from administrators above their owner. Filters and the search narrow that
set, never widen it: an authority, a document or a person outside it gives an empty list, the
same as one that does not exist.

Times are shown in Europe/Paris (stored in UTC); the days of the date filter are Paris days.
``?format=csv`` exports the filtered view (audited as ``export`` with the filters used).
"""

from __future__ import annotations

import csv
import datetime
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from core.http import client_ip
from documents.admin.audit_scope import EventView, event_views, hidden_reader, log_events_for
from documents.admin.audit_text import PARIS, actor_label, describe_event, paris, person_label
from documents.selectors import documents_visible_to
from documents.services.audit_export import audit_log_export_record
from identity.models import Authority, User
from identity.selectors import authorities_overseen_by, principals_of, users_managed_by

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PER_PAGE = 50
EXPORT_BATCH = 500
AUTHORITIES_LISTED = 300  # beyond, the authority filter is a number box
PEOPLE_NAMED = 200
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
FILTERS = ("from", "to", "actor", "action", "authority", "document", "q")


def _date_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Date invalide : attendu AAAA-MM-JJ.")},
    )


def _number_field(label: StrOrPromise, error: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=2**62,
        error_messages={"invalid": error, "min_value": error, "max_value": error},
    )


class AuditFilterForm(forms.Form):
    """The log's filters, as GET parameters (README: ``?document=``, ``?actor=``…)."""

    field_order = list(FILTERS)

    to = _date_field(gettext_lazy("Au (inclus)"))
    actor = forms.CharField(
        label=gettext_lazy("Auteur (nom, identifiant ou n°)"), required=False, max_length=150
    )
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        required=False,
        choices=[("", gettext_lazy("Toutes")), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": gettext_lazy("Action inconnue.")},
    )
    authority = _number_field(
        gettext_lazy("Collectivité"), gettext_lazy("Collectivité invalide : un numéro attendu.")
    )
    document = _number_field(
        gettext_lazy("Document n°"), gettext_lazy("Numéro de document invalide.")
    )
    q = forms.CharField(
        label=gettext_lazy("Rechercher (titre de document, nom, identifiant)"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args: Any, authorities: list[Authority] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if authorities is not None:
            self.fields["authority"].widget = forms.Select(
                choices=[("", _("Toutes")), *((a.pk, a.name) for a in authorities)]
            )
        for field in self.fields.values():
            field.error_messages.setdefault("max_length", _("Texte trop long."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("from", "to"):
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, _("Date hors des limites du journal."))
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("La date de fin doit suivre la date de début."))
        return data


# "from" is a Python keyword: the field is added by name.
AuditFilterForm.base_fields["from"] = _date_field(gettext_lazy("Du"))
AuditFilterForm.base_fields = {name: AuditFilterForm.base_fields[name] for name in FILTERS}


def _paris_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=PARIS)


def _words(text: str) -> list[str]:
    return [word for word in text.split() if word][:8]


def _person_matches(word: str, prefix: str = "actor__") -> Q:
    return (
        Q(**{f"{prefix}username__icontains": word})
        | Q(**{f"{prefix}first_name__icontains": word})
        | Q(**{f"{prefix}last_name__icontains": word})
    )


def filtered_events(
    user: User | AnonymousUser, events: QuerySet[AuditEvent], data: dict[str, Any]
) -> QuerySet[AuditEvent]:
    """``events`` (the viewer's log) narrowed by the cleaned filters."""
    principals = principals_of(user)
    if data.get("from"):
        events = events.filter(at__gte=_paris_midnight(data["from"]))
    if data.get("to"):
        events = events.filter(at__lt=_paris_midnight(data["to"] + datetime.timedelta(days=1)))
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("authority"):
        events = events.filter(authority_id=data["authority"])
    if data.get("document"):
        events = events.filter(document_id=data["document"])
    actor = (data.get("actor") or "").strip()
    if actor:
        if actor.isdigit():
            events = events.filter(actor_id=int(actor))
        else:
            for word in _words(actor):
                events = events.filter(_person_matches(word))
        # A person's readings of personal documents whose readers the viewer may not see do
        # not answer "this person read something" either.
        events = events.exclude(hidden_reader(principals))
    query = (data.get("q") or "").strip()
    if query:
        readable = (
            Q()
            if principals.superuser
            else Q(document_id__in=documents_visible_to(user).values("pk"))
        )
        shown = ~hidden_reader(principals)
        for word in _words(query):
            # The people a role or group change is about, by name (their login is in the
            # detail): a few hundred at most, the events stay those of the viewer's log.
            named = list(
                User.objects.filter(_person_matches(word, prefix="")).values_list("pk", flat=True)[
                    :PEOPLE_NAMED
                ]
            )
            events = events.filter(
                (Q(document__title__icontains=word) & readable)
                | (_person_matches(word) & shown)
                | Q(detail__username__icontains=word)
                | Q(detail__group_name__icontains=word)
                | (
                    Q(action=AuditEvent.Action.ROLE, detail__user__in=named)
                    if named
                    else Q(pk=None)
                )
            )
    return events


def _used_filters(data: dict[str, Any]) -> dict[str, str]:
    used = {}
    for name in FILTERS:
        value = data.get(name)
        if value in (None, ""):
            continue
        used[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return used


def _caption(user: User | AnonymousUser, data: dict[str, Any]) -> list[str]:
    """What the filters designate, named as far as the viewer may know it."""
    captions = []
    actor = (data.get("actor") or "").strip()
    if actor.isdigit():
        people = User.objects.all() if user.is_superuser else users_managed_by(user)
        person = people.filter(pk=int(actor)).first()
        if person is None and user.pk == int(actor) and isinstance(user, User):
            person = user
        captions.append(
            _("Événements de %(person)s") % {"person": person_label(person)}
            if person is not None
            else _("Événements du compte n° %(id)s") % {"id": actor}
        )
    if data.get("document"):
        document = documents_visible_to(user).filter(pk=data["document"]).first()
        captions.append(
            _("Historique du document « %(title)s »") % {"title": document.title}
            if document is not None
            else _("Historique du document n° %(id)s") % {"id": data["document"]}
        )
    return captions


def audit_log_view(request: HttpRequest) -> HttpResponseBase:
    """The audit log of the authorities the requester administers (and those below)."""
    from wagtail.admin.paginator import WagtailPaginator

    scoped = log_events_for(request.user)
    if scoped is None:
        raise PermissionDenied
    authorities = authorities_overseen_by(request.user).order_by("name")
    listed = list(authorities[: AUTHORITIES_LISTED + 1])
    form = AuditFilterForm(
        request.GET or None,
        authorities=listed if len(listed) <= AUTHORITIES_LISTED else None,
    )
    wants_csv = request.GET.get("format", "") == "csv"
    if request.GET.get("format", "") not in ("", "csv"):
        form.is_valid()
        form.add_error(None, _("Format d'export inconnu : seul « csv » est proposé."))
    valid = form.is_bound is False or form.is_valid()
    if not valid:
        return render(
            request,
            "documents/admin/audit_log.html",
            {"form": form, "rows": [], "page_obj": None, "invalid": True},
            status=400,
        )
    data = form.cleaned_data if form.is_bound else {}
    events = (
        filtered_events(request.user, scoped, data)
        .select_related("actor", "document", "authority")
        .order_by("-at", "-pk")
    )
    if wants_csv:
        return _csv_response(request, events, data)
    paginator = WagtailPaginator(events, PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    views = event_views(request.user, list(page.object_list))
    return render(
        request,
        "documents/admin/audit_log.html",
        {
            "form": form,
            "page_obj": page,
            "paginator": paginator,
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "rows": [_row(event, view) for event, view in views],
            "captions": _caption(request.user, data),
            "filtered": bool(_used_filters(data)),
            "csv_query": _csv_query(request),
        },
    )


def _csv_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("p", None)
    query["format"] = "csv"
    return query.urlencode()


def _row(event: AuditEvent, view: EventView) -> dict[str, Any]:
    return {
        "event": event,
        "at": paris(event.at),
        "actor": actor_label(event, view),
        "actor_link": event.actor_id if view.reader_shown and event.actor_id else None,
        "text": describe_event(event, view),
        "ip": event.ip_address if view.reader_shown else None,
    }


# --- CSV export --------------------------------------------------------------------------------
# Semicolon-separated, UTF-8 with a byte-order mark: what Excel opens as columns on a computer
# set to French (where the comma is the decimal separator and ";" the list separator), and what
# LibreOffice and every CSV reader accept.
CSV_DELIMITER = ";"
CSV_HEADER = [
    gettext_lazy("Date (heure de Paris)"),
    gettext_lazy("Date (UTC, ISO 8601)"),
    gettext_lazy("Auteur"),
    gettext_lazy("Action"),
    gettext_lazy("Description"),
    gettext_lazy("Document n°"),
    gettext_lazy("Collectivité"),
    gettext_lazy("Adresse IP"),
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would make it a formula
    (titles and names come from people)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(user: User | AnonymousUser, events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER)
    yield "\ufeff" + writer.writerow([str(title) for title in CSV_HEADER])
    for batch in itertools.batched(events.iterator(chunk_size=EXPORT_BATCH), EXPORT_BATCH):
        for event, view in event_views(user, list(batch)):
            yield writer.writerow(
                [
                    _cell(paris(event.at).strftime("%d/%m/%Y %H:%M:%S")),
                    _cell(event.at.astimezone(datetime.UTC).isoformat()),
                    _cell(actor_label(event, view)),
                    _cell(event.get_action_display()),
                    _cell(describe_event(event, view)),
                    _cell(event.document_id or ""),
                    _cell(event.authority.name if event.authority else ""),
                    _cell(event.ip_address if view.reader_shown and event.ip_address else ""),
                ]
            )


def _export_authority(request: HttpRequest, data: dict[str, Any]) -> Authority | None:
    """Where the export is filed: the authority filtered on, else the exporter's own when they
    administer one; else nowhere (superusers read it)."""
    overseen = authorities_overseen_by(request.user)
    if data.get("authority"):
        chosen = overseen.filter(pk=data["authority"]).first()
        if chosen is not None:
            return chosen
    own = principals_of(request.user).admin_of
    if len(own) == 1:
        return Authority.objects.filter(pk__in=own).first()
    return None


def _csv_response(
    request: HttpRequest, events: QuerySet[AuditEvent], data: dict[str, Any]
) -> StreamingHttpResponse:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    record = audit_log_export_record(
        actor=user,
        filters=_used_filters(data),
        count=events.count(),
        authority=_export_authority(request, data),
        ip_address=client_ip(request),
    )
    stamp = timezone.localtime(record.at, PARIS).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(user, events.exclude(pk=record.pk)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="journal-audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
