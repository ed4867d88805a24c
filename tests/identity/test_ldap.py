"""LDAP sign-in against a real OpenLDAP server (slapd on loopback, seeded tree): commune,
métropole and région directories, groups mapped to roles, refusals and revocations."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from identity.models import ExternalIdentity, User
from tests.factories import make_territory, make_user
from tests.identity.ldap_support import SUFFIX
from tests.support import run_manage

pytestmark = pytest.mark.django_db
TODAY_PLUS_YEAR = datetime.date.today() + datetime.timedelta(days=365)
METROPOLE_PEOPLE = f"ou=people,ou=metropole,{SUFFIX}"
EDITORS = f"cn=civis-editeurs,ou=groups,ou=metropole,{SUFFIX}"


@pytest.fixture
def directories(slapd_server, settings):
    territory = make_territory()
    settings.CIVIS_LDAP_DIRECTORIES = [
        slapd_server.directory(
            "merignac",
            "merignac",
            "213302813",
            group_roles={f"cn=civis-agents,ou=groups,ou=merignac,{SUFFIX}": "agent"},
        ),
        slapd_server.directory(
            "metropole",
            "metropole",
            "243300316",
            group_roles={
                EDITORS: "publisher",
                f"cn=civis-agents,ou=groups,ou=metropole,{SUFFIX}": "agent",
            },
        ),
        slapd_server.directory(
            "region",
            "region",
            "200053759",
            group_roles={
                f"CN=civis-administrateurs,OU=groups,OU=region,{SUFFIX}": "territory_admin"
            },
        ),
    ]
    return territory


@pytest.fixture
def ldap_admin(slapd_server):
    connection = slapd_server.admin()
    yield connection
    connection.unbind_s()


def sign_in(username: str, password: str) -> tuple[Client, User | None]:
    client = Client()
    client.post("/connexion/", {"username": username, "password": password})
    user_id = client.session.get("_auth_user_id")
    return client, (User.objects.get(pk=user_id) if user_id else None)


def roles(user: User) -> set[tuple[str, str]]:
    return {(m.authority.name, m.role) for m in user.memberships.active()}


def test_agents_of_the_three_directories_sign_in_with_their_group_roles(directories):
    _client, jeanne = sign_in("jdupont", "jdupont-password")
    assert jeanne.kind == User.Kind.AGENT
    assert (jeanne.first_name, jeanne.last_name) == ("Jeanne", "Dupont")
    assert jeanne.email == "jeanne.dupont@bordeaux-metropole.fr"
    assert roles(jeanne) == {("Bordeaux Métropole", "publisher")}
    assert roles(sign_in("pmartin", "pmartin-password")[1]) == {("Bordeaux Métropole", "agent")}
    assert roles(sign_in("mlambert", "mlambert-password")[1]) == {("Mérignac", "agent")}
    assert roles(sign_in("sroux", "sroux-password")[1]) == {
        ("Nouvelle-Aquitaine", "territory_admin")
    }
    identity = ExternalIdentity.objects.get(user=jeanne)
    assert identity.provider == "ldap:metropole" and len(identity.subject) == 36  # entryUUID
    client, again = sign_in("jdupont", "jdupont-password")
    assert again == jeanne
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_or_an_unknown_account_is_refused(directories):
    client = Client()
    response = client.post("/connexion/", {"username": "jdupont", "password": "wrong"})
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    assert sign_in("personne", "whatever")[1] is None
    assert not User.objects.exists()


def test_a_local_account_with_the_same_login_stays_another_person(directories):
    local = make_user("jdupont", password="a-local-password-123")
    _client, jeanne = sign_in("jdupont", "jdupont-password")
    assert jeanne != local and jeanne.username != "jdupont"
    assert sign_in("jdupont", "a-local-password-123")[1] == local


def test_a_disabled_account_cannot_sign_in_and_loses_its_roles(directories, ldap_admin):
    import ldap

    dn = f"uid=parti,{METROPOLE_PEOPLE}"
    assert sign_in("parti", "parti-password")[1] is None  # disabled in the seed
    ldap_admin.modify_s(dn, [(ldap.MOD_DELETE, "employeeType", None)])
    try:
        _client, parti = sign_in("parti", "parti-password")
        assert roles(parti) == {("Bordeaux Métropole", "publisher")}
    finally:
        ldap_admin.modify_s(dn, [(ldap.MOD_ADD, "employeeType", [b"disabled"])])
    assert sign_in("parti", "parti-password")[1] is None
    assert roles(parti) == set()
    revoked = AuditEvent.objects.filter(action="role", detail__change="revoke").get()
    assert revoked.detail["source"] == "ldap:metropole" and revoked.detail["after"] == []


def test_a_deleted_account_loses_its_roles_at_its_next_attempt(directories, ldap_admin):
    dn = f"uid=temporaire,{METROPOLE_PEOPLE}"
    ldap_admin.add_s(
        dn,
        [
            ("objectClass", [b"inetOrgPerson"]),
            ("uid", [b"temporaire"]),
            ("cn", [b"Agent Temporaire"]),
            ("sn", [b"Temporaire"]),
            ("userPassword", [b"temporaire-password"]),
        ],
    )
    try:
        _client, temp = sign_in("temporaire", "temporaire-password")
        assert roles(temp) == {("Bordeaux Métropole", "agent")}
    finally:
        ldap_admin.delete_s(dn)
    assert sign_in("temporaire", "temporaire-password")[1] is None
    assert roles(temp) == set()


def test_leaving_a_group_removes_its_role_at_the_next_sign_in(directories, ldap_admin):
    import ldap

    jeanne_dn = f"uid=jdupont,{METROPOLE_PEOPLE}".encode()
    _client, jeanne = sign_in("jdupont", "jdupont-password")
    ldap_admin.modify_s(EDITORS, [(ldap.MOD_DELETE, "member", [jeanne_dn])])
    try:
        sign_in("jdupont", "jdupont-password")
        assert roles(jeanne) == {("Bordeaux Métropole", "agent")}
    finally:
        ldap_admin.modify_s(EDITORS, [(ldap.MOD_ADD, "member", [jeanne_dn])])


def test_an_unreachable_directory_refuses_without_revoking(directories, settings):
    _client, jeanne = sign_in("jdupont", "jdupont-password")
    for directory in settings.CIVIS_LDAP_DIRECTORIES:
        directory["uri"] = "ldap://127.0.0.1:1"
    assert sign_in("jdupont", "jdupont-password")[1] is None
    assert roles(jeanne) == {("Bordeaux Métropole", "publisher")}


def test_a_role_an_administrator_confirmed_survives_the_directory_sync(directories, ldap_admin):
    import ldap

    from identity import services
    from tests.factories import make_agent

    territory = directories
    admin = make_agent("admin-region", roles=[(territory["region"], "territory_admin")])
    _client, jeanne = sign_in("jdupont", "jdupont-password")
    services.membership_grant(
        actor=admin,
        user=jeanne,
        authority=territory["metropole"],
        role="publisher",
        ends_on=TODAY_PLUS_YEAR,
    )
    jeanne_dn = f"uid=jdupont,{METROPOLE_PEOPLE}".encode()
    ldap_admin.modify_s(EDITORS, [(ldap.MOD_DELETE, "member", [jeanne_dn])])
    try:
        sign_in("jdupont", "jdupont-password")
        assert roles(jeanne) == {
            ("Bordeaux Métropole", "publisher"),
            ("Bordeaux Métropole", "agent"),
        }
    finally:
        ldap_admin.modify_s(EDITORS, [(ldap.MOD_ADD, "member", [jeanne_dn])])


# --- #15: no password in clear on the network; the stable identifier or nothing ------------


def test_plain_ldap_without_starttls_is_refused_unless_allowed(directories, settings, caplog):
    settings.CIVIS_LDAP_ALLOW_INSECURE = False
    assert sign_in("jdupont", "jdupont-password")[1] is None
    assert "ldap:// without StartTLS" in caplog.text
    assert not User.objects.exists()


def test_the_insecure_allowance_is_for_a_loopback_directory_only(directories, settings, caplog):
    settings.CIVIS_LDAP_ALLOW_INSECURE = True
    for directory in settings.CIVIS_LDAP_DIRECTORIES:
        directory["uri"] = "ldap://annuaire.example.fr"
    assert sign_in("jdupont", "jdupont-password")[1] is None
    assert "not a loopback address" in caplog.text


def test_an_entry_without_the_stable_identifier_is_refused(directories, settings, caplog):
    for directory in settings.CIVIS_LDAP_DIRECTORIES:
        directory["subject_attribute"] = "carLicense"  # nobody in the seed has one
    assert sign_in("jdupont", "jdupont-password")[1] is None
    assert "carLicense" in caplog.text and "uid=jdupont" in caplog.text
    assert not ExternalIdentity.objects.exists() and not User.objects.exists()


def test_an_insecure_directory_in_the_settings_stops_the_start(tmp_path):
    entry = {
        "name": "ad",
        "uri": "ldap://ad.example.fr",
        "authority": "243300316",
        "user_base": "dc=example,dc=fr",
    }
    env = {
        "CIVIS_DEBUG": "1",
        "CIVIS_VAR_DIR": str(tmp_path),
        "CIVIS_LDAP_DIRECTORIES": json.dumps([entry]),
    }
    result = run_manage(env, "check")
    assert result.returncode != 0
    assert "CIVIS_LDAP_DIRECTORIES: the directory ad uses ldap:// without StartTLS" in result.stderr
    env["CIVIS_LDAP_DIRECTORIES"] = json.dumps([{**entry, "start_tls": True}])
    result = run_manage(env, "check")
    assert result.returncode == 0, result.stderr
