"""Election night's fast path (elections/middleware.py): a public results answer just built
is answered again without the database while fresh, with the same headers, the security
headers and conditional answers of every response, per language and host, and a new
publication shows once the copy has aged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elections import middleware
from tests.elections.factories import count
from tests.elections.test_public_pages import build_night, publish

pytestmark = pytest.mark.django_db

RESULTS = reverse("api:election_round_results", kwargs={"slug": "municipales-2026", "number": 1})


@pytest.fixture
def night(settings):
    settings.CIVIS_RESULTS_FRESH_SECONDS = 30
    return build_night()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(middleware.time, "monotonic", lambda: now[0])
    return now


def test_a_fresh_copy_is_answered_without_the_database(client, night, django_assert_num_queries):
    first = client.get(RESULTS)
    with django_assert_num_queries(0):
        again = client.get(RESULTS)
    assert again.status_code == 200 and again.content == first.content
    for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type"):
        assert again[header] == first[header]
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["X-Content-Type-Options"] == "nosniff"


def test_a_copy_answers_a_conditional_request_and_head(client, night):
    tag = client.get(RESULTS)["ETag"]
    assert client.get(RESULTS, headers={"if-none-match": tag}).status_code == 304
    head = client.head(RESULTS)
    assert head.status_code == 200 and head.content == b""
    assert int(head["Content-Length"]) > 100


def test_a_new_publication_shows_once_the_copy_has_aged(client, night, clock, settings):
    def published(data):
        return {b["code"]: b["published"] for b in data["bureaux"]}["33281_0004"]

    assert published(client.get(RESULTS).json()) is False
    publish(night, night.result("33281_0004"), *count(inscrits=800, votes=(10, 20, 30)))
    clock[0] += settings.CIVIS_RESULTS_FRESH_SECONDS - 1
    assert published(client.get(RESULTS).json()) is False
    clock[0] += 1
    assert published(client.get(RESULTS).json()) is True


def test_a_copy_is_kept_per_language_and_per_host(client, night, settings):
    settings.ALLOWED_HOSTS = ["testserver", "resultats.example.fr"]
    french = client.get(RESULTS)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(RESULTS)
    assert (french["Content-Language"], english["Content-Language"]) == ("fr", "en")
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    other = client.get(RESULTS, HTTP_HOST="resultats.example.fr").json()
    assert other["bureaux"][0]["url"].startswith("http://resultats.example.fr/")
    assert french.json()["bureaux"][0]["url"].startswith("http://testserver/")


def test_what_is_not_a_public_results_answer_is_never_repeated(
    client, night, django_assert_max_num_queries
):
    missing = reverse("api:election_round_results", kwargs={"slug": "inconnue", "number": 1})
    assert client.get(missing).status_code == 404
    with django_assert_max_num_queries(5) as context:
        assert client.get(missing).status_code == 404
    assert len(context.captured_queries) >= 1
    listing = reverse("api:election_list")
    client.get(listing)
    with django_assert_max_num_queries(10) as context:
        client.get(listing)
    assert len(context.captured_queries) >= 1


def test_nothing_is_repeated_when_turned_off(
    client, night, settings, django_assert_max_num_queries
):
    settings.CIVIS_RESULTS_FRESH_SECONDS = 0
    client.get(RESULTS)
    with django_assert_max_num_queries(10) as context:
        client.get(RESULTS)
    assert len(context.captured_queries) >= 1
