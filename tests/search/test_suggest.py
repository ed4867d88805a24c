"""« Vouliez-vous dire … ? » and autocomplete (search.suggest, GET /api/v1/search/suggest/):
words of documents the requester may read only, with their accents. Runs on whichever
database DATABASE_URL names (CI: both)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from identity.models import Authority
from identity.selectors import forget_principals
from search.french import analyse
from search.query import SearchQuery
from search.selectors import search_documents
from search.services import documents_changed
from search.suggest import autocomplete, distance, suggest_query
from tests.factories import make_authority, make_user
from tests.search.factories import index_now, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_vocabulary(settings):
    settings.CIVIS_SEARCH_VOCABULARY_SECONDS = 0


@pytest.fixture
def merignac():
    region = make_authority(Authority.Kind.REGION, name="Nouvelle-Aquitaine")
    metropole = make_authority(Authority.Kind.EPCI, name="Bordeaux Métropole", parent=region)
    return make_authority(name="Mérignac", parent=metropole, population=70000)


@pytest.fixture
def corpus(merignac):
    public = make_document(
        merignac,
        "Délibération sur le tramway",
        text="Le conseil approuve la délibération relative au tramway et aux écoles.",
    )
    restricted = make_document(
        merignac,
        "Planning des maîtres-nageurs",
        text="Le vestiaire des surveillants zygomatiques reste fermé.",
        audience="restricted",
    )
    group = Group.objects.create(name="Maîtres-nageurs")
    assign_perm("documents.view_document", group, restricted)
    documents_changed([restricted.pk])
    index_now()
    return public, restricted, group


def words_of(items):
    return [i["label"] for i in items if i["kind"] == "word"]


def test_misspelled_words_get_the_written_form_of_a_readable_document(corpus):
    assert suggest_query(None, "deliberaton") == ["délibération"]
    assert suggest_query(None, "tramwai") == ["tramway"]
    assert suggest_query(None, "Mérignc") == ["Mérignac"]  # from the owner's name (meta)
    assert suggest_query(None, "deliberaton tramwai") == ["délibération tramway"]


def test_a_query_with_results_gets_no_suggestion(corpus):
    assert suggest_query(None, "délibération tramway") == []
    assert suggest_query(None, "") == []
    assert suggest_query(None, "xq") == []


def test_a_word_only_in_an_unreadable_document_is_neither_suggested_nor_completed(corpus):
    _public, _restricted, group = corpus
    assert suggest_query(None, "zygomatiqes") == []
    assert words_of(autocomplete(None, "zygo")) == []
    citizen = make_user()
    assert suggest_query(citizen, "zygomatiqes") == []
    assert words_of(autocomplete(citizen, "zygo")) == []
    citizen.groups.add(group)
    forget_principals(citizen)
    assert suggest_query(citizen, "zygomatiqes") == ["zygomatiques"]
    assert words_of(autocomplete(citizen, "zygo")) == ["zygomatiques"]


def test_autocomplete_gives_words_and_authorities(corpus, merignac):
    items = autocomplete(None, "conseil méri")
    assert {
        "kind": "authority",
        "label": "Mérignac",
        "value": "Mérignac",
        "url": None,
        "detail": "Commune",
    } in items
    assert "Mérignac" in words_of(items)
    assert words_of(autocomplete(None, "délib")) == ["délibération"]
    assert words_of(autocomplete(None, "TRAM")) == ["tramway"]
    # An authority by the whole text typed, accents and hyphens aside.
    assert [
        i["label"] for i in autocomplete(None, "bordeaux metro") if i["kind"] == "authority"
    ] == ["Bordeaux Métropole"]
    assert autocomplete(None, "") == []


def test_the_api_answers_trimmed_and_refuses_long_texts(client, corpus):
    _public, _restricted, group = corpus
    response = client.get("/api/v1/search/suggest/", {"q": "zygomatiqes"})
    assert response.status_code == 200
    assert response.json() == {"suggestions": [], "autocomplete": []}
    member = make_user()
    member.groups.add(group)
    client.force_login(member)
    body = client.get("/api/v1/search/suggest/", {"q": "zygomatiqes"}).json()
    assert body["suggestions"] == ["zygomatiques"]
    body = client.get("/api/v1/search/suggest/", {"q": "zygo"}).json()
    assert [i["label"] for i in body["autocomplete"]] == ["zygomatiques"]
    client.logout()
    body = client.get("/api/v1/search/suggest/", {"q": "deliberaton"}).json()
    assert body["suggestions"] == ["délibération"]
    response = client.get("/api/v1/search/suggest/", {"q": "a" * 201})
    assert response.status_code == 400
    assert "trop longue" in response.json()["error"]


def test_distance():
    assert distance("deliberaton", "deliberation", 2) == 1
    assert distance("abc", "abcdef", 2) == 3
    assert distance("kitten", "sitting", 3) == 3


# --- property: every word shown occurs in a document the requester may read ---------------
WORDS = ["piscine", "piscines", "voirie", "cantine", "cantines", "budget", "bibliothèque"]
TYPOS = ["piscne", "voiri", "cantinne", "budjet", "bibliotheqe", "pis", "can", "bu", "vo"]


def _readable(user, word: str) -> bool:
    """Some document the user may read holds this word (the search answers it)."""
    return bool(search_documents(user, SearchQuery(text=word, page_size=1)).hits)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    documents=st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
            st.sampled_from(["public", "restricted", "internal"]),
        ),
        min_size=1,
        max_size=5,
    ),
    typed=st.lists(st.sampled_from(TYPOS + WORDS), min_size=1, max_size=2),
    member=st.booleans(),
)
def test_every_word_shown_is_in_a_readable_document(merignac, documents, typed, member):
    group = Group.objects.create(name=f"g{Group.objects.count()}")
    for words, audience in documents:
        document = make_document(merignac, "Note", text=" ".join(words), audience=audience)
        if audience == "restricted":
            assign_perm("documents.view_document", group, document)
            documents_changed([document.pk])
    index_now()
    user = make_user()
    if member:
        user.groups.add(group)
    for requester in (None, user):
        text = " ".join(typed)
        suggestions = suggest_query(requester, text)
        event(f"suggestions: {bool(suggestions)}")
        for suggestion in suggestions:
            assert _readable(requester, suggestion)
            for word in suggestion.split():
                assert _readable(requester, word), (suggestion, word)
        for item in autocomplete(requester, text):
            if item["kind"] == "word":
                event("a word completed")
                assert analyse(item["value"]) and _readable(requester, item["value"]), item
