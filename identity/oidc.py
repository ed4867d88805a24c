"""OpenID Connect for agents and citizens, on mozilla-django-oidc (extended, not forked).

mozilla-django-oidc reads one provider from settings; here every provider is a row
(identity.OIDCProvider) and ``get_settings`` answers from the row chosen for the request.
What the library leaves loose is tightened: asymmetric signatures only, issuer, audience,
expiry and nonce always checked, PKCE S256 always on, accounts keyed by the verified
(issuer, subject), never by e-mail. Every call to a provider goes through ``provider_request``:
the network policy checked at each connection (identity.netpolicy: https on the public Internet
only), no redirect, no proxy, a timeout of 10 s at most, a bounded answer. Discovery documents
and signing keys live in the shared cache, and the keys are fetched again at most once a minute.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import constant_time_compare
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from identity import netpolicy, services
from identity.models import (
    OIDC_MAX_TIMEOUT_SECONDS,
    Authority,
    Membership,
    OIDCProvider,
    User,
)

logger = logging.getLogger(__name__)

# Symmetric algorithms would let anyone holding the client secret mint tokens, and "none"
# is no signature at all: only these two are ever accepted, whatever a provider row says.
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
CLOCK_LEEWAY_SECONDS = 30
DISCOVERY_CACHE_SECONDS = 3600
# After a failed discovery, visitors' sign-ins fail fast for this long instead of each making
# the portal call the provider again.
DISCOVERY_RETRY_SECONDS = 30
JWKS_CACHE_SECONDS = 3600
# At most one fetch of a provider's keys in this window, across all processes (a token with an
# unknown key id asks for a fresh copy; a flood of them gets the cached one).
JWKS_MIN_REFRESH_SECONDS = 60
MAX_RESPONSE_BYTES = 1024 * 1024
MAX_ADDRESSES_TRIED = 3
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable."""


def allowed_algorithms(provider: OIDCProvider) -> list[str]:
    wanted = [a.strip() for a in provider.signing_algorithms.split(",")]
    return [a for a in wanted if a in ASYMMETRIC_ALGORITHMS]


def provider_timeout(provider: OIDCProvider) -> int:
    """The row's timeout, held to 1 to 10 s whatever the database says."""
    return max(1, min(int(provider.timeout or 5), OIDC_MAX_TIMEOUT_SECONDS))


# --- Outgoing calls: the network policy at every connection --------------------------------


def _destination_refusal(address: netpolicy.Address, plain_http: bool) -> netpolicy.Refusal | None:
    allow_http_loopback = settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK
    refusal = netpolicy.address_refusal(
        address,
        allow_loopback=allow_http_loopback,
        allow_private=settings.CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS,
    )
    if (
        refusal is None
        and plain_http
        and not (allow_http_loopback and netpolicy.address_kind(address) == "loopback")
    ):
        refusal = netpolicy.Refusal("plain http", str(address))
    return refusal


def _guarded_connect(conn: HTTPConnection) -> socket.socket:
    """Resolve the host once, check every address, connect to a checked one: a DNS answer
    cannot change between the check and the connection (rebinding), and a redirect or a URL
    from a discovery document is held to the same rules as the issuer."""
    try:
        addresses = netpolicy.resolve(conn._dns_host, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    plain_http = not isinstance(conn, HTTPSConnection)
    for address in addresses:
        refusal = _destination_refusal(address, plain_http)
        if refusal is not None:
            raise NewConnectionError(conn, f"destination refused: {refusal}")
    error: Exception = NewConnectionError(conn, "no address")
    for address in addresses[:MAX_ADDRESSES_TRIED]:
        try:
            return urllib3_connection.create_connection(
                (str(address), conn.port or 443),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as exc:
            error = ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            )
            error.__cause__ = exc
        except OSError as exc:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
    raise error


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_connect(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_connect(self)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        raise requests.exceptions.InvalidURL("calls to identity providers use no proxy")


def provider_request(
    provider: OIDCProvider, method: str, url: str, **kwargs: Any
) -> requests.Response:
    """One call to ``provider``: checked destination, no redirect, no proxy or .netrc, the
    provider's timeout (≤ 10 s) for connecting and for the whole answer, at most 1 MiB."""
    refusal = netpolicy.url_refusal(
        url, allow_http_loopback=True, allow_private=True, check_addresses=False
    )
    if refusal is not None:
        raise ProviderError(f"{provider.slug}: destination refused: {url} ({refusal})")
    timeout = provider_timeout(provider)
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        session.trust_env = False
        adapter = _GuardedAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = session.request(
            method,
            url,
            timeout=(timeout, timeout),
            stream=True,
            allow_redirects=False,
            verify=settings.CIVIS_OIDC_VERIFY_TLS,
            **kwargs,
        )
        try:
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProviderError(f"{provider.slug}: answer larger than 1 MiB")
                if time.monotonic() > deadline:
                    raise ProviderError(f"{provider.slug}: answer slower than {timeout} s")
        finally:
            response.close()
    response._content = bytes(body)  # read once, bounded; .json() and .text use it
    return response


# --- Discovery and signing keys, in the shared cache ----------------------------------------


def discover(provider: OIDCProvider) -> dict[str, Any]:
    """The issuer's discovery document (cached), checked to name the configured issuer."""
    key = provider.cache_key("discovery")
    document: dict[str, Any] | None = cache.get(key)
    if document is not None:
        return document
    failed = provider.cache_key("discovery-failed")
    if cache.get(failed):
        raise ProviderError(
            f"discovery failed for {provider.slug} less than {DISCOVERY_RETRY_SECONDS} s ago"
        )
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = provider_request(provider, "GET", url)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        if document.get("issuer") != provider.issuer:
            raise ValueError("discovery names another issuer")
    except (requests.RequestException, ValueError, ProviderError) as exc:
        cache.set(failed, 1, DISCOVERY_RETRY_SECONDS)
        raise ProviderError(f"discovery failed for {provider.slug}: {exc}") from exc
    cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def endpoint(provider: OIDCProvider, name: str) -> str:
    """An endpoint of the provider: its explicit value on the row, else discovery's."""
    explicit = getattr(provider, name)
    value = explicit or discover(provider).get(name, "")
    return value if isinstance(value, str) else ""


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
        "OIDC_TIMEOUT": provider_timeout(provider),
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


def signing_keys(provider: OIDCProvider, *, refresh: bool = False) -> list[dict[str, Any]]:
    """The provider's published keys, from the shared cache; fetched when absent, or when
    ``refresh`` (a token names a key we do not have) and the last fetch is over a minute old."""
    key = provider.cache_key("jwks")
    keys: list[dict[str, Any]] | None = cache.get(key)
    if keys is not None and not refresh:
        return keys
    # cache.add is atomic in every backend: one process in the window gets to fetch.
    if not cache.add(provider.cache_key("jwks-fetched"), 1, JWKS_MIN_REFRESH_SECONDS):
        if keys is None:
            raise ProviderError(
                f"{provider.slug}: JWKS unavailable (fetched less than "
                f"{JWKS_MIN_REFRESH_SECONDS} s ago)"
            )
        return keys
    try:
        response = provider_request(provider, "GET", endpoint(provider, "jwks_uri"))
        response.raise_for_status()
        document = response.json()
        fresh = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(fresh, list):
            raise ValueError("no key list")
    except (requests.RequestException, ValueError, ProviderError) as exc:
        if keys is not None:
            return keys
        raise ProviderError(f"{provider.slug}: JWKS unavailable: {exc}") from exc
    fresh = [k for k in fresh if isinstance(k, dict)]
    cache.set(key, fresh, JWKS_CACHE_SECONDS)
    return fresh


def _matching_key(keys: list[dict[str, Any]], kid: Any, alg: str) -> jwt.PyJWK | None:
    for key in keys:
        if kid and key.get("kid") != kid:
            continue
        if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
            continue
        if key.get("kty") != ("RSA" if alg.startswith("RS") else "EC"):
            continue
        return jwt.PyJWK(key, algorithm=alg)
    return None


def fetch_signing_key(provider: OIDCProvider, token: str, alg: str) -> jwt.PyJWK:
    """The provider's published key for this token's kid and algorithm."""
    kid = jwt.get_unverified_header(token).get("kid")
    for refresh in (False, True):
        found = _matching_key(signing_keys(provider, refresh=refresh), kid, alg)
        if found is not None:
            return found
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
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=provider.client_id,
            issuer=provider.issuer,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": require},
        )
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"token refused: {exc}") from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise SuspiciousOperation("token for several audiences without azp")
    return claims


