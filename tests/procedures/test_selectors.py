"""procedures.selectors on a small named territory (the property test covers random ones)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from identity.models import Membership, User
from procedures.models import Attachment, ProcedureStatus, RequestState
from procedures.selectors import (
    attachments_visible_to,
    is_instructor,
    may_apply,
    procedures_editable_by,
    procedures_visible_to,
    processing_times,
    requests_instructable_by,
    requests_visible_to,
)
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def t():
    territory = make_territory()
    merignac = territory["merignac"]
    procedure = make_procedure(merignac)
    people = {
        "citizen": make_user("citoyen"),
        "other": make_user("voisin"),
        "instructor": make_instructor(procedure, "instructeur"),
        "agent": make_agent("agent", roles=[(merignac, Membership.Role.AGENT)]),
        "publisher": make_agent("editeur", roles=[(merignac, Membership.Role.PUBLISHER)]),
        "admin": make_agent("admin", roles=[(merignac, Membership.Role.ADMIN)]),
        "metro_admin": make_agent(
            "admin-metro", roles=[(territory["metropole"], Membership.Role.TERRITORY_ADMIN)]
        ),
        "metro_publisher": make_agent(
            "editeur-metro", roles=[(territory["metropole"], Membership.Role.PUBLISHER)]
        ),
        "bordeaux_admin": make_agent(
            "admin-bordeaux", roles=[(territory["bordeaux"], Membership.Role.ADMIN)]
        ),
        "root": make_user("root", is_superuser=True),
    }
    return territory, procedure, people


def test_who_reads_a_submitted_request(t):
    _territory, procedure, p = t
    request = make_request(procedure, p["citizen"], state=RequestState.SUBMITTED)
    readers = {name for name, user in p.items() if requests_visible_to(user).filter(pk=request.pk)}
    assert readers == {"citizen", "instructor", "admin", "metro_admin", "root"}
    instructors = {
        name for name, user in p.items() if requests_instructable_by(user).filter(pk=request.pk)
    }
    assert instructors == {"instructor", "admin", "metro_admin", "root"}
    assert not requests_visible_to(AnonymousUser()).exists()
    assert not requests_visible_to(None).exists()


def test_a_draft_is_the_applicants_alone(t):
    _territory, procedure, p = t
    draft = make_request(procedure, p["citizen"])
    readers = {name for name, user in p.items() if requests_visible_to(user).filter(pk=draft.pk)}
    assert readers == {"citizen", "root"}
    assert not any(requests_instructable_by(user).filter(pk=draft.pk) for user in p.values())


def test_files_follow_their_request(t):
    _territory, procedure, p = t
    request = make_request(procedure, p["citizen"], state=RequestState.INSTRUCTION)
    attachment = Attachment.objects.create(
        request=request,
        field_key="piece",
        file="procedures/x/piece.pdf",
        file_name="piece.pdf",
        mime_type="application/pdf",
        size=3,
        sha256="0" * 64,
    )
    readers = {
        name for name, user in p.items() if attachments_visible_to(user).filter(pk=attachment.pk)
    }
    assert readers == {"citizen", "instructor", "admin", "metro_admin", "root"}


def test_instructor_needs_a_current_role_in_the_owner_or_below(t):
    territory, procedure, p = t
    instructor = p["instructor"]
    assert is_instructor(instructor, procedure)
    Membership.objects.filter(user=instructor).update(
        starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2020, 12, 31)
    )
    gone = User.objects.get(pk=instructor.pk)
    assert not is_instructor(gone, procedure)
    request = make_request(procedure, p["citizen"], state=RequestState.SUBMITTED)
    assert not requests_visible_to(gone).filter(pk=request.pk).exists()
    # An agent of an authority above the owner, put in the group, does not instruct either;
    # one of a commune below a métropole's procedure does.
    metro_procedure = make_procedure(territory["metropole"])
    above = make_instructor(procedure, "au-dessus", authority=territory["metropole"])
    below = make_instructor(metro_procedure, "en-dessous", authority=territory["merignac"])
    assert not is_instructor(above, procedure)
    assert is_instructor(below, metro_procedure)


def test_procedures_visible_and_editable(t):
    territory, published, p = t
    draft = make_procedure(territory["merignac"], published=False)
    closed = make_procedure(territory["merignac"], status=ProcedureStatus.CLOSED)
    make_request(closed, p["citizen"], state=RequestState.ACCEPTED)
    anonymous = set(procedures_visible_to(AnonymousUser()))
    assert anonymous == {published}
    assert set(procedures_visible_to(p["citizen"])) == {published, closed}
    assert set(procedures_visible_to(p["other"])) == {published}
    assert set(procedures_visible_to(p["agent"])) == {published}
    assert set(procedures_visible_to(p["instructor"])) == {published}
    for name in ("publisher", "admin", "metro_admin", "root"):
        assert set(procedures_visible_to(p[name])) == {published, draft, closed}, name
        assert set(procedures_editable_by(p[name])) == {published, draft, closed}, name
    for name in ("citizen", "agent", "instructor", "metro_publisher", "bordeaux_admin"):
        assert not procedures_editable_by(p[name]).exists(), name
    # Instructors see a draft procedure they instruct.
    make_instructor(draft, "instruit-brouillon")
    assert draft in procedures_visible_to(User.objects.get(username="instruit-brouillon"))


@pytest.mark.parametrize(
    ("eligibility", "expected"),
    [
        ("anyone", {"citizen", "agent", "root"}),
        ("signed_in", {"citizen"}),
        ("residents", {"citizen"}),
        ("agents", {"agent"}),
    ],
)
def test_may_apply(t, eligibility, expected):
    _territory, procedure, p = t
    procedure.eligibility = eligibility
    procedure.save()
    people = {"citizen": p["citizen"], "agent": p["agent"], "root": p["root"]}
    people["root"].kind = User.Kind.AGENT
    people["root"].save()
    roleless = make_user("sans-role", kind=User.Kind.AGENT)
    inactive = make_user("inactif", is_active=False)
    assert {n for n, u in people.items() if may_apply(u, procedure)} == (
        expected - ({"root"} if eligibility == "agents" else set())
    )
    assert may_apply(roleless, procedure) == (eligibility == "anyone")
    assert not may_apply(inactive, procedure)
    assert not may_apply(AnonymousUser(), procedure)
    procedure.status = ProcedureStatus.CLOSED
    assert not may_apply(p["citizen"], procedure)


def _decided(procedure, citizen, days: float, *, ago: int = 10, state=RequestState.ACCEPTED):
    decided = timezone.now() - datetime.timedelta(days=ago)
    return make_request(
        procedure,
        citizen,
        state=state,
        submitted_at=decided - datetime.timedelta(days=days),
        decided_at=decided,
    )


def test_processing_times(t):
    _territory, procedure, p = t
    for days in range(1, 10):
        _decided(procedure, p["citizen"], days)
    _decided(procedure, p["citizen"], 500, ago=400)  # older than 12 months: left out
    make_request(procedure, p["citizen"], state=RequestState.INSTRUCTION)  # not decided
    assert processing_times(procedure) is None  # 9 < 10
    _decided(procedure, p["citizen"], 10, state=RequestState.REFUSED)
    times = processing_times(procedure)
    assert times == {"median": 5.5, "p90": 9.1, "count": 10}
