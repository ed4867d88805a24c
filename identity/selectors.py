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


# --- Delegation: what an administrator may manage -------------------------------------------
# Roles are ordered; nobody grants or revokes a role above the highest they hold over the
# authority concerned. An authority administrator manages their own authority only; a
# territory administrator manages their authority and everything below it.
ROLE_RANK = {Membership.Role.AGENT: 1, Membership.Role.PUBLISHER: 2, Membership.Role.ADMIN: 3,
             Membership.Role.TERRITORY_ADMIN: 4}
SUPERUSER_RANK = 99


def role_ceiling(actor: User | AnonymousUser | None, authority: Authority) -> int:
    """The highest role rank ``actor`` may grant in ``authority`` (0: none)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return 0
    if actor.is_superuser:
        return SUPERUSER_RANK
    chain = [authority.pk, *(a.pk for a in authority.ancestors())]
    held = Membership.objects.active().filter(user=actor).filter(
        Q(role=Membership.Role.ADMIN, authority_id=authority.pk)
        | Q(role=Membership.Role.TERRITORY_ADMIN, authority_id__in=chain)
    ).values_list("role", flat=True)
    return max((ROLE_RANK[r] for r in held), default=0)


def authorities_managed_by(actor: User | AnonymousUser | None) -> QuerySet:
    """Authorities whose roles ``actor`` administers (empty for everyone else)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Authority.objects.none()
    if actor.is_superuser:
        return Authority.objects.all()
    roles = list(Membership.objects.active().filter(user=actor, role__in=ADMIN_ROLES)
                 .values_list("authority_id", "role"))
    own = {a for a, r in roles if r == Membership.Role.ADMIN}
    territory = {a for a, r in roles if r == Membership.Role.TERRITORY_ADMIN}
    condition = Q(pk__in=own)
    if territory:
        condition |= Q(pk__in=subtree_ids(territory))
    return Authority.objects.filter(condition)


def users_managed_by(actor: User | AnonymousUser | None) -> QuerySet:
    """Agents holding an active role in an authority ``actor`` manages."""
    managed = authorities_managed_by(actor)
    return User.objects.filter(
        pk__in=Membership.objects.active().filter(authority__in=managed).values("user_id"))


def groups_managed_by(actor: User | AnonymousUser | None) -> QuerySet:
    from identity.models import AuthorityGroup

    return AuthorityGroup.objects.filter(owner__in=authorities_managed_by(actor))


@dataclass(frozen=True)
class Right:
    """One thing a person may do, and why."""

    what: str
    where: str
    why: str
    period: str = ""


def rights_of(user: User) -> list[Right]:
    """Every right ``user`` holds, each with its reason (roles, groups, permissions)."""
    from django.utils.translation import gettext as _

    from identity.models import AuthorityGroup

    rights: list[Right] = []
    if user.is_superuser:
        rights.append(Right(_("Tous les droits"), _("tout le portail"), _("superutilisateur")))
    today = Membership.objects.active()
    for m in (user.memberships.select_related("authority")
              .order_by("authority__name", "role", "starts_on")):
        active = today.filter(pk=m.pk).exists()
        why = _("attribué par un administrateur") if not m.source else \
            _("donné par %(source)s à la connexion") % {"source": m.source}
        period = f"{m.starts_on:%d/%m/%Y} → {m.ends_on:%d/%m/%Y}" if m.ends_on else \
            f"{m.starts_on:%d/%m/%Y} →"
        if not active:
            why += " — " + _("inactif aujourd'hui")
        rights.append(Right(m.get_role_display(), m.authority.name, why, period))
        if active and m.role == Membership.Role.TERRITORY_ADMIN:
            below = Authority.objects.subtree_of(m.authority).count() - 1
            rights.append(Right(_("Administre les rôles"),
                                _("%(name)s et %(count)d collectivité(s) en dessous")
                                % {"name": m.authority.name, "count": below},
                                _("administrateur territorial de %(name)s")
                                % {"name": m.authority.name}))
    for group in user.groups.order_by("name"):
        owned = AuthorityGroup.objects.filter(group=group).select_related("owner").first()
        if owned is not None:
            rights.append(Right(_("Membre du groupe"), group.name,
                                _("groupe de %(owner)s : les documents partagés avec ce "
                                  "groupe lui sont lisibles") % {"owner": owned.owner.name}))
        else:
            codenames = ", ".join(group.permissions.values_list("codename", flat=True)[:6])
            rights.append(Right(_("Groupe de rôle"), group.name,
                                _("suit ses rôles actifs ; permissions : %(perms)s")
                                % {"perms": codenames or "—"}))
    return rights
