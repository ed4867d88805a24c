"""The one answer to "which procedures and requests may this person see, and do what with".

Every path — the catalogue, the citizen's space, the instruct pages, downloads, exports, the
passerelle API, search — goes through these functions. The rules (the oracle in
tests/procedures/test_access_property.py states them in plain Python):

* A **procedure** is seen by everyone when published; when closed, by those who have a request
  on it; in every status, by those who edit it (the owner's publishers and administrators, the
  administrators of any authority above it, superusers) and by its instructors.
* A **request** is read by its applicant (every state); once submitted (not a draft) by the
  procedure's **instructors** — members of ``procedure.instructors`` who hold an active role in
  the owner or below it (an agent whose roles ended no longer instructs, even if nobody removed
  them from the group) — and by the **administrators** of the owner or of any authority above
  it; superusers read every request. Nobody else, ever: an agent of the owner who is neither
  instructor nor administrator does not read its requests.
* Requests are **instructed** by the same people, minus the applicant (nobody instructs their
  own request).
* An attachment is read by whoever reads its request.
"""

from __future__ import annotations

import datetime
import statistics
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from documents.selectors import authorities_publishable_by
from identity.models import User
from identity.selectors import (
    Principals,
    _self_and_above,
    overseen_subtree,
    principals_of,
)
from procedures.models import (
    CLOSED_STATES,
    Attachment,
    Eligibility,
    Procedure,
    ProcedureStatus,
    Request,
    RequestState,
)

Actor = User | AnonymousUser | None

# processing_times: below this many decided requests in the window, no estimate is shown.
PROCESSING_TIMES_MIN = 10
PROCESSING_TIMES_WINDOW = datetime.timedelta(days=365)


# --- procedures -------------------------------------------------------------------------------


def procedures_editable_by(user: Actor) -> QuerySet[Procedure]:
    """Procedures ``user`` builds and publishes: those of the authorities they publish for and
    of their oversight scope (``documents.selectors.authorities_publishable_by``)."""
    principals = principals_of(user)
    if principals.superuser:
        return Procedure.objects.all()
    if not principals.authenticated:
        return Procedure.objects.none()
    return Procedure.objects.filter(owner__in=authorities_publishable_by(user))


def _instructor_condition(principals: Principals, prefix: str = "") -> Q | None:
    """Q (on procedures, or on requests with ``prefix="procedure__"``) for those the requester
    instructs as a member of the instructors' group; None when there are none."""
    if not principals.group_ids or not principals.agent_of:
        return None
    reach = _self_and_above(set(principals.agent_of))
    return Q(
        **{
            f"{prefix}instructors_id__in": list(principals.group_ids),
            f"{prefix}owner_id__in": list(reach),
        }
    )


def procedures_visible_to(user: Actor) -> QuerySet[Procedure]:
    """Procedures ``user`` may see (unseen ones answer 404)."""
    principals = principals_of(user)
    if principals.superuser:
        return Procedure.objects.all()
    condition = Q(status=ProcedureStatus.PUBLISHED)
    if principals.authenticated:
        condition |= Q(
            status=ProcedureStatus.CLOSED,
            pk__in=Request.objects.filter(applicant_id=principals.user_id).values("procedure_id"),
        )
        condition |= Q(owner__in=authorities_publishable_by(user))
        instructs = _instructor_condition(principals)
        if instructs is not None:
            condition |= instructs
    return Procedure.objects.filter(condition)


def is_instructor(user: Actor, procedure: Procedure) -> bool:
    """Whether ``user`` is one of ``procedure``'s instructors (group member with an active role
    in the owner or below it)."""
    principals = principals_of(user)
    if procedure.instructors_id not in principals.group_ids:
        return False
    return procedure.owner_id in _self_and_above(set(principals.agent_of))


def may_apply(user: Actor, procedure: Procedure) -> bool:
    """Whether ``user`` may start a request on ``procedure``: it is published with a form, and
    its eligibility admits them. ``anyone``: any signed-in person (a request needs an account
    to be kept and answered); ``signed_in`` and ``residents``: signed-in citizens; ``agents``:
    agents holding an active role."""
    if procedure.status != ProcedureStatus.PUBLISHED or procedure.current_revision_id is None:
        return False
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    assert isinstance(user, User)  # noqa: S101 (authenticated users are ours)
    if procedure.eligibility == Eligibility.ANYONE:
        return True
    if procedure.eligibility == Eligibility.AGENTS:
        return user.kind == User.Kind.AGENT and principals_of(user).is_agent
    return user.kind == User.Kind.CITIZEN


