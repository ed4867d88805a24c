"""The round's downloads: the CSV in the ministry's layout (its column names, ``;``, UTF-8
with a BOM, decimal commas, published bureaux only, sums that add up) and the GeoJSON of the
bureaux' contours with their results."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from elections.exports import csv_header, progress_label, results_csv, results_geojson
from elections.selectors import candidate_totals, round_summary
from tests.elections.test_public_pages import SECRETS, build_night

pytestmark = pytest.mark.django_db

FIXED = (
    "Code département;Libellé département;Code commune;Libellé commune;Code BV;Inscrits;"
    "Votants;Abstentions;Exprimés;Blancs;Nuls"
)


@pytest.fixture
def night():
    return build_night()


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM a spreadsheet needs for UTF-8
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8")), delimiter=";"))


def test_the_csv_has_the_ministry_columns_in_order(night):
    header = rows_of(results_csv(round_summary(night.round)))[0]
    assert ";".join(header[:11]) == FIXED
    assert header[11:17] == [
        "Numéro de panneau 1",
        "Nuance candidat 1",
        "Nom candidat 1",
        "Prénom candidat 1",
        "Voix 1",
        "% Voix/exprimés 1",
    ]
    assert header[-1] == "% Voix/exprimés 3" and len(header) == 11 + 3 * 6
    assert csv_header(round_summary(night.round).candidates) == header


def test_the_csv_lists_published_bureaux_only_and_its_sums_add_up(night):
    rows = rows_of(results_csv(round_summary(night.round)))[1:]
    assert [(r[2], r[4]) for r in rows] == [("33063", "0001"), ("33281", "0001"), ("33281", "0002")]
    assert {r[0] for r in rows} == {"33"}
    assert sum(int(r[5]) for r in rows) == 3100  # inscrits
    for row in rows:
        inscrits, votants, abstentions, exprimes, blancs, nuls = map(int, row[5:11])
        assert abstentions == inscrits - votants and votants == exprimes + blancs + nuls
        votes = [int(row[11 + 6 * i + 4]) for i in range(3)]
        assert sum(votes) == exprimes
    by_panel = {p: sum(int(r[11 + 6 * (p - 1) + 4]) for r in rows) for p in (1, 2, 3)}
    assert by_panel == candidate_totals(night.round)
    merignac_1 = next(r for r in rows if r[2] == "33281" and r[4] == "0001")
    assert merignac_1[11:17] == ["1", "DVG", "Martin", "Anne", "300", "50,00%"]
    assert merignac_1[3] == "Mérignac"


def test_the_csv_endpoint_is_a_download_without_unpublished_figures(client, night):
    response = client.get(
        reverse("api:election_round_csv", kwargs={"slug": "municipales-2026", "number": 1})
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="municipales-2026-tour-1.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    assert body.startswith(FIXED)
    for secret in SECRETS:
        assert secret not in body


def test_the_geojson_has_one_feature_per_bureau_with_its_results(client, night):
    response = client.get(
        reverse("api:election_round_geojson", kwargs={"slug": "municipales-2026", "number": 1})
    )
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 5
    features = {f["id"]: f for f in data["features"]}
    first = features["33281_0001"]
    assert first["geometry"]["type"] == "Polygon"
    assert first["properties"]["inscrits"] == 1000 and first["properties"]["published"]
    assert first["properties"]["leader_name"] == "Anne Martin"
    assert features["33281_0003"]["properties"]["inscrits"] is None
    assert data["metadata"]["progress"] == "3 bureaux sur 5 dépouillés"
    body = response.content.decode("utf-8")
    for secret in SECRETS:
        assert secret not in body


def test_a_bureau_without_contour_is_a_feature_without_geometry(night):
    from elections.models import PollingStation

    PollingStation.objects.filter(code="33281_0004").update(contour=None)
    features = results_geojson(round_summary(night.round))["features"]
    assert next(f for f in features if f["id"] == "33281_0004")["geometry"] is None


@pytest.mark.parametrize(
    "counted, total, label",
    [
        (0, 6, "0 bureau sur 6 dépouillé"),
        (1, 6, "1 bureau sur 6 dépouillé"),
        (87, 104, "87 bureaux sur 104 dépouillés"),
    ],
)
def test_the_progress_reads_as_french(counted, total, label):
    assert progress_label(counted, total) == label
