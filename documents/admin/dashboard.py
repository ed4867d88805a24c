"""The admin's home, one panel per role (Wagtail's ``construct_homepage_panels``).

* Publisher: the drafts, submissions waiting for them, scheduled and recently published
  documents of the authorities they publish for, and documents whose text extraction failed;
  a "Publier un document" button.
* Agent: what is new for their authority, and their own drafts and submissions where the
  authority asks for review.
* Administrator: the people and roles of their scope, and the recent audit events.

Every list comes from the selectors (documents_editable_by, documents_visible_to, the identity
selectors, the audit log's scope), holds at most ``ROWS`` rows, and costs a fixed number of
queries whatever the amount of data.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from audit.models import AuditEvent
from documents.admin.audit_scope import READINGS, event_views, log_events_for
from documents.models import Audience, Document, DocumentVersion, PublishingPolicy, Status
from documents.selectors import (
    authorities_draftable_by,
    documents_editable_by,
    documents_visible_to,
)
from identity.models import Authority, Membership, User
from identity.selectors import (
    Principals,
    authorities_managed_by,
    principals_of,
)

ROWS = 8


PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@dataclass
class Row:
    """One line of a panel's list: a title linking to its screen, and what to say about it."""

    title: str
    url: str
    authority: str = ""
    when: datetime.date | datetime.datetime | None = None  # shown in Europe/Paris
    when_label: str = ""
    note: str = ""

    @property
    def when_display(self) -> str:
        return when_text(self.when)

    @property
    def when_iso(self) -> str:
        if isinstance(self.when, datetime.datetime):
            return _paris(self.when).isoformat()
        return self.when.isoformat() if self.when else ""


@dataclass
class Section:
    title: str
    rows: list[Row]
    empty: str
    more_url: str = ""
    more_label: str = ""
    identifier: str = ""


@dataclass
class Link:
    label: str
    url: str
    count: int | None = None


@dataclass
class PanelData:
    sections: list[Section] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def _edit_url(document: Document) -> str:
    return reverse("civis_documents:edit", args=[document.pk])


def _index_url(**filters: str) -> str:
    url = reverse("civis_documents:index")
    if filters:
        url += "?" + "&".join(f"{k}={v}" for k, v in filters.items())
    return url


def _publisher_authorities(principals: Principals) -> frozenset[int]:
    """Where the requester publishes as a publisher (not as an administrator, whose scope may be
    a whole region: the administrator's panel is about people and the log)."""
    return principals.edits_own - principals.admin_of


class DashboardPanel(Component):
    """A home panel: a heading, optional action buttons and links, and sections of rows."""

    name = ""
    order = 10
    template_name = "documents/admin/dashboard_panel.html"
    heading = ""
    intro = ""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user: User | AnonymousUser = request.user

    def data(self) -> PanelData:
        raise NotImplementedError

    def actions(self) -> list[Link]:
        return []

    def people_search_url(self) -> str:
        """Where the panel's "find a person" form goes (empty: no such form)."""
        return ""

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        data = self.data()
        return {
            "panel": self,
            "heading": self.heading,
            "intro": self.intro,
            "actions": self.actions(),
            "people_search_url": self.people_search_url(),
            "sections": data.sections,
            "links": data.links,
        }


