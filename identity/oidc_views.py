"""OIDC routes: start a sign-in, come back from the provider, logout (RP and back-channel)."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from identity import services
from identity.models import OIDCProvider, User
from identity.oidc import (
    BACKCHANNEL_EVENT,
    CLOCK_LEEWAY_SECONDS,
    ProviderError,
    ProviderSettingsMixin,
    endpoint,
    verify_jwt,
)

logger = logging.getLogger(__name__)
# state -> provider slug, so the single callback URL knows which provider answered.
STATE_PROVIDERS = "civis_oidc_state_providers"
SESSION_PROVIDER = "civis_oidc_provider"
# A logout token is for now: one issued longer ago than this is refused.
BACKCHANNEL_MAX_AGE_SECONDS = 300


def _failed(request: HttpRequest) -> HttpResponseRedirect:
    messages.error(
        request,
        _(
            "La connexion par votre fournisseur d'identité a échoué. "
            "Réessayez ou contactez votre administrateur."
        ),
    )
    return HttpResponseRedirect(reverse("login"))


@method_decorator(never_cache, name="dispatch")
class OIDCStartView(ProviderSettingsMixin, OIDCAuthenticationRequestView):
    """Redirect to the provider with state, nonce and a PKCE S256 challenge."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library would read a single provider here

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        provider = get_object_or_404(OIDCProvider, slug=slug, enabled=True)
        try:
            self.use_provider(provider)
        except ProviderError as exc:
            logger.warning("OIDC provider %s unreachable: %s", slug, exc)
            return _failed(request)
        self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = provider.client_id
        response: HttpResponse = super().get(request)
        state = parse_qs(urlparse(response["Location"]).query)["state"][0]
        # Kept in step with the library's own list, which it prunes (OIDC_MAX_STATES).
        pending = request.session.get("oidc_states", {})
        mapping = {
            s: p for s, p in request.session.get(STATE_PROVIDERS, {}).items() if s in pending
        }
        mapping[state] = provider.slug
        request.session[STATE_PROVIDERS] = mapping
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        hint = request.GET.get("login_hint", "")[:200]
        return {"login_hint": hint} if hint else {}


class _CallbackRequest(HttpRequest):
    """The callback's request: it carries the provider to the backend (identity.oidc)."""

    civis_oidc_provider: OIDCProvider


@method_decorator(never_cache, name="dispatch")
class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: the library checks state and runs the code exchange."""

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        slug = request.session.get(STATE_PROVIDERS, {}).pop(state, None) if state else None
        request.session.modified = True
        provider = OIDCProvider.objects.filter(slug=slug, enabled=True).first() if slug else None
        if provider is None:
            # Missing or unknown state: nobody started this sign-in from this browser.
            return _failed(request)
        cast(_CallbackRequest, request).civis_oidc_provider = provider
        try:
            response: HttpResponse = super().get(request)
            return response
        except SuspiciousOperation as exc:
            logger.warning("OIDC callback refused: %s", exc)
            return _failed(request)

    def login_failure(self) -> HttpResponse:
        return _failed(self.request)

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        request = self.request
        provider = request.civis_oidc_provider
        request.session[SESSION_PROVIDER] = provider.slug
        request.session.save()
        services.federated_session_record(
            identity=request.civis_oidc_identity,
            session_key=request.session.session_key,
            sid=getattr(request, "civis_oidc_sid", ""),
        )
        if not request.session.get("oidc_login_next") and self.user.kind == User.Kind.AGENT:
            return HttpResponseRedirect("/admin/")
        return response


def provider_logout_url(request: HttpRequest) -> str | None:
    """RP-initiated logout: where to send the browser so the provider ends its session too.

    Read before the portal session is flushed (it holds the ID token hint).
    """
    slug = request.session.get(SESSION_PROVIDER)
    provider = OIDCProvider.objects.filter(slug=slug).first() if slug else None
    if provider is None:
        return None
    try:
        end_session = endpoint(provider, "end_session_endpoint")
    except ProviderError:
        return None
    if not end_session:
        return None
    params = {
        "client_id": provider.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri("/"),
    }
    if request.session.get("oidc_id_token"):
        params["id_token_hint"] = request.session["oidc_id_token"]
    return f"{end_session}?{urlencode(params)}"


def _replay_key(issuer: str, jti: str) -> str:
    digest = hashlib.sha256(f"{issuer} {jti}".encode()).hexdigest()[:40]
    return f"civis-oidc-jti:{digest}"


def check_logout_token(provider: OIDCProvider, token: str) -> dict[str, Any]:
    """The claims of a valid logout token, seen for the first time (OpenID Connect
    Back-Channel Logout 1.0 §2.6), else SuspiciousOperation.

    Signed by the provider (asymmetric keys only), for this client; ``iat``, ``exp`` and
    ``jti`` required; issued less than 5 minutes ago (and not in the future beyond the clock
    leeway); each ``jti`` accepted once, remembered in the shared cache (every process sees
    it) until the token could no longer be accepted anyway.
    """
    claims = verify_jwt(provider, token, require=["iss", "aud", "iat", "exp", "jti"])
    events = claims.get("events") or {}
    if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
        raise SuspiciousOperation("not a logout token")
    if "nonce" in claims:
        raise SuspiciousOperation("a logout token carries no nonce")
    if not (claims.get("sub") or claims.get("sid")):
        raise SuspiciousOperation("a logout token names a subject or a session")
    now = time.time()
    issued = float(claims["iat"])
    if now - issued > BACKCHANNEL_MAX_AGE_SECONDS:
        raise SuspiciousOperation(f"logout token too old (issued {int(now - issued)} s ago)")
    if issued - now > CLOCK_LEEWAY_SECONDS:
        raise SuspiciousOperation("logout token not yet valid (iat in the future)")
    jti = str(claims["jti"])
    if not jti:
        raise SuspiciousOperation("logout token with an empty jti")
    usable_until = min(float(claims["exp"]), issued + BACKCHANNEL_MAX_AGE_SECONDS)
    remember = max(1, int(usable_until - now) + CLOCK_LEEWAY_SECONDS + 1)
    if not cache.add(_replay_key(provider.issuer, jti), 1, remember):
        raise SuspiciousOperation("logout token replayed")
    return claims


@csrf_exempt  # a server-to-server POST from the provider, authenticated by its signed token
def backchannel_logout(request: HttpRequest, slug: str) -> HttpResponse:
    """OpenID Connect Back-Channel Logout 1.0: end the sessions the logout token names."""
    if request.method != "POST":
        return HttpResponse(status=405)
    provider = get_object_or_404(OIDCProvider, slug=slug, enabled=True)
    token = request.POST.get("logout_token", "")
    try:
        claims = check_logout_token(provider, token)
    except (SuspiciousOperation, ProviderError, jwt.PyJWTError, TypeError, ValueError) as exc:
        logger.warning("back-channel logout from %s refused: %s", slug, exc)
        return HttpResponseBadRequest("invalid logout token")
    services.federated_sessions_end(
        issuer=str(claims["iss"]),
        subject=str(claims.get("sub", "")),
        sid=str(claims.get("sid", "")),
    )
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response
