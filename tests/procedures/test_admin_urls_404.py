"""Every URL the procedures app registers — admin sections, citizen pages, the API and its
passerelle, found by walking the URL resolver, not listed by hand — answers 404 to someone
who may not read what it points at (401 on the passerelle without a token of that
procedure), and leaves no audited read behind. The asker is the strongest outsider: a
publisher and instructor of Bordeaux, with a passerelle token of Bordeaux's procedure, and a
citizen with requests of their own. A new URL with a parameter this table does not know
fails the test until someone says what "unreadable" means for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import procedures.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from audit.models import AuditEvent
from identity.models import Membership
from procedures.models import Attachment, RequestState
from procedures.services.passerelle import token_create
from tests.factories import make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
API_PREFIX = "/api/v1/procedures/"


def procedures_routes() -> Iterator[tuple[str, URLPattern]]:
    """(route with <converters>, pattern) of every view of the procedures package, and every
    operation of its API router."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                module = getattr(entry.callback, "__module__", "") or ""
                if module.startswith("procedures") or route.startswith(API_PREFIX):
                    yield route, entry

    yield from walk(get_resolver().url_patterns, "/")


def fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group("name")
        assert name in values, f"{route}: say what an unreadable <{name}> is in this test"
        return values[name]

    assert not route.startswith("/^"), f"{route}: a regex route, fill it by hand"
    return CONVERTER.sub(one, route)


@pytest.fixture
def world(db):
    places = make_territory()
    merignac, bordeaux = places["merignac"], places["bordeaux"]
    hidden_procedure = make_procedure(merignac, slug="cachee", webhook_url="")
    draft_procedure = make_procedure(merignac, published=False, slug="brouillon-cache")
    make_instructor(hidden_procedure, "instructeur-merignac")
    victim = make_user("victime")
    hidden = make_request(
        hidden_procedure, victim, state=RequestState.INSTRUCTION, data={"nom": "Secret"}
    )
    hidden_draft = make_request(hidden_procedure, victim, state=RequestState.DRAFT)
    attachment = Attachment.objects.create(
        request=hidden,
        field_key="nom",
        file=ContentFile(b"%PDF-1.4 secret", name="secret.pdf"),
        file_name="secret.pdf",
        mime_type="application/pdf",
        size=15,
        sha256="0" * 64,
    )
    # The asker: publisher of Bordeaux, instructor of Bordeaux's procedure, with a token.
    own_procedure = make_procedure(bordeaux, slug="bordeaux")
    asker = make_instructor(
        own_procedure, "bordelais", authority=bordeaux, role=Membership.Role.PUBLISHER
    )
    make_request(own_procedure, make_user("autre"), state=RequestState.SUBMITTED)
    _token, clear = token_create(actor=asker, procedure=own_procedure, name="Bordeaux")
    citizen = make_user("curieux")
    own_request = make_request(own_procedure, citizen, state=RequestState.SUBMITTED)
    return {
        "asker": asker,
        "citizen": citizen,
        "token": clear,
        "own_request": own_request,
        "cases": [
            {
                "pk": str(hidden_procedure.pk),
                "request_uuid": str(hidden.uuid),
                "uuid": str(hidden.uuid),
                "attachment_id": str(attachment.pk),
                "slug": draft_procedure.slug,
            },
            {
                "pk": str(draft_procedure.pk),
                "request_uuid": str(hidden_draft.uuid),
                "uuid": str(hidden_draft.uuid),
                "attachment_id": "999999",
                "slug": "inconnue",
            },
        ],
        "attachment_pk": str(attachment.pk),
        "hidden": [hidden, hidden_draft],
    }


def _answers(client: Client, url: str, **extra: Any) -> set[int]:
    # A well-formed body, so a POST reaches the access check (a malformed one is a 400,
    # whatever the request: it says nothing about it).
    body = {"outcome": "accepte", "motivation": "Vu."}
    posted = client.post(url, body, content_type="application/json", **extra)
    got = {client.get(url, **extra).status_code, posted.status_code}
    got.discard(405)  # one of the two methods only
    return got


def test_the_table_knows_every_route() -> None:
    routes = [route for route, _pattern in procedures_routes()]
    assert any(r.startswith("/admin/demarches/") for r in routes)
    assert any(r.startswith(API_PREFIX + "passerelle/") for r in routes)
    assert any(r.startswith("/mon-espace/demarches/") for r in routes)


@pytest.mark.parametrize("who", ["asker", "citizen"])
def test_every_route_with_a_parameter_answers_404(world, who) -> None:
    client = Client()
    client.force_login(world[who])
    checked = 0
    for route, _pattern in procedures_routes():
        if not CONVERTER.search(route):
            continue
        for case in world["cases"]:
            values = dict(case)
            if "/pieces/<int:pk>/" in route:
                values["pk"] = world["attachment_pk"] if case is world["cases"][0] else "999999"
            url = fill(route, values)
            if route.startswith(API_PREFIX + "passerelle/"):
                # Another procedure's token: 404; no token, a bad one: 401.
                assert _answers(client, url, HTTP_AUTHORIZATION=f"Bearer {world['token']}") == {
                    404
                }, url
                assert _answers(client, url) == {401}, url
                assert _answers(client, url, HTTP_AUTHORIZATION="Bearer faux") == {401}, url
            elif route.startswith("/admin/") and who == "citizen":
                # No admin access at all: Wagtail sends them to its login page.
                assert _answers(client, url) <= {302, 403, 404}, url
            else:
                assert _answers(client, url) == {404}, url
            checked += 1
    assert checked >= 20
    for item in world["hidden"]:
        assert not AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD],
            detail__request=str(item.uuid),
        ).exists()
        item.refresh_from_db()
        assert item.state in (RequestState.INSTRUCTION, RequestState.DRAFT)


def test_anonymous_gets_nothing(world) -> None:
    client = Client()
    for route, _pattern in procedures_routes():
        if not CONVERTER.search(route):
            continue
        url = fill(route, world["cases"][0] | {"pk": world["attachment_pk"]})
        got = _answers(client, url)
        if route.startswith(API_PREFIX + "passerelle/"):
            assert got == {401}, url
        else:
            # A login redirect, a refusal or a 404, never the content.
            assert got <= {302, 401, 403, 404}, (url, got)
