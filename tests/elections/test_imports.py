"""Imports of the elections app: Brest's polling-station contours and the Ministry of the
Interior's results by bureau (2024 wide layout, 2022 latin-1 layout, European list groups),
with the real shared files where they matter and small files of our own for the error cases."""

from __future__ import annotations

import csv
import datetime
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from elections.map import render_map
from elections.models import (
    BureauResult,
    ElectionKind,
    PollingStation,
    ResultState,
    ResultVersion,
    station_code,
)
from elections.selectors import candidate_totals, elections_managed_by, round_summary
from elections.services.imports import results_import, stations_import
from identity.models import Authority, Membership
from tests.elections.factories import make_election, make_station, square
from tests.factories import make_agent, make_authority

pytestmark = pytest.mark.django_db

SHARED = Path(django_settings.BASE_DIR).parent / "shared" / "data" / "elections"
FINISTERE = SHARED / "finistere"
CONTOURS = FINISTERE / "brest-bureaux-de-vote-2024.geojson"
TOUR1 = FINISTERE / "legislatives-2024-circos-2-3-tour1.csv"
TOUR2 = FINISTERE / "legislatives-2024-circos-2-3-tour2.csv"
VALID_FROM = datetime.date(2024, 3, 1)
TOUR1_DATE = datetime.date(2024, 6, 30)


def shared_file(path: Path) -> bytes:
    if not path.is_file():
        pytest.skip(f"{path} is absent on this machine (the shared election data, ../shared)")
    return path.read_bytes()


# --- small files of our own --------------------------------------------------------------

FIXED_2024 = (
    "Code département;Libellé département;Code commune;Libellé commune;Code BV;Inscrits;"
    "Votants;% Votants;Abstentions;% Abstentions;Exprimés;% Exprimés/inscrits;"
    "% Exprimés/votants;Blancs;% Blancs/inscrits;% Blancs/votants;Nuls;% Nuls/inscrits;"
    "% Nuls/votants"
)
GROUP_2024 = (
    "Numéro de panneau {i};Nuance candidat {i};Nom candidat {i};Prénom candidat {i};"
    "Sexe candidat {i};Voix {i};% Voix/inscrits {i};% Voix/exprimés {i};Elu {i}"
)
PEOPLE = [(1, "UG", "LE BRIS", "Anaïs"), (2, "ENS", "KERMARREC", "Yann")]


def header_2024(groups: int = 2) -> str:
    return ";".join([FIXED_2024] + [GROUP_2024.format(i=i) for i in range(1, groups + 1)])


def row_2024(
    bureau: str,
    votes: tuple[int, ...] = (300, 200),
    *,
    commune: str = "29019",
    name: str = "Brest",
    inscrits: int = 1000,
    blancs: int = 10,
    nuls: int = 5,
    votants: int | str | None = None,
) -> str:
    exprimes = sum(votes)
    votants = exprimes + blancs + nuls if votants is None else votants
    cells = [
        "29",
        "Finistère",
        commune,
        name,
        bureau,
        str(inscrits),
        str(votants),
        "61,50%",
        str(inscrits - exprimes - blancs - nuls),
        "38,50%",
        str(exprimes),
        "50,00%",
        "97,56%",
        str(blancs),
        "1,00%",
        "1,63%",
        str(nuls),
        "0,50%",
        "0,81%",
    ]
    for (panel, nuance, last, first), count in zip(PEOPLE, votes, strict=True):
        cells += [str(panel), nuance, last, first, "FEMININ", str(count), "30,00%", "50,00%", ""]
    return ";".join(cells)


def file_2024(*rows: str, groups: int = 2) -> bytes:
    return ("\n".join([header_2024(groups), *rows]) + "\n").encode("utf-8")


HEADER_2022 = (
    "Code du département;Libellé du département;Code de la circonscription;"
    "Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;"
    "Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;"
    "% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Nuance;"
    "Voix;% Voix/Ins;% Voix/Exp"
)


