"""Writes of the identity app. Each is one function, one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from identity.models import (
    Authority,
    AuthorityGroup,
    ExternalIdentity,
    FederatedSession,
    Membership,
    OIDCProvider,
    User,
)
from identity.selectors import ROLE_RANK, forget_principals, role_ceiling, users_managed_by
from identity.territory import CURRENT_COMMUNE, TerritoryData
from search.services import authorities_moved

Kind = Authority.Kind
_FIELDS = ("name", "insee_code", "siren", "epci_type", "population", "parent_id")


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def total(self, counter: dict[str, int]) -> int:
        return sum(counter.values())

    def summary(self) -> str:
        parts = []
        for kind in (Kind.REGION, Kind.OTHER, Kind.DEPARTEMENT, Kind.EPCI, Kind.COMMUNE):
            parts.append(
                f"{kind.label} : {self.created.get(kind, 0)} créé(s), "
                f"{self.updated.get(kind, 0)} mis à jour, {self.unchanged.get(kind, 0)} inchangé(s)"
            )
        return "\n".join(parts)


def _key(kind: str, insee_code: str, siren: str | None) -> tuple[str, str]:
    return (kind, siren if kind == Kind.EPCI else insee_code)


class _Upserter:
    """Insert-or-update authorities in bulk, keyed by their official code."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.moved: list[int] = []  # authorities whose parent changed
        self.existing: dict[tuple[str, str], Authority] = {}
        for authority in Authority.objects.exclude(kind=Kind.OTHER, insee_code=""):
            self.existing[_key(authority.kind, authority.insee_code, authority.siren)] = authority

    def apply(self, kind: str, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Write ``rows`` (field values) of one kind; return the ids by official code."""
        to_create: list[Authority] = []
        to_update: list[Authority] = []
        unchanged = 0
        for values in rows:
            key = _key(kind, values["insee_code"], values["siren"])
            current = self.existing.get(key)
            if current is None:
                authority = Authority(kind=kind, **values)
                to_create.append(authority)
                self.existing[key] = authority
            elif any(getattr(current, name) != values[name] for name in _FIELDS):
                if current.parent_id != values["parent_id"]:
                    self.moved.append(current.pk)
                for name in _FIELDS:
                    setattr(current, name, values[name])
                to_update.append(current)
            else:
                unchanged += 1
        Authority.objects.bulk_create(to_create, batch_size=2000)
        Authority.objects.bulk_update(to_update, _FIELDS, batch_size=2000)
        self.report.created[kind] = len(to_create)
        self.report.updated[kind] = len(to_update)
        self.report.unchanged[kind] = unchanged
        return {code: a.pk for (k, code), a in self.existing.items() if k == kind}


def _population(entry: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = entry.get(name)
        if isinstance(value, int) and value >= 0:
            return value
    return None


@transaction.atomic
def territory_import(*, data: TerritoryData) -> ImportReport:
    """Import checked territory data; re-importing updates rows and never duplicates them.

    Authorities that vanished from the files (merged communes) are kept: documents may hang on
    them. Parents: commune -> its EPCI (or its région when it belongs to none), EPCI -> région
    of its seat, département -> région.
    """
    report = ImportReport()
    upsert = _Upserter(report)

    def region_row(entry: dict[str, Any]) -> dict[str, Any]:
        return {"name": entry["nom"], "insee_code": entry["code"], "siren": None,
                "epci_type": "", "population": None, "parent_id": None}

    # regions.json also lists the overseas collectivities (three-digit codes: 975, 987...);
    # they are not régions, and each is its own single "département" too.
    overseas = {r["code"] for r in data.regions if len(r["code"]) == 3}
    region_ids = upsert.apply(
        Kind.REGION, [region_row(r) for r in data.regions if r["code"] not in overseas])
    region_ids |= upsert.apply(
        Kind.OTHER, [region_row(r) for r in data.regions if r["code"] in overseas])
    upsert.apply(Kind.DEPARTEMENT, [
        {"name": d["nom"], "insee_code": d["code"], "siren": None, "epci_type": "",
         "population": None, "parent_id": region_ids.get(d["region"])}
        for d in data.departements if d["code"] not in overseas
    ])
    epci_rows = []
    commune_epci: dict[str, str] = {}
    for entry in data.epcis:
        seat_region = data.seat_regions.get(entry["code"])
        epci_rows.append({
            "name": entry["nom"], "insee_code": "", "siren": entry["code"],
            "epci_type": str(entry.get("type", ""))[:8],
            "population": _population(entry, "populationTotale", "populationMunicipale"),
            "parent_id": region_ids.get(seat_region) if seat_region else None,
        })
        for member in entry["membres"]:
            commune_epci[member["code"]] = entry["code"]
    epci_ids = upsert.apply(Kind.EPCI, epci_rows)
    upsert.apply(Kind.COMMUNE, [
        {"name": c["nom"], "insee_code": c["code"], "siren": c.get("siren"), "epci_type": "",
         "population": _population(c, "population"),
         "parent_id": epci_ids.get(commune_epci.get(c["code"], ""))
         or region_ids.get(c["region"])}
        for c in data.communes if c["type"] == CURRENT_COMMUNE
    ])
    if upsert.moved:
        # Their documents' readers (shared upward, administrators above) changed.
        authorities_moved(upsert.moved)
    return report


def _audit(*, actor: User | None, authority: Authority | None, **detail: Any) -> None:
    # The store's audit log is the one log of rights changes; imported here because the
    # documents app depends on identity, not the other way round at import time.
    from documents.models import AuditEvent
    from documents.services import audit_record

    audit_record(actor=actor, action=AuditEvent.Action.ROLE, authority=authority, **detail)


def _roles_snapshot(user: User, authority: Authority) -> list[dict[str, str | None]]:
    return [{"role": m.role, "starts_on": m.starts_on.isoformat(),
             "ends_on": m.ends_on.isoformat() if m.ends_on else None, "source": m.source}
            for m in user.memberships.filter(authority=authority).order_by("role", "starts_on")]


def _check_delegation(actor: User, user: User, authority: Authority, role: str) -> None:
    """Refuse what ``actor`` may not do to ``user``'s ``role`` in ``authority``."""
    if actor.pk == user.pk:
        raise PermissionDenied(_("Vous ne pouvez pas modifier vos propres droits."))
    ceiling = role_ceiling(actor, authority)
    if ceiling == 0:
        raise PermissionDenied(_("Cette collectivité n'est pas de votre ressort."))
    if ROLE_RANK[role] > ceiling:
        raise PermissionDenied(_("Vous ne pouvez pas attribuer un rôle supérieur au vôtre."))


def _validate_period(starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("La fin doit suivre le début.")})


