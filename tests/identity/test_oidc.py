"""OIDC sign-in end to end against a real provider process (oidc-provider on loopback):
agents of two authorities, a citizen, and every way a token or a callback can be wrong."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from audit.models import AuditEvent
from identity.models import ExternalIdentity, Membership, User
from tests.factories import make_oidc_provider, make_territory, make_user
from tests.identity.oidc_support import CLIENTS, Browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    return make_territory()


@pytest.fixture
def providers(oidc_server, territory):
    def provider(slug: str, **fields):
        client_id, secret, alg = CLIENTS[slug]
        return make_oidc_provider(slug, oidc_server.issuer, client_id=client_id,
                                  client_secret=secret, signing_algorithms=alg, **fields)

    return {
        "metropole": provider(
            "metropole", name="Bordeaux Métropole (agents)", authority=territory["metropole"],
            scopes="openid email profile civis", authority_claim="siret",
            role_claim="groups", email_domains="merignac.fr, bordeaux.fr",
            role_mapping={"civis-editeurs": "publisher", "civis-agents": "agent"}),
        "region": provider(
            "region", name="Région (agents)", authority=territory["region"],
            scopes="openid email profile civis", role_mapping={"civis-editeurs": "publisher"}),
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
    return response.status_code == 302 and response["Location"] == "/connexion/" \
        and signed_in_user(browser.client) is None


DOCTORED = {"wrong-audience": "Audience doesn't match", "wrong-issuer": "Invalid issuer",
            "expired": "Signature has expired", "alg-none": "algorithm 'none' refused",
            "hs256": "algorithm 'HS256' refused", "replay": "nonce mismatch"}


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
    response = fresh.client.get("/connexion/oidc/retour/", {"code": code,
                                                            "state": start["state"][0]})
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
        make_oidc_provider("muet", f"http://127.0.0.1:{port}", client_id="c",
                           client_secret="s", authority=territory["region"], timeout=1)
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
    make_oidc_provider("imposteur", oidc_server.issuer + "/", client_id="civis-metropole",
                       client_secret="x", authority=providers["metropole"].authority)
    response = Client().get("/connexion/oidc/imposteur/", follow=True)
    assert "a échoué" in response.content.decode()