def roles_from_claims(provider: OIDCProvider, claims: dict[str, Any]) -> set[tuple[Authority, str]]:
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
        for name in (
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_RP_SIGN_ALGO",
        ):
            setattr(self, name, self.get_settings(name))
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        provider = getattr(request, "civis_oidc_provider", None) if request else None
        if provider is None or not kwargs.get("nonce"):
            return None
        try:
            self.use_provider(provider)
            user: User | None = super().authenticate(request, **kwargs)
            return user
        except (
            SuspiciousOperation,
            ProviderError,
            requests.RequestException,
            jwt.PyJWTError,
            KeyError,
            ValueError,
        ) as exc:
            logger.warning("OIDC sign-in through %s refused: %s", provider.slug, exc)
            request.civis_oidc_error = str(exc)
            return None

    def get_user(self, user_id: int) -> User | None:
        # The library's version skips the is_active check ModelBackend makes.
        return User.objects.filter(pk=user_id, is_active=True).first()

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        nonce = kwargs.get("nonce")
        claims = verify_jwt(self.provider, token, require=["exp", "iat", "iss", "aud", "sub"])
        if nonce is not None and not constant_time_compare(str(claims.get("nonce", "")), nonce):
            raise SuspiciousOperation("nonce mismatch (replayed or foreign token)")
        return claims

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        return fetch_signing_key(self.provider, token, jwt.get_unverified_header(token)["alg"])

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        # The library's, through the guarded client (the endpoint may come from discovery).
        response = provider_request(
            self.provider, "POST", self.OIDC_OP_TOKEN_ENDPOINT, data=payload
        )
        self.raise_token_response_error(response)
        answer: dict[str, Any] = response.json()
        return answer

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        response = provider_request(
            self.provider,
            "GET",
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
        )
        response.raise_for_status()
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            return self.verify_token(response.text)
        userinfo: dict[str, Any] = response.json()
        return userinfo

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        claims = dict(payload)
        if self.get_settings("OIDC_OP_USER_ENDPOINT"):
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload["sub"]:
                raise SuspiciousOperation("userinfo is about someone else")
            claims = {**userinfo, **payload}
        provider = self.provider
        roles = roles_from_claims(provider, claims) if provider.kind == User.Kind.AGENT else None
        # The identity is the verified issuer's (verify_jwt checked iss against the row):
        # repointing the row elsewhere reaches none of the accounts linked before.
        result = services.federated_sign_in(
            source=provider.source,
            issuer=str(payload["iss"]),
            subject=str(payload["sub"]),
            kind=provider.kind,
            login=str(claims.get("preferred_username") or claims.get("email") or ""),
            email=str(claims.get("email") or "") if claims.get("email_verified", True) else "",
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
            roles=roles,
        )
        if result is None:
            return None
        user, identity = result
        self.request.civis_oidc_identity = identity
        self.request.civis_oidc_sid = str(payload.get("sid") or "")
        return user
