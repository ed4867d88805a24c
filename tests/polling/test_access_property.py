"""Property-based access test of Admin > Où voter ?: random authority trees (communes and
intercommunalités), people in random roles (current, ended, future), street-range rules in
random authorities.

For every person of every random world ``rules_managed_by`` agrees exactly with a plain-Python
oracle — the rules of the communes they publish for (a publisher or administrator of the
commune, or an administrator above it), every rule for a superuser, none for anonymous, and
never a rule of an authority that is not a commune — and the admin's rule edit screen opens
exactly for those rules, answering 404 for every other one.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

import polling.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from identity.models import Authority, Membership, User
from identity.services.roles import user_access_sync
from polling.models import Street, StreetRule
from polling.selectors import communes_managed_by, rules_managed_by
from tests.strategies import territory_parents

ROLES = [r.value for r in Membership.Role]
ADMIN = {Membership.Role.ADMIN.value, Membership.Role.TERRITORY_ADMIN.value}
EDITOR = ADMIN | {Membership.Role.PUBLISHER.value}
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "30"))
TODAY = datetime.date.today()
PERIODS = {
    "current": (TODAY - datetime.timedelta(days=30), None),
    "ended": (TODAY - datetime.timedelta(days=30), TODAY - datetime.timedelta(days=1)),
    "future": (TODAY + datetime.timedelta(days=1), None),
}
World = tuple[list[int | None], list[str], list[dict[str, Any]], list[int]]
KINDS = [Authority.Kind.COMMUNE.value, Authority.Kind.COMMUNE.value, Authority.Kind.EPCI.value]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    parents = draw(territory_parents(max_size=6))
    n_authorities = len(parents)
    kinds = [draw(st.sampled_from(KINDS)) for _a in range(n_authorities)]
    users = [
        {
            "superuser": draw(st.integers(0, 10)) == 0,
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
        for _u in range(draw(st.integers(1, 4)))
    ]
    rules = draw(st.lists(st.integers(0, n_authorities - 1), max_size=5))
    return parents, kinds, users, rules


@dataclass
class Oracle:
    parents: list[int | None]
    kinds: list[str]
    users: list[dict[str, Any]]
    rules: list[int]  # the authority of each rule

    def above_or_self(self, authority: int) -> set[int]:
        chain = {authority}
        parent = self.parents[authority]
        while parent is not None:
            chain.add(parent)
            parent = self.parents[parent]
        return chain

    def roles(self, user: int) -> set[tuple[int, str]]:
        """Current roles; the same role granted twice from one date is the first grant."""
        first: dict[tuple[int, str, datetime.date], str] = {}
        for a, role, period in self.users[user]["roles"]:
            first.setdefault((a, role, PERIODS[period][0]), period)
        return {(a, role) for (a, role, _s), period in first.items() if period == "current"}

    def manages_commune(self, user: int, authority: int) -> bool:
        if self.kinds[authority] != Authority.Kind.COMMUNE:
            return False
        if self.users[user]["superuser"]:
            return True
        above = self.above_or_self(authority)
        return any(
            (a == authority and role in EDITOR) or (role in ADMIN and a in above)
            for a, role in self.roles(user)
        )

    def manages_rule(self, user: int, rule: int) -> bool:
        return self.manages_commune(user, self.rules[rule])


def build(world: World) -> tuple[list[Authority], list[User], list[StreetRule]]:
    parents, kinds, user_specs, rule_specs = world
    authorities: list[Authority] = []
    for index, parent in enumerate(parents):
        authorities.append(
            Authority.objects.create(
                kind=kinds[index],
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
        user_access_sync(user=user)  # the role groups that open the admin, as a grant does
        users.append(user)
    rules = []
    for index, authority_index in enumerate(rule_specs):
        street, _created = Street.objects.get_or_create(
            commune=authorities[authority_index],
            key="RUE DE LA PAIX",
            defaults={"name_key": "PAIX", "label": "Rue de la Paix"},
        )
        rules.append(
            StreetRule.objects.create(
                street=street,
                number_from=10 * index + 1,
                number_to=10 * index + 9,
                bureau=index + 1,
                reference=f"Arrêté n° {index}",
            )
        )
    return authorities, users, rules


class RulesAccessPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(worlds())
    def test_rules_managed_and_the_edit_screen_match_the_oracle(self, world: World) -> None:
        authorities, users, rules = build(world)
        oracle = Oracle(*world)
        for u, user in enumerate(users):
            fresh = User.objects.get(pk=user.pk)  # no cached principals
            managed = set(rules_managed_by(fresh).values_list("pk", flat=True))
            expected = {r.pk for i, r in enumerate(rules) if oracle.manages_rule(u, i)}
            assert managed == expected, ("rules", u, world)
            communes = set(communes_managed_by(fresh).values_list("pk", flat=True))
            expected_communes = {
                a.pk for i, a in enumerate(authorities) if oracle.manages_commune(u, i)
            }
            assert communes & {a.pk for a in authorities} == expected_communes, ("communes", u)
            client = Client()
            client.force_login(fresh)
            admin = client.get(reverse("wagtailadmin_home")).status_code == 200
            assert admin == (user.is_superuser or bool(oracle.roles(u))), ("admin", u, world)
            for i, rule in enumerate(rules):
                allowed = oracle.manages_rule(u, i)
                status = client.get(reverse("polling_admin_rule_edit", args=[rule.pk])).status_code
                if not admin:
                    # No admin access at all: Wagtail's own refusal, never the screen.
                    assert not allowed, ("no admin access", u, world)
                    assert status in (302, 403), (u, i, status, world)
                else:
                    assert status == (200 if allowed else 404), (u, i, status, world)
            # A rule that does not exist is no one's.
            if admin:
                missing = max([r.pk for r in rules], default=0) + 1000
                url = reverse("polling_admin_rule_edit", args=[missing])
                assert client.get(url).status_code == 404
        for nobody in (AnonymousUser(), None):
            assert not rules_managed_by(nobody).exists()
            assert not communes_managed_by(nobody).exists()
        if rules:
            response = Client().get(reverse("polling_admin_rule_edit", args=[rules[0].pk]))
            assert response.status_code == 302
            assert "/admin/login/" in response["Location"]
