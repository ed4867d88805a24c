"""Property-based access test of procedures and requests: random authority trees, people in
random roles (current, ended, future), procedures in every status with random instructors,
citizens and agents applying, requests in every state (some of deleted accounts), files.

For every person of every random world the selectors agree exactly with a plain-Python oracle
written here: nobody but the applicant, the procedure's instructors (with a current role in
the owner or below it) and the administrators of the owner or above it ever reads a request
or its files; nobody instructs their own request; drafts are the applicant's alone.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, Group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from identity.models import Authority, Membership, User
from procedures.models import (
    Attachment,
    Eligibility,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
    Request,
    RequestState,
)
from procedures.selectors import (
    attachments_visible_to,
    is_instructor,
    may_apply,
    procedures_editable_by,
    procedures_visible_to,
    requests_instructable_by,
    requests_visible_to,
)
from tests.strategies import territory_parents

ROLES = [r.value for r in Membership.Role]
ADMIN = {Membership.Role.ADMIN.value, Membership.Role.TERRITORY_ADMIN.value}
EDITOR = ADMIN | {Membership.Role.PUBLISHER.value}
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "80"))
TODAY = datetime.date.today()
PERIODS = {
    "current": (TODAY - datetime.timedelta(days=30), None),
    "ended": (TODAY - datetime.timedelta(days=30), TODAY - datetime.timedelta(days=1)),
    "future": (TODAY + datetime.timedelta(days=1), None),
}


@st.composite
def worlds(draw):
    parents = draw(territory_parents())
    n_authorities = len(parents)
    n_users = draw(st.integers(1, 7))
    users = [
        {
            "kind": draw(st.sampled_from(["citizen", "agent", "agent"])),
            "superuser": draw(st.integers(0, 12)) == 0,
            "active": draw(st.integers(0, 12)) != 0,
            "roles": draw(
                st.lists(
                    st.tuples(
                        st.integers(0, n_authorities - 1),
                        st.sampled_from(ROLES),
                        st.sampled_from(["current", "current", *PERIODS]),
                    ),
                    max_size=3,
                )
            ),
        }
        for _u in range(n_users)
    ]
    procedures = [
        {
            "owner": draw(st.integers(0, n_authorities - 1)),
            "status": draw(st.sampled_from([*ProcedureStatus.values, "published"])),
            "eligibility": draw(st.sampled_from(Eligibility.values)),
            "instructors": draw(st.sets(st.integers(0, n_users - 1), max_size=3)),
        }
        for _p in range(draw(st.integers(1, 4)))
    ]
    requests = [
        {
            "procedure": draw(st.integers(0, len(procedures) - 1)),
            # None: the applicant deleted their account.
            "applicant": draw(st.one_of(st.none(), st.integers(0, n_users - 1))),
            "state": draw(st.sampled_from(RequestState.values)),
            "files": draw(st.integers(0, 2)),
        }
        for _r in range(draw(st.integers(0, 8)))
    ]
    return parents, users, procedures, requests


@dataclass
class Oracle:
    """The rules, in plain Python, on the world's specification (indexes, not rows)."""

    parents: list[int | None]
    users: list[dict]
    procedures: list[dict]
    requests: list[dict]

    def above_or_self(self, authority: int) -> set[int]:
        chain = {authority}
        parent = self.parents[authority]
        while parent is not None:
            chain.add(parent)
            parent = self.parents[parent]
        return chain

    def roles(self, user: int) -> set[tuple[int, str]]:
        # One row per (authority, role, start): the first drawn period of a pair is the one
        # stored (build() uses get_or_create on the same start date).
        first: dict[tuple[int, str, datetime.date], str] = {}
        for a, role, period in self.users[user]["roles"]:
            first.setdefault((a, role, PERIODS[period][0]), period)
        return {(a, role) for (a, role, _s), period in first.items() if period == "current"}

    def superuser(self, user: int) -> bool:
        return self.users[user]["superuser"] and self.users[user]["active"]

    def is_instructor(self, user: int, procedure: int) -> bool:
        spec = self.procedures[procedure]
        if user not in spec["instructors"]:
            return False
        # A current role in the owner or below it.
        return any(spec["owner"] in self.above_or_self(a) for a, _r in self.roles(user))

    def administers(self, user: int, procedure: int) -> bool:
        owner = self.procedures[procedure]["owner"]
        above = self.above_or_self(owner)
        return any(a in above for a, role in self.roles(user) if role in ADMIN)

    def edits(self, user: int, procedure: int) -> bool:
        if self.superuser(user):
            return True
        owner = self.procedures[procedure]["owner"]
        if any(a == owner for a, role in self.roles(user) if role in EDITOR):
            return True
        return self.administers(user, procedure)

    def reads_request(self, user: int, request: int) -> bool:
        spec = self.requests[request]
        if self.superuser(user) or spec["applicant"] == user:
            return True
        if spec["state"] == RequestState.DRAFT:
            return False
        procedure = spec["procedure"]
        return self.is_instructor(user, procedure) or self.administers(user, procedure)

    def instructs_request(self, user: int, request: int) -> bool:
        spec = self.requests[request]
        if spec["applicant"] == user or spec["state"] == RequestState.DRAFT:
            return False
        if self.superuser(user):
            return True
        procedure = spec["procedure"]
        return self.is_instructor(user, procedure) or self.administers(user, procedure)

    def sees_procedure(self, user: int, procedure: int) -> bool:
        status = self.procedures[procedure]["status"]
        if status == ProcedureStatus.PUBLISHED:
            return True
        if self.edits(user, procedure) or self.is_instructor(user, procedure):
            return True
        return status == ProcedureStatus.CLOSED and any(
            r["procedure"] == procedure and r["applicant"] == user for r in self.requests
        )

    def may_apply(self, user: int, procedure: int) -> bool:
        spec = self.procedures[procedure]
        person = self.users[user]
        if spec["status"] != ProcedureStatus.PUBLISHED or not person["active"]:
            return False
        if spec["eligibility"] == Eligibility.ANYONE:
            return True
        if spec["eligibility"] == Eligibility.AGENTS:
            return person["kind"] == "agent" and bool(self.roles(user))
        return person["kind"] == "citizen"