def row_2022(bureau: str, votes: tuple[int, ...], *, inscrits: int = 900) -> str:
    blancs, nuls = 12, 3
    exprimes = sum(votes)
    votants = exprimes + blancs + nuls
    cells = ["29", "Finistère", "02", "2ème circonscription", "019", "Brest", bureau]
    cells += [str(inscrits), str(inscrits - votants), "33,33", str(votants), "66,67"]
    cells += [str(blancs), "1,33", "2,00", str(nuls), "0,33", "0,50", str(exprimes), "65", "97"]
    people = [(3, "M", "CADALEN", "Pierre-Yves", "UG"), (7, "M", "LARSONNEUR", "Jean", "ENS")]
    for (panel, sex, last, first, nuance), count in zip(people, votes, strict=True):
        cells += [str(panel), sex, last, first, nuance, str(count), "30,00", "50,00"]
    return ";".join(cells)


def feature(number: int, geometry: dict[str, Any] | None, insee: str = "29019", **extra: Any):
    properties = {
        "DEPCO": insee,
        "BVOTE": number,
        "TITRE": f"Bureau n° {number} - ÉCOLE {number}",
        "LIEUV": f"ECOLE {number}",
        "LLIEU": f"ÉCOLE NUMÉRO {number}",
        "CANTO": 2,
        **extra,
    }
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def layer(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def brest():
    return make_authority(name="Brest", insee_code="29019")


@pytest.fixture
def brest_stations(brest):
    report = stations_import(actor=None, data=shared_file(CONTOURS), valid_from=VALID_FROM)
    return report


def legislatives(owner: Authority, slug: str = "legislatives-2024-brest"):
    election = make_election(
        owner, kind=ElectionKind.LEGISLATIVES, slug=slug, candidates=[], rounds=2
    )
    election.rounds.filter(number=1).update(date=TOUR1_DATE)
    election.rounds.filter(number=2).update(date=TOUR1_DATE + datetime.timedelta(days=7))
    return election


@pytest.fixture
def brest_round(brest, brest_stations):
    return legislatives(brest).rounds.get(number=1)


@pytest.fixture
def small_round(brest):
    """Brest with bureaux 1 to 8 (no shared files needed) and a round without candidates."""
    for number in range(1, 9):
        make_station(brest, number)
    election = make_election(brest, slug="municipales-brest", candidates=[])
    return election.rounds.get()


def file_sums(path: Path, insee: str) -> tuple[dict[tuple[str, str], int], int]:
    """Votes per candidate (name, first name) and inscrits over one commune's rows, read with
    the csv module directly from the ministry's file."""
    votes: dict[tuple[str, str], int] = defaultdict(int)
    inscrits = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["Code commune"] != insee:
                continue
            inscrits += int(row["Inscrits"])
            for i in range(1, 30):
                if row.get(f"Voix {i}"):
                    votes[(row[f"Nom candidat {i}"], row[f"Prénom candidat {i}"])] += int(
                        row[f"Voix {i}"]
                    )
    return dict(votes), inscrits


# --- polling stations --------------------------------------------------------------------


def test_importing_brest_contours_gives_its_104_bureaux(brest, brest_stations):
    report = brest_stations
    assert (report.created, report.updated, report.unchanged) == (104, 0, 0)
    codes = list(
        PollingStation.objects.filter(commune=brest).order_by("code").values_list("code", flat=True)
    )
    assert codes == [f"29019_{n:04d}" for n in range(1, 105)]
    kerinou = PollingStation.objects.get(code="29019_0076")
    assert kerinou.name == "Bureau n° 76 - GROUPE SCOLAIRE KERINOU"
    assert kerinou.place_name == "GS KERINOU"
    assert kerinou.canton == "Canton 1"
    assert kerinou.valid_from == VALID_FROM and kerinou.valid_to is None
    assert kerinou.contour["type"] == "Polygon"
    # Gouesnou (29061) and Plougastel-Daoulas (29189) are in the layer but not in the portal.
    assert {item["commune"] for item in report.unmatched} == {"29061", "29189"}
    assert len(report.unmatched) == 18
    assert "104 créé(s)" in report.summary()
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, authority=brest)
    assert event.detail["created"] == 104


