"""Real identity parts for the tests: an OIDC provider (Node) and an OpenLDAP server (slapd),
each started once per session on loopback, skipped with a reason when absent."""

from __future__ import annotations

import pytest

from tests.identity.ldap_support import start_slapd
from tests.identity.oidc_support import start_provider


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Test accounts need a password, not a slow hash (the real hasher is tested by Django).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def oidc_server(live_server, tmp_path_factory):
    process, server = start_provider(tmp_path_factory.mktemp("oidc"), live_server.url)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory):
    process, server = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    process.terminate()
    process.wait(timeout=10)
