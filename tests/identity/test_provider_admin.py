"""Registering OIDC providers in the admin: the service's refusals are form errors, not 500s;
who may register what; the URLs the portal agrees to call; secrets encrypted at rest."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from identity import services
from identity.models import Authority, ExternalIdentity, Membership, OIDCProvider, User
from identity.services import membership_grant
from tests.factories import (
    make_agent,
    make_authority,
    make_oidc_provider,
    make_territory,
    make_user,
)
from tests.support import run_manage

pytestmark = pytest.mark.django_db
SECRET = "a-long-client-secret-0123456789"


def _provider(owner: Authority, **overrides) -> dict:
    data = {
        "name": "Keycloak de la métropole",
        "slug": "metropole",
        "kind": "agent",
        "enabled": "on",
        "issuer": "https://sso.example.fr/realms/metropole",
        "client_id": "civis",
        "client_secret": SECRET,
        "scopes": "openid email profile",
        "authority": owner.pk,
        "authority_claim": "siret",
        "role_claim": "groups",
        "role_mapping": "{}",
        "email_domains": "",
        "signing_algorithms": "RS256",
        "timeout": "5",
    }
    data.update(overrides)
    return data


def test_a_provider_the_service_refuses_is_a_form_error_and_nothing_is_saved(client):
    region = make_authority("region", name="Nouvelle-Aquitaine", insee_code="75")
    metropole = make_authority("epci", name="Bordeaux Métropole", parent=region)
    merignac = make_authority(name="Mérignac", parent=metropole)
    admin = make_user("admin-metropole", kind=User.Kind.AGENT)
    membership_grant(
        actor=None, user=admin, authority=metropole, role=Membership.Role.TERRITORY_ADMIN
    )
    client.force_login(admin)
    add = reverse("civis_oidc_providers:add")
    # The form accepts the text; the service refuses symmetric signatures.
    response = client.post(add, _provider(merignac, signing_algorithms="HS256"))
    assert response.status_code == 200
    assert "Seuls RS256 et ES256 sont acceptés" in response.content.decode()
    # A citizen provider is the whole portal's: the service refuses it to a territory admin.
    response = client.post(add, _provider(merignac, kind="citizen", authority=""))
    assert response.status_code == 200
    assert "superutilisateur" in response.content.decode()
    # Their own authority's provider is not theirs to register: only those strictly below.
    response = client.post(add, _provider(metropole))
    assert response.status_code == 200
    assert OIDCProvider.objects.count() == 0

    assert client.post(add, _provider(merignac)).status_code == 302
    assert OIDCProvider.objects.get().authority == merignac


@pytest.fixture
def territory():
    return make_territory()


@pytest.fixture
def metropole_admin(territory):
    return make_agent("admin-metropole", roles=[(territory["metropole"], "territory_admin")])


def provider_row(authority: Authority | None, **fields) -> OIDCProvider:
    values = {
        "slug": "merignac",
        "name": "Mérignac",
        "issuer": "https://sso.example.fr/m",
        "client_id": "civis",
        "client_secret": SECRET,
        "authority": authority,
    }
    values.update(fields)
    return OIDCProvider(**values)


# --- #2: who registers a provider, and changes its issuer -------------------------------------


def test_providers_are_managed_only_for_authorities_strictly_below_a_territory_admin(
    territory, metropole_admin
):
    with pytest.raises(PermissionDenied):
        services.oidc_provider_save(
            actor=metropole_admin, provider=provider_row(territory["metropole"], slug="m")
        )
    services.oidc_provider_save(actor=metropole_admin, provider=provider_row(territory["merignac"]))
    # A provider of their own authority, registered by a superuser, is out of their hands.
    own = make_oidc_provider(
        "metropole",
        "https://sso.example.fr/metropole",
        client_id="c",
        client_secret="s",
        authority=territory["metropole"],
    )
    own.name = "Renommé"
    with pytest.raises(PermissionDenied):
        services.oidc_provider_save(actor=metropole_admin, provider=own)


def test_the_admin_lists_and_opens_only_the_providers_below(client, territory, metropole_admin):
    below = make_oidc_provider(
        "merignac",
        "https://sso.example.fr/merignac",
        client_id="c",
        client_secret="s",
        authority=territory["merignac"],
    )
    own = make_oidc_provider(
        "metropole",
        "https://sso.example.fr/metropole",
        client_id="c",
        client_secret="s",
        authority=territory["metropole"],
        name="Fournisseur de la métropole",
    )
    client.force_login(metropole_admin)
    listing = client.get(reverse("civis_oidc_providers:index")).content.decode()
    assert below.name in listing and own.name not in listing
    assert client.get(reverse("civis_oidc_providers:edit", args=[below.pk])).status_code == 200
    assert client.get(reverse("civis_oidc_providers:edit", args=[own.pk])).status_code in (403, 404)
    form = client.get(reverse("civis_oidc_providers:add")).content.decode()
    assert "Mérignac" in form and "Bordeaux Métropole</option>" not in form


def test_an_issuer_already_used_by_another_provider_is_left_to_superusers(
    territory, metropole_admin
):
    make_oidc_provider(
        "region",
        "https://sso.example.fr/region",
        client_id="c",
        client_secret="s",
        authority=territory["region"],
    )
    with pytest.raises(ValidationError) as refused:
        services.oidc_provider_save(
            actor=metropole_admin,
            provider=provider_row(territory["merignac"], issuer="https://sso.example.fr/region"),
        )
    assert "déjà celui d'un autre fournisseur" in str(refused.value)
    root = make_user("root", is_superuser=True)
    services.oidc_provider_save(
        actor=root,
        provider=provider_row(territory["merignac"], issuer="https://sso.example.fr/region"),
    )


def test_the_key_url_of_a_provider_with_linked_accounts_is_changed_by_superusers_only(
    territory, metropole_admin
):
    provider = make_oidc_provider(
        "merignac",
        "https://sso.example.fr/m",
        client_id="c",
        client_secret="s",
        authority=territory["merignac"],
    )
    services.federated_sign_in(
        source=provider.source,
        issuer=provider.issuer,
        subject="alice",
        kind=User.Kind.AGENT,
        login="alice",
    )
    provider.jwks_uri = "https://elsewhere.example.fr/jwks"
    with pytest.raises(ValidationError) as refused:
        services.oidc_provider_save(actor=metropole_admin, provider=provider)
    assert "comptes y sont liés" in str(refused.value)
    provider.jwks_uri = ""
    provider.name = "Mérignac (agents)"  # anything else stays theirs to change
    services.oidc_provider_save(actor=metropole_admin, provider=provider)


def test_a_superuser_repointing_a_shared_issuer_unlinks_only_when_no_provider_keeps_it(territory):
    root = make_user("root", is_superuser=True)
    first = make_oidc_provider(
        "a",
        "https://sso.example.fr/x",
        client_id="a",
        client_secret="s",
        authority=territory["merignac"],
    )
    second = make_oidc_provider(
        "b",
        "https://sso.example.fr/x",
        client_id="b",
        client_secret="s",
        authority=territory["bordeaux"],
    )
    services.federated_sign_in(
        source=first.source,
        issuer=first.issuer,
        subject="alice",
        kind=User.Kind.AGENT,
        login="alice",
    )
    first.issuer = "https://sso.example.fr/y"
    services.oidc_provider_save(actor=root, provider=first)
    assert ExternalIdentity.objects.count() == 1  # "b" still speaks for the old issuer
    second.issuer = "https://sso.example.fr/y"
    services.oidc_provider_save(actor=root, provider=second)
    assert not ExternalIdentity.objects.exists()
    unlinked = [
        e.detail["identities_unlinked"]
        for e in AuditEvent.objects.filter(detail__change="oidc_provider").order_by("pk")
    ]
    assert unlinked == [0, 1]


# --- #12: the URLs the portal agrees to call ------------------------------------------------

REFUSED_URLS = {
    "http://sso.example.fr/realms/x": "doit commencer par https://",
    "ftp://sso.example.fr/realms/x": "doit commencer par https://",
    "http://127.0.0.1:9000": "doit commencer par https://",
    "https://127.0.0.1:8443/realms/x": "boucle locale",
    "https://localhost/realms/x": "boucle locale",  # a name: its addresses are checked
    "https://[::1]/realms/x": "boucle locale",
    "https://10.1.2.3/realms/x": "réseau privé",
    "https://192.168.0.10/realms/x": "réseau privé",
    "https://[fd00::1]/realms/x": "réseau privé",
    "https://[::ffff:172.16.0.1]/realms/x": "réseau privé",
    "https://0.0.0.0/realms/x": "réseau privé",
    "https://169.254.10.1/realms/x": "lien local",
    "https://[fe80::1]/realms/x": "lien local",
    "https://169.254.169.254/latest/meta-data": "métadonnées",
}


@pytest.mark.parametrize("url", list(REFUSED_URLS))
def test_an_issuer_the_portal_must_not_call_is_refused_in_french(territory, url, settings):
    settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK = False  # production: no test provider on loopback
    with pytest.raises(ValidationError) as refused:
        services.oidc_provider_save(
            actor=None, provider=provider_row(territory["merignac"], issuer=url)
        )
    assert REFUSED_URLS[url] in " ".join(refused.value.message_dict["issuer"])
    assert not OIDCProvider.objects.exists()


def test_private_networks_and_loopback_are_allowed_only_by_their_settings(territory, settings):
    settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK = False
    settings.CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS = True
    services.oidc_provider_save(
        actor=None, provider=provider_row(territory["merignac"], issuer="https://10.1.2.3/realms/x")
    )
    with pytest.raises(ValidationError):  # https still required; metadata still refused
        services.oidc_provider_save(
            actor=None,
            provider=provider_row(
                territory["bordeaux"], slug="b", issuer="http://10.1.2.3/realms/y"
            ),
        )
    with pytest.raises(ValidationError):
        services.oidc_provider_save(
            actor=None,
            provider=provider_row(
                territory["bordeaux"], slug="b", issuer="https://169.254.169.254/"
            ),
        )
    settings.CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS = False
    settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK = True  # debug, or the tests' provider
    services.oidc_provider_save(
        actor=None,
        provider=provider_row(territory["bordeaux"], slug="b", issuer="http://127.0.0.1:9000"),
    )


def test_an_endpoint_override_is_held_to_the_same_rules(client, territory, metropole_admin):
    client.force_login(metropole_admin)
    response = client.post(
        reverse("civis_oidc_providers:add"),
        _provider(territory["merignac"], jwks_uri="https://169.254.169.254/latest/meta-data/"),
    )
    assert response.status_code == 200
    assert "métadonnées" in response.content.decode()
    assert not OIDCProvider.objects.exists()


def test_a_timeout_above_ten_seconds_is_refused(client, territory, metropole_admin):
    client.force_login(metropole_admin)
    response = client.post(
        reverse("civis_oidc_providers:add"), _provider(territory["merignac"], timeout="32767")
    )
    assert response.status_code == 200
    assert "inférieure ou égale à 10" in response.content.decode()
    assert not OIDCProvider.objects.exists()


# --- #11: client secrets encrypted at rest, never shown again ---------------------------------


def raw_secret(provider: OIDCProvider) -> str:
    """The column as the database holds it (the ORM would decrypt it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret FROM identity_oidcprovider WHERE id = %s", [provider.pk]
        )
        return cursor.fetchone()[0]