@transaction.atomic
def membership_grant(*, actor: User | None, user: User, authority: Authority, role: str,
                     starts_on: datetime.date | None = None,
                     ends_on: datetime.date | None = None, source: str = "",
                     ip_address: str | None = None) -> Membership:
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
        membership = Membership.objects.create(user=user, authority=authority, role=role,
                                               starts_on=starts_on, ends_on=ends_on,
                                               source=source)
    else:
        # An administrator confirming a provider's role takes it over: the next sync keeps it.
        new_source = "" if actor is not None else (source or membership.source)
        if (membership.ends_on, membership.source) != (ends_on, new_source):
            membership.ends_on, membership.source = ends_on, new_source
            membership.save(update_fields=["ends_on", "source"])
    if user.kind != User.Kind.AGENT:
        user.kind = User.Kind.AGENT
        user.save(update_fields=["kind"])
    user_access_sync(user=user)
    after = _roles_snapshot(user, authority)
    if after != before and (actor is not None or source):
        _audit(actor=actor, authority=authority, ip_address=ip_address, change="grant",
               user=user.pk, username=user.username, role=role, before=before, after=after,
               **({"source": source} if source else {}))
    transaction.on_commit(lambda: forget_principals(user))
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership, source: str = "",
                      ip_address: str | None = None) -> None:
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
    user_access_sync(user=user)
    after = _roles_snapshot(user, authority)
    # Audited: every change a person or a provider makes; set-up by code (the demo) is not.
    if after != before and (actor is not None or source):
        _audit(actor=actor, authority=authority, ip_address=ip_address, change="revoke",
               user=user.pk, username=user.username, role=membership.role, before=before,
               after=after, **({"source": source} if source else {}))
    transaction.on_commit(lambda: forget_principals(user))


@transaction.atomic
def federated_roles_sync(*, source: str, user: User,
                         roles: set[tuple[Authority, str]]) -> None:
    """Make the roles that ``source`` (a provider) gave ``user`` exactly ``roles``.

    Runs at every sign-in through that provider (the system acts, the audit says which
    provider). Roles granted by administrators are never touched.
    """
    wanted = {(a.pk, r) for a, r in roles}
    for membership in user.memberships.active().filter(source=source):
        if (membership.authority_id, membership.role) not in wanted:
            membership_revoke(actor=None, membership=membership, source=source)
    for authority, role in roles:
        if not user.memberships.active().filter(authority=authority, role=role).exists():
            membership_grant(actor=None, user=user, authority=authority, role=role,
                             source=source)


def _check_group_owner(actor: User | None, owner: Authority) -> None:
    if actor is not None and role_ceiling(actor, owner) == 0:
        raise PermissionDenied(_("Cette collectivité n'est pas de votre ressort."))


