"""The test OIDC provider (tests/oidc/provider.mjs) as a pytest fixture, and a browser that
walks the authorization-code flow between the portal (Django test client) and the provider
(real HTTP on loopback)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
TESTSERVER = "http://testserver"
CALLBACK = "/connexion/oidc/retour/"

# SIRET = SIREN + establishment number; the SIRENs are the real ones.
# The accounts of the test provider (also used by the manual demo, tests/oidc/demo.json).
ACCOUNTS = json.loads((OIDC_DIR / "accounts.json").read_text(encoding="utf-8"))
CLIENTS = {
    # slug: (client id, secret, ID token algorithm)
    "metropole": ("civis-metropole", "metropole-secret-0123456789abcdef0123456789", "RS256"),
    "region": ("civis-region", "region-secret-0123456789abcdef0123456789abcd", "ES256"),
    "citoyens": ("civis-citoyens", "citoyens-secret-0123456789abcdef0123456789", "RS256"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OIDCServer:
    issuer: str
    live_url: str

    def misbehave_once(self, mode: str) -> None:
        requests.post(
            f"{self.issuer}/__test__/mode", json={"mode": mode}, timeout=5
        ).raise_for_status()


def start_provider(tmp_dir: Path, live_url: str) -> tuple[subprocess.Popen, OIDCServer]:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: the OIDC tests need Node.js 20 to run the "
            "test provider (tests/oidc)"
        )
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.skip(
            "tests/oidc/node_modules is missing: run `npm ci` in tests/oidc "
            "(make test does it when node is present)"
        )
    port = free_port()
    # Node may resolve "localhost" to ::1 while the live server listens on 127.0.0.1.
    live_url = live_url.replace("//localhost:", "//127.0.0.1:")
    clients = []
    for slug, (client_id, secret, alg) in CLIENTS.items():
        clients.append(
            {
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uris": [TESTSERVER + CALLBACK, live_url + CALLBACK],
                "post_logout_redirect_uris": [TESTSERVER + "/", live_url + "/"],
                "backchannel_logout_uri": (
                    f"{live_url}/connexion/oidc/{slug}/deconnexion-backchannel/"
                ),
                "backchannel_logout_session_required": True,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": alg,
            }
        )
    config = tmp_dir / "provider.json"
    config.write_text(json.dumps({"port": port, "clients": clients, "accounts": ACCOUNTS}))
    log = (tmp_dir / "provider.log").open("w")
    process = subprocess.Popen(
        [node, str(OIDC_DIR / "provider.mjs"), str(config)],
        cwd=OIDC_DIR,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("ready"):
        process.kill()
        raise RuntimeError(
            f"the test provider did not start: {line}{(tmp_dir / 'provider.log').read_text()}"
        )
    return process, OIDCServer(issuer=line.split()[1], live_url=live_url)


class Browser:
    """One person's browser: the portal through the test client, the provider over HTTP."""

    def __init__(self, client) -> None:
        self.client = client
        self.provider = requests.Session()
        self.last_callback = ""

    def start(self, slug: str, **params: str) -> str:
        response = self.client.get(f"/connexion/oidc/{slug}/", params)
        assert response.status_code == 302, response
        return response["Location"]

    def authorize(self, authorization_url: str, login: str) -> str:
        """Sign in at the provider; return the portal callback URL it redirects to."""
        url = authorization_url
        for _step in range(10):
            response = self.provider.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                if url.startswith(TESTSERVER):
                    return url
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert form, response.text[:500]
            action = urljoin(url, form.group(1))
            response = self.provider.post(
                action,
                data={"prompt": "login", "login": login, "password": "x"},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code in (302, 303), response.text[:500]
            url = urljoin(action, response.headers["Location"])
            if url.startswith(TESTSERVER):
                return url
        raise AssertionError("the provider never redirected back")

    def callback(self, url: str):
        self.last_callback = url
        parsed = urlparse(url)
        return self.client.get(parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()})

    def sign_in(self, slug: str, login: str):
        return self.callback(self.authorize(self.start(slug), login))

    def end_provider_session(self, url: str) -> requests.Response:
        """Follow an end-session URL at the provider and confirm the sign-out form."""
        response = self.provider.get(url, timeout=10)
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', response.text)
        action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
        assert xsrf and action, response.text[:500]
        return self.provider.post(
            urljoin(url, action.group(1)),
            data={"xsrf": xsrf.group(1), "logout": "yes"},
            allow_redirects=False,
            timeout=10,
        )


class KeyServer:
    """A minimal issuer on loopback for the back-channel tests: its discovery document and its
    JWKS over real HTTP (each request counted), and its private key, to mint logout tokens
    with exactly the claims a test wants."""

    def __init__(self, *, jwks_uri: str | None = None) -> None:
        import collections
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "civis-test-key"
        self.requests: collections.Counter[str] = collections.Counter()
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwks = {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests[self.path] += 1
                if self.path == "/.well-known/openid-configuration":
                    body = {
                        "issuer": server.issuer,
                        "jwks_uri": server.jwks_uri,
                        "authorization_endpoint": server.issuer + "/auth",
                        "token_endpoint": server.issuer + "/token",
                    }
                elif self.path == "/jwks":
                    body = jwks
                else:
                    self.send_error(404)
                    return
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.jwks_uri = jwks_uri or self.issuer + "/jwks"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def sign(self, claims: dict, *, key=None, kid: str | None = None) -> str:
        import jwt

        return jwt.encode(
            claims, key or self.private_key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def logout_claims(self, audience: str, **overrides) -> dict:
        """A well-formed logout token's claims; an override of None leaves the claim out."""
        import time
        import uuid

        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
            "sub": "alice",
            "sid": "sid-alice",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}
