"""Sign-in and sign-out through an OpenID provider in a real browser, under the portal's
Content-Security-Policy: the agent form and the sign-out button POST to the portal, which
redirects to the provider, and browsers apply ``form-action`` to that redirect (Chromium
blocks it with ``form-action 'self'`` alone)."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from identity.models import Authority  # noqa: E402
from tests.browser.test_csp import WATCH  # noqa: E402
from tests.factories import make_oidc_provider  # noqa: E402
from tests.identity.oidc_support import CLIENTS, start_provider  # noqa: E402


@pytest.fixture(scope="module")
def oidc_server(live_server, tmp_path_factory):
    process, server = start_provider(tmp_path_factory.mktemp("oidc-browser"), live_server.url)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def agent_browser(browser, site, oidc_server, settings):
    # The provider knows the portal as 127.0.0.1 (its registered redirect URIs).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    client_id, secret, alg = CLIENTS["metropole"]
    make_oidc_provider(
        "metropole",
        oidc_server.issuer,
        client_id=client_id,
        client_secret=secret,
        signing_algorithms=alg,
        name="Bordeaux Métropole (agents)",
        authority=Authority.objects.get(siren="243300316"),
        scopes="openid email profile civis",
        authority_claim="siret",
        role_claim="groups",
        email_domains="merignac.fr",
        role_mapping={"civis-editeurs": "publisher", "civis-agents": "agent"},
    )
    context = browser.new_context(base_url=oidc_server.live_url, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console", lambda message: console.append(message.text) if message.type == "error" else None
    )
    page.add_init_script(WATCH)
    page.console_errors = console
    yield page
    context.close()


def test_agent_signs_in_and_out_through_the_provider_under_the_policy(agent_browser, oidc_server):
    page = agent_browser
    response = page.goto("/connexion/")
    assert oidc_server.issuer in response.headers["content-security-policy"]
    page.get_by_label("Votre adresse professionnelle").fill("alice@merignac.fr")
    page.get_by_role("button", name="Continuer").click()
    # The POST to /connexion/agent/ redirected to the provider: not blocked.
    expect(page).to_have_url(re.compile("^" + re.escape(oidc_server.issuer)))
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("x")
    page.locator("button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(re.escape(oidc_server.live_url) + "/admin/$"))
    page.goto("/mon-espace/")
    page.get_by_role("button", name=re.compile("Se déconnecter")).click()
    # Single sign-out: the portal's POST /deconnexion/ redirected to the provider.
    expect(page).to_have_url(re.compile(re.escape(oidc_server.issuer) + "/session/end"))
    blocked = [text for text in page.console_errors if "Content Security Policy" in text]
    assert blocked == []
