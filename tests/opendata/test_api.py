"""The open data API (/api/v1/datasets/): what a reuser's script or a browser application
sees — public datasets only, their resources with absolute URLs, format, size and checksum,
filters and their French 400s, 404s, CORS, conditional GETs and the API-call counts."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from documents.models import Audience, Status
from opendata.models import Dataset, Resource, ResourceDailyStat
from opendata.selectors import datasets_public, resources_public
from tests.factories import (
    make_agent,
    make_authority,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_territory,
)

EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "25"))


@pytest.fixture
def territory(db):
    return make_territory()


def test_the_list_shows_published_datasets_only_with_their_publisher(client, territory):
    merignac = territory["merignac"]
    public = make_dataset(merignac, title="Équipements sportifs")
    make_dataset(merignac, status=Dataset.Status.DRAFT, title="Brouillon")
    make_dataset(merignac, status=Dataset.Status.WITHDRAWN, title="Retiré")
    response = client.get("/api/v1/datasets/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["identifier"] == str(public.identifier)
    assert item["title"] == "Équipements sportifs"
    assert item["publisher"]["name"] == "Mérignac" and item["publisher"]["code"] == "33281"
    assert item["publisher"]["certified"] is False
    assert item["licence"] == "lov2" and item["licence_url"].startswith("https://")
    assert item["url"] == f"http://testserver/donnees/{public.identifier}/"
    assert item["api_url"] == f"http://testserver/api/v1/datasets/{public.identifier}/"


def test_an_editor_signed_in_still_sees_only_the_public_datasets(client, territory):
    merignac = territory["merignac"]
    make_dataset(merignac, status=Dataset.Status.DRAFT)
    editor = make_agent(roles=[(merignac, "publisher")])
    client.force_login(editor)
    assert client.get("/api/v1/datasets/").json()["count"] == 0


def test_filters_authority_theme_and_modified_since(client, territory):
    merignac, bordeaux = territory["merignac"], territory["bordeaux"]
    old = make_dataset(merignac, themes=["ECON"])
    Dataset.objects.filter(pk=old.pk).update(
        modified_at=timezone.now() - datetime.timedelta(days=40),
        published_at=timezone.now() - datetime.timedelta(days=40),
    )
    recent = make_dataset(merignac, themes=["TRAN", "ENVI"])
    other = make_dataset(bordeaux, themes=["TRAN"])

    def ids(query: str) -> set[str]:
        response = client.get("/api/v1/datasets/" + query)
        assert response.status_code == 200, response.json()
        return {item["identifier"] for item in response.json()["results"]}

    assert ids("?authority_code=33281") == {str(old.identifier), str(recent.identifier)}
    assert ids("?authority_code=213300635") == {str(other.identifier)}  # Bordeaux's SIREN
    assert ids("?theme=TRAN") == {str(recent.identifier), str(other.identifier)}
    since = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    assert ids(f"?modified_since={since}&authority_code=33281") == {str(recent.identifier)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?authority_code=99999", "authority_code"),
        ("?theme=SPORT", "theme"),
        ("?modified_since=02/12/2026", "modified_since"),
        ("?page=0", "page"),
        ("?page_size=1000", "page_size"),
        ("?page=7", "page"),
    ],
)
def test_a_bad_filter_is_a_french_400(client, territory, query, field):
    make_dataset(territory["merignac"])
    response = client.get("/api/v1/datasets/" + query)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_the_list_pages_with_absolute_links(client, territory):
    for _n in range(3):
        make_dataset(territory["merignac"])
    body = client.get("/api/v1/datasets/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["next"] == "http://testserver/api/v1/datasets/?page_size=2&page=2"
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 1 and second["previous"].startswith("http://testserver/")


def test_a_dataset_shows_its_public_resources_with_what_a_reuser_needs(client, territory):
    merignac = territory["merignac"]
    dataset = make_dataset(merignac)
    content = b"nom,ville\nEcole Jean Jaures,Merignac\n"
    csv = make_dataset_resource(
        dataset,
        document=make_open_document(merignac, content=content),
        title="Les écoles",
        schema_url="https://schema.data.gouv.fr/schemas/etalab/schema-lieux/1.0/schema.json",
        schema_valid=True,
    )
    hidden = make_dataset_resource(
        dataset, document=make_open_document(merignac, audience=Audience.INTERNAL)
    )
    api = make_dataset_resource(dataset, "api", title="Les documents de Mérignac")
    export = make_dataset_resource(dataset, "export", title="Délibérations")
    response = client.get(f"/api/v1/datasets/{dataset.identifier}/")
    assert response.status_code == 200
    resources = {r["id"]: r for r in response.json()["resources"]}
    assert set(resources) == {csv.pk, api.pk, export.pk}
    assert hidden.pk not in resources
    file = resources[csv.pk]
    assert file["url"] == (
        f"http://testserver/donnees/{dataset.identifier}/ressources/{csv.pk}/telecharger"
    )
    assert file["format"] == "csv" and file["media_type"] == "text/csv"
    assert file["size"] == len(content)
    assert file["checksum"]["algorithm"] == "sha256" and len(file["checksum"]["value"]) == 64
    assert file["schema_url"].endswith("schema.json") and file["schema_valid"] is True
    assert resources[api.pk]["url"] == "http://testserver/api/v1/documents/?authority_code=33281"
    assert resources[api.pk]["format"] == "json" and resources[api.pk]["size"] is None
    assert resources[export.pk]["url"] == "http://testserver/donnees/scdl/33281/deliberations.csv"
    assert resources[export.pk]["media_type"] == "text/csv"
    listed = client.get(f"/api/v1/datasets/{dataset.identifier}/resources/").json()
    assert [r["id"] for r in listed["results"]] == [csv.pk, api.pk, export.pk]
    assert listed["dataset"] == str(dataset.identifier)


@pytest.mark.parametrize("suffix", ["", "resources/"])
def test_unknown_draft_and_withdrawn_datasets_answer_404_in_json(client, territory, suffix):
    merignac = territory["merignac"]
    draft = make_dataset(merignac, status=Dataset.Status.DRAFT)
    withdrawn = make_dataset(merignac, status=Dataset.Status.WITHDRAWN)
    for identifier in (uuid.uuid4(), draft.identifier, withdrawn.identifier):
        response = client.get(f"/api/v1/datasets/{identifier}/{suffix}")
        assert response.status_code == 404
        assert response.json() == {"error": "Jeu de données introuvable."}
    malformed = client.get(f"/api/v1/datasets/pas-un-uuid/{suffix}")
    assert malformed.status_code == 400 and malformed.json()["field"] == "identifier"


def test_every_read_is_open_to_every_origin_and_answers_the_preflight(client, territory):
    dataset = make_dataset(territory["merignac"])
    for path in (
        "/api/v1/datasets/",
        f"/api/v1/datasets/{dataset.identifier}/",
        f"/api/v1/datasets/{dataset.identifier}/resources/",
    ):
        response = client.get(path, HTTP_ORIGIN="https://reutilisateur.example")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response
        assert "ETag" in response["Access-Control-Expose-Headers"]
        preflight = client.options(
            path,
            HTTP_ORIGIN="https://reutilisateur.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
        )
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == "*"
        assert "GET" in preflight["Access-Control-Allow-Methods"]
        assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]


def test_the_list_answers_304_until_something_changes(client, territory):
    dataset = make_dataset(territory["merignac"])
    first = client.get("/api/v1/datasets/")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    again = client.get("/api/v1/datasets/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/datasets/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    Dataset.objects.filter(pk=dataset.pk).update(
        title="Nouveau titre", modified_at=timezone.now() + datetime.timedelta(seconds=2)
    )
    changed = client.get("/api/v1/datasets/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_withdrawal_is_never_hidden_by_a_304(client, territory):
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    dataset = make_dataset(
        territory["merignac"],
        created_at=an_hour_ago,
        modified_at=an_hour_ago,
        published_at=an_hour_ago,
    )
    first = client.get("/api/v1/datasets/")
    Dataset.objects.filter(pk=dataset.pk).update(
        status=Dataset.Status.WITHDRAWN, modified_at=timezone.now()
    )
    for headers in (
        {"HTTP_IF_NONE_MATCH": first["ETag"]},
        {"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]},
    ):
        response = client.get("/api/v1/datasets/", **headers)
        assert response.status_code == 200 and response.json()["count"] == 0


def test_a_dataset_answers_304_though_its_counts_move(client, territory):
    dataset = make_dataset(territory["merignac"])
    make_dataset_resource(dataset)
    path = f"/api/v1/datasets/{dataset.identifier}/"
    first = client.get(path)
    second = client.get(path)
    assert second.json()["resources"][0]["reuse"]["api_calls"] == 1  # the first call
    assert second["ETag"] == first["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    make_dataset_resource(dataset, "api")
    assert client.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_each_call_of_a_dataset_counts_an_api_call_per_public_resource(client, territory):
    merignac = territory["merignac"]
    dataset = make_dataset(merignac)
    shown = make_dataset_resource(dataset)
    hidden = make_dataset_resource(
        dataset, document=make_open_document(merignac, status=Status.WITHDRAWN)
    )
    client.get(f"/api/v1/datasets/{dataset.identifier}/")
    client.get(f"/api/v1/datasets/{dataset.identifier}/resources/")
    etag = client.get(f"/api/v1/datasets/{dataset.identifier}/")["ETag"]
    client.get(f"/api/v1/datasets/{dataset.identifier}/", HTTP_IF_NONE_MATCH=etag)  # 304
    client.get("/api/v1/datasets/")  # the list counts nothing
    stat = ResourceDailyStat.objects.get(resource=shown)
    assert (stat.api_calls, stat.downloads, stat.day) == (4, 0, timezone.localdate())
    assert not ResourceDailyStat.objects.filter(resource=hidden).exists()
    body = client.get(f"/api/v1/datasets/{dataset.identifier}/resources/").json()
    assert body["results"][0]["reuse"] == {"days": 30, "downloads": 0, "api_calls": 4}


def test_certified_publishers_say_so(client, territory):
    merignac = territory["merignac"]
    merignac.certified_at = timezone.now()
    merignac.save()
    dataset = make_dataset(merignac)
    assert client.get(f"/api/v1/datasets/{dataset.identifier}/").json()["publisher"]["certified"]


def test_the_openapi_document_describes_the_router_in_french(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/datasets/",
        "/api/v1/datasets/{identifier}/",
        "/api/v1/datasets/{identifier}/resources/",
    ):
        assert set(paths[path]) == {"get"}, path  # OPTIONS stays out of the description
        operation = paths[path]["get"]
        assert operation["tags"] == ["Données ouvertes"]
        assert {"200", "400", "429"} <= set(operation["responses"])
        assert operation["summary"] and operation["description"]
    params = {p["name"]: p for p in paths["/api/v1/datasets/"]["get"]["parameters"]}
    assert set(params) == {"authority_code", "theme", "modified_since", "page", "page_size"}
    assert "AAAA-MM-JJ" in params["modified_since"]["description"]
    assert "jeux de données" in spec["info"]["description"]


def test_the_list_costs_the_same_queries_for_2_and_for_12_datasets(client, territory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/datasets/").status_code == 200
        return len(captured)

    for _n in range(2):
        make_dataset(territory["merignac"])
    few = queries()
    for _n in range(10):
        make_dataset(territory["bordeaux"])
    assert queries() == few


# --- Property: the API lists exactly what opendata.selectors calls public -----------------


@st.composite
def _resource_specs(draw):
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["document", "api", "export"]),
                st.sampled_from(Status.values),
                st.sampled_from([Audience.PUBLIC, Audience.SIGNED_IN, Audience.INTERNAL]),
            ),
            max_size=3,
        )
    )


class ApiVisibilityPropertyTest(TestCase):
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(
            st.tuples(st.sampled_from(Dataset.Status.values), _resource_specs()),
            min_size=1,
            max_size=3,
        ),
        st.booleans(),
    )
    def test_the_api_never_lists_what_the_selectors_would_not(self, specs, signed_in) -> None:
        owner = make_authority()
        datasets: list[Dataset] = []
        for status, resources in specs:
            dataset = make_dataset(owner, status=status)
            datasets.append(dataset)
            for kind, doc_status, audience in resources:
                fields = {}
                if kind == "document":
                    fields["document"] = make_open_document(
                        owner, status=doc_status, audience=audience
                    )
                make_dataset_resource(dataset, kind, **fields)
        client = Client()
        if signed_in:  # an editor of the owner sees no more through the API
            client.force_login(make_agent(roles=[(owner, "publisher")]))
        listed = client.get("/api/v1/datasets/?page_size=100").json()["results"]
        expected = {str(d.identifier) for d in datasets_public().filter(owner=owner)}
        assert {item["identifier"] for item in listed} == expected
        for dataset in datasets:
            response = client.get(f"/api/v1/datasets/{dataset.identifier}/")
            if str(dataset.identifier) not in expected:
                assert response.status_code == 404
                continue
            public = set(resources_public(dataset).values_list("pk", flat=True))
            assert {r["id"] for r in response.json()["resources"]} == public
            assert public <= set(
                Resource.objects.filter(dataset=dataset).values_list("pk", flat=True)
            )


def test_head_answers_like_get(client, territory):
    dataset = make_dataset(territory["merignac"])
    for path in ("/api/v1/datasets/", f"/api/v1/datasets/{dataset.identifier}/"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == 200
        assert head["ETag"] == get["ETag"] and head["Access-Control-Allow-Origin"] == "*"
