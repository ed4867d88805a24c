"""OIDC sign-in end to end against a real provider process (oidc-provider on loopback):
agents of two authorities, a citizen, and every way a token or a callback can be wrong."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEvent
from identity import services
from identity.models import ExternalIdentity, Membership, OIDCProvider, User
from tests.factories import make_agent, make_oidc_provider, make_territory, make_user
from tests.identity.oidc_support import CLIENTS, Browser, KeyServer, start_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    # Discovery documents, signing keys and the logout-token replay set live in the shared
    # cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def territory():
    return make_territory()


@pytest.fixture
def providers(oidc_server, territory):
    def provider(slug: str, **fields):
        client_id, secret, alg = CLIENTS[slug]
        return make_oidc_provider(
            slug,
            oidc_server.issuer,
            client_id=client_id,
            client_secret=secret,
            signing_algorithms=alg,
            **fields,
        )

    return {
        "metropole": provider(
            "metropole",
            name="Bordeaux Métropole (agents)",
            authority=territory["metropole"],
            scopes="openid email profile civis",
            authority_claim="siret",
            role_claim="groups",
            email_domains="merignac.fr, bordeaux.fr",
            role_mapping={"civis-editeurs": "publisher", "civis-agents": "agent"},
        ),
        "region": provider(
            "region",
            name="Région (agents)",
            authority=territory["region"],
            scopes="openid email profile civis",
            role_mapping={"civis-editeurs": "publisher"},
        ),
        "citoyens": provider("citoyens", name="Compte citoyen", kind=User.Kind.CITIZEN),
    }


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def roles(user: User) -> set[tuple[str, str]]:
    return {(m.authority.name, m.role) for m in user.memberships.active()}


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(providers):
    browser = Browser(Client())
    query = parse_qs(urlparse(browser.start("metropole")).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["response_type"] == ["code"]
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile civis"]


def test_agents_of_two_authorities_sign_in_with_their_roles(providers, territory):
    alice = Browser(Client())
    response = alice.sign_in("metropole", "alice")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    user = signed_in_user(alice.client)
    assert user.kind == User.Kind.AGENT
    assert (user.first_name, user.email) == ("Alice", "alice@merignac.fr")
    assert roles(user) == {("Mérignac", "publisher")}
    assert alice.client.get("/admin/").status_code == 200

    bruno = Browser(Client())
    bruno.sign_in("metropole", "bruno")
    assert roles(signed_in_user(bruno.client)) == {("Bordeaux", "agent")}

    # The role sync is audited as the provider's doing.
    event = AuditEvent.objects.filter(action="role", detail__username=user.username).get()
    assert event.detail["source"] == "oidc:metropole"
    assert event.detail["before"] == [] and event.detail["after"][0]["role"] == "publisher"


def test_an_es256_provider_signs_in_its_agents(providers):
    browser = Browser(Client())
    browser.sign_in("region", "regine")
    assert roles(signed_in_user(browser.client)) == {("Nouvelle-Aquitaine", "publisher")}


def test_signing_in_again_reuses_the_account_and_follows_the_provider(providers):
    first = Browser(Client())
    first.sign_in("metropole", "alice")
    again = Browser(Client())
    again.sign_in("metropole", "alice")
    assert signed_in_user(first.client) == signed_in_user(again.client)
    assert ExternalIdentity.objects.filter(provider="oidc:metropole").count() == 1


def test_a_citizen_reaches_their_space_and_stays_separate_from_the_agent(providers):
    citizen = Browser(Client())
    response = citizen.sign_in("citoyens", "camille-citoyenne")
    assert response["Location"] == "/mon-espace/"
    assert citizen.client.get("/mon-espace/").status_code == 200
    agent = Browser(Client())
    agent.sign_in("metropole", "camille-agent")
    as_citizen, as_agent = signed_in_user(citizen.client), signed_in_user(agent.client)
    # Same e-mail address, two people as far as the portal is concerned.
    assert as_citizen.email == as_agent.email == "camille@example.fr"
    assert as_citizen != as_agent
    assert (as_citizen.kind, as_agent.kind) == (User.Kind.CITIZEN, User.Kind.AGENT)
    assert not as_citizen.memberships.exists()


def test_an_existing_local_account_with_the_same_email_is_never_taken_over(providers):
    local = make_user("alice-locale", email="alice@merignac.fr")
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    assert signed_in_user(browser.client) != local
    assert not local.memberships.exists()


def test_a_provider_cannot_assert_an_authority_outside_its_own(providers):
    browser = Browser(Client())
    response = browser.sign_in("metropole", "intrus")
    assert response["Location"] == "/connexion/"
    assert signed_in_user(browser.client) is None
    assert not Membership.objects.exists()


def test_the_sign_in_page_routes_by_email_domain_or_authority(providers):
    client = Client()
    page = client.get("/connexion/").content.decode()
    assert "Se connecter avec Compte citoyen" in page and "Bordeaux Métropole (agents)" in page
    routed = client.post("/connexion/agent/", {"email": "alice@merignac.fr"})
    assert routed["Location"].startswith("/connexion/oidc/metropole/?login_hint=alice")
    picked = client.post("/connexion/agent/", {"provider": "region"})
    assert picked["Location"] == "/connexion/oidc/region/"
    unknown = client.post("/connexion/agent/", {"email": "x@ailleurs.fr"}, follow=True)
    assert "Aucun fournisseur" in unknown.content.decode()


# --- Negative cases: the sign-in is refused and nobody is signed in -------------------------


def refused(browser: Browser, response) -> bool:
    return (
        response.status_code == 302
        and response["Location"] == "/connexion/"
        and signed_in_user(browser.client) is None
    )


DOCTORED = {
    "wrong-audience": "Audience doesn't match",
    "wrong-issuer": "Invalid issuer",
    "expired": "Signature has expired",
    "alg-none": "algorithm 'none' refused",
    "hs256": "algorithm 'HS256' refused",
    "replay": "nonce mismatch",
}


@pytest.mark.parametrize("mode", list(DOCTORED))
def test_a_doctored_id_token_is_refused(providers, oidc_server, mode, caplog):
    if mode == "replay":
        # An earlier sign-in's ID token (another nonce) comes back in a new exchange.
        Browser(Client()).sign_in("metropole", "alice")
    browser = Browser(Client())
    url = browser.authorize(browser.start("metropole"), "alice")
    oidc_server.misbehave_once(mode)
    response = browser.callback(url)
    assert refused(browser, response)
    assert "a échoué" in browser.client.get("/connexion/").content.decode()
    assert DOCTORED[mode] in caplog.text  # refused for the reason under test
    assert not User.objects.filter(kind=User.Kind.AGENT).exists() or mode == "replay"


def test_symmetric_algorithms_configured_on_a_provider_are_ignored(providers):
    providers["metropole"].signing_algorithms = "HS256,none"
    providers["metropole"].save()
    browser = Browser(Client())
    assert refused(browser, browser.sign_in("metropole", "alice"))


def test_the_doctoring_itself_keeps_a_valid_token_valid(providers, oidc_server):
    """The control case: the hook re-signing an untouched token yields an accepted token."""
    browser = Browser(Client())
    url = browser.authorize(browser.start("metropole"), "alice")
    oidc_server.misbehave_once("resign")
    browser.callback(url)
    assert signed_in_user(browser.client) is not None


def test_a_missing_or_wrong_state_is_refused(providers):
    browser = Browser(Client())
    url = browser.authorize(browser.start("metropole"), "alice")
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    without_state = {k: v for k, v in query.items() if k != "state"}
    assert refused(browser, browser.client.get("/connexion/oidc/retour/", without_state))
    wrong = {**query, "state": "not-the-state-we-sent"}
    assert refused(browser, browser.client.get("/connexion/oidc/retour/", wrong))
    # A callback from another browser (its state is in another session) is refused too.
    other = Browser(Client())
    assert refused(other, other.callback(url))


def test_a_reused_code_is_refused(providers):
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    used = browser.last_callback
    # Same callback again: its state was consumed.
    fresh = Browser(Client())
    assert refused(fresh, fresh.callback(used))
    # The old code under a new, valid state: the provider refuses the code.
    start = parse_qs(urlparse(fresh.start("metropole")).query)
    code = parse_qs(urlparse(used).query)["code"][0]
    response = fresh.client.get(
        "/connexion/oidc/retour/", {"code": code, "state": start["state"][0]}
    )
    assert refused(fresh, response)


def test_a_code_exchanged_with_another_pkce_verifier_is_refused(providers):
    browser = Browser(Client())
    url = browser.authorize(browser.start("metropole"), "alice")
    session = browser.client.session
    state = parse_qs(urlparse(url).query)["state"][0]
    session["oidc_states"][state]["code_verifier"] = "x" * 64
    session.save()
    assert refused(browser, browser.callback(url))


def test_an_unreachable_provider_times_out_with_a_message(territory):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        port = silent.getsockname()[1]
        make_oidc_provider(
            "muet",
            f"http://127.0.0.1:{port}",
            client_id="c",
            client_secret="s",
            authority=territory["region"],
            timeout=1,
        )
        client = Client()
        started = time.monotonic()
        response = client.get("/connexion/oidc/muet/", follow=True)
        assert time.monotonic() - started < 5
        assert "a échoué" in response.content.decode()
    finally:
        silent.close()


def test_logout_ends_the_provider_session_too(providers, oidc_server):
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    response = browser.client.post("/deconnexion/")
    end_session = response["Location"]
    assert end_session.startswith(oidc_server.issuer + "/session/end")
    query = parse_qs(urlparse(end_session).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["id_token_hint"][0].count(".") == 2
    assert signed_in_user(browser.client) is None
    done = browser.end_provider_session(end_session)
    assert done.headers["Location"].startswith("http://testserver/")
    # The provider session is over: the next sign-in asks for the login again.
    again = browser.provider.get(browser.start("metropole"), allow_redirects=True, timeout=10)
    assert 'name="login"' in again.text


@pytest.mark.django_db(transaction=True)
def test_back_channel_logout_ends_the_portal_session(providers, oidc_server, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]  # the live server's host
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    other_device = Browser(Client())
    other_device.sign_in("metropole", "alice")
    assert signed_in_user(browser.client) is not None
    # Alice signs out at her provider (from another application, say): the provider calls
    # the portal's back-channel endpoint, which ends her portal session.
    browser.end_provider_session(oidc_server.issuer + "/session/end")
    assert signed_in_user(browser.client) is None
    assert browser.client.get("/mon-espace/").status_code == 302
    # Her session on another device came from another provider session: it stays.
    assert signed_in_user(other_device.client) is not None


def test_the_back_channel_endpoint_refuses_anything_but_a_signed_logout_token(providers):
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    endpoint = "/connexion/oidc/metropole/deconnexion-backchannel/"
    anonymous = Client()
    assert anonymous.post(endpoint, {"logout_token": "garbage"}).status_code == 400
    # A genuine ID token is signed by the provider but is not a logout token.
    id_token = browser.client.session["oidc_id_token"]
    assert anonymous.post(endpoint, {"logout_token": id_token}).status_code == 400
    assert anonymous.get(endpoint).status_code == 405
    assert signed_in_user(browser.client) is not None


def test_an_account_deactivated_in_the_portal_is_refused_and_signed_out(providers):
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    user = signed_in_user(browser.client)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert browser.client.get("/mon-espace/").status_code == 302  # the session no longer counts
    again = Browser(Client())
    assert refused(again, again.sign_in("metropole", "alice"))


def test_a_provider_whose_discovery_names_another_issuer_is_refused(providers, oidc_server):
    make_oidc_provider(
        "imposteur",
        oidc_server.issuer + "/",
        client_id="civis-metropole",
        client_secret="x",
        authority=providers["metropole"].authority,
    )
    response = Client().get("/connexion/oidc/imposteur/", follow=True)
    assert "a échoué" in response.content.decode()


# --- #2: identities are keyed by (issuer, subject) ------------------------------------------


@pytest.fixture
def attacker_server(live_server, tmp_path):
    """Another provider, on another port: another issuer, whose accounts carry the same
    subjects (``alice``…) as the genuine one. A territory administrator could run it."""
    process, server = start_provider(tmp_path, live_server.url)
    yield server
    process.terminate()
    process.wait(timeout=10)


def test_an_identity_is_keyed_by_the_verified_issuer_and_subject(providers, oidc_server):
    browser = Browser(Client())
    browser.sign_in("metropole", "alice")
    identity = ExternalIdentity.objects.get(user=signed_in_user(browser.client))
    assert (identity.issuer, identity.subject) == (oidc_server.issuer, "alice")


def test_repointing_a_provider_to_another_issuer_cannot_take_over_a_linked_account(
    providers, territory, oidc_server, attacker_server
):
    victim_browser = Browser(Client())
    victim_browser.sign_in("metropole", "alice")
    victim = signed_in_user(victim_browser.client)
    region_admin = make_agent("admin-region", roles=[(territory["region"], "territory_admin")])
    metropole = OIDCProvider.objects.get(slug="metropole")

    # The territory administrator may manage the métropole's provider (it is below them), but
    # not repoint its issuer: accounts are linked to it.
    metropole.issuer = attacker_server.issuer
    with pytest.raises(ValidationError) as refused:
        services.oidc_provider_save(actor=region_admin, provider=metropole)
    assert "comptes y sont liés" in str(refused.value)
    assert OIDCProvider.objects.get(slug="metropole").issuer == oidc_server.issuer

    # Even repointed behind the service's back, the other issuer vouches for nobody already
    # linked: "alice" there is another person, with an account of her own.
    OIDCProvider.objects.filter(slug="metropole").update(issuer=attacker_server.issuer)
    attacker = Browser(Client())
    attacker.sign_in("metropole", "alice")
    intruder = signed_in_user(attacker.client)
    assert intruder is not None and intruder != victim
    assert ExternalIdentity.objects.get(user=intruder).issuer == attacker_server.issuer
    assert ExternalIdentity.objects.get(user=victim).issuer == oidc_server.issuer


def test_a_superuser_may_repoint_an_issuer_which_unlinks_its_accounts_with_an_audit_row(
    providers, oidc_server, attacker_server
):
    alice = Browser(Client())
    alice.sign_in("metropole", "alice")
    victim = signed_in_user(alice.client)
    # The other test providers share the issuer: gone, the métropole's is its only provider.
    OIDCProvider.objects.exclude(slug="metropole").delete()
    root = make_user("root", is_superuser=True, is_staff=True)
    metropole = OIDCProvider.objects.get(slug="metropole")
    metropole.issuer = attacker_server.issuer
    services.oidc_provider_save(actor=root, provider=metropole)
    assert not ExternalIdentity.objects.filter(user=victim).exists()
    event = AuditEvent.objects.filter(detail__change="oidc_provider").latest("pk")
    assert event.detail["identities_unlinked"] == 1
    assert event.detail["after"]["issuer"] == attacker_server.issuer
    again = Browser(Client())
    again.sign_in("metropole", "alice")
    assert signed_in_user(again.client) not in (None, victim)


# --- #12 and #13: back-channel logout tokens --------------------------------------------------


@pytest.fixture
def key_server():
    server = KeyServer()
    yield server
    server.stop()


@pytest.fixture
def keyed_provider(key_server, territory):
    return make_oidc_provider(
        "cles",
        key_server.issuer,
        client_id="civis-cles",
        client_secret="cles-secret-0123456789abcdef",
        authority=territory["metropole"],
        signing_algorithms="RS256",
    )


BACKCHANNEL = "/connexion/oidc/cles/deconnexion-backchannel/"


def post_logout_token(token: str) -> int:
    return Client().post(BACKCHANNEL, {"logout_token": token}).status_code


def test_a_well_formed_logout_token_is_accepted_once(keyed_provider, key_server):
    token = key_server.sign(key_server.logout_claims("civis-cles"))
    assert post_logout_token(token) == 200
    assert post_logout_token(token) == 400  # replayed: its jti was seen


@pytest.mark.parametrize("claim", ["jti", "iat", "exp"])
def test_a_logout_token_without_jti_iat_or_exp_is_refused(
    keyed_provider, key_server, claim, caplog
):
    token = key_server.sign(key_server.logout_claims("civis-cles", **{claim: None}))
    assert post_logout_token(token) == 400
    assert f'missing the "{claim}" claim' in caplog.text


@pytest.mark.parametrize("iat_offset, reason", [(-600, "too old"), (300, "not yet valid")])
def test_a_logout_token_too_old_or_from_the_future_is_refused(
    keyed_provider, key_server, iat_offset, reason, caplog
):
    now = int(time.time())
    claims = key_server.logout_claims(
        "civis-cles", iat=now + iat_offset, exp=now + iat_offset + 3600
    )
    assert post_logout_token(key_server.sign(claims)) == 400
    assert reason in caplog.text


def test_a_flood_of_bad_logout_tokens_fetches_the_signing_keys_at_most_once(
    keyed_provider, key_server
):
    from cryptography.hazmat.primitives.asymmetric import rsa

    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(20):
        # Unknown key ids, and the right key id with a forged signature, in turn.
        kid = f"unknown-{n}" if n % 2 else key_server.kid
        token = key_server.sign(key_server.logout_claims("civis-cles"), key=forger, kid=kid)
        assert post_logout_token(token) == 400
    assert key_server.requests["/jwks"] <= 1
    # The keys fetched are kept: a genuine token is still checked, without another fetch.
    assert post_logout_token(key_server.sign(key_server.logout_claims("civis-cles"))) == 200
    assert key_server.requests["/jwks"] == 1


def test_a_provider_url_refused_by_the_network_policy_is_never_fetched(
    territory, key_server, settings
):
    # Registered behind the service's back: the policy still holds at connection time.
    settings.CIVIS_OIDC_ALLOW_HTTP_LOOPBACK = False
    make_oidc_provider(
        "boucle", key_server.issuer, client_id="c", client_secret="s", authority=territory["region"]
    )
    response = Client().get("/connexion/oidc/boucle/", follow=True)
    assert "a échoué" in response.content.decode()
    assert sum(key_server.requests.values()) == 0


def test_keys_published_at_a_private_address_are_never_fetched(territory, settings, caplog):
    # The discovery document (a provider's own word) sends the key fetch to the cloud's
    # metadata service: refused at connection time.
    server = KeyServer(jwks_uri="http://169.254.169.254/latest/meta-data/")
    try:
        make_oidc_provider(
            "meta",
            server.issuer,
            client_id="civis-meta",
            client_secret="s",
            authority=territory["region"],
        )
        token = server.sign(server.logout_claims("civis-meta"))
        response = Client().post(
            "/connexion/oidc/meta/deconnexion-backchannel/", {"logout_token": token}
        )
        assert response.status_code == 400
        assert "destination refused: 169.254.169.254 (metadata)" in caplog.text
    finally:
        server.stop()


def test_the_provider_timeout_is_capped_at_ten_seconds(territory):
    from identity.oidc import provider_settings

    provider = make_oidc_provider(
        "lent",
        "https://sso.example.fr",
        client_id="c",
        client_secret="s",
        authority=territory["region"],
        timeout=32767,
        token_endpoint="https://sso.example.fr/t",
        authorization_endpoint="https://sso.example.fr/a",
        userinfo_endpoint="https://sso.example.fr/u",
        jwks_uri="https://sso.example.fr/k",
    )
    assert provider_settings(provider)["OIDC_TIMEOUT"] == 10