def test_importing_the_same_contours_again_changes_nothing(brest, brest_stations):
    again = stations_import(actor=None, data=shared_file(CONTOURS), valid_from=VALID_FROM)
    assert (again.created, again.updated, again.unchanged, again.closed) == (0, 0, 104, 0)
    assert PollingStation.objects.filter(commune=brest).count() == 104


def test_the_bureaux_of_a_commune_created_since_are_imported_too(brest, brest_stations):
    gouesnou = make_authority(name="Gouesnou", insee_code="29061")
    again = stations_import(actor=None, data=shared_file(CONTOURS), valid_from=VALID_FROM)
    assert (again.created, again.unchanged) == (6, 104)
    assert PollingStation.objects.filter(commune=gouesnou).count() == 6


def test_several_features_of_one_bureau_are_merged_into_one_multipolygon(brest):
    data = layer(
        feature(5, square(-4.50, 48.39)),
        feature(5, square(-4.48, 48.39), TITRE=None),
        feature(6, square(-4.46, 48.39), TITRE=None, CANTO=0),
    )
    report = stations_import(actor=None, data=data, valid_from=VALID_FROM)
    assert report.created == 2
    merged = PollingStation.objects.get(code="29019_0005")
    assert merged.contour["type"] == "MultiPolygon"
    assert merged.contour["coordinates"] == [
        square(-4.50, 48.39)["coordinates"],
        square(-4.48, 48.39)["coordinates"],
    ]
    assert merged.name == "Bureau n° 5 - ÉCOLE 5"
    without_title = PollingStation.objects.get(code="29019_0006")
    assert without_title.name == "Bureau n° 6 - ÉCOLE NUMÉRO 6"
    assert without_title.canton == ""


def test_a_new_layer_ends_the_previous_period_of_the_commune(brest):
    stations_import(actor=None, data=layer(feature(1, square(-4.5, 48.4))), valid_from=VALID_FROM)
    later = datetime.date(2025, 3, 1)
    report = stations_import(
        actor=None, data=layer(feature(1, square(-4.5, 48.4))), valid_from=later
    )
    assert (report.created, report.closed) == (1, 1)
    old = PollingStation.objects.get(code="29019_0001", valid_from=VALID_FROM)
    assert old.valid_to == datetime.date(2025, 2, 28)


def test_with_a_commune_only_its_bureaux_are_imported(brest):
    make_authority(name="Gouesnou", insee_code="29061")
    data = layer(feature(1, square(-4.5, 48.4)), feature(1, square(-4.4, 48.4), insee="29061"))
    report = stations_import(actor=None, data=data, valid_from=VALID_FROM, commune=brest)
    assert report.created == 1
    assert [item["code"] for item in report.unmatched] == ["29061_0001"]
    assert not PollingStation.objects.filter(code="29061_0001").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{not json", "GeoJSON valide"),
        (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
        (layer(feature(1, square(-4.5, 48.4)), feature(2, square(-4.4, 48.4), BVOTE="B")), "n° 2"),
        (layer(feature(1, square(150000.0, 6830000.0))), "Lambert 93"),
        (layer(feature(1, {"type": "Point", "coordinates": [-4.5, 48.4]})), "Polygon"),
    ],
)
def test_a_malformed_layer_imports_nothing_and_says_why(brest, data, message):
    with pytest.raises(ValidationError) as error:
        stations_import(actor=None, data=data, valid_from=VALID_FROM)
    assert message in " ".join(error.value.messages)
    assert not PollingStation.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


