"""Who reads which audit events, and how much of each (the log, the CSV export, a document's
trail on its edit screen share these rules).

An administrator reads the log of their oversight scope (``identity.selectors.overseen_subtree``)
but not every document in it: a personal document stays between the citizen and the owner's
agents. So an event shows a document's title (and the detail of the change, which may quote it)
only if the viewer may read the document — else "document n° <id>" — and, for a reading or a
download of a personal document, who read it and from where only to the owner's agents.
Filters and searches never reach what a row would hide: a search on a title matches only
documents the viewer reads, a search or filter on a person skips the readings whose reader is
hidden from the viewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, Group
from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from documents.models import Audience
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from identity.selectors import Principals, overseen_subtree, principals_of

READINGS = frozenset({AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD})


def log_events_for(user: User | AnonymousUser | None) -> QuerySet[AuditEvent] | None:
    """The events ``user`` reads in the audit log; None for someone who has no log to read."""
    principals = principals_of(user)
    if principals.superuser:
        return AuditEvent.objects.all()
    if principals.admin_of:
        return AuditEvent.objects.filter(authority_id__in=overseen_subtree(principals))
    return None


def hidden_reader(principals: Principals) -> Q:
    """Events whose reader ``principals`` may not see (readings of someone else's personal
    documents). Used to exclude them from any filter or search on a person."""
    if principals.superuser:
        return Q(pk__in=[])
    condition = Q(action__in=READINGS, document__audience=Audience.PERSONAL)
    if principals.agent_of:
        condition &= ~Q(document__owner_id__in=principals.agent_of)
    return condition


@dataclass
class Names:
    """The people, groups and authorities the events of one page name in their detail, fetched
    in a fixed number of queries."""

    users: dict[int, User] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    authorities: dict[int, str] = field(default_factory=dict)


@dataclass
class EventView:
    """How much of one event the viewer sees."""

    document_readable: bool = True  # title and detail shown
    reader_shown: bool = True  # actor and IP address shown
    names: Names = field(default_factory=Names)


def _referenced(events: Iterable[AuditEvent]) -> tuple[set[int], set[int], set[int]]:
    users: set[int] = set()
    groups: set[int] = set()
    authorities: set[int] = set()
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        if isinstance(detail.get("user"), int):
            users.add(detail["user"])
        grantee = detail.get("grantee")
        if isinstance(grantee, str) and ":" in grantee:
            kind, _sep, pk = grantee.partition(":")
            if pk.isdigit():
                {"user": users, "group": groups, "authority": authorities}.get(kind, set()).add(
                    int(pk)
                )
        filters = detail.get("filters")
        if isinstance(filters, dict):
            for key, target in (("actor", users), ("authority", authorities)):
                value = str(filters.get(key, ""))
                if value.isdigit():
                    target.add(int(value))
    return users, groups, authorities


def names_for(events: Iterable[AuditEvent]) -> Names:
    users, groups, authorities = _referenced(events)
    names = Names()
    if users:
        names.users = {
            u.pk: u
            for u in User.objects.filter(pk__in=users).only("username", "first_name", "last_name")
        }
    if groups:
        names.groups = dict(Group.objects.filter(pk__in=groups).values_list("pk", "name"))
    if authorities:
        names.authorities = dict(
            Authority.objects.filter(pk__in=authorities).values_list("pk", "name")
        )
    return names


def event_views(
    user: User | AnonymousUser | None, events: list[AuditEvent]
) -> list[tuple[AuditEvent, EventView]]:
    """Each event with what ``user`` sees of it (a fixed number of queries for the list)."""
    principals = principals_of(user)
    ids = {event.document_id for event in events if event.document_id}
    readable = (
        set(documents_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids and not principals.superuser
        else set()
    )
    names = names_for(events)
    views = []
    for event in events:
        document = event.document
        if document is None:
            views.append((event, EventView(names=names)))
            continue
        private_reading = event.action in READINGS and document.audience == Audience.PERSONAL
        views.append(
            (
                event,
                EventView(
                    document_readable=principals.superuser or document.pk in readable,
                    reader_shown=(
                        not private_reading
                        or principals.superuser
                        or document.owner_id in principals.agent_of
                    ),
                    names=names,
                ),
            )
        )
    return views
