"""Reads of the identity app: who a user is, in terms every permission check uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet

from identity.models import MAX_DEPTH, Authority, Membership, User

if TYPE_CHECKING:
    from identity.models import AuthorityGroup

EDITOR_ROLES = frozenset(
    {Membership.Role.PUBLISHER, Membership.Role.ADMIN, Membership.Role.TERRITORY_ADMIN}
)
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
    agent_of: frozenset[int]  # any active role
    edits_own: frozenset[int]  # publisher or administrator there
    admin_of: frozenset[int]  # administrator there (so also of everything below)
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
    cached: Principals | None = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    roles = list(Membership.objects.active().filter(user=user).values_list("authority_id", "role"))
    principals = Principals(
        user_id=user.pk,
        authenticated=True,
        superuser=bool(user.is_superuser and user.is_active),
        agent_of=frozenset(a for a, _r in roles),
        edits_own=frozenset(a for a, r in roles if r in EDITOR_ROLES),
        admin_of=frozenset(a for a, r in roles if r in ADMIN_ROLES),
        group_ids=frozenset(counted_group_ids(user, {a for a, _r in roles})),
    )
    setattr(user, _CACHE_ATTRIBUTE, principals)
    return principals


def counted_group_ids(user: User, role_authorities: set[int]) -> set[int]:
    """The user's groups that give access today. A cross-authority group (a commission, owned
    by an authority) counts only while the member holds a current role in its owner's
    territory (the owner or below it): access through it ends with the roles that justified
    it, even if nobody removed the person from the group (offboarding)."""
    from identity.models import AuthorityGroup

    groups = set(user.groups.values_list("pk", flat=True))
    owned = dict(
        AuthorityGroup.objects.filter(group_id__in=groups).values_list("group_id", "owner_id")
    )
    if not owned:
        return groups
    reach = _self_and_above(role_authorities)
    return {g for g in groups if g not in owned or owned[g] in reach}


def _self_and_above(authority_ids: set[int]) -> set[int]:
    """The given authorities and every authority above them (one query)."""
    if not authority_ids:
        return set()
    lookups = ["pk"] + ["__".join(["parent"] * depth) + "_id" for depth in range(1, MAX_DEPTH + 1)]
    rows = Authority.objects.filter(pk__in=authority_ids).values_list(*lookups)
    return {pk for row in rows for pk in row if pk is not None}


def forget_principals(user: User) -> None:
    """Drop the cached principals after the user's roles or groups changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def subtree_ids(authority_ids: frozenset[int] | set[int]) -> QuerySet[Authority, Mapping[str, Any]]:
    """A subquery of the given authorities and everything below them."""
    ids = list(authority_ids)
    condition = Q(pk__in=ids)
    lookup = "parent"
    for _depth in range(MAX_DEPTH):
        condition |= Q(**{f"{lookup}__in": ids})
        lookup += "__parent"
    return Authority.objects.filter(condition).values("pk")


# --- Administrative scopes ------------------------------------------------------------------
# Three questions, three names; every caller uses these (README "Who administers what"):
# * oversight — ``authorities_overseen_by`` / ``overseen_subtree``: whose documents an
#   administrator edits (personal documents excepted) and whose audit log they read: every
#   authority where they are administrator (authority or territory) and everything below it.
# * roles — ``authorities_managed_by`` (with ``role_ceiling``): where they grant and revoke
#   roles and manage cross-authority groups: an authority administrator's own authority; a
#   territory administrator's authority and everything below it.
# * providers — ``authorities_with_providers_managed_by``: whose OIDC providers they register.


def overseen_subtree(principals: Principals) -> QuerySet[Authority, Mapping[str, Any]]:
    """A subquery of the ids in the requester's oversight scope (empty without admin role)."""
    return subtree_ids(principals.admin_of)


