"""Login throttling (issue 18, finding 5): 115 wrong passwords in a row used to be followed by
a successful sign-in. Now an account, and a client address, is locked out after
CIVIS_LOGIN_LOCKOUT_FAILURES failures, on every password login, with a French page, audit
rows, and `civis_unlock` for administrators."""

from __future__ import annotations

import datetime
import io
import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client, RequestFactory

from audit.models import AuditEvent
from identity.models import Membership, User
from tests.factories import make_agent, make_territory, make_user
from tests.identity.ldap_support import SUFFIX
from tests.support import run_manage

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"
WRONG = "not-the-password"


@pytest.fixture
def territory():
    return make_territory()


@pytest.fixture
def publisher(territory):
    return make_agent(
        "editeur-merignac", roles=[(territory["merignac"], Membership.Role.PUBLISHER)]
    )


def portal_login(client: Client, username: str, password: str, **extra):
    return client.post("/connexion/", {"username": username, "password": password}, **extra)


def wagtail_login(client: Client, username: str, password: str, **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def assert_locked_page(response) -> None:
    assert response.status_code == 429
    html = response.content.decode()
    assert "Connexion temporairement bloquée" in html
    assert "Trop de tentatives de connexion ont échoué" in html
    assert 'href="/recherche/"' in html  # the portal's layout, with a way on
    assert int(response["Retry-After"]) == 15 * 60


@pytest.mark.parametrize("login", [portal_login, wagtail_login], ids=["connexion", "admin"])
def test_115_wrong_passwords_then_the_right_one_is_refused(login, publisher):
    client = Client()
    started = time.monotonic()
    statuses = [login(client, "editeur-merignac", WRONG).status_code for _ in range(115)]
    elapsed = time.monotonic() - started
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert set(statuses[4:]) == {429}
    response = login(client, "editeur-merignac", PASSWORD)
    assert_locked_page(response)
    assert not signed_in(client)
    assert elapsed < 60  # a refused attempt costs no password hashing


def test_ldap_accounts_are_locked_out_too(slapd_server, settings):
    make_territory()
    settings.CIVIS_LDAP_DIRECTORIES = [
        slapd_server.directory(
            "metropole",
            "metropole",
            "243300316",
            group_roles={f"cn=civis-editeurs,ou=groups,ou=metropole,{SUFFIX}": "publisher"},
        )
    ]
    client = Client()
    for _ in range(115):
        portal_login(client, "jdupont", WRONG)
    response = portal_login(client, "jdupont", "jdupont-password")
    assert_locked_page(response)
    assert not signed_in(client)
    assert not User.objects.filter(username__icontains="jdupont").exists()


def test_the_lockout_page_is_french_and_english_when_chosen(publisher):
    client = Client()
    for _ in range(5):
        portal_login(client, "editeur-merignac", WRONG)
    assert_locked_page(portal_login(client, "editeur-merignac", PASSWORD))
    client.cookies["django_language"] = "en"
    response = portal_login(client, "editeur-merignac", PASSWORD)
    assert response.status_code == 429
    assert '<html lang="en">' in response.content.decode()


def test_an_unknown_account_gets_the_same_page(db):
    client = Client()
    known = make_user("citoyen-connu")
    for _ in range(5):
        portal_login(client, "personne-inconnue", WRONG, REMOTE_ADDR="203.0.113.1")
        portal_login(client, known.username, WRONG, REMOTE_ADDR="203.0.113.2")
    unknown = portal_login(client, "personne-inconnue", WRONG, REMOTE_ADDR="203.0.113.3")
    existing = portal_login(client, known.username, WRONG, REMOTE_ADDR="203.0.113.4")
    assert unknown.status_code == existing.status_code == 429
    # Nothing tells which accounts exist (but the footer form's CSRF token).
    assert without_csrf(unknown) == without_csrf(existing)


def test_an_account_is_locked_whatever_the_address_and_the_case(publisher):
    client = Client()
    for i in range(5):
        portal_login(
            client,
            "Editeur-Merignac " if i % 2 else "EDITEUR-merignac",
            WRONG,
            REMOTE_ADDR=f"198.51.100.{i + 1}",
        )
    assert_locked_page(
        portal_login(client, "editeur-merignac", PASSWORD, REMOTE_ADDR="198.51.100.99")
    )
    # Another account from those addresses is not locked (each made one failure).
    make_user("citoyenne")
    portal_login(client, "citoyenne", PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert signed_in(client)


def test_an_address_is_locked_whatever_the_account(publisher):
    client = Client()
    for i in range(5):
        wagtail_login(client, f"compte-{i}", WRONG, REMOTE_ADDR="192.0.2.10")
    assert_locked_page(
        wagtail_login(client, "editeur-merignac", PASSWORD, REMOTE_ADDR="192.0.2.10")
    )
    other = Client()
    wagtail_login(other, "editeur-merignac", PASSWORD, REMOTE_ADDR="192.0.2.11")
    assert signed_in(other)


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(publisher):
    client = Client()
    for _ in range(4):
        assert portal_login(client, "editeur-merignac", WRONG).status_code == 200
    response = portal_login(client, "editeur-merignac", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_ends_after_the_cool_off(publisher):
    client = Client()
    for _ in range(6):
        portal_login(client, "editeur-merignac", WRONG)
    assert portal_login(client, "editeur-merignac", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert portal_login(client, "editeur-merignac", PASSWORD).status_code == 302
    assert signed_in(client)


def test_lockouts_are_audited_once_per_lock(publisher):
    client = Client()
    for _ in range(20):
        portal_login(client, "editeur-merignac", WRONG, REMOTE_ADDR="203.0.113.50")
    events = list(AuditEvent.objects.filter(action="lockout"))
    assert len(events) == 1
    assert events[0].ip_address == "203.0.113.50"
    assert events[0].detail["username"] == "editeur-merignac"
    assert events[0].detail["failures"] == 5
    assert events[0].actor is None


@pytest.mark.parametrize("target", ["editeur-merignac", "Editeur-Merignac", "127.0.0.1"])
def test_civis_unlock_lets_the_right_password_in_and_is_audited(publisher, target):
    client = Client()
    for _ in range(115):
        wagtail_login(client, "editeur-merignac", WRONG)
    listing = io.StringIO()
    call_command("civis_unlock", "--list", stdout=listing)
    assert "compte editeur-merignac : 5 échecs" in listing.getvalue()
    assert "adresse 127.0.0.1 : 5 échecs" in listing.getvalue()
    assert wagtail_login(client, "editeur-merignac", PASSWORD).status_code == 429

    out = io.StringIO()
    call_command("civis_unlock", target, stdout=out)
    assert "Débloqué" in out.getvalue()
    response = wagtail_login(client, "editeur-merignac", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    unlock = AuditEvent.objects.get(action="unlock")
    assert unlock.detail["target"] == target.casefold()


def test_civis_unlock_says_when_there_is_nothing_to_unlock(db):
    out = io.StringIO()
    call_command("civis_unlock", "personne", stdout=out)
    assert "Aucune tentative enregistrée" in out.getvalue()


def test_a_sign_in_without_password_is_neither_counted_nor_refused(publisher):
    # OIDC sign-ins authenticate with a nonce and a code, not a password: a failing provider
    # callback does not lock out a town hall's shared address.
    request = RequestFactory().get("/connexion/oidc/retour/")
    for _ in range(10):
        assert authenticate(request, nonce="n", code_verifier="v") is None
    assert not AccessAttempt.objects.exists()


def test_authenticate_without_a_request_is_not_throttled(publisher):
    # Shells and management commands have no client address to throttle.
    assert authenticate(username="editeur-merignac", password=PASSWORD) == publisher


def test_an_overlong_login_is_a_failure_not_a_500(db):
    response = portal_login(Client(), "x" * 5000, WRONG)
    assert response.status_code == 200
    assert len(AccessAttempt.objects.get().username) <= 150


def test_settings_refuse_a_limit_above_ten(tmp_path):
    result = run_manage(
        {"CIVIS_DEBUG": "1", "CIVIS_VAR_DIR": str(tmp_path), "CIVIS_LOGIN_LOCKOUT_FAILURES": "50"},
        "check",
    )
    assert result.returncode != 0
    assert "CIVIS_LOGIN_LOCKOUT_FAILURES must be between 1 and 10" in result.stderr