def test_only_publishers_of_the_commune_import_its_bureaux(brest):
    quimper = make_authority(name="Quimper", insee_code="29232")
    outsider = make_agent("editeur-quimper", roles=[(quimper, Membership.Role.PUBLISHER)])
    agent = make_agent("agent-brest", roles=[(brest, Membership.Role.AGENT)])
    publisher = make_agent("editeur-brest", roles=[(brest, Membership.Role.PUBLISHER)])
    data = layer(feature(1, square(-4.5, 48.4)))
    for actor in (outsider, agent, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            stations_import(actor=actor, data=data, valid_from=VALID_FROM)
    assert not PollingStation.objects.exists()
    report = stations_import(actor=publisher, data=data, valid_from=VALID_FROM)
    assert report.created == 1
    assert AuditEvent.objects.get(action=AuditEvent.Action.IMPORT).actor == publisher


# --- the ministry's 2024 files -------------------------------------------------------------


def test_the_2024_round_one_file_matches_all_104_bureaux_of_brest(brest_round):
    report = results_import(
        actor=None, round=brest_round, data=shared_file(TOUR1), filename=TOUR1.name
    )
    assert report.errors == []
    assert report.created == 104 and report.updated == 0 and report.unchanged == 0
    assert len(report.unmatched) == 201 - 104
    assert report.unmatched[0] == {
        "line": 2,
        "code": "29011_0001",
        "commune": "Bohars",
        "reason": "aucun bureau de vote en vigueur le 30/06/2024",
    }
    assert not any(item["commune"] == "Brest" for item in report.unmatched)
    results = BureauResult.objects.filter(round=brest_round)
    assert results.count() == 104
    assert set(results.values_list("state", flat=True)) == {ResultState.PUBLISHED}
    assert {v.source for v in ResultVersion.objects.filter(result__round=brest_round)} == {
        ResultVersion.Source.IMPORT
    }
    summary = round_summary(brest_round)
    assert summary.total.bureaux_counted == summary.total.bureaux_total == 104
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, detail__what="election_results")
    assert event.detail["created"] == 104 and event.detail["unmatched"] == 97
    assert event.detail["filename"] == TOUR1.name


