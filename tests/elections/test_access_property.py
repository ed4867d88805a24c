"""Property-based access test of election night: random authority trees, people in random roles
(current, ended, future), bureaux in random communes, results in every state with versions
entered by random people, some published then corrected.

For every person of every random world the selectors agree exactly with a plain-Python oracle:
only the agents of a bureau's commune and the administrators above it (and superusers) count a
bureau; nobody validates what they entered; only publishers of the owner (or administrators
above it) manage an election; and what the public reads adds up the published versions only.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from elections.models import (
    BureauResult,
    Candidate,
    CandidateVotes,
    Election,
    PollingStation,
    ResultState,
    ResultVersion,
    Round,
    station_code,
)
from elections.selectors import (
    awaiting_validation,
    elections_managed_by,
    results_countable_by,
    round_summary,
)
from identity.models import Authority, Membership, User
from tests.strategies import territory_parents

ROLES = [r.value for r in Membership.Role]
ADMIN = {Membership.Role.ADMIN.value, Membership.Role.TERRITORY_ADMIN.value}
EDITOR = ADMIN | {Membership.Role.PUBLISHER.value}
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "60"))
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
    n_users = draw(st.integers(1, 6))
    users = [
        {
            "superuser": draw(st.integers(0, 12)) == 0,
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
    owner = draw(st.integers(0, n_authorities - 1))
    results = [
        {
            "commune": draw(st.integers(0, n_authorities - 1)),
            "state": draw(st.sampled_from(ResultState.values)),
            "entered_by": draw(st.one_of(st.none(), st.integers(0, n_users - 1))),
            # Votes of the published version (panel 1, panel 2), and whether a newer
            # unpublished correction exists with other figures.
            "votes": (draw(st.integers(0, 500)), draw(st.integers(0, 500))),
            "corrected": draw(st.booleans()),
        }
        for _r in range(draw(st.integers(0, 6)))
    ]
    return parents, users, owner, results


@dataclass
class Oracle:
    parents: list[int | None]
    users: list[dict]
    owner: int
    results: list[dict]

    def above_or_self(self, authority: int) -> set[int]:
        chain = {authority}
        parent = self.parents[authority]
        while parent is not None:
            chain.add(parent)
            parent = self.parents[parent]
        return chain

    def roles(self, user: int) -> set[tuple[int, str]]:
        first: dict[tuple[int, str, datetime.date], str] = {}
        for a, role, period in self.users[user]["roles"]:
            first.setdefault((a, role, PERIODS[period][0]), period)
        return {(a, role) for (a, role, _s), period in first.items() if period == "current"}

    def counts(self, user: int, result: int) -> bool:
        if self.users[user]["superuser"]:
            return True
        commune = self.results[result]["commune"]
        above = self.above_or_self(commune)
        return any(a == commune or (role in ADMIN and a in above) for a, role in self.roles(user))

    def validates(self, user: int, result: int) -> bool:
        spec = self.results[result]
        return (
            self.counts(user, result)
            and spec["state"] == ResultState.ENTERED
            and spec["entered_by"] != user
        )

    def manages(self, user: int) -> bool:
        if self.users[user]["superuser"]:
            return True
        above = self.above_or_self(self.owner)
        return any(
            (a == self.owner and role in EDITOR) or (role in ADMIN and a in above)
            for a, role in self.roles(user)
        )

    def published(self, result: int) -> bool:
        return self.results[result]["state"] == ResultState.PUBLISHED or (
            self.results[result]["corrected"]
            and self.results[result]["state"] in (ResultState.ENTERED, ResultState.VALIDATED)
        )


def build(world):
    parents, user_specs, owner, result_specs = world
    authorities: list[Authority] = []
    for index, parent in enumerate(parents):
        authorities.append(
            Authority.objects.create(
                kind="commune",
                name=f"A{index}",
                insee_code=f"{index + 1:05d}",
                parent=authorities[parent] if parent is not None else None,
            )
        )
    users = []
    for index, spec in enumerate(user_specs):
        user = User.objects.create(
            username=f"u{index}", kind=User.Kind.AGENT, is_superuser=spec["superuser"]
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
    election = Election.objects.create(
        slug="e", title="E", kind="municipales", owner=authorities[owner]
    )
    round = Round.objects.create(election=election, number=1, date=TODAY)
    candidates = [Candidate.objects.create(round=round, panel=p, last_name=f"C{p}") for p in (1, 2)]
    results = []
    for index, spec in enumerate(result_specs):
        commune = authorities[spec["commune"]]
        station = PollingStation.objects.create(
            commune=commune,
            number=index + 1,
            code=station_code(commune.insee_code or "", index + 1),
            name=f"B{index}",
            valid_from=TODAY,
        )
        result = BureauResult.objects.create(round=round, station=station, state=spec["state"])
        entered_by = users[spec["entered_by"]] if spec["entered_by"] is not None else None

        def version(number: int, votes: tuple[int, int], *, result=result, entered_by=entered_by):
            made = ResultVersion.objects.create(
                result=result,
                number=number,
                inscrits=sum(votes) + 100,
                votants=sum(votes),
                blancs=0,
                nuls=0,
                exprimes=sum(votes),
                entered_by=entered_by,
            )
            for candidate, count in zip(candidates, votes, strict=True):
                CandidateVotes.objects.create(version=made, candidate=candidate, votes=count)
            return made

        if spec["state"] == ResultState.PUBLISHED:
            result.current = result.published = version(1, spec["votes"])
        elif spec["state"] in (ResultState.ENTERED, ResultState.VALIDATED):
            if spec["corrected"]:
                result.published = version(1, spec["votes"])
                result.current = version(2, (spec["votes"][0] + 7, spec["votes"][1]))
            else:
                result.current = version(1, (spec["votes"][0] + 3, spec["votes"][1]))
        result.save()
        results.append(result)
    return users, election, round, results


class ElectionAccessPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(worlds())
    def test_selectors_match_the_oracle(self, world):
        users, election, round, results = build(world)
        oracle = Oracle(*world)
        for u, user in enumerate(users):
            fresh = User.objects.get(pk=user.pk)  # no cached principals
            counted = set(results_countable_by(fresh).values_list("pk", flat=True))
            expected = {r.pk for i, r in enumerate(results) if oracle.counts(u, i)}
            assert counted == expected, ("count", u, world)
            waiting = set(awaiting_validation(fresh, round).values_list("pk", flat=True))
            expected = {r.pk for i, r in enumerate(results) if oracle.validates(u, i)}
            assert waiting == expected, ("validate", u, world)
            managed = elections_managed_by(fresh).filter(pk=election.pk).exists()
            assert managed == oracle.manages(u), ("manage", u, world)
        anonymous = AnonymousUser()
        assert not results_countable_by(anonymous).exists()
        assert not elections_managed_by(anonymous).exists()
        # The public reads the published versions only, whatever awaits validation.
        summary = round_summary(round)
        published = [i for i in range(len(results)) if oracle.published(i)]
        assert summary.total.bureaux_counted == len(published)
        assert summary.total.bureaux_total == len(results)
        for panel in (1, 2):
            expected_votes = sum(world[3][i]["votes"][panel - 1] for i in published)
            assert summary.total.votes.get(panel, 0) == expected_votes, (panel, world)
