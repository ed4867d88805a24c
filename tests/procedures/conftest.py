"""Fixtures of the procedures tests: the documents tests' territory, private storage and real
clamd (re-exported), and a real SMTP server process (tests/procedures/smtp.py)."""

from __future__ import annotations

import pytest

from tests.documents.conftest import (  # noqa: F401 (fixtures, found by pytest by name)
    clamd,
    private_storage,
    publish,
    scanned,
    territory,
)
from tests.procedures.smtp import SmtpServer, start_smtp


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Each test gets its own media directory, so "nothing left behind" is checkable."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """One real SMTP server (aiosmtpd, its own process) for the session."""
    server = start_smtp(tmp_path_factory.mktemp("smtp"))
    yield server
    server.stop()


@pytest.fixture
def mailbox(settings, smtp_server) -> SmtpServer:
    """Mail goes through Django's SMTP backend to the session's server; starts empty."""
    smtp_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.WAGTAILADMIN_BASE_URL = "https://civis.example.fr"
    return smtp_server
