"""The elections JSON API (/api/v1/elections/): the results of a round from published versions
only, the conditional answers that make election night cheap (ETag, Last-Modified, 304,
a few seconds of Cache-Control, longer once final), CORS for other sites, and a French 404 JSON
for an unknown election, round or bureau on every route."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils.http import http_date

from elections.api import router
from elections.models import Round, RoundStatus
from elections.services.elections import station_save_step
from tests.elections.factories import count
from tests.elections.test_public_pages import SECRETS, build_night, publish

pytestmark = pytest.mark.django_db

ROUND_ROUTES = ["election_round_results", "election_round_csv", "election_round_geojson"]


@pytest.fixture
def night():
    return build_night()


def url(name: str, slug: str = "municipales-2026", number: int | str = 1, **extra) -> str:
    return reverse(f"api:{name}", kwargs={"slug": slug, "number": number, **extra})


def test_the_results_json_has_the_round_progress_total_and_bureaux(client, night):
    response = client.get(url("election_round_results"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["election"]["slug"] == "municipales-2026"
    assert data["round"]["number"] == 1 and data["status"] == "counting"
    assert data["provisional"] is True
    assert data["progress"] == {
        "counted": 3,
        "total": 5,
        "complete": False,
        "label": "3 bureaux sur 5 dépouillés",
    }
    assert data["updated_at"] == night.round.published_at.isoformat()
    total = data["total"]
    assert (total["inscrits"], total["votants"], total["exprimes"]) == (3100, 2095, 2050)
    assert [r["votes"] for r in total["results"]] == [660, 940, 450]
    assert total["leader"] == 2
    bureaux = {b["code"]: b for b in data["bureaux"]}
    assert set(bureaux) == {"33281_0001", "33281_0002", "33281_0003", "33281_0004", "33063_0001"}
    assert bureaux["33281_0001"]["published"] is True and bureaux["33281_0001"]["inscrits"] == 1000
    assert bureaux["33281_0002"]["corrected"] is True and bureaux["33281_0002"]["version"] == 2
    pending = bureaux["33281_0003"]
    assert pending["published"] is False and pending["state"] == "not_published"
    assert pending["inscrits"] is None and pending["results"] == []
    assert {t["label"] for t in data["by_commune"]} == {"Bordeaux", "Mérignac"}


def test_no_answer_of_the_api_carries_an_unpublished_figure(client, night):
    urls = [url(name) for name in ROUND_ROUTES] + [url(name, number=2) for name in ROUND_ROUTES]
    for code in ("33281_0001", "33281_0003"):
        for number in (1, 2):
            urls.append(url("election_bureau_results", number=number, code=code))
    urls += [
        reverse("api:election_list"),
        reverse("api:election_detail", args=["municipales-2026"]),
    ]
    for address in urls:
        body = client.get(address).content.decode("utf-8")
        for secret in SECRETS:
            assert secret not in body, (address, secret)


def test_a_bureau_answers_its_published_figures(client, night):
    data = client.get(url("election_bureau_results", code="33281_0002")).json()
    assert data["code"] == "33281_0002" and data["version"] == 2 and data["corrected"]
    assert [r["votes"] for r in data["results"]] == [260, 240, 50]
    pending = client.get(url("election_bureau_results", code="33281_0004")).json()
    assert pending["published"] is False and pending["exprimes"] is None


def test_the_list_and_an_election_give_the_rounds_and_their_addresses(client, night):
    data = client.get(reverse("api:election_list")).json()
    assert data["count"] == 1
    election = data["results"][0]
    assert [r["number"] for r in election["rounds"]] == [1, 2]
    assert election["rounds"][0]["csv"].endswith(url("election_round_csv"))
    detail = client.get(reverse("api:election_detail", args=["municipales-2026"])).json()
    assert detail["title"] == "Municipales 2026"


@pytest.mark.parametrize("name", [*ROUND_ROUTES, "election_bureau_results"])
def test_results_answers_are_conditional_and_readable_from_other_sites(client, night, name):
    extra = {"code": "33281_0001"} if name == "election_bureau_results" else {}
    address = url(name, **extra)
    first = client.get(address)
    assert first.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"])
    assert first["Last-Modified"] == http_date(night.round.published_at.timestamp())
    assert sorted(first["Cache-Control"].split(", ")) == ["max-age=5", "public"]
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in first["Access-Control-Expose-Headers"]
    by_tag = client.get(address, headers={"if-none-match": first["ETag"]})
    assert by_tag.status_code == 304 and by_tag.content == b""
    assert by_tag["ETag"] == first["ETag"] and by_tag["Access-Control-Allow-Origin"] == "*"
    by_date = client.get(address, headers={"if-modified-since": first["Last-Modified"]})
    assert by_date.status_code == 304
    # A new bureau published: the same validators now get the new answer.
    publish(night, night.result("33281_0004"), *count(inscrits=800, votes=(10, 20, 30)))
    after = client.get(address, headers={"if-none-match": first["ETag"]})
    assert after.status_code == 200 and after["ETag"] != first["ETag"]


def test_a_304_costs_no_results_query(client, night, django_assert_max_num_queries):
    address = url("election_round_results")
    tag = client.get(address)["ETag"]
    with django_assert_max_num_queries(4):
        assert client.get(address, headers={"if-none-match": tag}).status_code == 304


def test_a_repeated_answer_is_built_once_per_publication(
    client, night, django_assert_max_num_queries
):
    address = url("election_round_results")
    first = client.get(address)
    with django_assert_max_num_queries(4):
        again = client.get(address)
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    publish(night, night.result("33281_0004"), *count(inscrits=800, votes=(10, 20, 30)))
    after = client.get(address).json()
    assert {b["code"]: b["published"] for b in after["bureaux"]}["33281_0004"] is True


def test_a_renamed_bureau_moves_the_etag_and_every_answer_shows_the_new_name(client, night):
    address = url("election_round_results")
    geojson_address = url("election_round_geojson")
    first = client.get(address)
    client.get(geojson_address)
    station = night.result("33281_0001").station
    station_save_step(
        commune=station.commune,
        number=station.number,
        valid_from=station.valid_from,
        name="École Jean-Jaurès",
        place_name=station.place_name,
        address=station.address,
        canton=station.canton,
        circonscription=station.circonscription,
        contour=station.contour,
    )
    again = client.get(address, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    names = {b["code"]: b["name"] for b in again.json()["bureaux"]}
    assert names["33281_0001"] == "École Jean-Jaurès"
    assert "École Jean-Jaurès" in client.get(geojson_address).content.decode()


def test_final_results_are_cached_longer(client, night):
    Round.objects.filter(pk=night.round.pk).update(status=RoundStatus.FINAL)
    response = client.get(url("election_round_results"))
    assert response.json()["provisional"] is False
    assert "max-age=3600" in response["Cache-Control"]


def test_before_any_publication_last_modified_is_the_election_creation(client, night):
    response = client.get(url("election_round_results", number=2))
    created = night.round.election.created_at
    assert response["Last-Modified"] == http_date(created.timestamp())
    assert response.json()["updated_at"] is None


def test_the_status_moves_the_etag(client, night):
    first = client.get(url("election_round_results"))["ETag"]
    Round.objects.filter(pk=night.round.pk).update(status=RoundStatus.FINAL)
    assert client.get(url("election_round_results"))["ETag"] != first


@pytest.mark.parametrize("name", [*ROUND_ROUTES, "election_bureau_results"])
def test_the_preflight_of_a_conditional_request_is_allowed(client, night, name):
    extra = {"code": "33281_0001"} if name == "election_bureau_results" else {}
    response = client.options(url(name, **extra))
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]


def _get_routes() -> list[str]:
    paths = []
    for path, view in router.path_operations.items():
        if any("GET" in op.methods for op in view.operations):
            paths.append(path)
    return paths


def _fill(path: str, **values: str) -> str:
    base = {"slug": "municipales-2026", "number": "1", "code": "33281_0001", **values}
    return "/api/v1/elections" + re.sub(r"{(\w+)}", lambda m: base[m.group(1)], path)


def test_every_route_answers_for_a_known_election(client, night):
    routes = _get_routes()
    assert len(routes) == 6
    for path in routes:
        assert client.get(_fill(path)).status_code == 200, path


@pytest.mark.parametrize(
    "wrong, message",
    [
        ({"slug": "inconnue"}, "Élection introuvable."),
        ({"number": "7"}, "Ce tour n'existe pas pour cette élection."),
        ({"number": "un"}, "Ce tour n'existe pas pour cette élection."),
        ({"code": "33281_0099"}, "Ce bureau de vote ne fait pas partie de ce tour."),
    ],
)
def test_every_route_answers_a_french_404_for_what_does_not_exist(client, night, wrong, message):
    tried = 0
    for path in _get_routes():
        if not any("{" + key + "}" in path for key in wrong):
            continue
        response = client.get(_fill(path, **wrong))
        assert response.status_code == 404, path
        assert json.loads(response.content) == {"error": message}, path
        tried += 1
    assert tried >= 1


def test_a_bureau_of_another_commune_not_in_the_round_is_404(client, night):
    from tests.elections.factories import make_station

    station = make_station(night.territory["arcachon"], 1, valid_from=datetime.date(2024, 3, 1))
    response = client.get(url("election_bureau_results", code=station.code))
    assert response.status_code == 404