def test_brests_map_shows_its_104_imported_bureaux_from_their_contours(brest_round, client):
    results_import(actor=None, round=brest_round, data=shared_file(TOUR1), filename=TOUR1.name)
    view = render_map(round_summary(brest_round), link=lambda result: result.station.code)
    assert view.shapes == 104 and view.without_contour == []
    page = client.get(
        reverse("elections:round", args=[brest_round.election.slug, brest_round.number])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="bureau bureau-depouille"') == 104
    assert "bureau-non-depouille" not in html


def test_the_candidates_of_both_circonscriptions_are_created_with_nuance_and_names(brest_round):
    results_import(actor=None, round=brest_round, data=shared_file(TOUR1))
    candidates = {(c.last_name, c.first_name): c for c in brest_round.candidates.all()}
    # Brest votes in the 2nd (10 candidates) and the 3rd (8) circonscription.
    assert len(candidates) == 18
    cadalen = candidates[("CADALEN", "Pierre-Yves")]
    assert (cadalen.nuance, cadalen.colour) == ("UG", "#e4007c")
    # Panel 7 is Cadalen in the 2nd circonscription and Thomas in the 3rd (which Brest's first
    # row belongs to): the second one seen gets panel 107.
    assert {cadalen.panel, candidates[("THOMAS", "Marie-Louise")].panel} == {7, 107}
    panel_three = {
        candidates[("LARSONNEUR", "Jean-Charles")].panel,
        candidates[("DONVAL", "Martine")].panel,
    }
    assert panel_three == {3, 103}
    assert len({c.panel for c in candidates.values()}) == 18


def test_the_votes_of_each_candidate_add_up_to_the_file(brest_round):
    results_import(actor=None, round=brest_round, data=shared_file(TOUR1))
    expected, inscrits = file_sums(TOUR1, "29019")
    by_panel = {c.panel: (c.last_name, c.first_name) for c in brest_round.candidates.all()}
    totals = {by_panel[panel]: votes for panel, votes in candidate_totals(brest_round).items()}
    assert totals == expected
    assert round_summary(brest_round).total.inscrits == inscrits


def test_importing_the_same_file_again_changes_nothing(brest_round):
    data = shared_file(TOUR1)
    results_import(actor=None, round=brest_round, data=data)
    versions = ResultVersion.objects.count()
    panels = sorted(brest_round.candidates.values_list("panel", "last_name"))
    again = results_import(actor=None, round=brest_round, data=data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 104)
    assert again.errors == []
    assert ResultVersion.objects.count() == versions
    assert sorted(brest_round.candidates.values_list("panel", "last_name")) == panels


def test_the_quoted_and_padded_round_two_file_matches_brest_and_marks_the_elected(brest_round):
    round_two = brest_round.election.rounds.get(number=2)
    report = results_import(actor=None, round=round_two, data=shared_file(TOUR2))
    assert report.created == 104 and report.errors == []
    elected = {c.last_name for c in round_two.candidates.filter(elected=True)}
    assert elected == {"CADALEN", "LE GAC"}


def test_rows_of_another_commune_match_when_its_bureaux_are_in_the_territory(brest):
    metropole = make_authority(Authority.Kind.EPCI, name="Brest métropole")
    Authority.objects.filter(pk=brest.pk).update(parent=metropole)
    gouesnou = make_authority(parent=metropole, name="Gouesnou", insee_code="29061")
    stations_import(actor=None, data=shared_file(CONTOURS), valid_from=VALID_FROM)
    round = legislatives(metropole, slug="legislatives-2024-metropole").rounds.get(number=1)
    report = results_import(actor=None, round=round, data=shared_file(TOUR1))
    assert report.created == 110
    assert BureauResult.objects.filter(round=round, station__commune=gouesnou).count() == 6
    # An election of Brest alone does not record Gouesnou's bureaux.
    brest_only = legislatives(brest).rounds.get(number=1)
    report = results_import(actor=None, round=brest_only, data=shared_file(TOUR1))
    assert report.created == 104
    outside = [item for item in report.unmatched if item["commune"] == "Gouesnou"]
    assert len(outside) == 6
    assert outside[0]["reason"] == "bureau hors du territoire de l'élection"


# --- small files: layouts, padding, errors --------------------------------------------------


def test_a_bad_number_imports_nothing_and_says_which_line_and_column(small_round):
    rows = [row_2024(str(n)) for n in range(1, 6)] + [row_2024("6", votants="4O2")]
    with pytest.raises(ValidationError) as error:
        results_import(actor=None, round=small_round, data=file_2024(*rows))
    message = " ".join(error.value.messages)
    assert "ligne 7" in message.lower()
    assert "« Votants »" in message
    assert "rien n'a été importé" in message
    assert not ResultVersion.objects.exists()
    assert not small_round.candidates.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


@pytest.mark.parametrize(
    "data, fragments",
    [
        (
            file_2024(row_2024("1")).replace("Exprimés;".encode(), b"Expr;", 1),
            ["ligne 1", "« Exprimés »"],
        ),
        (file_2024(row_2024("1"), row_2024("2") + ";12"), ["ligne 3", "colonnes"]),
        (file_2024(row_2024("1"), row_2024("2")[:-40]), ["ligne 3", "colonnes"]),
        (
            file_2024(row_2024("1"), row_2024("2").replace(";300;", ";trois cents;")),
            ["ligne 3", "« Voix 1 »"],
        ),
        (b"", ["vide"]),
    ],
)
def test_a_malformed_file_imports_nothing(small_round, data, fragments):
    with pytest.raises(ValidationError) as error:
        results_import(actor=None, round=small_round, data=data)
    message = " ".join(error.value.messages).lower()
    for fragment in fragments:
        assert fragment.lower() in message
    assert not ResultVersion.objects.exists()


def test_a_row_that_does_not_add_up_is_an_error_and_the_others_are_recorded(small_round):
    bad = row_2024("2", inscrits=1000, votants=600)  # 515 expressed + blank + null
    report = results_import(actor=None, round=small_round, data=file_2024(row_2024("1"), bad))
    assert report.created == 1
    assert len(report.errors) == 1
    assert report.errors[0].startswith("Ligne 3 (29019_0002)")
    assert "exprimés + blancs + nuls" in report.errors[0]
    assert not BureauResult.objects.get(round=small_round, station__number=2).versions.exists()


def test_a_bureau_code_matches_whatever_its_padding(small_round):
    first = results_import(actor=None, round=small_round, data=file_2024(row_2024("7")))
    assert first.created == 1
    result = BureauResult.objects.get(round=small_round)
    assert result.station.code == station_code("29019", 7) == "29019_0007"
    again = results_import(actor=None, round=small_round, data=file_2024(row_2024("0007")))
    assert (again.created, again.unchanged) == (0, 1)
    corrected = results_import(
        actor=None, round=small_round, data=file_2024(row_2024("007", votes=(301, 199)))
    )
    assert corrected.updated == 1
    result.refresh_from_db()
    assert result.published.number == 2
    assert result.published.votes_by_panel() == {1: 301, 2: 199}


def test_an_unknown_bureau_is_listed_not_an_error(small_round):
    report = results_import(
        actor=None,
        round=small_round,
        data=file_2024(
            row_2024("1"), row_2024("76"), row_2024("3", commune="29011", name="Bohars")
        ),
    )
    assert report.created == 1 and report.errors == []
    assert [(u["line"], u["code"], u["commune"]) for u in report.unmatched] == [
        (3, "29019_0076", "Brest"),
        (4, "29011_0003", "Bohars"),
    ]
    assert "2 ligne(s) sans bureau correspondant" in report.summary()


def test_a_2022_latin1_file_with_code_du_b_vote_imports(small_round):
    text = "\r\n".join([HEADER_2022, row_2022("0001", (400, 300)), row_2022("0002", (10, 20))])
    data = (text + "\r\n").encode("latin-1")
    report = results_import(actor=None, round=small_round, data=data, filename="Leg2022.txt")
    assert (report.created, report.errors, report.unmatched) == (2, [], [])
    assert report.layout == "2022"
    people = {c.panel: (c.last_name, c.first_name, c.nuance) for c in small_round.candidates.all()}
    assert people == {3: ("CADALEN", "Pierre-Yves", "UG"), 7: ("LARSONNEUR", "Jean", "ENS")}
    result = BureauResult.objects.get(round=small_round, station__code="29019_0001")
    assert result.published.votes_by_panel() == {3: 400, 7: 300}
    assert result.published.inscrits == 900


def test_a_2022_file_with_a_missing_vote_says_which_candidate(small_round):
    broken = row_2022("0001", (400, 300)).rsplit(";", 3)[0] + ";;30,00;50,00"
    data = "\n".join([HEADER_2022, broken]).encode("latin-1")
    with pytest.raises(ValidationError) as error:
        results_import(actor=None, round=small_round, data=data)
    message = " ".join(error.value.messages)
    assert "Ligne 2" in message and "Voix (candidat n° 2)" in message


def test_european_list_groups_become_lists(small_round):
    group = (
        "Numéro de panneau {i};Nuance liste {i};Libellé abrégé de liste {i};"
        "Libellé de liste {i};Voix {i};% Voix/inscrits {i};% Voix/exprimés {i};Sièges {i}"
    )
    header = ";".join([FIXED_2024] + [group.format(i=i) for i in (1, 2)])
    fixed = row_2024("1").split(";")[:19]
    lists = ["5", "LENS", "BESOIN D'EUROPE", "BESOIN D'EUROPE AVEC ...", "300", "", "", "13"]
    lists += ["27", "LUG", "RÉVEILLER L'EUROPE", "RÉVEILLER L'EUROPE", "200", "", "", "13"]
    data = "\n".join([header, ";".join(fixed + lists)]).encode("utf-8")
    report = results_import(actor=None, round=small_round, data=data)
    assert report.created == 1
    labels = {c.panel: (c.label, c.nuance) for c in small_round.candidates.all()}
    assert labels == {5: ("BESOIN D'EUROPE", "LENS"), 27: ("RÉVEILLER L'EUROPE", "LUG")}


def test_a_tab_separated_file_is_read_too(small_round):
    text = file_2024(row_2024("1")).decode().replace(";", "\t")
    report = results_import(actor=None, round=small_round, data=text.encode())
    assert report.created == 1


def test_only_managers_of_the_election_import_its_results(small_round, brest):
    quimper = make_authority(name="Quimper", insee_code="29232")
    outsider = make_agent("editeur-quimper", roles=[(quimper, Membership.Role.PUBLISHER)])
    agent = make_agent("agent-brest", roles=[(brest, Membership.Role.AGENT)])
    manager = make_agent("editeur-brest", roles=[(brest, Membership.Role.PUBLISHER)])
    data = file_2024(row_2024("1"))
    for actor in (outsider, agent, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            results_import(actor=actor, round=small_round, data=data)
    assert not ResultVersion.objects.exists()
    report = results_import(actor=manager, round=small_round, data=data)
    assert report.created == 1
    version = ResultVersion.objects.get()
    assert version.entered_by == manager and version.validated_by == manager
    assert AuditEvent.objects.get(action=AuditEvent.Action.IMPORT).actor == manager


# --- property: who may import, whatever the padding ---------------------------------------

_examples = itertools.count()


def finistere() -> dict[str, Authority]:
    """Région > Brest métropole > Brest, and Quimper in the région (made once: hypothesis's
    examples share the test's transaction)."""
    brest = Authority.objects.filter(insee_code="29019").first()
    if brest is None:
        region = make_authority(Authority.Kind.REGION, name="Bretagne", insee_code="53")
        metropole = make_authority(Authority.Kind.EPCI, parent=region, name="Brest métropole")
        brest = make_authority(parent=metropole, name="Brest", insee_code="29019")
        make_authority(parent=region, name="Quimper", insee_code="29232")
        for number in range(1, 9):
            make_station(brest, number)
    assert brest.parent is not None and brest.parent.parent is not None
    return {
        "brest": brest,
        "metropole": brest.parent,
        "region": brest.parent.parent,
        "quimper": Authority.objects.get(insee_code="29232"),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    roles=st.lists(
        st.tuples(
            st.sampled_from(["brest", "metropole", "region", "quimper"]),
            st.sampled_from(list(Membership.Role.values)),
        ),
        max_size=3,
    ),
    number=st.integers(min_value=1, max_value=8),
    padding=st.integers(min_value=0, max_value=4),
)
@example(roles=[], number=1, padding=0)
@example(roles=[("brest", Membership.Role.PUBLISHER)], number=7, padding=4)
@example(roles=[("quimper", Membership.Role.PUBLISHER)], number=2, padding=1)
def test_only_the_managers_import_and_any_padding_finds_the_bureau(db, roles, number, padding):
    places = finistere()
    n = next(_examples)
    election = make_election(places["brest"], slug=f"propriete-import-{n}", candidates=[])
    round = election.rounds.get()
    user = make_agent(f"propriete-import-{n}", roles=[(places[p], role) for p, role in roles])
    allowed = elections_managed_by(user).filter(pk=election.pk).exists()
    data = file_2024(row_2024(str(number).zfill(padding)))
    if not allowed:
        with pytest.raises(PermissionDenied):
            results_import(actor=user, round=round, data=data)
        assert not BureauResult.objects.filter(round=round).exists()
        return
    report = results_import(actor=user, round=round, data=data)
    assert (report.created, report.unmatched) == (1, [])
    result = BureauResult.objects.get(round=round)
    assert result.station.code == f"29019_{number:04d}"
    assert result.published is not None and result.published.entered_by == user
