"""Every URL the open data app registers — public pages and admin sections, found by walking
the URL resolver, not listed by hand — answers 404 to someone who may not read what it points
at: a draft or withdrawn dataset, a resource of one, a resource whose document is not public,
another authority's dataset or report, an unknown code. A new URL with a parameter this table
does not know fails the test until someone says what "unreadable" means for it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import opendata.wagtail_hooks  # noqa: F401 (registers the admin sections' URLs)
from identity.models import Membership
from tests.factories import (
    make_agent,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_report,
    make_territory,
)

CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def opendata_routes() -> Iterator[tuple[str, URLPattern]]:
    """(route with <converters>, pattern) of every view defined in the opendata package."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                module = getattr(entry.callback, "__module__", "") or ""
                if module.startswith("opendata"):
                    yield route, entry

    yield from walk(get_resolver().url_patterns, "/")


def fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group("name")
        assert name in values, f"{route}: say what an unreadable <{name}> is in this test"
        return values[name]

    assert not route.startswith("/^"), f"{route}: a regex route, fill it by hand"
    return CONVERTER.sub(one, route)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def hidden(db) -> list[dict[str, str]]:
    """Parameter sets that each point at something the asker may not read."""
    places = make_territory()
    merignac = places["merignac"]
    draft = make_dataset(merignac, status="draft")
    withdrawn = make_dataset(merignac, status="withdrawn")
    public = make_dataset(merignac)
    cases = []
    for dataset, resource in (
        (draft, make_dataset_resource(draft)),
        (withdrawn, make_dataset_resource(withdrawn)),
        (
            public,
            make_dataset_resource(public, document=make_open_document(merignac, audience="agents")),
        ),
        (None, None),
    ):
        report = make_report(draft) if dataset is not None else None
        identifier = str(dataset.identifier) if dataset is not None else str(uuid.uuid4())
        cases.append(
            {
                "identifier": identifier,
                "resource_id": str(resource.pk) if resource is not None else "999999",
                "fmt": "ttl",
                "code": "99999",
                "target": "dataset",
                "key": identifier,
                "report_id": str(report.pk) if report is not None else "999999",
            }
        )
    # The public dataset is readable as such; only its hidden resource is not.
    cases[2]["identifier_readable"] = "1"
    return cases


def test_the_walk_finds_every_open_data_url(db) -> None:
    routes = {route for route, _ in opendata_routes()}
    assert "/donnees/<uuid:identifier>/" in routes
    assert "/donnees/<uuid:identifier>/ressources/<int:resource_id>/telecharger" in routes
    assert any(route.startswith("/admin/donnees-ouvertes/") for route in routes)


def test_every_parameterised_url_answers_404_when_unreadable(hidden) -> None:
    from identity.models import Authority

    bordeaux = Authority.objects.get(insee_code="33063")
    outsider = make_agent(roles=[(bordeaux, Membership.Role.PUBLISHER)])
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(outsider)
    checked = 0
    for route, _pattern in opendata_routes():
        if not CONVERTER.search(route):
            continue
        names = {m.group("name") for m in CONVERTER.finditer(route)}
        for case in hidden:
            if case.get("identifier_readable") and names <= {"identifier", "fmt", "target", "key"}:
                continue  # the public dataset itself is readable by everyone
            url = fill(route, case)
            clients = [signed_in] if route.startswith("/admin/") else [anonymous, signed_in]
            for client in clients:
                status = client.get(url).status_code
                assert status == 404, f"GET {url} answered {status}"
                checked += 1
    assert checked >= 10


def test_admin_lists_show_nothing_to_those_who_do_not_publish(db) -> None:
    """The parameterless admin sections (lists, forms) are refused to an agent who publishes
    for no authority; they list nothing of another authority to a publisher."""
    places = make_territory()
    make_dataset(places["merignac"], status="draft", title="Jeu caché de Mérignac")
    agent = Client()
    agent.force_login(make_agent(roles=[(places["merignac"], Membership.Role.AGENT)]))
    outsider = Client()
    outsider.force_login(make_agent(roles=[(places["bordeaux"], Membership.Role.PUBLISHER)]))
    routes = [
        r for r, _ in opendata_routes() if r.startswith("/admin/") and not CONVERTER.search(r)
    ]
    assert routes
    for route in routes:
        assert agent.get(route).status_code in (302, 403, 404), route
        response = outsider.get(route)
        assert "Jeu caché de Mérignac" not in response.content.decode(), route
