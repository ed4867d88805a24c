"""The OIDC provider registry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.transactions import service
from identity.models import (
    ExternalIdentity,
    OIDCProvider,
    User,
)
from identity.netpolicy import Refusal, url_refusal
from identity.selectors import ROLE_RANK, authorities_with_providers_managed_by, role_ceiling
from identity.services.roles import (
    _audit,
)

# The provider's editable fields, in the order the admin form shows them (the client secret,
# write-only, is handled apart).
PROVIDER_FIELDS = (
    "name",
    "slug",
    "kind",
    "enabled",
    "issuer",
    "client_id",
    "scopes",
    "authority_id",
    "authority_claim",
    "role_claim",
    "role_mapping",
    "email_domains",
    "signing_algorithms",
    "timeout",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)
# The URLs of a provider row; the portal fetches all but the two the browser is sent to, and
# holds them all to the same rules.
URL_FIELDS = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
)


def _provider_snapshot(provider: OIDCProvider | None) -> dict[str, Any] | None:
    # Never the client secret in the audit log: only whether it changed.
    if provider is None:
        return None
    return {name: getattr(provider, name) for name in PROVIDER_FIELDS}


def _url_message(refusal: Refusal) -> str:
    messages = {
        "scheme": _(
            "L'adresse doit commencer par https:// (http:// n'est admis que pour un "
            "fournisseur de test sur cette machine, en mode debug ou avec "
            "CIVIS_OIDC_ALLOW_HTTP_LOOPBACK=1)."
        ),
        "credentials": _("L'adresse ne doit contenir ni identifiant ni mot de passe."),
        "invalid": _("Adresse invalide."),
        "loopback": _(
            "Cette adresse désigne la machine du portail elle-même (boucle locale, "
            "%(address)s) : refusée."
        ),
        "private": _(
            "Cette adresse mène à un réseau privé ou non routable (%(address)s) : "
            "refusée. CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS=1 autorise un fournisseur "
            "interne."
        ),
        "link-local": _("Cette adresse est une adresse de lien local (%(address)s) : refusée."),
        "metadata": _(
            "Cette adresse est celle du service de métadonnées de l'hébergeur "
            "(%(address)s) : toujours refusée."
        ),
    }
    return messages[refusal.kind] % {"address": refusal.address}


def _validate(provider: OIDCProvider) -> None:
    """The model's own validation, and the URLs: the portal calls only https URLs on the
    public Internet (identity.netpolicy); our message replaces a generic one."""
    try:
        provider.full_clean()
        errors: dict[str, list[str]] = {}
    except ValidationError as error:
        errors = dict(error.message_dict)
    for name in URL_FIELDS:
        url = getattr(provider, name)
        if not url:
            continue
        refusal = url_refusal(
            url,
            allow_http_loopback=settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK,
            allow_private=settings.CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS,
        )
        if refusal is not None:
            errors[name] = [_url_message(refusal)]
    if errors:
        raise ValidationError(errors)


def _check_provider(actor: User | None, provider: OIDCProvider) -> None:
    allowed = {"RS256", "ES256"}
    algorithms = {a.strip() for a in provider.signing_algorithms.split(",") if a.strip()}
    if not algorithms or not algorithms <= allowed:
        raise ValidationError({"signing_algorithms": _("Seuls RS256 et ES256 sont acceptés.")})
    mapping = provider.role_mapping or {}
    if not isinstance(mapping, dict) or not set(mapping.values()) <= set(ROLE_RANK):
        raise ValidationError(
            {
                "role_mapping": _(
                    "Chaque valeur doit être un rôle : agent, publisher, admin ou territory_admin."
                )
            }
        )
    if provider.kind == User.Kind.AGENT and provider.authority_id is None:
        raise ValidationError(
            {"authority": _("Un fournisseur d'agents est rattaché à une collectivité.")}
        )
    if provider.kind == User.Kind.CITIZEN and (mapping or provider.authority_id):
        raise ValidationError(
            {"role_mapping": _("Un fournisseur de citoyens ne donne aucun rôle.")}
        )
    if actor is None or actor.is_superuser:
        return
    # A territory administrator may plug in the provider of an authority strictly below
    # their own, giving no role above theirs there; their own authority's provider, and
    # citizen providers (the whole portal's), are left to superusers.
    if provider.authority is None:
        raise PermissionDenied(_("Seul un superutilisateur enregistre ce fournisseur."))
    if not authorities_with_providers_managed_by(actor).filter(pk=provider.authority.pk).exists():
        raise PermissionDenied(
            _(
                "Seul un superutilisateur, ou l'administrateur territorial d'une collectivité "
                "au-dessus de celle-ci, enregistre ou modifie son fournisseur d'identité."
            )
        )
    ceiling = role_ceiling(actor, provider.authority)
    highest = max((ROLE_RANK[r] for r in mapping.values()), default=ROLE_RANK["agent"])
    if ceiling < ROLE_RANK["territory_admin"] or highest > ceiling:
        raise PermissionDenied(_("Ce fournisseur dépasse vos droits."))


def _check_trust(actor: User | None, provider: OIDCProvider, current: OIDCProvider | None) -> int:
    """Who vouches for the accounts: the issuer, and the keys its tokens are checked with.

    Accounts are keyed by (issuer, subject). Pointing a provider with linked accounts at
    another issuer or other keys, or sharing an issuer with another provider, is left to
    superusers; a superuser's change of issuer unlinks the accounts of the old one (unless
    another provider still speaks for it). Returns how many identities to unlink.
    """
    superuser = actor is None or actor.is_superuser
    others = (
        OIDCProvider.objects.exclude(pk=provider.pk) if provider.pk else OIDCProvider.objects.all()
    )
    new_issuer = current is None or current.issuer != provider.issuer
    if not superuser and new_issuer and others.filter(issuer=provider.issuer).exists():
        raise ValidationError(
            {
                "issuer": _(
                    "Cet émetteur est déjà celui d'un autre fournisseur : seul un superutilisateur "
                    "peut l'enregistrer une seconde fois."
                )
            }
        )
    if (
        not superuser
        and new_issuer
        and ExternalIdentity.objects.filter(issuer=provider.issuer).exists()
    ):
        raise ValidationError(
            {
                "issuer": _(
                    "Des comptes sont déjà liés à cet émetteur : seul un superutilisateur peut y "
                    "rattacher un fournisseur."
                )
            }
        )
    if current is None:
        return 0
    linked = ExternalIdentity.objects.filter(issuer=current.issuer)
    if current.jwks_uri != provider.jwks_uri and not superuser and linked.exists():
        raise ValidationError(
            {
                "jwks_uri": _(
                    "Des comptes y sont liés : seul un superutilisateur peut changer l'adresse "
                    "des clés de ce fournisseur."
                )
            }
        )
    if not new_issuer or not linked.exists():
        return 0
    if not superuser:
        raise ValidationError(
            {
                "issuer": _(
                    "Des comptes y sont liés : seul un superutilisateur peut changer l'émetteur "
                    "de ce fournisseur (ses comptes en seront déliés)."
                )
            }
        )
    if others.filter(issuer=current.issuer).exists():
        return 0  # another provider still speaks for the old issuer: its accounts stay
    return linked.count()


@service
def oidc_provider_save(
    *, actor: User | None, provider: OIDCProvider, ip_address: str | None = None
) -> OIDCProvider:
    """Register or change an OIDC provider (checked, audited with before/after).

    A superuser who changes the issuer of a provider with linked accounts unlinks them: the
    people sign in again as new accounts of the new issuer, and the count is audited.
    """
    current = (
        OIDCProvider.objects.select_for_update().filter(pk=provider.pk).first()
        if provider.pk
        else None
    )
    if current is not None:
        _check_provider(actor, current)  # may the actor touch the provider as it stands?
    _check_provider(actor, provider)
    _validate(provider)
    unlinked = _check_trust(actor, provider, current)
    if unlinked and current is not None:
        ExternalIdentity.objects.filter(issuer=current.issuer).delete()
    provider.save()
    _audit(
        actor=actor,
        authority=provider.authority,
        ip_address=ip_address,
        change="oidc_provider",
        provider=provider.slug,
        before=_provider_snapshot(current),
        after=_provider_snapshot(provider),
        secret_changed=current is None or current.client_secret != provider.client_secret,
        identities_unlinked=unlinked,
    )
    stale = [provider.cache_key("discovery"), provider.cache_key("jwks")]
    if current is not None:
        stale += [current.cache_key("discovery"), current.cache_key("jwks")]
    transaction.on_commit(lambda: cache.delete_many(stale))
    return provider
