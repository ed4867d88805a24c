"""Security headers Django does not set by itself (settings block "Content-Security-Policy").

``SecurityHeadersMiddleware`` sits just below Django's ``ContentSecurityPolicyMiddleware``:
it chooses the policy of each response (a looser one under the prefixes of
``CIVIS_CSP_BY_PATH``, for the Wagtail admin), adds the origins that
``CIVIS_CSP_FORM_ACTION_SOURCES`` names to ``form-action`` on HTML pages, and leaves the header
itself, with its nonce, to Django. A view that set its own ``Content-Security-Policy`` (the
sandboxed downloads) keeps it. It also sends ``Permissions-Policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.csp import CSP
from django.utils.module_loading import import_string


def permissions_policy(features: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` → ``camera=(), fullscreen=(self)``."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


@cache
def _form_action_sources() -> Callable[[HttpRequest], list[str]] | None:
    path = getattr(settings, "CIVIS_CSP_FORM_ACTION_SOURCES", "")
    found: Callable[[HttpRequest], list[str]] | None = import_string(path) if path else None
    return found


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.permissions_policy = permissions_policy(settings.CIVIS_PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.permissions_policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions_policy
        if CSP.HEADER_ENFORCE not in response and not hasattr(response, "_csp_config"):
            # Read by Django's ContentSecurityPolicyMiddleware (what csp_override sets).
            response._csp_config = self.policy_for(request, response)  # type: ignore[attr-defined]
        return response

    def policy_for(self, request: HttpRequest, response: HttpResponseBase) -> dict[str, list[str]]:
        policy: dict[str, list[str]] = getattr(settings, "SECURE_CSP", {})
        by_path: dict[str, dict[str, list[str]]] = getattr(settings, "CIVIS_CSP_BY_PATH", {})
        for prefix, path_policy in by_path.items():
            if request.path_info.startswith(prefix):
                policy = path_policy
                break
        if getattr(request, "is_preview", False) and policy:
            # Wagtail's preview renders the page through the middleware with the page's own
            # path, inside an iframe of the admin: the same origin may frame it.
            policy = {**policy, "frame-ancestors": [CSP.SELF]}
        if not policy or not response.get("Content-Type", "").startswith("text/html"):
            return policy
        sources = _form_action_sources()
        extra: list[str] = [*getattr(settings, "CIVIS_CSP_FORM_ACTION", [])]
        if sources is not None:
            extra += sources(request)
        if not extra or "form-action" not in policy:
            return policy
        return {**policy, "form-action": [*policy["form-action"], *extra]}


class HeadAsGetMiddleware:
    """HEAD is GET without the body (RFC 9110, 9.3.2): views that accept GET only
    (``require_GET``, django-ninja's ``@router.get``) answer HEAD like GET, headers included
    (Content-Length, Cache-Control, ETag), and the body is dropped here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if isinstance(response, StreamingHttpResponse):  # FileResponse included
            length = response.get("Content-Length")
            # Not read; the handler still closes the file behind a download.
            response.streaming_content = []
            if length is not None:
                response["Content-Length"] = length
        elif isinstance(response, HttpResponse):
            length = str(len(response.content))
            response.content = b""
            response["Content-Length"] = response.get("Content-Length", length)
        return response