@transaction.atomic
def authority_group_create(*, actor: User | None, name: str, owner: Authority,
                           ip_address: str | None = None) -> AuthorityGroup:
    """Create a cross-authority group (a commission) owned by an authority ``actor`` manages."""
    _check_group_owner(actor, owner)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Le nom est obligatoire.")})
    if name in ROLE_GROUPS.values() or Group.objects.filter(name=name).exists():
        raise ValidationError({"name": _("Un groupe porte déjà ce nom.")})
    group = Group.objects.create(name=name[:150])
    authority_group = AuthorityGroup.objects.create(group=group, owner=owner)
    _audit(actor=actor, authority=owner, ip_address=ip_address, change="group_create",
           group=group.pk, group_name=group.name, before=None, after={"members": []})
    return authority_group


@transaction.atomic
def authority_group_adopt(*, actor: User | None, group: Group,
                          owner: Authority) -> AuthorityGroup:
    """Put an existing plain group (one the demo or a grant already uses) under an authority.

    Only the system or a superuser: a group carrying permissions, or a role group, would hand
    its members' rights to whoever manages the owner, so those are refused.
    """
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Seul un superutilisateur rattache un groupe existant."))
    if group.name in ROLE_GROUPS.values() or group.permissions.exists():
        raise PermissionDenied(_("Ce groupe porte des permissions : il ne peut pas être "
                                 "délégué."))
    authority_group, created = AuthorityGroup.objects.get_or_create(
        group=group, defaults={"owner": owner})
    if created:
        _audit(actor=actor, authority=owner, change="group_adopt", group=group.pk,
               group_name=group.name, before=None, after={"owner": owner.pk,
                                                          "members": _members(group)})
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
        raise PermissionDenied(_("Cette personne n'est agent d'aucune collectivité de votre "
                                 "ressort."))


def authority_group_member_add(*, actor: User | None, authority_group: AuthorityGroup,
                               user: User, ip_address: str | None = None) -> None:
    """Add an agent of the actor's subtree to a group the actor manages."""
    _group_membership_change(actor=actor, authority_group=authority_group, user=user,
                             ip_address=ip_address, add=True)


def authority_group_member_remove(*, actor: User | None, authority_group: AuthorityGroup,
                                  user: User, ip_address: str | None = None) -> None:
    _group_membership_change(actor=actor, authority_group=authority_group, user=user,
                             ip_address=ip_address, add=False)


@transaction.atomic
def _group_membership_change(*, actor: User | None, authority_group: AuthorityGroup,
                             user: User, ip_address: str | None, add: bool) -> None:
    _check_member(actor, authority_group, user)
    group = authority_group.group
    before = _members(group)
    (user.groups.add if add else user.groups.remove)(group)
    after = _members(group)
    if after != before:
        _audit(actor=actor, authority=authority_group.owner, ip_address=ip_address,
               change="group_member_add" if add else "group_member_remove", group=group.pk,
               group_name=group.name, user=user.pk, username=user.username,
               before={"members": before}, after={"members": after})
    transaction.on_commit(lambda: forget_principals(user))


ROLE_GROUPS = {
    Membership.Role.AGENT: "Agents",
    Membership.Role.PUBLISHER: "Éditeurs",
    Membership.Role.ADMIN: "Administrateurs de collectivité",
    Membership.Role.TERRITORY_ADMIN: "Administrateurs territoriaux",
}


def role_group(role: str) -> Group:
    """The Django group that carries a role's admin permissions (created on first use)."""
    group, created = Group.objects.get_or_create(name=ROLE_GROUPS[role])
    if created:
        group.permissions.add(Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"))
    return group


def user_access_sync(*, user: User) -> None:
    """Make the user's role groups match their active memberships (roles are the source)."""
    active_roles = set(user.memberships.active().values_list("role", flat=True))
    wanted = {role_group(role) for role in active_roles}
    managed = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*[g for g in managed if g not in wanted])
    user.groups.add(*wanted)


# --- Federated sign-in (OIDC, LDAP) ---------------------------------------------------------

def _new_username(source: str, login: str) -> str:
    # The prefix keeps federated accounts apart from local ones with the same login.
    base = slugify(f"{source.replace(':', '-')}-{login}")[:140] or "compte"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def federated_sign_in(*, source: str, subject: str, kind: str, login: str = "",
                      email: str = "", first_name: str = "", last_name: str = "",
                      roles: set[tuple[Authority, str]] | None = None,
                      ) -> tuple[User, ExternalIdentity] | None:
    """The account behind (``source``, ``subject``), created on first sign-in.

    Never looks accounts up by e-mail: the same address from another provider, or from a
    citizen provider, is another person as far as the portal knows. ``roles`` (agents) replaces
    what this provider gave before. None when the account has been deactivated locally.
    """
    identity = (ExternalIdentity.objects.select_for_update().select_related("user")
                .filter(provider=source, subject=subject).first())
    if identity is None:
        user = User(username=_new_username(source, login or subject), kind=kind,
                    email=email, first_name=first_name[:150], last_name=last_name[:150])
        user.set_unusable_password()
        user.save()
        identity = ExternalIdentity.objects.create(provider=source, subject=subject, user=user)
    user = identity.user
    if not user.is_active or user.kind != kind:
        return None
    changed = {name: value for name, value in (("email", email), ("first_name", first_name),
                                               ("last_name", last_name))
               if value and getattr(user, name) != value}
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
        only_way_in = not user.identities.exclude(pk=identity.pk).exists() \
            and not user.has_usable_password()
        memberships = user.memberships.active()
        if not only_way_in:
            memberships = memberships.filter(source=source)
        for membership in memberships:
            membership_revoke(actor=None, membership=membership, source=source)
            ended += 1
    return ended


