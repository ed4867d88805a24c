"""Search as a visitor, a citizen and an agent see it: the page, the API, trimming, errors."""

from __future__ import annotations

import datetime

import pytest

from identity.models import Authority, Membership
from tests.factories import make_authority, make_user
from tests.search.factories import index_now, make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    region = make_authority(Authority.Kind.REGION, name="Nouvelle-Aquitaine")
    metropole = make_authority(Authority.Kind.EPCI, name="Bordeaux Métropole", parent=region)
    merignac = make_authority(name="Mérignac", parent=metropole)
    pessac = make_authority(name="Pessac", parent=metropole)
    return region, metropole, merignac, pessac


@pytest.fixture
def corpus(territory):
    _region, metropole, merignac, pessac = territory
    docs = {
        "public": make_document(
            merignac,
            "Délibération du conseil municipal sur les écoles",
            text="Le conseil municipal de Mérignac approuve la rénovation des écoles élémentaires.",
            document_type="deliberation",
            published_on=datetime.date(2025, 3, 4),
        ),
        "internal": make_document(
            merignac,
            "Délibération interne du conseil municipal",
            text="Note interne sur la délibération.",
            audience="internal",
            document_type="deliberation",
            published_on=datetime.date(2024, 6, 1),
            kind="odt",
        ),
        "draft": make_document(
            merignac,
            "Brouillon de délibération du conseil municipal",
            status="draft",
            document_type="deliberation",
        ),
        "pessac": make_document(
            pessac,
            "Délibération du conseil municipal de Pessac",
            document_type="deliberation",
            published_on=datetime.date(2025, 5, 5),
        ),
        "metropole": make_document(
            metropole,
            "Plan local d'urbanisme intercommunal",
            text="Le PLU fixe les règles de l'urbanisme.",
            document_type="rapport",
        ),
    }
    index_now()
    return docs


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


def test_anonymous_finds_public_deliberations_only(client, corpus):
    response = client.get("/api/v1/search/", {"q": "deliberation conseil municipal"})
    assert response.status_code == 200
    assert ids(response) == {corpus["public"].pk, corpus["pessac"].pk}
    assert response.json()["count"] == 2


def test_an_agent_also_finds_internal_documents_and_counts_match(client, corpus, territory):
    agent = make_user(kind="agent")
    Membership.objects.create(user=agent, authority=territory[2], role="agent")
    client.force_login(agent)
    body = client.get("/api/v1/search/", {"q": "deliberation conseil municipal"}).json()
    assert {r["id"] for r in body["results"]} == {
        corpus["public"].pk,
        corpus["pessac"].pk,
        corpus["internal"].pk,
    }
    assert body["count"] == 3
    # Each authority counts its subtree, as choosing it filters: the région and the
    # métropole hold all three.
    assert {f["value"]: f["count"] for f in body["facets"]["authority"]} == {
        str(territory[0].pk): 3,
        str(territory[1].pk): 3,
        str(territory[2].pk): 2,
        str(territory[3].pk): 1,
    }
    assert {f["value"]: f["count"] for f in body["facets"]["format"]} == {"pdf": 2, "odt": 1}
    for facet in body["facets"]["authority"]:
        chosen = client.get(
            "/api/v1/search/", {"q": "deliberation conseil municipal", "authority": facet["value"]}
        ).json()
        assert chosen["count"] == facet["count"]


def test_choosing_the_metropole_includes_its_communes(client, corpus, territory):
    body = client.get("/api/v1/search/", {"q": "conseil", "authority": territory[1].pk}).json()
    assert {r["id"] for r in body["results"]} == {corpus["public"].pk, corpus["pessac"].pk}
    body = client.get("/api/v1/search/", {"q": "conseil", "authority": territory[3].pk}).json()
    assert {r["id"] for r in body["results"]} == {corpus["pessac"].pk}


def test_french_folding_elision_and_plural(client, corpus):
    assert ids(client.get("/api/v1/search/", {"q": "l'URBANISME"})) == {corpus["metropole"].pk}
    assert corpus["public"].pk in ids(client.get("/api/v1/search/", {"q": "école"}))


def test_snippet_is_highlighted_and_escaped(client, corpus):
    result = client.get("/api/v1/search/", {"q": "écoles"}).json()["results"][0]
    assert "<mark>écoles</mark>" in result["snippet"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 201}, "q"),
        ({"type": "inconnu"}, "type"),
        ({"format": "exe"}, "format"),
        ({"authority": "999999"}, "authority"),
        ({"page": "0"}, "page"),
        ({"q": "conseil", "page": "50"}, "page"),
        ({"sort": "alpha"}, "sort"),
        ({"year": "deux"}, "year"),
        ({"page_size": "1000"}, "page_size"),
    ],
)
def test_bad_input_is_a_french_400(client, corpus, params, field):
    response = client.get("/api/v1/search/", params)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_search_page_shows_results_facets_and_a_friendly_error(client, corpus, territory):
    html = client.get("/recherche/", {"q": "délibération"}).content.decode()
    assert "Délibération du conseil municipal sur les écoles" in html
    assert "Délibération interne" not in html
    assert 'aria-live="polite"' in html and "Mérignac" in html
    scoped = client.get("/recherche/", {"q": "conseil", "collectivite": territory[3].pk})
    assert "Pessac" in scoped.content.decode() and "sur les écoles" not in scoped.content.decode()
    bad = client.get("/recherche/", {"q": "conseil", "type": "nope"})
    assert bad.status_code == 400 and "Type de document inconnu" in bad.content.decode()
    empty = client.get("/recherche/", {"q": "zzzzqqq"}).content.decode()
    assert "Vérifiez l\u2019orthographe" in empty


@pytest.mark.parametrize(
    "params",
    [
        {"collectivite": "²"},
        {"collectivite": "99999999999999999999999"},
        {"year": "²⁰²⁵"},
        {"page": " 1"},
        {"page_size": "1.0"},
        {"authority": "-1"},
    ],
)
def test_search_page_refuses_malformed_integers_with_a_french_400(client, corpus, params):
    """Issue 18, finding 8: these answered 500 (superscripts pass str.isdigit())."""
    response = client.get("/recherche/", {"q": "conseil", **params})
    assert response.status_code == 400
    assert "doit être un entier" in response.content.decode()
    api = client.get("/api/v1/search/", {"q": "conseil", **params})
    if "collectivite" not in params:  # the API's parameter is "authority"
        assert api.status_code == 400 and api.json()["field"] in params