def authorities_overseen_by(actor: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities whose documents and audit log ``actor`` oversees as an administrator."""
    principals = principals_of(actor)
    if principals.superuser:
        return Authority.objects.all()
    return Authority.objects.filter(pk__in=overseen_subtree(principals))


# --- Delegation: what an administrator may manage -------------------------------------------
# Roles are ordered; nobody grants or revokes a role above the highest they hold over the
# authority concerned. An authority administrator manages their own authority only; a
# territory administrator manages their authority and everything below it.
ROLE_RANK: dict[str, int] = {
    Membership.Role.AGENT: 1,
    Membership.Role.PUBLISHER: 2,
    Membership.Role.ADMIN: 3,
    Membership.Role.TERRITORY_ADMIN: 4,
}
SUPERUSER_RANK = 99


def role_ceiling(actor: User | AnonymousUser | None, authority: Authority) -> int:
    """The highest role rank ``actor`` may grant in ``authority`` (0: none)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return 0
    if actor.is_superuser:
        return SUPERUSER_RANK
    chain = [authority.pk, *(a.pk for a in authority.ancestors())]
    held = (
        Membership.objects.active()
        .filter(user=actor)
        .filter(
            Q(role=Membership.Role.ADMIN, authority_id=authority.pk)
            | Q(role=Membership.Role.TERRITORY_ADMIN, authority_id__in=chain)
        )
        .values_list("role", flat=True)
    )
    return max((ROLE_RANK[r] for r in held), default=0)


def authorities_managed_by(actor: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities whose roles ``actor`` administers (empty for everyone else)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Authority.objects.none()
    if actor.is_superuser:
        return Authority.objects.all()
    roles = list(
        Membership.objects.active()
        .filter(user=actor, role__in=ADMIN_ROLES)
        .values_list("authority_id", "role")
    )
    own = {a for a, r in roles if r == Membership.Role.ADMIN}
    territory = {a for a, r in roles if r == Membership.Role.TERRITORY_ADMIN}
    condition = Q(pk__in=own)
    if territory:
        condition |= Q(pk__in=subtree_ids(territory))
    return Authority.objects.filter(condition)


def authorities_with_providers_managed_by(
    actor: User | AnonymousUser | None,
) -> QuerySet[Authority]:
    """Authorities whose OIDC providers ``actor`` registers and changes: every one for a
    superuser; for a territory administrator, those STRICTLY below the authority they
    administer (a provider vouches for accounts: nobody plugs in the one that speaks for their
    own authority, or above it). Empty for everyone else."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Authority.objects.none()
    if actor.is_superuser:
        return Authority.objects.all()
    territory = list(
        Membership.objects.active()
        .filter(user=actor, role=Membership.Role.TERRITORY_ADMIN)
        .values_list("authority_id", flat=True)
    )
    if not territory:
        return Authority.objects.none()
    condition = Q(parent__in=territory)
    lookup = "parent__parent"
    for _depth in range(MAX_DEPTH - 1):
        condition |= Q(**{f"{lookup}__in": territory})
        lookup += "__parent"
    return Authority.objects.filter(condition)


def users_managed_by(actor: User | AnonymousUser | None) -> QuerySet[User]:
    """Agents holding an active role in an authority ``actor`` manages."""
    managed = authorities_managed_by(actor)
    return User.objects.filter(
        pk__in=Membership.objects.active().filter(authority__in=managed).values("user_id")
    )


def groups_managed_by(actor: User | AnonymousUser | None) -> QuerySet[AuthorityGroup]:
    from identity.models import AuthorityGroup

    return AuthorityGroup.objects.filter(owner__in=authorities_managed_by(actor))


@dataclass(frozen=True)
class Right:
    """One thing a person may do, and why."""

    what: str
    where: str
    why: str
    period: str = ""


def _counts_below(authority_ids: set[int]) -> dict[int, int]:
    """How many authorities lie below each of ``authority_ids``, in one query."""
    if not authority_ids:
        return {}

    def below(pk: int) -> Q:
        condition, lookup = Q(), "parent"
        for _depth in range(MAX_DEPTH):
            condition |= Q(**{lookup: pk})
            lookup += "__parent"
        return condition

    row = Authority.objects.aggregate(
        **{f"below_{pk}": Count("pk", filter=below(pk)) for pk in authority_ids}
    )
    return {pk: row[f"below_{pk}"] for pk in authority_ids}


def rights_of(user: User) -> list[Right]:
    """Every right ``user`` holds, each with its reason (roles, groups, permissions). A fixed
    number of queries, whatever the number of roles and groups."""
    from django.utils.translation import gettext as _

    from identity.models import AuthorityGroup

    rights: list[Right] = []
    if user.is_superuser:
        rights.append(Right(_("Tous les droits"), _("tout le portail"), _("superutilisateur")))
    memberships = list(
        user.memberships.select_related("authority").order_by(
            "authority__name", "role", "starts_on"
        )
    )
    active = set(Membership.objects.active().filter(user=user).values_list("pk", flat=True))
    below = _counts_below(
        {
            m.authority_id
            for m in memberships
            if m.pk in active and m.role == Membership.Role.TERRITORY_ADMIN
        }
    )
    for m in memberships:
        why = (
            _("attribué par un administrateur")
            if not m.source
            else _("donné par %(source)s à la connexion") % {"source": m.source}
        )
        period = (
            f"{m.starts_on:%d/%m/%Y} → {m.ends_on:%d/%m/%Y}"
            if m.ends_on
            else f"{m.starts_on:%d/%m/%Y} →"
        )
        if m.pk not in active:
            why += " — " + _("inactif aujourd'hui")
        rights.append(Right(m.get_role_display(), m.authority.name, why, period))
        if m.pk in active and m.role == Membership.Role.TERRITORY_ADMIN:
            rights.append(
                Right(
                    _("Administre les rôles"),
                    _("%(name)s et %(count)d collectivité(s) en dessous")
                    % {"name": m.authority.name, "count": below[m.authority_id]},
                    _("administrateur territorial de %(name)s") % {"name": m.authority.name},
                )
            )
    groups = list(user.groups.order_by("name").prefetch_related("permissions"))
    owners = {
        g.group_id: g.owner
        for g in AuthorityGroup.objects.filter(
            group__in=[group.pk for group in groups]
        ).select_related("owner")
    }
    counted = counted_group_ids(user, {m.authority_id for m in memberships if m.pk in active})
    for group in groups:
        owner = owners.get(group.pk)
        if owner is not None and group.pk not in counted:
            # Access that outlived every role: shown so an administrator removes it.
            rights.append(
                Right(
                    _("Membre du groupe — sans effet"),
                    group.name,
                    _(
                        "groupe de %(owner)s : aucun rôle en cours dans son ressort, les documents "
                        "partagés avec ce groupe ne lui sont plus lisibles ; retirez-le du groupe"
                    )
                    % {"owner": owner.name},
                )
            )
            continue
        if owner is not None:
            rights.append(
                Right(
                    _("Membre du groupe"),
                    group.name,
                    _(
                        "groupe de %(owner)s : les documents partagés avec ce "
                        "groupe lui sont lisibles"
                    )
                    % {"owner": owner.name},
                )
            )
        else:
            codenames = ", ".join(sorted(p.codename for p in group.permissions.all())[:6])
            rights.append(
                Right(
                    _("Groupe de rôle"),
                    group.name,
                    _("suit ses rôles actifs ; permissions : %(perms)s")
                    % {"perms": codenames or "—"},
                )
            )
    return rights


def authorities_identity_editable_by(actor: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities whose public identity (address, opening hours, phone, e-mail, website)
    ``actor`` edits: where they are publisher or administrator, and every authority below one
    they administer (authority or territory administrator). Every one for a superuser; none
    for an agent, a citizen or an inactive account."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Authority.objects.none()
    principals = principals_of(actor)
    if principals.superuser:
        return Authority.objects.all()
    return Authority.objects.filter(
        Q(pk__in=principals.edits_own) | Q(pk__in=overseen_subtree(principals))
    )
