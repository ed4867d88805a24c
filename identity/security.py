"""Sign-in protections: login throttling (django-axes hooks, settings block "Login throttling")
and the OpenID providers the Content-Security-Policy lets forms reach.

Throttling counts **password** sign-ins only (the portal's form, Wagtail's, LDAP through
either): an OIDC sign-in carries no password, the provider throttles its own login page, and a
town hall whose shared address is locked out can still sign in through its provider.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record

# AccessAttempt.username is a 255-character column: a longer posted login would be a 500.
USERNAME_MAX = 150


class LoginThrottleBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS: refuses every password sign-in while the account or
    the client address is locked out. Calls without a request (a shell, a management
    command) have no client to throttle and go on to the next backends."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is not None:
            # Raises PermissionDenied while locked out; never signs anyone in.
            super().authenticate(request, username=username, password=password, **kwargs)
        return None


def throttled_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The login attempts are counted under: trimmed, case-folded (LDAP logins are
    case-insensitive, so "JDupont" and "jdupont" are one account), bounded."""
    if credentials is not None:
        value = credentials.get("username")
    else:
        value = getattr(request, "POST", {}).get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().casefold()[:USERNAME_MAX]


def is_not_a_password_login(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Axes' whitelist hook: a sign-in without a password (OIDC) is neither counted nor
    refused. Django masks the password in failure signals, but keeps the key."""
    return not (credentials or {}).get("password")


def lockout_minutes() -> int:
    return settings.CIVIS_LOGIN_LOCKOUT_MINUTES


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What a locked-out visitor sees, on every login page: the portal's layout, in the
    visitor's language, the same text whether the account exists or not."""
    response = TemplateResponse(
        request, "locked_out.html", {"minutes": lockout_minutes()}, status=429
    )
    response["Retry-After"] = str(lockout_minutes() * 60)
    response["Cache-Control"] = "no-store"
    return response.render()


# --- Content-Security-Policy: where sign-in forms may lead -------------------------------------


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def oidc_form_origins(request: HttpRequest) -> list[str]:
    """Origins of the enabled OpenID providers (settings: CIVIS_CSP_FORM_ACTION_SOURCES).

    The agent form (POST /connexion/agent/) and the sign-out button (POST /deconnexion/)
    answer with a redirect to the provider, and browsers apply the page's ``form-action`` to
    that redirect: without these origins, sign-in through an agent's provider and single
    sign-out would be blocked. Only pages holding such a form pay the small query: the sign-in
    page, and every page of a signed-in person (the sign-out button). No cache: a provider
    enabled in the admin works at once. Endpoints found only through discovery on another
    origin go in CIVIS_CSP_FORM_ACTION."""
    from identity.models import OIDCProvider

    found: set[str] = set()
    try:
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if not (match and match.url_name == "login") and not (user and user.is_authenticated):
            return []
        rows = list(
            OIDCProvider.objects.filter(enabled=True).values_list(
                "issuer", "authorization_endpoint", "end_session_endpoint"
            )
        )
    except DatabaseError:  # the error page of a database outage still gets its policy
        return []
    for row in rows:
        found.update(filter(None, map(_origin, row)))
    return sorted(found)


# --- Lifting a lock -----------------------------------------------------------------------------


def login_lockouts() -> list[dict[str, Any]]:
    """Accounts and addresses locked out now: [{username, ip_address, failures, until}]."""
    from axes.models import AccessAttempt

    window = datetime.timedelta(minutes=lockout_minutes())
    since = timezone.now() - window
    attempts = list(AccessAttempt.objects.filter(attempt_time__gte=since).order_by("-attempt_time"))
    locked = []
    for field in ("username", "ip_address"):
        totals: dict[str, tuple[int, datetime.datetime]] = {}
        for attempt in attempts:
            value = getattr(attempt, field)
            if value:
                count, last = totals.get(value, (0, attempt.attempt_time))
                totals[value] = (
                    count + attempt.failures_since_start,
                    max(last, attempt.attempt_time),
                )
        locked += [
            {"kind": field, "value": value, "failures": count, "until": last + window}
            for value, (count, last) in sorted(totals.items())
            if count >= settings.AXES_FAILURE_LIMIT
        ]
    return locked


def login_unlock(*, actor: Any | None, target: str, ip_address: str | None = None) -> int:
    """Lift the lock of an account (its login) or of a client address: delete their counted
    failures. Audited, even when nothing was locked (someone asked)."""
    from axes.handlers.proxy import AxesProxyHandler

    target = target.strip()
    try:
        address = str(ipaddress.ip_address(target))
    except ValueError:
        address = None
    with transaction.atomic():
        if address:
            deleted = int(AxesProxyHandler.reset_attempts(ip_address=address))
        else:
            deleted = int(
                AxesProxyHandler.reset_attempts(username=target.casefold()[:USERNAME_MAX])
            )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UNLOCK,
            ip_address=ip_address,
            target=address or target.casefold()[:USERNAME_MAX],
            kind="ip_address" if address else "username",
            attempts=deleted,
        )
    return deleted