def test_the_client_secret_is_encrypted_in_the_database(territory):
    provider = make_oidc_provider(
        "merignac",
        "https://sso.example.fr/m",
        client_id="c",
        client_secret=SECRET,
        authority=territory["merignac"],
    )
    raw = raw_secret(provider)
    assert SECRET not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert OIDCProvider.objects.get().client_secret == SECRET


def test_the_edit_page_never_shows_the_secret_and_an_empty_field_keeps_it(
    client, territory, metropole_admin
):
    provider = make_oidc_provider(
        "merignac",
        "https://sso.example.fr/m",
        client_id="civis",
        client_secret=SECRET,
        authority=territory["merignac"],
        name="Keycloak de Mérignac",
    )
    client.force_login(metropole_admin)
    edit = reverse("civis_oidc_providers:edit", args=[provider.pk])
    page = client.get(edit).content.decode()
    assert SECRET not in page and raw_secret(provider) not in page
    assert "Secret actuel : défini" in page
    data = _provider(
        territory["merignac"],
        slug="merignac",
        name="Keycloak de Mérignac",
        issuer="https://sso.example.fr/m",
        client_secret="",
    )
    assert client.post(edit, data).status_code == 302
    assert OIDCProvider.objects.get().client_secret == SECRET  # empty: kept
    assert (
        client.post(edit, {**data, "client_secret": "a-new-secret-9876543210"}).status_code == 302
    )
    assert OIDCProvider.objects.get().client_secret == "a-new-secret-9876543210"
    changes = AuditEvent.objects.filter(detail__change="oidc_provider").order_by("pk")
    assert [e.detail["secret_changed"] for e in changes] == [False, True]
    assert "a-new-secret" not in str([e.detail for e in changes])
    add = client.get(reverse("civis_oidc_providers:add")).content.decode()
    assert "Secret actuel : non défini" in add


