"""Federated sign-in (OIDC, LDAP): accounts, identities and sessions."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from identity.models import (
    Authority,
    ExternalIdentity,
    FederatedSession,
    User,
)
from identity.services.roles import federated_roles_sync, membership_revoke


def _new_username(source: str, login: str) -> str:
    # The prefix keeps federated accounts apart from local ones with the same login.
    base = slugify(f"{source.replace(':', '-')}-{login}")[:140] or "compte"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def federated_sign_in(
    *,
    source: str,
    issuer: str,
    subject: str,
    kind: str,
    login: str = "",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: set[tuple[Authority, str]] | None = None,
) -> tuple[User, ExternalIdentity] | None:
    """The account behind (``issuer``, ``subject``), created on first sign-in.

    ``issuer`` is the one whose signature was checked (the ID token's ``iss``; an LDAP
    directory's ``ldap:<name>``), never a name an administrator can point elsewhere: a provider
    repointed to another server reaches none of the accounts linked before. ``source`` is the
    provider row it came through (``oidc:<slug>``), which keeps the roles it gives in step.
    Never looks accounts up by e-mail: the same address from another provider, or from a
    citizen provider, is another person as far as the portal knows. ``roles`` (agents) replaces
    what this provider gave before. None when the account has been deactivated locally.
    """
    if not issuer or not subject:
        raise ValueError("a federated identity needs an issuer and a subject")
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        user = User(
            username=_new_username(source, login or subject),
            kind=kind,
            email=email,
            first_name=first_name[:150],
            last_name=last_name[:150],
        )
        user.set_unusable_password()
        user.save()
        identity = ExternalIdentity.objects.create(
            provider=source, issuer=issuer, subject=subject, user=user
        )
    user = identity.user
    if not user.is_active or user.kind != kind:
        return None
    changed = {
        name: value
        for name, value in (("email", email), ("first_name", first_name), ("last_name", last_name))
        if value and getattr(user, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(user, name, value)
        user.save(update_fields=list(changed))
    identity.login = login[:255]
    identity.last_seen_at = timezone.now()
    identity.save(update_fields=["login", "last_seen_at"])
    if roles is not None:
        federated_roles_sync(source=source, user=user, roles=roles)
    return user, identity


@transaction.atomic
def federated_access_end(*, source: str, login: str) -> int:
    """A directory says this account is disabled or gone: revoke its roles now.

    Roles the provider gave go; roles an administrator granted go too when this provider is
    the only way the person signs in (nobody else can use them). Returns how many ended.
    """
    ended = 0
    for identity in ExternalIdentity.objects.filter(provider=source, login=login):
        user = identity.user
        only_way_in = (
            not user.identities.exclude(pk=identity.pk).exists() and not user.has_usable_password()
        )
        memberships = user.memberships.active()
        if not only_way_in:
            memberships = memberships.filter(source=source)
        for membership in memberships:
            membership_revoke.step(actor=None, membership=membership, source=source)
            ended += 1
    return ended


@transaction.atomic
def federated_session_record(
    *, identity: ExternalIdentity, session_key: str, sid: str = ""
) -> FederatedSession:
    return FederatedSession.objects.create(
        identity=identity, session_key=session_key, sid=sid[:255]
    )


@transaction.atomic
def federated_session_forget(*, session_key: str) -> None:
    """The person signed out of the portal: the provider no longer needs to end it."""
    FederatedSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def federated_sessions_end(*, issuer: str, subject: str = "", sid: str = "") -> int:
    """Back-channel logout: end the portal sessions an issuer says are over."""
    rows = FederatedSession.objects.filter(identity__issuer=issuer)
    if sid:
        rows = rows.filter(sid=sid)
    if subject:
        rows = rows.filter(identity__subject=subject)
    if not (sid or subject):
        return 0
    keys = list(rows.values_list("session_key", flat=True))
    rows.delete()
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def end_sessions() -> None:
        for key in keys:
            store(session_key=key).delete()

    transaction.on_commit(end_sessions)
    return len(keys)
