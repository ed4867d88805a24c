"""OpenID Connect for agents and citizens, on mozilla-django-oidc (extended, not forked).

mozilla-django-oidc reads one provider from settings; here every provider is a row
(identity.OIDCProvider) and ``get_settings`` answers from the row chosen for the request.
What the library leaves loose is tightened: asymmetric signatures only, issuer, audience,
expiry and nonce always checked, PKCE S256 always on, a timeout on every call, and accounts
keyed by (provider, subject), never by e-mail.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import constant_time_compare
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from identity import services
from identity.models import Authority, Membership, OIDCProvider, User

logger = logging.getLogger(__name__)

# Symmetric algorithms would let anyone holding the client secret mint tokens, and "none"
# is no signature at all: only these two are ever accepted, whatever a provider row says.
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
CLOCK_LEEWAY_SECONDS = 30
DISCOVERY_CACHE_SECONDS = 3600
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


def allowed_algorithms(provider: OIDCProvider) -> list[str]:
    wanted = [a.strip() for a in provider.signing_algorithms.split(",")]
    return [a for a in wanted if a in ASYMMETRIC_ALGORITHMS]


def discover(provider: OIDCProvider) -> dict[str, Any]:
    """The issuer's discovery document (cached), checked to name the configured issuer."""
    key = f"civis-oidc-discovery:{provider.pk}:{provider.issuer}"
    document = cache.get(key)
    if document is None:
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=provider.timeout,
                                    verify=settings.CIVIS_OIDC_VERIFY_TLS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(f"discovery failed for {provider.slug}: {exc}") from exc
        if document.get("issuer") != provider.issuer:
            raise ProviderError(f"{provider.slug}: discovery names another issuer")
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def endpoint(provider: OIDCProvider, name: str) -> str:
    """An endpoint of the provider: its explicit value on the row, else discovery's."""
    explicit = getattr(provider, name)
    return explicit or discover(provider).get(name, "")


def provider_settings(provider: OIDCProvider) -> dict[str, Any]:
    """What mozilla-django-oidc would read from settings, for this provider."""
    return {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": endpoint(provider, "authorization_endpoint"),
        "OIDC_OP_TOKEN_ENDPOINT": endpoint(provider, "token_endpoint"),
        "OIDC_OP_USER_ENDPOINT": endpoint(provider, "userinfo_endpoint"),
        "OIDC_OP_JWKS_ENDPOINT": endpoint(provider, "jwks_uri"),
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_CLIENT_SECRET": provider.client_secret,
        "OIDC_RP_SIGN_ALGO": (allowed_algorithms(provider) or ["RS256"])[0],
        "OIDC_RP_SCOPES": provider.scopes,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
        "OIDC_TIMEOUT": provider.timeout,
        "OIDC_VERIFY_SSL": settings.CIVIS_OIDC_VERIFY_TLS,
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_CREATE_USER": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_callback",
    }


class ProviderSettingsMixin:
    """Answer mozilla-django-oidc's settings look-ups from the request's provider."""

    provider: OIDCProvider
    _provider_settings: dict[str, Any]

    def use_provider(self, provider: OIDCProvider) -> None:
        self.provider = provider
        self._provider_settings = provider_settings(provider)

    def get_settings(self, attr: str, *args: Any) -> Any:  # an instance method on purpose
        values = getattr(self, "_provider_settings", {})
        if attr in values:
            return values[attr]
        return import_from_settings(attr, *args)


def fetch_signing_key(provider: OIDCProvider, token: str, alg: str) -> jwt.PyJWK:
    """The provider's published key for this token's kid and algorithm."""
    header = jwt.get_unverified_header(token)
    try:
        response = requests.get(endpoint(provider, "jwks_uri"), timeout=provider.timeout,
                                verify=settings.CIVIS_OIDC_VERIFY_TLS)
        response.raise_for_status()
        keys = response.json().get("keys", [])
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"{provider.slug}: JWKS unavailable: {exc}") from exc
    for key in keys:
        if header.get("kid") and key.get("kid") != header["kid"]:
            continue
        if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
            continue
        if key.get("kty") != ("RSA" if alg.startswith("RS") else "EC"):
            continue
        return jwt.PyJWK(key, algorithm=alg)
    raise SuspiciousOperation("no published key matches the token")