def test_a_new_provider_needs_a_secret(client, territory, metropole_admin):
    client.force_login(metropole_admin)
    response = client.post(
        reverse("civis_oidc_providers:add"), _provider(territory["merignac"], client_secret="")
    )
    assert response.status_code == 200 and not OIDCProvider.objects.exists()


def test_the_field_key_rotates(territory, settings):
    from cryptography.fernet import Fernet

    old = settings.CIVIS_FIELD_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    provider = make_oidc_provider(
        "merignac",
        "https://sso.example.fr/m",
        client_id="c",
        client_secret=SECRET,
        authority=territory["merignac"],
    )
    # The new key first: it encrypts; the old one still decrypts.
    settings.CIVIS_FIELD_ENCRYPTION_KEYS = [new, old]
    assert OIDCProvider.objects.get().client_secret == SECRET
    output = io.StringIO()
    call_command("civis_rotate_field_key", stdout=output)
    assert "1" in output.getvalue()
    assert Fernet(new.encode()).decrypt(raw_secret(provider).encode()).decode() == SECRET
    settings.CIVIS_FIELD_ENCRYPTION_KEYS = [new]  # the old key retired
    assert OIDCProvider.objects.get().client_secret == SECRET
    settings.CIVIS_FIELD_ENCRYPTION_KEYS = [old]
    with pytest.raises(ValueError, match="CIVIS_FIELD_ENCRYPTION_KEY"):
        OIDCProvider.objects.get()


