"""Delegation as a property: random territories, administrators and sequences of admin
actions. Each action is decided by the services exactly as a plain-Python oracle of the rules
says, so no sequence lets anyone grant beyond their subtree or their own role, act on their
own rights, or put someone from outside their subtree into a group."""

from __future__ import annotations

import os

from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from identity import services
from identity.models import Authority, AuthorityGroup, Membership, User
from tests.strategies import territory_parents

ROLES = ["agent", "publisher", "admin", "territory_admin"]
RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "80"))


@st.composite
def scenarios(draw):
    parents = draw(territory_parents())
    n_authorities = len(parents)
    authority = st.integers(0, n_authorities - 1)
    n_users = draw(st.integers(2, 5))
    # Administrators are over-represented: they are the ones whose limits are under test.
    seeded_role = st.sampled_from([*ROLES, "admin", "territory_admin", "territory_admin"])
    users = [
        {
            "kind": draw(st.sampled_from(["agent", "agent", "agent", "citizen"])),
            "roles": draw(st.sets(st.tuples(authority, seeded_role), max_size=3)),
        }
        for _u in range(n_users)
    ]
    person = st.integers(0, n_users - 1)
    action = st.one_of(
        st.tuples(st.just("grant"), person, person, authority, st.sampled_from(ROLES)),
        st.tuples(st.just("revoke"), person, person, authority, st.sampled_from(ROLES)),
        st.tuples(st.just("group_add"), person, person, authority, st.just("")),
        st.tuples(st.just("group_remove"), person, person, authority, st.just("")),
    )
    return parents, users, draw(st.lists(action, min_size=3, max_size=25))


class Oracle:
    """The delegation rules in plain Python, on indices."""

    def __init__(self, parents: list[int | None], users: list[dict]) -> None:
        self.parents = parents
        self.kinds = [u["kind"] for u in users]
        self.roles: set[tuple[int, int, str]] = set()  # (user, authority, role)
        self.groups: dict[int, set[int]] = {}  # owner authority -> members

    def chain(self, authority: int) -> list[int]:
        nodes = [authority]
        while self.parents[nodes[-1]] is not None:
            nodes.append(self.parents[nodes[-1]])
        return nodes

    def ceiling(self, actor: int, authority: int) -> int:
        ranks = [
            RANK["admin"]
            for u, a, r in self.roles
            if u == actor and a == authority and r == "admin"
        ]
        ranks += [
            RANK["territory_admin"]
            for u, a, r in self.roles
            if u == actor and r == "territory_admin" and a in self.chain(authority)
        ]
        return max(ranks, default=0)

    def may_change_role(self, actor: int, target: int, authority: int, role: str) -> bool:
        return actor != target and RANK[role] <= self.ceiling(actor, authority)

    def may_grant(self, actor: int, target: int, authority: int, role: str) -> bool:
        return (
            self.may_change_role(actor, target, authority, role) and self.kinds[target] == "agent"
        )

    def may_change_member(self, actor: int, target: int, owner: int) -> bool:
        return (
            actor != target
            and self.ceiling(actor, owner) > 0
            and any(self.ceiling(actor, a) > 0 for u, a, _r in self.roles if u == target)
        )


def build(parents, user_specs):
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
    oracle = Oracle(parents, user_specs)
    users = []
    for index, spec in enumerate(user_specs):
        user = User.objects.create(username=f"u{index}", kind=spec["kind"])
        for authority, role in spec["roles"]:
            if spec["kind"] == "agent":
                services.membership_grant(
                    actor=None, user=user, authority=authorities[authority], role=role
                )
                oracle.roles.add((index, authority, role))
        users.append(user)
    return authorities, users, oracle


def attempt(service, **arguments) -> bool:
    try:
        service(**arguments)
    except PermissionDenied:
        return False
    return True


class DelegationPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenarios())
    def test_no_sequence_of_admin_actions_escapes_the_delegation_rules(self, scenario):
        parents, user_specs, actions = scenario
        authorities, users, oracle = build(parents, user_specs)
        groups: dict[int, AuthorityGroup] = {}
        for kind, actor, target, authority, role in actions:
            actor_user = User.objects.get(pk=users[actor].pk)  # fresh: no cached rights
            target_user = users[target]
            if kind == "grant":
                expected = oracle.may_grant(actor, target, authority, role)
                done = attempt(
                    services.membership_grant,
                    actor=actor_user,
                    user=target_user,
                    authority=authorities[authority],
                    role=role,
                )
                if done:
                    oracle.roles.add((target, authority, role))
            elif kind == "revoke":
                membership = (
                    Membership.objects.active()
                    .filter(user=target_user, authority=authorities[authority], role=role)
                    .first()
                )
                if membership is None:
                    continue
                expected = oracle.may_change_role(actor, target, authority, role)
                done = attempt(services.membership_revoke, actor=actor_user, membership=membership)
                if done:
                    oracle.roles.discard((target, authority, role))
            else:
                if authority not in groups:
                    groups[authority] = services.authority_group_create(
                        actor=None, name=f"G{authority}", owner=authorities[authority]
                    )
                    oracle.groups[authority] = set()
                call = (
                    services.authority_group_member_add
                    if kind == "group_add"
                    else services.authority_group_member_remove
                )
                expected = oracle.may_change_member(actor, target, authority)
                done = attempt(
                    call, actor=actor_user, authority_group=groups[authority], user=target_user
                )
                if done:
                    members = oracle.groups[authority]
                    (members.add if kind == "group_add" else members.discard)(target)
            assert done == expected, (kind, actor, target, authority, role)
            # The database holds exactly what the oracle allowed, after every step.
            held = {
                (
                    users.index(next(u for u in users if u.pk == m.user_id)),
                    authorities.index(next(a for a in authorities if a.pk == m.authority_id)),
                    m.role,
                )
                for m in Membership.objects.active()
            }
            assert held == oracle.roles
            for owner, group in groups.items():
                members = {
                    users.index(u) for u in users if group.group.user_set.filter(pk=u.pk).exists()
                }
                assert members == oracle.groups[owner]