@transaction.atomic
def federated_session_record(*, identity: ExternalIdentity, session_key: str,
                             sid: str = "") -> FederatedSession:
    return FederatedSession.objects.create(identity=identity, session_key=session_key,
                                           sid=sid[:255])


@transaction.atomic
def federated_session_forget(*, session_key: str) -> None:
    """The person signed out of the portal: the provider no longer needs to end it."""
    FederatedSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def federated_sessions_end(*, source: str, subject: str = "", sid: str = "") -> int:
    """Back-channel logout: end the portal sessions a provider says are over."""
    rows = FederatedSession.objects.filter(identity__provider=source)
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


# --- OIDC provider registry -----------------------------------------------------------------
_PROVIDER_FIELDS = ("slug", "name", "kind", "enabled", "issuer", "client_id", "scopes",
                    "authority_id", "authority_claim", "role_claim", "role_mapping",
                    "email_domains", "signing_algorithms", "timeout", "authorization_endpoint",
                    "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint")


def _provider_snapshot(provider: OIDCProvider | None) -> dict[str, Any] | None:
    # Never the client secret in the audit log: only whether it changed.
    if provider is None:
        return None
    return {name: getattr(provider, name) for name in _PROVIDER_FIELDS}


def _check_provider(actor: User | None, provider: OIDCProvider) -> None:
    allowed = {"RS256", "ES256"}
    algorithms = {a.strip() for a in provider.signing_algorithms.split(",") if a.strip()}
    if not algorithms or not algorithms <= allowed:
        raise ValidationError({"signing_algorithms": _(
            "Seuls RS256 et ES256 sont acceptés.")})
    mapping = provider.role_mapping or {}
    if not isinstance(mapping, dict) or not set(mapping.values()) <= set(ROLE_RANK):
        raise ValidationError({"role_mapping": _(
            "Chaque valeur doit être un rôle : agent, publisher, admin ou territory_admin.")})
    if provider.kind == User.Kind.AGENT and provider.authority_id is None:
        raise ValidationError({"authority": _(
            "Un fournisseur d'agents est rattaché à une collectivité.")})
    if provider.kind == User.Kind.CITIZEN and (mapping or provider.authority_id):
        raise ValidationError({"role_mapping": _(
            "Un fournisseur de citoyens ne donne aucun rôle.")})
    if actor is None or actor.is_superuser:
        return
    # A territory administrator may plug in their territory's provider, giving no role above
    # their own there; citizen providers are the whole portal's, left to superusers.
    if provider.authority is None:
        raise PermissionDenied(_("Seul un superutilisateur enregistre ce fournisseur."))
    ceiling = role_ceiling(actor, provider.authority)
    highest = max((ROLE_RANK[r] for r in mapping.values()), default=ROLE_RANK["agent"])
    if ceiling < ROLE_RANK["territory_admin"] or highest > ceiling:
        raise PermissionDenied(_("Ce fournisseur dépasse vos droits."))


@transaction.atomic
def oidc_provider_save(*, actor: User | None, provider: OIDCProvider,
                       ip_address: str | None = None) -> OIDCProvider:
    """Register or change an OIDC provider (checked, audited with before/after)."""
    current = OIDCProvider.objects.select_for_update().filter(pk=provider.pk).first() \
        if provider.pk else None
    if current is not None:
        _check_provider(actor, current)  # may the actor touch the provider as it stands?
    _check_provider(actor, provider)
    provider.full_clean()
    provider.save()
    _audit(actor=actor, authority=provider.authority, ip_address=ip_address,
           change="oidc_provider", provider=provider.slug,
           before=_provider_snapshot(current), after=_provider_snapshot(provider),
           secret_changed=current is None or current.client_secret != provider.client_secret)
    transaction.on_commit(lambda: cache.delete_many(
        [f"civis-oidc-discovery:{provider.pk}:{provider.issuer}"]
        + ([f"civis-oidc-discovery:{current.pk}:{current.issuer}"] if current else [])))
    return provider
