"""« Où voter ? » as a voter tries it on the demo, through the page and the API: the commune
is required and a homonymous street of another commune is never an answer; certain, certain
from the arrêté, probable with its reason, and an honest no-answer; the commune's data
downloads as CSV and GeoJSON and is a dataset of the catalog."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from opendata.models import Dataset
from polling.models import CommuneReference


@pytest.fixture
def demo(demo_in_module, db):
    return None


def page(client, commune: str, address: str):
    return client.get(reverse("polling:where_to_vote"), {"commune": commune, "adresse": address})


def api(client, commune: str, address: str):
    return client.get(reverse("api:polling_lookup"), {"commune": commune, "address": address})


def test_15_rue_jean_jaures_in_merignac_is_merignac_s_bureau_never_pessac_s(demo, client):
    response = page(client, "Mérignac", "15 rue Jean Jaurès")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Votre bureau de vote : n° 2" in text
    assert "École Jean-Jaurès" in text
    assert "Fiabilité : Certain." in text
    assert "15 Rue Jean Jaurès" in text
    data = api(client, "33281", "15 rue Jean Jaurès").json()
    assert (data["confidence"], data["bureau"]["number"]) == ("certain", 2)
    assert data["commune"] == {"insee": "33281", "name": "Mérignac"}
    # The same address in Pessac (33318) is Pessac's bureau 7.
    pessac = api(client, "33318", "15 rue Jean Jaurès").json()
    assert pessac["bureau"]["number"] == 7


def test_the_commune_is_required_and_never_guessed(demo, client):
    response = page(client, "", "15 rue Jean Jaurès")
    assert response.status_code == 400
    assert "Indiquez votre commune" in response.content.decode()
    assert api(client, "", "15 rue Jean Jaurès").status_code == 400
    assert api(client, "99999", "15 rue Jean Jaurès").status_code == 404
    unknown = page(client, "Mérignacville", "15 rue Jean Jaurès")
    assert unknown.status_code == 400
    assert "Aucune commune ne porte ce nom" in unknown.content.decode()


def test_a_postcode_or_name_with_postcode_finds_the_commune(demo, client):
    for text in ("33700", "Mérignac (33700)", "merignac", "33281"):
        assert (
            "Votre bureau de vote : n° 2"
            in page(client, text, "15 rue Jean Jaures").content.decode()
        )


def test_the_arrete_s_rule_answers_certain_from_the_arrete(demo, client):
    data = api(client, "33281", "24 avenue de l'Yser").json()
    assert (data["confidence"], data["bureau"]["number"]) == ("certain_arrete", 6)
    assert "Arrêté n° 2026-014" in data["rule"]
    assert "Certain (arrêté)" in page(client, "33281", "24 avenue de l'Yser").content.decode()


def test_a_number_not_on_the_list_is_probable_with_the_numbers_it_relied_on(demo, client):
    data = api(client, "33281", "16 rue de Capeyron").json()
    assert (data["confidence"], data["bureau"]["number"]) == ("probable", 4)
    assert [r["number"] for r in data["relied_on"]] == [14, 18]
    text = page(client, "Mérignac", "16 rue de Capeyron").content.decode()
    assert "Fiabilité : Probable." in text
    assert "(14 et 18)" in text
    assert "La mairie de Mérignac" in text


def test_where_the_street_splits_the_answer_is_no_answer_with_the_candidates(demo, client):
    data = api(client, "33281", "45 avenue de la Marne").json()
    assert data["answered"] is False
    assert data["bureau"] is None
    assert [c["number"] for c in data["candidates"]] == [1, 4]
    assert data["official_service"].startswith("https://www.service-public.fr/")
    text = page(client, "Mérignac", "45 avenue de la Marne").content.decode()
    assert "Nous ne pouvons pas vous répondre avec certitude" in text
    assert "Bureau n° 1" in text and "Bureau n° 4" in text


def test_an_unknown_street_suggests_the_commune_s_streets_only(demo, client):
    data = api(client, "33281", "12 rue Jean Jaure").json()
    assert data["answered"] is False
    assert data["suggestions"] == ["Rue Jean Jaurès"]
    # Pessac's avenue Pasteur is not a street of Mérignac.
    assert "Avenue Pasteur" not in api(client, "33281", "3 avenue Pasteur").json()["suggestions"]


def test_the_commune_s_data_downloads_and_is_a_dataset_of_the_catalog(demo, client):
    data = api(client, "33281", "15 rue Jean Jaurès").json()
    downloads = data["downloads"]
    addresses = client.get(downloads["addresses_csv"])
    assert addresses.status_code == 200
    rows = list(csv.DictReader(io.StringIO(addresses.content.decode())))
    row = next(r for r in rows if (r["voie"], r["numero"]) == ("Rue Jean Jaurès", "15"))
    assert (row["code_commune"], row["numero_bureau"]) == ("33281", "2")
    bureaux = list(
        csv.DictReader(io.StringIO(client.get(downloads["bureaux_csv"]).content.decode()))
    )
    assert [b["numero_bureau"] for b in bureaux] == ["1", "2", "3", "4", "5", "6"]
    rules = client.get(downloads["rules_csv"]).content.decode()
    assert "Avenue de l'Yser,2,98,pairs,6" in rules
    contours = json.loads(client.get(downloads["contours_geojson"]).content)
    assert len(contours["features"]) == 6
    reference = CommuneReference.objects.get(commune__insee_code="33281")
    dataset = Dataset.objects.get(pk=reference.dataset_id)
    assert dataset.status == Dataset.Status.PUBLISHED
    assert dataset.resources.count() == 4
    assert client.get(downloads["dataset"]).status_code == 200
    assert client.get(downloads["report"]).status_code == 200


def test_downloads_answer_304_to_a_conditional_request(demo, client):
    url = reverse("api:polling_addresses_csv", kwargs={"insee": "33281"})
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert (
        client.get(reverse("api:polling_addresses_csv", kwargs={"insee": "33063"})).status_code
        == 404
    )


def test_an_answer_is_kept_by_no_shared_cache(demo, client):
    assert "no-store" in page(client, "Mérignac", "15 rue Jean Jaurès")["Cache-Control"]
    assert "no-store" in api(client, "33281", "15 rue Jean Jaurès")["Cache-Control"]


def test_autocomplete_lists_communes_with_data_and_their_streets(demo, client):
    communes = client.get(reverse("api:polling_communes"), {"q": "mér"}).json()
    assert communes == [
        {
            "name": "Mérignac",
            "insee_code": "33281",
            "postal_code": "33700",
            "url": "/ou-voter/?commune=33281",
        }
    ]
    streets = client.get(reverse("api:polling_streets"), {"commune": "33281", "q": "15 jean"})
    assert streets.json()["results"] == ["Rue Jean Jaurès"]


def test_the_page_has_labelled_fields_and_the_bureau_s_map(demo, client):
    text = page(client, "Mérignac", "15 rue Jean Jaurès").content.decode()
    assert '<label for="id_commune">' in text and '<label for="id_adresse">' in text
    assert 'class="bureau-chosen"' in text
    assert client.get(reverse("polling:where_to_vote")).status_code == 200
