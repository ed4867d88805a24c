"""Every URL Admin > Élections registers — found by walking the URL resolver under
/admin/elections/, not listed by hand — answers 404 to someone who may not use it, and changes
nothing. The askers:

- a publisher of Bordeaux: they count Bordeaux's bureaux and manage Bordeaux's elections, so
  they reach the section, but none of Mérignac's election, rounds or bureaux;
- an agent of Mérignac: they count Mérignac's bureaux, but the managers' screens of Mérignac's
  election (candidates, import, expected bureaux, publication, closing, creation) are not theirs;
- an agent of the métropole only, who counts no commune and manages nothing: even the list;
- anonymous: Wagtail's login redirect, never the content.

POST-only actions refuse GET (405) before anything else. A new URL with a parameter this table
does not know fails the test until someone says what "unusable" means for it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

import elections.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from documents.selectors import authorities_publishable_by
from elections.admin.access import may_see_section
from elections.models import BureauResult, ResultState, RoundStatus
from elections.selectors import elections_managed_by, results_countable_by
from elections.services.results import result_enter
from identity.models import Membership
from tests.elections.factories import count, make_election, make_station
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db

CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
PREFIX = "/admin/elections/"
# What a Mérignac agent may use (they count Mérignac's bureaux); every other route is for the
# election's managers only.
COUNTER_ROUTES = {
    "elections_admin_list",
    "elections_admin_round",
    "elections_admin_entry",
    "elections_admin_validation",
}
POST_ONLY = {"elections_admin_publish", "elections_admin_finalise", "elections_admin_expect"}


def admin_routes() -> Iterator[tuple[str, URLPattern]]:
    """(route with <converters>, pattern) of every view under /admin/elections/."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(PREFIX):
                yield route, entry

    yield from walk(get_resolver().url_patterns, "/")


def fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group("name")
        assert name in values, f"{route}: say what an unusable <{name}> is in this test"
        return values[name]

    assert not route.startswith("/^"), f"{route}: a regex route, fill it by hand"
    return CONVERTER.sub(one, route)


def is_result_route(route: str) -> bool:
    return route.startswith(PREFIX + "resultats/<int:pk>/")


@pytest.fixture
def world():
    places = make_territory()
    merignac, bordeaux = places["merignac"], places["bordeaux"]
    stations = [make_station(merignac, n) for n in (1, 2)]
    election = make_election(merignac, stations=stations, slug="merignac", rounds=2)
    round = election.rounds.get(number=1)
    entered, expected = round.results.order_by("station__code")
    first = make_agent("saisie-merignac", roles=[(merignac, Membership.Role.AGENT)])
    figures, votes = count()
    result_enter(actor=first, result=entered, figures=figures, votes=votes)
    entered.refresh_from_db()
    # Bordeaux's own election, which its publisher does manage and count.
    own = make_election(bordeaux, stations=[make_station(bordeaux, 1)], slug="bordeaux")
    return {
        "bordeaux": make_agent("editeur-bordeaux", roles=[(bordeaux, Membership.Role.PUBLISHER)]),
        "merignac": make_agent("agent-merignac", roles=[(merignac, Membership.Role.AGENT)]),
        "nobody": make_agent(
            "agent-metropole", roles=[(places["metropole"], Membership.Role.AGENT)]
        ),
        "election": election,
        "round": round,
        "results": [entered, expected],
        "own_result": own.rounds.get().results.get(),
    }


def _answers(client: Client, url: str) -> set[int]:
    # A well-formed body, so a POST reaches the access check.
    figures, _votes = count()
    body = {**{k: str(v) for k, v in figures.items()}, "votes_1": "300", "confirm": "1"}
    got = {client.get(url).status_code, client.post(url, body).status_code}
    got.discard(405)  # one of the two methods only
    return got


def _cases(world) -> list[dict[str, str]]:
    election = world["election"]
    return [
        # Mérignac's election, its round 1 and its bureaux (one entered, one expected).
        {"pk": str(election.pk), "number": "1", "result": str(world["results"][0].pk)},
        {"pk": str(election.pk), "number": "2", "result": str(world["results"][1].pk)},
        # What does not exist at all.
        {"pk": "999999", "number": "1", "result": "999999"},
        {"pk": str(election.pk), "number": "9", "result": "999999"},
    ]


def _url(route: str, case: dict[str, str]) -> str:
    values = dict(case)
    if is_result_route(route):
        values["pk"] = case["result"]
    return fill(route, values)


def _unchanged(world) -> None:
    for result in world["results"]:
        before = result.state
        result.refresh_from_db()
        assert result.state == before
        assert result.versions.count() == (1 if before == ResultState.ENTERED else 0)
    world["round"].refresh_from_db()
    assert world["round"].status != RoundStatus.FINAL
    assert world["election"].rounds.get(number=1).candidates.count() == 3
    assert BureauResult.objects.filter(round=world["round"]).count() == 2


def test_the_table_knows_every_route() -> None:
    names = {pattern.name for _route, pattern in admin_routes()}
    assert names.issuperset(COUNTER_ROUTES | POST_ONLY)
    assert len(names) >= 10
    for route, _pattern in admin_routes():
        for name in CONVERTER.findall(route):
            assert name[1] in {"pk", "number"}, route


