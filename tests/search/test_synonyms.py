"""The French synonym list: "cantine" finds a document that only says "restauration scolaire"
(and back), "mairie Mérignac" finds "hôtel de ville", on the database backend in use (SQLite
or PostgreSQL) and in the Elasticsearch body; a publisher extends the list in the admin and
the next search uses it; a citizen or an agent who publishes nothing gets 404 and no menu;
refused input answers 400 in French and stores nothing; every change is audited."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import search.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from audit.models import AuditEvent
from identity.models import Membership, User
from search import synonyms
from search.backends import database_backend, postgres
from search.backends.elastic import FIELDS, compile_body
from search.backends.postgres import tsquery, tsquery_items
from search.backends.sqlite import SqliteBackend
from search.french import SynonymIndex, parse_query
from search.models import SearchSynonym
from search.query import SearchQuery
from search.selectors import search_documents
from search.synonyms import synonym_delete, synonym_save
from tests.factories import make_agent, make_territory, make_user
from tests.search.factories import index_now, make_document

BUILT_IN = SynonymIndex([list(g) for g in synonyms.BUILT_IN])


@pytest.fixture(autouse=True)
def _fresh_synonyms() -> Iterator[None]:
    # The list is cached per process: what a (rolled back) test stored must not outlive it.
    # So are PostgreSQL's document frequencies (IDF weights): this small corpus's counts of
    # "écoles" or "horaires" would skew the ranking of the next test file in this process.
    synonyms.clear_cache()
    postgres._frequencies.clear()
    yield
    synonyms.clear_cache()
    postgres._frequencies.clear()


def found(text: str, user: Any = None) -> set[str]:
    return {hit.document.title for hit in search_documents(user, SearchQuery(text=text)).hits}


# --- the query: pure ------------------------------------------------------------------------


def test_a_typed_word_or_expression_becomes_a_group_of_alternatives() -> None:
    parsed = parse_query("cantine Mérignac", BUILT_IN)
    assert parsed.terms == ("merignac",)
    assert parsed.alternatives == (
        (("cantin",), ("restauration", "scolair"), ("restaurant", "scolair")),
    )
    assert {"cantin", "restauration", "scolair", "merignac"} <= parsed.stems()
    assert not parsed.empty
    # Consecutive words (stop words between them do not count), plural or not.
    parsed = parse_query("Hôtel de Ville", BUILT_IN)
    assert parsed.terms == ()
    assert parsed.alternatives == ((("mairi",), ("hotel", "vill")),)
    assert parse_query("les cantines", BUILT_IN).alternatives[0][0] == ("cantin",)
    # Quoted passages are exact: not expanded.
    parsed = parse_query('"hôtel de ville" budget', BUILT_IN)
    assert parsed.phrases == (("hotel", "vill"),)
    assert parsed.alternatives == ()
    # Without synonyms, nothing changes.
    parsed = parse_query("cantine Mérignac", SynonymIndex([]))
    assert parsed.terms == ("cantin", "merignac")
    assert parsed.alternatives == ()


def test_every_backend_spells_a_group_as_an_or_inside_the_and() -> None:
    parsed = parse_query("cantine Mérignac", BUILT_IN)
    assert tsquery(parsed) == (
        "merignac & (cantin | (restauration <-> scolair) | (restaurant <-> scolair))"
    )
    assert tsquery(parsed, match_any=True).startswith("merignac | (cantin | ")
    assert len(tsquery_items(parsed)) == 2  # one ranking item per group

    class Query(SearchQuery):
        @property
        def parsed(self):  # type: ignore[override]
            return parse_query(self.text, BUILT_IN)

    expression = SqliteBackend.match_expression(Query(text="cantine Mérignac"), None)
    assert expression == (
        '{title meta body} : ("merignac" AND '
        '("cantin" OR "restauration scolair" OR "restaurant scolair"))'
    )
    expression = SqliteBackend.match_expression(
        Query(text="cantine Mérignac", match_any=True), None
    )
    assert ' OR ("cantin" OR ' in expression


def test_the_elasticsearch_body_has_a_should_per_group(monkeypatch: Any) -> None:
    monkeypatch.setattr(synonyms, "synonym_index", lambda: BUILT_IN)
    body = compile_body(SearchQuery(text="mairie de Mérignac"), frozenset({"public"}))
    must = body["query"]["bool"]["must"][0]["bool"]["must"]
    assert must == [
        {
            "multi_match": {
                "query": "merignac",
                "type": "cross_fields",
                "operator": "and",
                "fields": FIELDS,
            }
        },
        {
            "bool": {
                "should": [
                    {
                        "multi_match": {
                            "query": "mairie",
                            "type": "cross_fields",
                            "operator": "and",
                            "fields": FIELDS,
                        }
                    },
                    {
                        "multi_match": {
                            "query": "hôtel de ville",
                            "type": "phrase",
                            "fields": FIELDS,
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        },
    ]


# --- search on the database ---------------------------------------------------------------


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    places = make_territory()
    merignac = places["merignac"]
    make_document(
        merignac,
        "Tarifs de la restauration scolaire",
        text="Les repas servis aux élèves des écoles de Mérignac.",
    )
    make_document(merignac, "Menus de la cantine", text="Les menus du mois à Mérignac.")
    make_document(
        merignac,
        "Horaires d'ouverture de l'hôtel de ville",
        text="L'accueil de Mérignac est ouvert du lundi au vendredi.",
    )
    make_document(places["bordeaux"], "Piscine municipale", text="Bordeaux, horaires d'été.")
    index_now()
    return {
        "places": places,
        "publisher": make_agent("editeur-merignac", roles=[(merignac, Membership.Role.PUBLISHER)]),
        "agent": make_agent("agent-merignac", roles=[(merignac, Membership.Role.AGENT)]),
        "citizen": make_user("citoyen"),
    }


def test_cantine_finds_restauration_scolaire_and_back(world: dict[str, Any]) -> None:
    both = {"Tarifs de la restauration scolaire", "Menus de la cantine"}
    assert found("cantine") == both
    assert found("restauration scolaire") == both
    assert found("cantines Mérignac") == both
    assert found("restaurant scolaire") == both
    # Quoted: exact.
    assert found('"restauration scolaire"') == {"Tarifs de la restauration scolaire"}


def test_mairie_finds_hotel_de_ville(world: dict[str, Any]) -> None:
    assert found("mairie Mérignac") == {"Horaires d'ouverture de l'hôtel de ville"}
    assert found("hôtel de ville horaires") == {"Horaires d'ouverture de l'hôtel de ville"}
    # Every item still required (the page's partial answer aside).
    assert database_backend().search(SearchQuery(text="mairie Bordeaux"), None).total == 0


def test_a_partial_answer_still_works_with_a_group(world: dict[str, Any]) -> None:
    page = search_documents(None, SearchQuery(text="cantine piscine"))
    assert page.total >= 3  # no document has both: the documents with either


def test_highlighting_knows_the_alternatives(world: dict[str, Any]) -> None:
    page = search_documents(None, SearchQuery(text="cantine"))
    assert page.hits
    assert "scolair" in SearchQuery(text="cantine").parsed.stems()


# --- the admin ------------------------------------------------------------------------------


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


LIST = "search_admin_synonyms"


def test_a_publisher_adds_a_synonym_that_works_at_once(world: dict[str, Any]) -> None:
    assert found("repas") == {"Tarifs de la restauration scolaire"}
    publisher = world["publisher"]
    client = client_of(publisher)
    home = text(client.get("/admin/"))
    assert reverse(LIST) in home
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    assert "restauration scolaire" in text(page)  # the built-in list, read only
    response = client.post(
        reverse("search_admin_synonyms_create"), {"terms": " repas ;  menus, déjeuner "}
    )
    assert response.status_code == 302, text(response)
    synonym = SearchSynonym.objects.get()
    assert synonym.terms == "repas, menus, déjeuner"
    assert synonym.created_by == publisher
    assert found("repas") == {"Tarifs de la restauration scolaire", "Menus de la cantine"}
    assert found("déjeuner") == {"Tarifs de la restauration scolaire", "Menus de la cantine"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, detail__what="search_synonym")
    assert event.actor == publisher
    assert event.detail["terms"] == "repas, menus, déjeuner"
    page = text(client.get(reverse(LIST)))
    assert reverse("search_admin_synonyms_edit", args=[synonym.pk]) in page
    assert reverse("search_admin_synonyms_delete", args=[synonym.pk]) in page

    # Edit: the old group is gone at once.
    edit = reverse("search_admin_synonyms_edit", args=[synonym.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"terms": "déjeuner, repas"})
    assert response.status_code == 302, text(response)
    assert found("déjeuner") == {"Tarifs de la restauration scolaire"}
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, detail__what="search_synonym"
    ).exists()

    # Delete: a confirmation, then a POST.
    delete = reverse("search_admin_synonyms_delete", args=[synonym.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete, {}).status_code == 400
    assert SearchSynonym.objects.exists()
    assert client.post(delete, {"confirm": "1"}).status_code == 302
    assert not SearchSynonym.objects.exists()
    assert found("déjeuner") == set()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.WITHDRAW, detail__what="search_synonym"
    ).exists()


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ("cantine", "au moins deux expressions"),
        ("école, écoles", "au moins deux expressions"),  # the same once analysed
        ("", "au moins deux expressions"),
        ("cantine, de la", "aucun mot recherchable"),
        ("cantine, " + "restauration scolaire " * 20, "trop longue"),
    ],
)
def test_invalid_input_answers_400_in_french_and_stores_nothing(
    world: dict[str, Any], terms: str, message: str
) -> None:
    client = client_of(world["publisher"])
    response = client.post(reverse("search_admin_synonyms_create"), {"terms": terms})
    assert response.status_code == 400
    assert message in text(response)
    synonym = synonym_save(actor=world["publisher"], terms="repas, déjeuner")
    response = client.post(
        reverse("search_admin_synonyms_edit", args=[synonym.pk]), {"terms": terms}
    )
    assert response.status_code == 400
    assert message in text(response)
    assert list(SearchSynonym.objects.values_list("terms", flat=True)) == ["repas, déjeuner"]
    assert AuditEvent.objects.filter(detail__what="search_synonym").count() == 1


def test_an_unknown_synonym_is_404(world: dict[str, Any]) -> None:
    client = client_of(world["publisher"])
    assert client.get(reverse("search_admin_synonyms_edit", args=[999999])).status_code == 404
    assert client.post(reverse("search_admin_synonyms_delete", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", ["citizen", "agent"])
def test_who_publishes_nothing_gets_404_and_no_menu(world: dict[str, Any], who: str) -> None:
    user = world[who]
    synonym = synonym_save(actor=world["publisher"], terms="repas, déjeuner")
    client = client_of(user)
    if who == "agent":
        home = client.get("/admin/")
        assert home.status_code == 200
        assert reverse(LIST) not in text(home)
    urls = [
        reverse(LIST),
        reverse("search_admin_synonyms_create"),
        reverse("search_admin_synonyms_edit", args=[synonym.pk]),
        reverse("search_admin_synonyms_delete", args=[synonym.pk]),
    ]
    statuses: list[int] = []
    for url in urls:
        response = client.get(url)
        # The admin itself may turn a citizen away first (to the login page); never 200.
        assert response.status_code in (404, 302), url
        statuses.append(response.status_code)
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"], url
        if url != reverse(LIST):  # the list is GET only (405 to a POST)
            response = client.post(url, {"terms": "piscine, bassin", "confirm": "1"})
            assert response.status_code in (404, 302), url
    if who == "agent":
        assert statuses == [404] * len(urls)
    assert list(SearchSynonym.objects.values_list("terms", flat=True)) == ["repas, déjeuner"]
    with pytest.raises(Exception, match="publient"):
        synonym_delete(actor=user, synonym=synonym)
    assert database_backend().search(SearchQuery(text="piscine bassin"), None).total == 0


def test_anonymous_is_sent_to_the_login_page(world: dict[str, Any]) -> None:
    response = Client().get(reverse(LIST))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_backend_in_use_is_covered(world: dict[str, Any]) -> None:
    # Run once with DATABASE_URL=postgres://… for PostgreSQL; SQLite otherwise.
    assert database_backend().name in ("sqlite", "postgresql")