class PublisherPanel(DashboardPanel):
    name = "civis_publisher"
    order = 10

    def __init__(self, request: HttpRequest, authority_ids: frozenset[int]) -> None:
        super().__init__(request)
        self.authority_ids = authority_ids
        self.heading = _("Mes publications")
        names = sorted(
            Authority.objects.filter(pk__in=authority_ids).values_list("name", flat=True)
        )
        self.intro = ", ".join(names)

    def actions(self) -> list[Link]:
        return [Link(_("Publier un document"), reverse("civis_documents:add"))]

    def _documents(self) -> QuerySet[Document]:
        return (
            documents_editable_by(self.user)
            .filter(owner_id__in=self.authority_ids)
            .select_related("owner")
        )

    def _rows(
        self,
        documents: QuerySet[Document],
        when: str = "",
        when_label: str = "",
        note: Any = None,
    ) -> list[Row]:
        return [
            Row(
                title=d.title,
                url=_edit_url(d),
                authority=d.owner.name,
                when=getattr(d, when) if when else None,
                when_label=when_label,
                note=note(d) if note else "",
            )
            for d in documents[:ROWS]
        ]

    def data(self) -> PanelData:
        documents = self._documents()
        in_review = documents.filter(status=Status.IN_REVIEW).select_related("created_by")
        failed = documents.filter(
            current_version__extraction_status=DocumentVersion.ExtractionStatus.FAILED
        )
        return PanelData(
            sections=[
                Section(
                    _("À valider"),
                    self._rows(
                        in_review.order_by("updated_at", "pk"),
                        "updated_at",
                        _("soumis le"),
                        lambda d: (
                            _("par %(name)s") % {"name": d.created_by.display_name}
                            if d.created_by
                            else ""
                        ),
                    ),
                    _("Aucun document en attente de validation"),
                    _index_url(status=Status.IN_REVIEW),
                    _("Tous les documents à valider"),
                    "in_review",
                ),
                Section(
                    _("Brouillons"),
                    self._rows(
                        documents.filter(status=Status.DRAFT).order_by("-updated_at", "-pk"),
                        "updated_at",
                        _("modifié le"),
                    ),
                    _("Aucun brouillon"),
                    _index_url(status=Status.DRAFT),
                    _("Tous les brouillons"),
                    "drafts",
                ),
                Section(
                    _("Programmés"),
                    self._rows(
                        documents.filter(status=Status.SCHEDULED).order_by("go_live_at", "pk"),
                        "go_live_at",
                        _("mise en ligne le"),
                    ),
                    _("Aucune publication programmée"),
                    _index_url(status=Status.SCHEDULED),
                    _("Toutes les publications programmées"),
                    "scheduled",
                ),
                Section(
                    _("Publiés récemment"),
                    self._rows(
                        documents.filter(status=Status.PUBLISHED).order_by(
                            "-published_on", "-updated_at", "-pk"
                        ),
                        "published_on",
                        _("publié le"),
                        lambda d: (
                            _("fin d'affichage le %(date)s") % {"date": when_text(d.expire_at)}
                            if d.expire_at
                            else ""
                        ),
                    ),
                    _("Aucune publication récente"),
                    _index_url(status=Status.PUBLISHED),
                    _("Tous les documents publiés"),
                    "published",
                ),
                Section(
                    _("Extraction du texte en échec"),
                    self._rows(
                        failed.select_related("current_version").order_by("-updated_at", "-pk"),
                        note=lambda d: d.current_version.extraction_error,
                    ),
                    _("Aucun échec d'extraction"),
                    identifier="failed",
                ),
            ]
        )


class AgentPanel(DashboardPanel):
    name = "civis_agent"
    order = 20

    def __init__(self, request: HttpRequest, authority_ids: frozenset[int]) -> None:
        super().__init__(request)
        self.authority_ids = authority_ids
        names = sorted(
            Authority.objects.filter(pk__in=authority_ids).values_list("name", flat=True)
        )
        self.heading = _("Nouveautés de %(names)s") % {"names": ", ".join(names)}
        self.reviewed = set(
            PublishingPolicy.objects.filter(
                authority_id__in=authority_ids, review_required=True
            ).values_list("authority_id", flat=True)
        )

    def actions(self) -> list[Link]:
        if self.reviewed and authorities_draftable_by(self.user).exists():
            return [Link(_("Préparer un document"), reverse("civis_documents:add"))]
        return []

    def data(self) -> PanelData:
        readable = documents_visible_to(self.user).select_related("owner")
        # A citizen's personal documents are their business, not news.
        recent = readable.filter(owner_id__in=self.authority_ids, status=Status.PUBLISHED).exclude(
            audience=Audience.PERSONAL
        )
        sections = [
            Section(
                _("Publié récemment"),
                [
                    Row(
                        d.title,
                        reverse("document_detail", args=[d.pk]),
                        d.owner.name,
                        d.published_on,
                        _("publié le"),
                        d.get_audience_display(),
                    )
                    for d in recent.order_by("-published_on", "-pk")[:ROWS]
                ],
                _("Aucune publication récente"),
                identifier="news",
            )
        ]
        if self.reviewed:
            mine = readable.filter(
                owner_id__in=self.reviewed,
                created_by_id=self.user.pk,
                status__in=[Status.DRAFT, Status.IN_REVIEW],
            ).order_by("-updated_at", "-pk")[:ROWS]
            editable = set(
                documents_editable_by(self.user)
                .filter(created_by_id=self.user.pk, status=Status.DRAFT)
                .values_list("pk", flat=True)[: ROWS * 4]
            )
            sections.append(
                Section(
                    _("Mes brouillons et soumissions"),
                    [
                        Row(
                            d.title,
                            _edit_url(d)
                            if d.pk in editable
                            else reverse("document_detail", args=[d.pk]),
                            d.owner.name,
                            d.updated_at,
                            _("modifié le"),
                            d.get_status_display(),
                        )
                        for d in mine
                    ],
                    _("Aucun brouillon"),
                    _index_url(),
                    _("Tous mes documents"),
                    "mine",
                )
            )
        return PanelData(sections=sections)


