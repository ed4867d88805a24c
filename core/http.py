"""HTTP helpers every app may use."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the audit log records. Behind a proxy, configure it to set REMOTE_ADDR
    (e.g. gunicorn's forwarded-allow-ips): trusting X-Forwarded-For blindly would let anyone
    forge the audit log's "from where"."""
    return request.META.get("REMOTE_ADDR") or None