# --- requests ---------------------------------------------------------------------------------


def _instructable_condition(principals: Principals) -> Q | None:
    """Q for the requests the requester reads as instructor or administrator (drafts never)."""
    conditions: list[Q] = []
    instructs = _instructor_condition(principals, prefix="procedure__")
    if instructs is not None:
        conditions.append(instructs)
    if principals.admin_of:
        conditions.append(Q(procedure__owner_id__in=overseen_subtree(principals)))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return ~Q(state=RequestState.DRAFT) & combined


def requests_visible_to(user: Actor) -> QuerySet[Request]:
    """Requests ``user`` may read. Unreadable ones must answer 404 wherever they are asked."""
    principals = principals_of(user)
    if principals.superuser:
        return Request.objects.all()
    if not principals.authenticated:
        return Request.objects.none()
    condition = Q(applicant_id=principals.user_id)
    instructs = _instructable_condition(principals)
    if instructs is not None:
        condition |= instructs
    return Request.objects.filter(condition)


def requests_instructable_by(user: Actor) -> QuerySet[Request]:
    """Requests ``user`` instructs: read as instructor or administrator, never their own."""
    principals = principals_of(user)
    if not principals.authenticated:
        return Request.objects.none()
    if principals.superuser:
        return Request.objects.exclude(state=RequestState.DRAFT).exclude(
            applicant_id=principals.user_id
        )
    condition = _instructable_condition(principals)
    if condition is None:
        return Request.objects.none()
    return Request.objects.filter(condition).exclude(applicant_id=principals.user_id)


def may_read_request(user: Actor, request: Request) -> bool:
    return requests_visible_to(user).filter(pk=request.pk).exists()


def may_instruct(user: Actor, request: Request) -> bool:
    return requests_instructable_by(user).filter(pk=request.pk).exists()


def attachments_visible_to(user: Actor) -> QuerySet[Attachment]:
    """Files (form answers and message attachments) of the requests ``user`` reads."""
    principals = principals_of(user)
    if principals.superuser:
        return Attachment.objects.all()
    return Attachment.objects.filter(request__in=requests_visible_to(user))


def request_reads_of(user: User) -> QuerySet[AuditEvent]:
    """Reads (VIEW / DOWNLOAD audit rows) of ``user``'s requests by others, newest first — for
    "Mes données" beside ``documents.selectors.personal_reads_of``."""
    uuids = [str(u) for u in Request.objects.filter(applicant=user).values_list("uuid", flat=True)]
    if not uuids:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD],
            detail__request__in=uuids,
        )
        .exclude(actor=user)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


# --- figures ----------------------------------------------------------------------------------


def processing_times(
    procedure: Procedure, *, now: datetime.datetime | None = None
) -> dict[str, Any] | None:
    """Median and 90th percentile, in days (one decimal), from submission to decision, of the
    requests decided in the last 12 months: ``{"median": 12.5, "p90": 30.0, "count": 42}``.
    None with fewer than ``PROCESSING_TIMES_MIN`` decided requests (no misleading estimate)."""
    now = now or timezone.now()
    rows = Request.objects.filter(
        procedure=procedure,
        state__in=CLOSED_STATES,
        submitted_at__isnull=False,
        decided_at__isnull=False,
        decided_at__gte=now - PROCESSING_TIMES_WINDOW,
        decided_at__lte=now,
    ).values_list("submitted_at", "decided_at")
    days = sorted(
        max((decided - submitted).total_seconds(), 0) / 86400
        for submitted, decided in rows
        if submitted is not None and decided is not None
    )
    if len(days) < PROCESSING_TIMES_MIN:
        return None
    p90 = statistics.quantiles(days, n=10, method="inclusive")[8]
    return {
        "median": round(statistics.median(days), 1),
        "p90": round(p90, 1),
        "count": len(days),
    }