def verify_jwt(provider: OIDCProvider, token: str, *, require: list[str]) -> dict[str, Any]:
    """Check signature (asymmetric only), issuer, audience, expiry and issue time."""
    if not token:
        raise SuspiciousOperation("no token")
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"malformed token: {exc}") from exc
    if alg not in allowed_algorithms(provider):
        raise SuspiciousOperation(f"signature algorithm {alg!r} refused")
    key = fetch_signing_key(provider, token, alg)
    try:
        claims = jwt.decode(token, key, algorithms=[alg], audience=provider.client_id,
                            issuer=provider.issuer, leeway=CLOCK_LEEWAY_SECONDS,
                            options={"require": require})
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"token refused: {exc}") from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 \
            and claims.get("azp") != provider.client_id:
        raise SuspiciousOperation("token for several audiences without azp")
    return claims


def roles_from_claims(provider: OIDCProvider,
                      claims: dict[str, Any]) -> set[tuple[Authority, str]]:
    """The (authority, role) pairs the claims give, kept inside the provider's subtree."""
    if provider.kind != User.Kind.AGENT or provider.authority is None:
        return set()
    authority = provider.authority
    if provider.authority_claim:
        value = str(claims.get(provider.authority_claim) or "")
        # A SIRET is the SIREN followed by the establishment number.
        siren = value[:9] if value[:9].isdigit() else ""
        found = Authority.objects.filter(siren=siren).first() if siren else None
        if found is None:
            raise SuspiciousOperation(f"unknown authority {value!r}")
        authority = found
    if not Authority.objects.subtree_of(provider.authority).filter(pk=authority.pk).exists():
        raise SuspiciousOperation("the provider asserts an authority outside its own")
    values = claims.get(provider.role_claim, []) if provider.role_claim else []
    if isinstance(values, str):
        values = [values]
    roles = {provider.role_mapping.get(str(v)) for v in values}
    roles = {r for r in roles if r in Membership.Role.values}
    # Anyone the authority's provider vouches for is at least an agent there.
    return {(authority, role) for role in roles or {Membership.Role.AGENT}}


class OIDCBackend(ProviderSettingsMixin, OIDCAuthenticationBackend):
    """Sign-in through the provider the callback view put on the request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads its settings here; ours come with the request's provider.
        self.UserModel = User

    def use_provider(self, provider: OIDCProvider) -> None:
        super().use_provider(provider)
        for name in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT",
                     "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET", "OIDC_RP_SIGN_ALGO"):
            setattr(self, name, self.get_settings(name))
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        provider = getattr(request, "civis_oidc_provider", None) if request else None
        if provider is None or not kwargs.get("nonce"):
            return None
        try:
            self.use_provider(provider)
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, ProviderError, requests.RequestException,
                jwt.PyJWTError, KeyError, ValueError) as exc:
            logger.warning("OIDC sign-in through %s refused: %s", provider.slug, exc)
            request.civis_oidc_error = str(exc)
            return None

    def get_user(self, user_id: int) -> User | None:
        # The library's version skips the is_active check ModelBackend makes.
        return User.objects.filter(pk=user_id, is_active=True).first()

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        nonce = kwargs.get("nonce")
        claims = verify_jwt(self.provider, token, require=["exp", "iat", "iss", "aud", "sub"])
        if nonce is not None and not constant_time_compare(str(claims.get("nonce", "")),
                                                           nonce):
            raise SuspiciousOperation("nonce mismatch (replayed or foreign token)")
        return claims

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        return fetch_signing_key(self.provider, token, jwt.get_unverified_header(token)["alg"])

    def get_or_create_user(self, access_token: str, id_token: str,
                           payload: dict[str, Any]) -> User | None:
        claims = dict(payload)
        if self.get_settings("OIDC_OP_USER_ENDPOINT"):
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload["sub"]:
                raise SuspiciousOperation("userinfo is about someone else")
            claims = {**userinfo, **payload}
        provider = self.provider
        roles = roles_from_claims(provider, claims) if provider.kind == User.Kind.AGENT \
            else None
        result = services.federated_sign_in(
            source=provider.source, subject=str(payload["sub"]), kind=provider.kind,
            login=str(claims.get("preferred_username") or claims.get("email") or ""),
            email=str(claims.get("email") or "") if claims.get("email_verified", True) else "",
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""), roles=roles,
        )
        if result is None:
            return None
        user, identity = result
        self.request.civis_oidc_identity = identity
        self.request.civis_oidc_sid = str(payload.get("sid") or "")
        return user