def test_production_refuses_to_start_without_a_field_encryption_key(tmp_path):
    base = {
        "CIVIS_DEBUG": "0",
        "CIVIS_SECRET_KEY": "a-production-like-secret-key-0123456789",
        "CIVIS_VAR_DIR": str(tmp_path),
    }
    missing = run_manage(base, "check")
    assert missing.returncode != 0
    assert "CIVIS_FIELD_ENCRYPTION_KEY is not set" in missing.stderr
    malformed = run_manage({**base, "CIVIS_FIELD_ENCRYPTION_KEY": "not-a-key"}, "check")
    assert malformed.returncode != 0
    assert "CIVIS_FIELD_ENCRYPTION_KEY: key 1 is not a Fernet key" in malformed.stderr
    assert "not-a-key" not in malformed.stderr  # a key is never printed


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_secrets_and_keys_identities_by_issuer():
    from django.db.migrations.executor import MigrationExecutor

    before = [("identity", "0002_federation_and_delegation")]
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back to identity 0002 also unapplies what depends on
    # identity since (documents' workflow, portal's visits), which later tests need.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO identity_oidcprovider (slug, name, kind, enabled, issuer, "
                "client_id, client_secret, scopes, authority_claim, role_claim, role_mapping,"
                " email_domains, signing_algorithms, timeout, authorization_endpoint, "
                "token_endpoint, userinfo_endpoint, jwks_uri, end_session_endpoint) VALUES "
                "('m', 'M', 'citizen', %s, 'https://sso.example.fr/m', 'c', %s, 'openid', '',"
                " '', '{}', '', 'RS256', 300, '', '', '', '', '')",
                [True, SECRET],
            )
            cursor.execute(
                "INSERT INTO identity_user (password, is_superuser, username, "
                "first_name, last_name, email, is_staff, is_active, date_joined, "
                "kind) VALUES ('!', %s, 'alice', '', '', '', %s, %s, "
                "CURRENT_TIMESTAMP, 'citizen')",
                [False, False, True],
            )
            cursor.execute("SELECT id FROM identity_user WHERE username = 'alice'")
            user_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO identity_externalidentity (provider, subject, user_id,"
                " login, created_at) VALUES ('oidc:m', 'alice', %s, '', "
                "CURRENT_TIMESTAMP)",
                [user_id],
            )
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        from identity.models import ExternalIdentity

        provider = OIDCProvider.objects.get(slug="m")
        assert provider.client_secret == SECRET and SECRET not in raw_secret(provider)
        assert provider.timeout == 10  # clamped
        assert ExternalIdentity.objects.get().issuer == "https://sso.example.fr/m"
    finally:
        MigrationExecutor(connection).migrate(latest)
