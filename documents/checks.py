"""System checks of the document store (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def malware_scanning_configured(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Production uploads should be scanned by clamd. Only the configuration is checked: clamd
    may start after the application, and an unreachable clamd refuses uploads anyway."""
    if settings.DEBUG:
        return []
    if not (settings.CIVIS_CLAMAV_SOCKET or settings.CIVIS_CLAMAV_HOST):
        return [
            CheckWarning(
                "Uploads are not scanned for malware: neither CIVIS_CLAMAV_SOCKET nor "
                "CIVIS_CLAMAV_HOST is set.",
                hint="Run clamd with freshclam (Debian: apt install clamav-daemon "
                "clamav-freshclam) "
                "and set CIVIS_CLAMAV_SOCKET=/run/clamav/clamd.ctl, or CIVIS_CLAMAV_HOST and "
                "CIVIS_CLAMAV_PORT.",
                id="documents.W001",
            )
        ]
    if settings.CIVIS_CLAMAV_FAIL_OPEN:
        return [
            CheckWarning(
                "CIVIS_CLAMAV_FAIL_OPEN is on: uploads are accepted unscanned whenever clamd does "
                "not answer.",
                hint="Unset it once clamd is monitored.",
                id="documents.W002",
            )
        ]
    return []
