"""The import management commands: a path, a French report, a non-zero exit on a malformed
file (nothing imported)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from elections.models import BureauResult, PollingStation, ResultVersion
from tests.elections.factories import make_election, make_station, square
from tests.elections.test_imports import (
    CONTOURS,
    TOUR1,
    file_2024,
    legislatives,
    row_2024,
    shared_file,
)
from tests.factories import make_authority

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def brest():
    return make_authority(name="Brest", insee_code="29019")


def test_the_stations_command_imports_brest_and_reports_in_french(brest):
    shared_file(CONTOURS)
    out, _err = run("civis_import_polling_stations", str(CONTOURS), "--valid-from", "2024-03-01")
    assert "104 créé(s)" in out
    assert "commune inconnue du portail" in out
    assert PollingStation.objects.filter(commune=brest).count() == 104
    out, _err = run("civis_import_polling_stations", str(CONTOURS), "--valid-from", "2024-03-01")
    assert "0 créé(s), 0 mis à jour, 104 inchangé(s)" in out


def test_the_stations_command_can_keep_to_one_commune(brest, tmp_path: Path):
    make_authority(name="Gouesnou", insee_code="29061")
    path = tmp_path / "bureaux.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"DEPCO": code, "BVOTE": 1},
            "geometry": square(-4.5, 48.4),
        }
        for code in ("29019", "29061")
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    out, _err = run(
        "civis_import_polling_stations",
        str(path),
        "--valid-from",
        "2024-03-01",
        "--commune",
        "29019",
    )
    assert "1 créé(s)" in out and "29061_0001" in out
    assert list(PollingStation.objects.values_list("code", flat=True)) == ["29019_0001"]


@pytest.mark.parametrize(
    "content, args, message",
    [
        ("{}", ["--valid-from", "2024-03-01"], "FeatureCollection"),
        (
            '{"type": "FeatureCollection", "features": []}',
            ["--valid-from", "1er mars"],
            "AAAA-MM-JJ",
        ),
        (
            '{"type": "FeatureCollection", "features": []}',
            ["--valid-from", "2024-03-01", "--commune", "99999"],
            "Commune inconnue",
        ),
    ],
)
def test_the_stations_command_fails_on_bad_input(brest, tmp_path: Path, content, args, message):
    path = tmp_path / "bureaux.geojson"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("civis_import_polling_stations", str(path), *args)
    assert not PollingStation.objects.exists()


def test_the_stations_command_says_when_the_file_is_missing(tmp_path: Path):
    with pytest.raises(CommandError, match="Fichier illisible"):
        run(
            "civis_import_polling_stations",
            str(tmp_path / "absent.geojson"),
            "--valid-from",
            "2024-03-01",
        )


def test_the_results_command_imports_the_2024_file_for_brest(brest):
    shared_file(TOUR1)
    run("civis_import_polling_stations", str(CONTOURS), "--valid-from", "2024-03-01")
    election = legislatives(brest)
    out, _err = run(
        "civis_import_election_results", str(TOUR1), "--election", election.slug, "--round", "1"
    )
    assert "104 bureau(x) enregistré(s)" in out
    assert "97 ligne(s) sans bureau correspondant" in out
    assert "ligne/entité 2 : 29011_0001 (Bohars)" in out
    assert BureauResult.objects.filter(round__number=1, published__isnull=False).count() == 104


def test_the_results_command_fails_on_a_malformed_file_and_imports_nothing(brest, tmp_path: Path):
    for number in range(1, 9):
        make_station(brest, number)
    election = make_election(brest, slug="municipales-brest", candidates=[])
    rows = [row_2024(str(n)) for n in range(1, 6)] + [row_2024("6", votants="x")]
    path = tmp_path / "resultats.csv"
    path.write_bytes(file_2024(*rows))
    with pytest.raises(CommandError) as error:
        run("civis_import_election_results", str(path), "--election", election.slug, "--round", "1")
    assert "rien n'a été importé" in str(error.value)
    assert "Ligne 7, colonne « Votants »" in str(error.value)
    assert not ResultVersion.objects.exists()


def test_the_results_command_reports_rows_that_do_not_add_up(brest, tmp_path: Path):
    make_station(brest, 1)
    make_station(brest, 2)
    election = make_election(brest, slug="municipales-brest", candidates=[])
    path = tmp_path / "resultats.csv"
    path.write_bytes(file_2024(row_2024("1"), row_2024("2", votants=999)))
    out, err = run(
        "civis_import_election_results", str(path), "--election", election.slug, "--round", "1"
    )
    assert "1 bureau(x) enregistré(s)" in out and "1 erreur(s)" in out
    assert "Ligne 3 (29019_0002)" in err


def test_the_results_command_needs_an_existing_round(brest, tmp_path: Path):
    election = make_election(brest, slug="municipales-brest", candidates=[])
    path = tmp_path / "resultats.csv"
    path.write_bytes(file_2024(row_2024("1")))
    with pytest.raises(CommandError, match="Aucun tour n° 2"):
        run("civis_import_election_results", str(path), "--election", election.slug, "--round", "2")
    with pytest.raises(CommandError, match="Aucun tour"):
        run("civis_import_election_results", str(path), "--election", "inconnue", "--round", "1")
