"""Reads of the identity app: who a user is, in terms every permission check uses."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from identity.models import MAX_DEPTH, Authority, Membership, User

EDITOR_ROLES = frozenset({Membership.Role.PUBLISHER, Membership.Role.ADMIN,
                          Membership.Role.TERRITORY_ADMIN})
ADMIN_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.TERRITORY_ADMIN})


@dataclass(frozen=True)
class Principals:
    """Everything access rules need to know about a requester, computed once per request.

    Holds small id sets only (the authorities where the person holds a role, their groups);
    subtrees stay in SQL so the cost does not grow with the size of the territory.
    """

    user_id: int | None
    authenticated: bool
    superuser: bool
    agent_of: frozenset[int]      # any active role
    edits_own: frozenset[int]     # publisher or administrator there
    admin_of: frozenset[int]      # administrator there (so also of everything below)
    group_ids: frozenset[int]

    @property
    def is_agent(self) -> bool:
        return bool(self.agent_of)


ANONYMOUS = Principals(None, False, False, frozenset(), frozenset(), frozenset(), frozenset())
_CACHE_ATTRIBUTE = "_civis_principals"


def principals_of(user: User | AnonymousUser | None) -> Principals:
    """The requester's principals, cached on the user object for the request's lifetime."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    roles = list(Membership.objects.active().filter(user=user)
                 .values_list("authority_id", "role"))
    principals = Principals(
        user_id=user.pk,
        authenticated=True,
        superuser=bool(user.is_superuser and user.is_active),
        agent_of=frozenset(a for a, _r in roles),
        edits_own=frozenset(a for a, r in roles if r in EDITOR_ROLES),
        admin_of=frozenset(a for a, r in roles if r in ADMIN_ROLES),
        group_ids=frozenset(user.groups.values_list("pk", flat=True)),
    )
    setattr(user, _CACHE_ATTRIBUTE, principals)
    return principals


def forget_principals(user: User) -> None:
    """Drop the cached principals after the user's roles or groups changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def subtree_ids(authority_ids: frozenset[int] | set[int]) -> QuerySet:
    """A subquery of the given authorities and everything below them."""
    ids = list(authority_ids)
    condition = Q(pk__in=ids)
    lookup = "parent"
    for _depth in range(MAX_DEPTH):
        condition |= Q(**{f"{lookup}__in": ids})
        lookup += "__parent"
    return Authority.objects.filter(condition).values("pk")
