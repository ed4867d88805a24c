"""Cross-authority groups (commissions) and their members."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.transactions import service
from identity.models import (
    Authority,
    AuthorityGroup,
    User,
)
from identity.selectors import forget_principals, role_ceiling, users_managed_by
from identity.services.roles import (
    ROLE_GROUPS,
    _audit,
)


def _check_group_owner(actor: User | None, owner: Authority) -> None:
    if actor is not None and role_ceiling(actor, owner) == 0:
        raise PermissionDenied(_("Cette collectivité n'est pas de votre ressort."))


@service
def authority_group_create(
    *, actor: User | None, name: str, owner: Authority, ip_address: str | None = None
) -> AuthorityGroup:
    """Create a cross-authority group (a commission) owned by an authority ``actor`` manages."""
    _check_group_owner(actor, owner)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Le nom est obligatoire.")})
    if name in ROLE_GROUPS.values() or Group.objects.filter(name=name).exists():
        raise ValidationError({"name": _("Un groupe porte déjà ce nom.")})
    group = Group.objects.create(name=name[:150])
    authority_group = AuthorityGroup.objects.create(group=group, owner=owner)
    _audit(
        actor=actor,
        authority=owner,
        ip_address=ip_address,
        change="group_create",
        group=group.pk,
        group_name=group.name,
        before=None,
        after={"members": []},
    )
    return authority_group


@service
def authority_group_adopt(*, actor: User | None, group: Group, owner: Authority) -> AuthorityGroup:
    """Put an existing plain group (one the demo or a grant already uses) under an authority.

    Only the system or a superuser: a group carrying permissions, or a role group, would hand
    its members' rights to whoever manages the owner, so those are refused.
    """
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Seul un superutilisateur rattache un groupe existant."))
    if group.name in ROLE_GROUPS.values() or group.permissions.exists():
        raise PermissionDenied(_("Ce groupe porte des permissions : il ne peut pas être délégué."))
    authority_group, created = AuthorityGroup.objects.get_or_create(
        group=group, defaults={"owner": owner}
    )
    if created:
        _audit(
            actor=actor,
            authority=owner,
            change="group_adopt",
            group=group.pk,
            group_name=group.name,
            before=None,
            after={"owner": owner.pk, "members": _members(group)},
        )
    return authority_group


def _members(group: Group) -> list[str]:
    return sorted(group.user_set.values_list("username", flat=True))


def _check_member(actor: User | None, authority_group: AuthorityGroup, user: User) -> None:
    if actor is None:
        return
    _check_group_owner(actor, authority_group.owner)
    if actor.pk == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas modifier vos propres droits."))
    if not users_managed_by(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(
            _("Cette personne n'est agent d'aucune collectivité de votre ressort.")
        )


def authority_group_member_add(
    *,
    actor: User | None,
    authority_group: AuthorityGroup,
    user: User,
    ip_address: str | None = None,
) -> None:
    """Add an agent of the actor's subtree to a group the actor manages."""
    _group_membership_change(
        actor=actor, authority_group=authority_group, user=user, ip_address=ip_address, add=True
    )


def authority_group_member_remove(
    *,
    actor: User | None,
    authority_group: AuthorityGroup,
    user: User,
    ip_address: str | None = None,
) -> None:
    _group_membership_change(
        actor=actor, authority_group=authority_group, user=user, ip_address=ip_address, add=False
    )


@service
def _group_membership_change(
    *,
    actor: User | None,
    authority_group: AuthorityGroup,
    user: User,
    ip_address: str | None,
    add: bool,
) -> None:
    _check_member(actor, authority_group, user)
    group = authority_group.group
    before = _members(group)
    (user.groups.add if add else user.groups.remove)(group)
    after = _members(group)
    if after != before:
        _audit(
            actor=actor,
            authority=authority_group.owner,
            ip_address=ip_address,
            change="group_member_add" if add else "group_member_remove",
            group=group.pk,
            group_name=group.name,
            user=user.pk,
            username=user.username,
            before={"members": before},
            after={"members": after},
        )
    transaction.on_commit(lambda: forget_principals(user))
