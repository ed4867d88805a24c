"""Search that is never wrong (issue 17), on whichever database DATABASE_URL names (CI: both):
a query without a searchable word lists nothing and says why; when no document holds every
word the answer is labelled partial with the missing words; in a scope the authority's own
documents come first among equals; a phrase never runs across the title and the metadata;
the French forms the stemmer used to miss."""

from __future__ import annotations

import datetime

import pytest

from identity.models import Authority
from search.french import analyse
from search.query import SearchQuery
from search.selectors import search_documents
from tests.factories import make_authority
from tests.search.factories import index_now, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    region = make_authority(Authority.Kind.REGION, name="Nouvelle-Aquitaine")
    metropole = make_authority(Authority.Kind.EPCI, name="Bordeaux Métropole", parent=region)
    bordeaux = make_authority(name="Bordeaux", parent=metropole)
    merignac = make_authority(name="Mérignac", parent=metropole)
    # Names of as many words: their documents below score the same, all else being equal.
    ouest = make_authority(Authority.Kind.EPCI, name="Communauté Ouest", parent=region)
    ouest_commune = make_authority(name="Commune Ouest", parent=ouest)
    return {
        "metropole": metropole,
        "bordeaux": bordeaux,
        "merignac": merignac,
        "ouest": ouest,
        "ouest_commune": ouest_commune,
    }


@pytest.fixture
def corpus(places):
    docs = {
        "bureaux": make_document(
            places["merignac"],
            "Liste des bureaux de vote",
            text="Les bureaux de vote de la commune et leurs adresses.",
        ),
        "horaires": make_document(
            places["merignac"], "Horaires de la médiathèque", text="Ouverte le samedi."
        ),
        "cr": make_document(
            places["merignac"],
            "Compte rendu du conseil municipal",
            text="Le maire ouvre la séance.",
        ),
        "electeur": make_document(
            places["bordeaux"], "Guide de l'électeur", text="Comment voter par procuration."
        ),
        "travaux": make_document(
            places["bordeaux"], "Travaux de voirie", text="Le chantier dure trois semaines."
        ),
        "plui": make_document(
            places["metropole"], "Révision du PLUi", text="Le plan intercommunal."
        ),
        "numero": make_document(
            places["bordeaux"], "Arrêté n° 12 de circulation", text="Rue barrée."
        ),
        "douze": make_document(places["bordeaux"], "Les 12 travaux du square", text="Douze bancs."),
        "own": make_document(
            places["ouest"],
            "Collecte des déchets verts",
            text="Collecte des déchets verts.",
            published_on=datetime.date(2024, 1, 1),
        ),
        "member": make_document(
            places["ouest_commune"],
            "Collecte des déchets verts",
            text="Collecte des déchets verts.",
            published_on=datetime.date(2025, 1, 1),
        ),
    }
    index_now()
    return docs


def found(text: str, **filters) -> list[int]:
    page = search_documents(None, SearchQuery(text=text, page_size=50, **filters))
    return [hit.document.pk for hit in page.hits]


@pytest.mark.parametrize("text", ["le la les", "de", "été", "Est", "?!;:", "qu'il", "l' d'"])
def test_a_query_without_a_searchable_word_lists_nothing_and_says_why(corpus, client, text):
    page = search_documents(None, SearchQuery(text=text))
    assert (page.total, page.hits, page.reason) == (0, [], "no_searchable_words")
    assert "mots trop courants" in page.notice
    body = client.get("/api/v1/search/", {"q": text}).json()
    assert (body["count"], body["reason"]) == (0, "no_searchable_words")
    html = client.get("/recherche/", {"q": text}).content.decode()
    assert "mots trop courants" in html


def test_without_a_document_holding_every_word_the_answer_is_partial_and_labelled(corpus, client):
    page = search_documents(None, SearchQuery(text="horaires bureaux vote Brest"))
    assert page.partial
    assert page.missing_words == ["Brest"]
    assert set(page.matched_words) == {"horaires", "bureaux", "vote"}
    ids = [hit.document.pk for hit in page.hits]
    # The document holding two of the words comes before the one holding one.
    assert ids.index(corpus["bureaux"].pk) < ids.index(corpus["horaires"].pk)
    missing = {hit.document.pk: hit.missing for hit in page.hits}
    assert missing[corpus["bureaux"].pk] == ["horaires", "Brest"]
    body = client.get("/api/v1/search/", {"q": "horaires bureaux vote Brest"}).json()
    assert body["partial"] is True
    assert body["missing_words"] == ["Brest"]
    html = client.get("/recherche/", {"q": "horaires bureaux vote Brest"}).content.decode()
    assert "Aucun document ne contient tous les mots" in html
    assert "<del>" in html


def test_a_full_match_is_never_mixed_with_partial_ones(corpus):
    page = search_documents(None, SearchQuery(text="bureaux vote"))
    assert not page.partial
    assert [hit.document.pk for hit in page.hits] == [corpus["bureaux"].pk]


def test_in_a_scope_the_authority_s_own_documents_come_first_among_equals(corpus, places):
    ids = found("collecte déchets verts", authority_id=places["ouest"].pk)
    assert ids == [corpus["own"].pk, corpus["member"].pk]
    by_date = found("collecte déchets verts", authority_id=places["ouest"].pk, sort="date")
    assert by_date == [corpus["own"].pk, corpus["member"].pk]


def test_a_phrase_never_runs_from_the_title_into_the_metadata(corpus):
    # The title ends with "conseil municipal", the authority (metadata) is Mérignac.
    assert found('"conseil municipal mérignac"') == []
    assert found('"compte rendu du conseil municipal"') == [corpus["cr"].pk]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("électrices", "electeur"),
        ("électrice", "electeur"),
        ("travail voirie", "travaux"),
        ("PLU", "plui"),
        ("P.L.U.", "plui"),
    ],
)
def test_forms_the_stemmer_used_to_miss(corpus, text, key):
    assert corpus[key].pk in found(text)


def test_n_degree_12_is_one_word(corpus):
    assert found("n° 12") == [corpus["numero"].pk]
    assert corpus["douze"].pk in found("12")


def test_saint_and_st_are_one_word():
    assert analyse("St-Médard-en-Jalles") == analyse("Saint-Médard-en-Jalles")
    assert analyse("Ste-Eulalie") == analyse("Sainte-Eulalie")
