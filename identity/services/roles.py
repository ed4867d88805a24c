"""Roles (memberships with dates), the Django groups that carry them, the delegation rules."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.transactions import service
from identity.models import (
    Authority,
    Membership,
    User,
)
from identity.selectors import ROLE_RANK, forget_principals, role_ceiling


def _audit(*, actor: User | None, authority: Authority | None, **detail: Any) -> None:
    # The store's audit log is the one log of rights changes; imported here because the
    # documents app depends on identity, not the other way round at import time.
    from audit.models import AuditEvent
    from audit.services import audit_record

    audit_record(actor=actor, action=AuditEvent.Action.ROLE, authority=authority, **detail)


def _roles_snapshot(user: User, authority: Authority) -> list[dict[str, str | None]]:
    return [
        {
            "role": m.role,
            "starts_on": m.starts_on.isoformat(),
            "ends_on": m.ends_on.isoformat() if m.ends_on else None,
            "source": m.source,
        }
        for m in user.memberships.filter(authority=authority).order_by("role", "starts_on")
    ]


def _check_delegation(actor: User, user: User, authority: Authority, role: str) -> None:
    """Refuse what ``actor`` may not do to ``user``'s ``role`` in ``authority``."""
    if actor.pk == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas modifier vos propres droits."))
    ceiling = role_ceiling(actor, authority)
    if ceiling == 0:
        raise PermissionDenied(_("Cette collectivité n'est pas de votre ressort."))
    if ROLE_RANK[Membership.Role(role)] > ceiling:
        raise PermissionDenied(_("Vous ne pouvez pas attribuer un rôle supérieur au vôtre."))


def _validate_period(starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("La fin doit suivre le début.")})


@service
def membership_grant(
    *,
    actor: User | None,
    user: User,
    authority: Authority,
    role: str,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    source: str = "",
    ip_address: str | None = None,
) -> Membership:
    """Give ``user`` a role in ``authority`` for a period (open-ended without ``ends_on``).

    ``actor`` None is the system (the demo, a provider's sign-in sync): no delegation check.
    Anyone else may only act inside the authorities they manage, up to their own role, never on
    themselves, and never turn a citizen account into an agent.
    """
    if role not in ROLE_RANK:
        raise ValidationError({"role": _("Rôle inconnu.")})
    if actor is not None:
        _check_delegation(actor, user, authority, role)
        if user.kind != User.Kind.AGENT:
            raise PermissionDenied(_("Un compte citoyen ne reçoit pas de rôle d'agent."))
    User.objects.select_for_update().filter(pk=user.pk).first()  # one writer per person
    before = _roles_snapshot(user, authority)
    existing = Membership.objects.filter(user=user, authority=authority, role=role)
    if starts_on is None:
        # Re-granting a role someone holds today changes its end, not a second row (the demo
        # runs again every day).
        membership = existing.active().order_by("starts_on").first()
        starts_on = membership.starts_on if membership else timezone.localdate()
    else:
        membership = existing.filter(starts_on=starts_on).first()
    _validate_period(starts_on, ends_on)
    if membership is None:
        membership = Membership.objects.create(
            user=user,
            authority=authority,
            role=role,
            starts_on=starts_on,
            ends_on=ends_on,
            source=source,
        )
    else:
        # An administrator confirming a provider's role takes it over: the next sync keeps it.
        new_source = "" if actor is not None else (source or membership.source)
        if (membership.ends_on, membership.source) != (ends_on, new_source):
            membership.ends_on, membership.source = ends_on, new_source
            membership.save(update_fields=["ends_on", "source"])
    if user.kind != User.Kind.AGENT:
        user.kind = User.Kind.AGENT
        user.save(update_fields=["kind"])
    _roles_changed(
        actor=actor,
        user=user,
        authority=authority,
        role=role,
        change="grant",
        before=before,
        source=source,
        ip_address=ip_address,
    )
    return membership


@service
def membership_revoke(
    *, actor: User | None, membership: Membership, source: str = "", ip_address: str | None = None
) -> None:
    """End a role today: a role that has not started yet, or started today, is deleted; an
    older one ends yesterday so its history stays.

    ``actor`` None with a ``source`` is a provider or directory acting at sign-in.
    """
    membership = Membership.objects.select_related("user", "authority").get(pk=membership.pk)
    user, authority = membership.user, membership.authority
    if actor is not None:
        _check_delegation(actor, user, authority, membership.role)
    before = _roles_snapshot(user, authority)
    today = timezone.localdate()
    if membership.starts_on >= today:
        membership.delete()
    elif membership.ends_on is None or membership.ends_on >= today:
        membership.ends_on = today - datetime.timedelta(days=1)
        membership.save(update_fields=["ends_on"])
    _roles_changed(
        actor=actor,
        user=user,
        authority=authority,
        role=membership.role,
        change="revoke",
        before=before,
        source=source,
        ip_address=ip_address,
    )


def _roles_changed(
    *,
    actor: User | None,
    user: User,
    authority: Authority,
    role: str,
    change: str,
    before: list[dict[str, str | None]],
    source: str,
    ip_address: str | None,
) -> None:
    """What follows every grant or revocation: the person's access recomputed, an audit row
    when something changed, their cached principals forgotten after commit."""
    user_access_sync(user=user)
    after = _roles_snapshot(user, authority)
    # Audited: every change a person or a provider makes; set-up by code (the demo) is not.
    if after != before and (actor is not None or source):
        _audit(
            actor=actor,
            authority=authority,
            ip_address=ip_address,
            change=change,
            user=user.pk,
            username=user.username,
            role=role,
            before=before,
            after=after,
            **({"source": source} if source else {}),
        )
    transaction.on_commit(lambda: forget_principals(user))


@transaction.atomic  # a step of federated sign-in, never on its own
def federated_roles_sync(*, source: str, user: User, roles: set[tuple[Authority, str]]) -> None:
    """Make the roles that ``source`` (a provider) gave ``user`` exactly ``roles``.

    Runs at every sign-in through that provider (the system acts, the audit says which
    provider). Roles granted by administrators are never touched.
    """
    wanted = {(a.pk, r) for a, r in roles}
    for membership in user.memberships.active().filter(source=source):
        if (membership.authority_id, membership.role) not in wanted:
            membership_revoke.step(actor=None, membership=membership, source=source)
    for authority, role in roles:
        if not user.memberships.active().filter(authority=authority, role=role).exists():
            membership_grant.step(
                actor=None, user=user, authority=authority, role=role, source=source
            )


ROLE_GROUPS = {
    Membership.Role.AGENT: "Agents",
    Membership.Role.PUBLISHER: "Éditeurs",
    Membership.Role.ADMIN: "Administrateurs de collectivité",
    Membership.Role.TERRITORY_ADMIN: "Administrateurs territoriaux",
}


def role_group(role: str) -> Group:
    """The Django group that carries a role's admin permissions (created on first use)."""
    group, created = Group.objects.get_or_create(name=ROLE_GROUPS[Membership.Role(role)])
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return group


def user_access_sync(*, user: User) -> None:
    """Make the user's role groups match their active memberships (roles are the source)."""
    active_roles = set(user.memberships.active().values_list("role", flat=True))
    wanted = {role_group(role) for role in active_roles}
    managed = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*[g for g in managed if g not in wanted])
    user.groups.add(*wanted)