def build(world) -> tuple[list[User], list[Procedure], list[Request], dict[int, list[int]]]:
    parents, user_specs, procedure_specs, request_specs = world
    authorities: list[Authority] = []
    for index, parent in enumerate(parents):
        authorities.append(
            Authority.objects.create(
                kind="commune",
                name=f"A{index}",
                insee_code=f"{index:05d}",
                parent=authorities[parent] if parent is not None else None,
            )
        )
    users = []
    for index, spec in enumerate(user_specs):
        user = User.objects.create(
            username=f"u{index}",
            kind=spec["kind"],
            is_superuser=spec["superuser"],
            is_active=spec["active"],
        )
        for authority_index, role, period in spec["roles"]:
            starts_on, ends_on = PERIODS[period]
            Membership.objects.get_or_create(
                user=user,
                authority=authorities[authority_index],
                role=role,
                starts_on=starts_on,
                defaults={"ends_on": ends_on},
            )
        users.append(user)
    # An unrelated group everybody is in: membership of other groups gives nothing.
    everybody = Group.objects.create(name="Tout le monde")
    everybody.user_set.add(*users)
    procedures = []
    for index, spec in enumerate(procedure_specs):
        group = Group.objects.create(name=f"Instructeurs p{index}")
        procedure = Procedure.objects.create(
            owner=authorities[spec["owner"]],
            slug=f"p{index}",
            title=f"P{index}",
            status=spec["status"],
            eligibility=spec["eligibility"],
            instructors=group,
        )
        revision = ProcedureRevision.objects.create(
            procedure=procedure,
            number=1,
            fields=[{"key": "nom", "type": "text", "label": "Nom"}],
            published_at=datetime.datetime.now(datetime.UTC),
        )
        procedure.current_revision = revision
        procedure.save(update_fields=["current_revision"])
        group.user_set.add(*[users[u] for u in spec["instructors"]])
        procedures.append(procedure)
    requests = []
    files: dict[int, list[int]] = {}
    for index, spec in enumerate(request_specs):
        procedure = procedures[spec["procedure"]]
        request = Request.objects.create(
            procedure=procedure,
            revision=procedure.current_revision,
            applicant=users[spec["applicant"]] if spec["applicant"] is not None else None,
            state=spec["state"],
        )
        files[index] = [
            Attachment.objects.create(
                request=request,
                field_key="piece",
                file=f"procedures/{request.uuid}/f{n}.pdf",
                file_name=f"f{n}.pdf",
                mime_type="application/pdf",
                size=3,
                sha256="0" * 64,
            ).pk
            for n in range(spec["files"])
        ]
        requests.append(request)
    return users, procedures, requests, files


class RequestAccessPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(worlds())
    def test_selectors_match_the_oracle(self, world):
        users, procedures, requests, files = build(world)
        oracle = Oracle(*world)
        for u, user in enumerate(users):
            fresh = User.objects.get(pk=user.pk)  # no cached principals
            readable = set(requests_visible_to(fresh).values_list("pk", flat=True))
            expected = {r.pk for i, r in enumerate(requests) if oracle.reads_request(u, i)}
            assert readable == expected, ("read", u, world)
            instructable = set(requests_instructable_by(fresh).values_list("pk", flat=True))
            expected = {r.pk for i, r in enumerate(requests) if oracle.instructs_request(u, i)}
            assert instructable == expected, ("instruct", u, world)
            attached = set(attachments_visible_to(fresh).values_list("pk", flat=True))
            expected = {pk for i, pks in files.items() if oracle.reads_request(u, i) for pk in pks}
            assert attached == expected, ("files", u, world)
            seen = set(procedures_visible_to(fresh).values_list("pk", flat=True))
            expected = {p.pk for i, p in enumerate(procedures) if oracle.sees_procedure(u, i)}
            assert seen == expected, ("procedures", u, world)
            edited = set(procedures_editable_by(fresh).values_list("pk", flat=True))
            expected = {p.pk for i, p in enumerate(procedures) if oracle.edits(u, i)}
            assert edited == expected, ("edit", u, world)
            for i, procedure in enumerate(procedures):
                assert is_instructor(fresh, procedure) == oracle.is_instructor(u, i), (u, i)
                assert may_apply(fresh, procedure) == oracle.may_apply(u, i), ("apply", u, i)
        # The anonymous visitor reads no request and sees published procedures only.
        anonymous = AnonymousUser()
        assert not requests_visible_to(anonymous).exists()
        assert not attachments_visible_to(anonymous).exists()
        assert set(procedures_visible_to(anonymous).values_list("pk", flat=True)) == {
            p.pk for p in procedures if p.status == ProcedureStatus.PUBLISHED
        }