def test_a_publisher_of_another_commune_gets_404_on_every_route_with_a_parameter(world) -> None:
    client = Client()
    client.force_login(world["bordeaux"])
    checked = 0
    for route, _pattern in admin_routes():
        if not CONVERTER.search(route):
            continue
        for case in _cases(world):
            url = _url(route, case)
            assert _answers(client, url) == {404}, url
            checked += 1
    assert checked >= 30
    _unchanged(world)


def test_an_agent_of_the_commune_gets_404_on_every_managers_route(world) -> None:
    client = Client()
    client.force_login(world["merignac"])
    checked = 0
    for route, pattern in admin_routes():
        if pattern.name in COUNTER_ROUTES:
            continue
        cases = _cases(world) if CONVERTER.search(route) else [{}]
        for case in cases:
            url = _url(route, case) if case else route
            assert _answers(client, url) == {404}, url
            checked += 1
    assert checked >= 20
    _unchanged(world)


def test_an_agent_of_the_commune_gets_404_on_what_does_not_exist(world) -> None:
    client = Client()
    client.force_login(world["merignac"])
    for route, pattern in admin_routes():
        if pattern.name not in COUNTER_ROUTES or not CONVERTER.search(route):
            continue
        for case in _cases(world)[2:]:
            url = _url(route, case)
            assert _answers(client, url) == {404}, url
        # Bordeaux's bureau is not theirs to count.
        if is_result_route(route):
            url = fill(route, {"pk": str(world["own_result"].pk)})
            assert _answers(client, url) == {404}, url
    _unchanged(world)


def test_someone_who_counts_and_manages_nothing_gets_404_everywhere(world) -> None:
    client = Client()
    client.force_login(world["nobody"])
    for route, _pattern in admin_routes():
        cases = _cases(world) if CONVERTER.search(route) else [{}]
        for case in cases:
            url = _url(route, case) if case else route
            assert _answers(client, url) == {404}, url
    _unchanged(world)


def test_post_only_actions_refuse_get(world) -> None:
    client = Client()
    client.force_login(world["bordeaux"])
    own_round = world["own_result"].round
    seen = set()
    for route, pattern in admin_routes():
        if pattern.name in POST_ONLY:
            url = fill(route, {"pk": str(own_round.election_id), "number": "1"})
            assert client.get(url).status_code == 405, url
            seen.add(pattern.name)
    assert seen == POST_ONLY


def test_anonymous_is_sent_to_sign_in(world) -> None:
    client = Client()
    for route, _pattern in admin_routes():
        url = _url(route, _cases(world)[0]) if CONVERTER.search(route) else route
        for response in (client.get(url), client.post(url, {"confirm": "1"})):
            if response.status_code == 405:
                continue
            assert response.status_code == 302, url
            assert "/admin/login/" in response["Location"], url
    _unchanged(world)


class ScreensAgreeWithTheSelectors(TestCase):
    """For someone holding any role anywhere in the territory, each screen opens exactly when
    the selectors say so, and answers 404 otherwise: the views add no rule of their own."""

    @settings(
        max_examples=int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "20")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        roles=st.lists(
            st.tuples(
                st.sampled_from(["region", "metropole", "merignac", "bordeaux", "arcachon"]),
                st.sampled_from([r.value for r in Membership.Role]),
            ),
            min_size=0,
            max_size=2,
            unique=True,
        ),
        owner=st.sampled_from(["merignac", "metropole"]),
    )
    def test_each_screen_opens_exactly_when_the_selectors_allow(self, roles, owner) -> None:
        places = make_territory()
        station = make_station(places["merignac"], 1)
        election = make_election(places[owner], stations=[station], slug="propriete")
        result = election.rounds.get().results.get()
        enterer = make_agent("saisie-propriete", roles=[(places["merignac"], "agent")])
        figures, votes = count()
        result_enter(actor=enterer, result=result, figures=figures, votes=votes)
        asker = make_agent("demandeur", roles=[(places[where], role) for where, role in roles])
        client = Client()
        client.force_login(asker)
        counts = results_countable_by(asker).filter(pk=result.pk).exists()
        manages = elections_managed_by(asker).filter(pk=election.pk).exists()
        expected = {
            reverse("elections_admin_entry", args=[result.pk]): counts,
            reverse("elections_admin_validation", args=[result.pk]): counts,
            reverse("elections_admin_round", args=[election.pk, 1]): counts or manages,
            reverse("elections_admin_candidates", args=[election.pk, 1]): manages,
            reverse("elections_admin_import", args=[election.pk, 1]): manages,
            reverse("elections_admin_list"): may_see_section(asker),
            reverse("elections_admin_create"): authorities_publishable_by(asker).exists(),
        }
        for url, allowed in expected.items():
            status = client.get(url).status_code
            if not roles:
                # No role, no admin access at all: Wagtail's own refusal.
                assert status in (302, 403), (url, status)
            else:
                assert status == (200 if allowed else 404), (url, roles, owner, status)