class AdministratorPanel(DashboardPanel):
    name = "civis_administrator"
    order = 30

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.heading = _("Administration de mon territoire")

    def actions(self) -> list[Link]:
        return [
            Link(_("Gérer les droits d'accès"), reverse("civis_rights")),
            Link(_("Journal d'audit"), reverse("civis_audit_log")),
        ]

    def people_search_url(self) -> str:
        # The rights admin finds people by name, login or e-mail (its "personne" parameter).
        return reverse("civis_rights")

    def data(self) -> PanelData:
        managed = authorities_managed_by(self.user)
        roles = dict(
            Membership.objects.active()
            .filter(authority__in=managed)
            .values_list("role")
            .annotate(n=Count("user_id", distinct=True))
            .values_list("role", "n")
        )
        people = (
            Membership.objects.active()
            .filter(authority__in=managed)
            .aggregate(n=Count("user_id", distinct=True))["n"]
        )
        rights = reverse("civis_rights")
        links = [
            Link(_("Collectivités administrées"), rights, managed.count()),
            Link(_("Personnes ayant un rôle"), rights, people),
            *(
                Link(str(label), rights, roles.get(value, 0))
                for value, label in Membership.Role.choices
            ),
        ]
        events = log_events_for(self.user)
        rows: list[Row] = []
        if events is not None:
            recent = list(
                events.exclude(action__in=READINGS)
                .select_related("actor", "document", "authority")
                .order_by("-at", "-pk")[:ROWS]
            )
            for event, view in event_views(self.user, recent):
                rows.append(_event_row(event, view.document_readable))
        return PanelData(
            sections=[
                Section(
                    _("Derniers événements du journal"),
                    rows,
                    _("Aucun événement"),
                    reverse("civis_audit_log"),
                    _("Tout le journal d'audit"),
                    "audit",
                )
            ],
            links=links,
        )


def _event_row(event: AuditEvent, document_readable: bool) -> Row:
    actor = event.actor.display_name if event.actor else _("le système")
    if event.document_id:
        target = (
            event.document.title
            if document_readable and event.document
            else _("document n° %(pk)s") % {"pk": event.document_id}
        )
        url = reverse("civis_audit_log") + f"?document={event.document_id}"
    elif event.authority_id and event.authority:
        target = event.authority.name
        url = reverse("civis_audit_log") + f"?authority={event.authority_id}"
    else:
        target = ""
        url = reverse("civis_audit_log")
    return Row(
        title=f"{event.get_action_display()} — {target}" if target else event.get_action_display(),
        url=url,
        authority=event.authority.name if event.authority else "",
        when=event.at,
        when_label=_("le"),
        note=_("par %(actor)s") % {"actor": actor},
    )


def _paris(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment, PARIS)


def when_text(moment: datetime.date | datetime.datetime | None) -> str:
    """A date as the agents read it: a time in Europe/Paris, whatever the server's zone."""
    if moment is None:
        return ""
    if isinstance(moment, datetime.datetime):
        return date_format(_paris(moment), "d/m/Y H:i")
    return date_format(moment, "d/m/Y")


def panels_for(request: HttpRequest) -> list[DashboardPanel]:
    """The home panels of the requester's roles (none for someone without a role)."""
    principals = principals_of(request.user)
    panels: list[DashboardPanel] = []
    # A superuser's scope is everything: their home is the administrator's.
    publishing = _publisher_authorities(principals)
    if publishing:
        panels.append(PublisherPanel(request, publishing))
    agent_only = principals.agent_of - principals.edits_own
    if agent_only:
        panels.append(AgentPanel(request, agent_only))
    if principals.superuser or principals.admin_of:
        panels.append(AdministratorPanel(request))
    return panels
