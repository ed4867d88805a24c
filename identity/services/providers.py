"""The OIDC provider registry."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from identity.models import (
    OIDCProvider,
    User,
)
from identity.selectors import ROLE_RANK, role_ceiling
from identity.services.roles import (
    _audit,
)

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
