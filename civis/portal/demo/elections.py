"""Demo election night (issue 13), of the project's own making: Mérignac's six polling stations
with square contours, the municipal election of March 2026 with three lists, a first round
final (its results published as an open data dataset) and a second round being counted — three
bureaux published, one entered by ``agent-merignac`` awaiting ``editeur-merignac``'s
validation, two still expected — so the demo shows a live night.

Everything goes through the services (``elections.services``), acted by the demo's agents.
Running the demo again changes nothing: the election is recognised by its slug.
"""

from __future__ import annotations

import datetime

from django.core.management.base import OutputWrapper
from django.db import transaction

from elections.models import BureauResult, Election, ElectionKind
from elections.services.elections import (
    candidates_set,
    election_create,
    round_expect_owner_stations,
    round_finalise,
    station_save_step,
)
from elections.services.results import result_enter, result_validate
from identity.models import Authority, User

SLUG = "municipales-2026-merignac"
ENTERS = "agent-merignac"
VALIDATES = "editeur-merignac"

# Six bureaux in two rows of three around Mérignac's town hall (longitude, latitude of the
# south-west corner); the schools are invented.
BUREAUX = [
    (1, "Hôtel de ville", "Place Charles-de-Gaulle", -0.662, 44.842),
    (2, "École Jean-Jaurès", "12 avenue Jean-Jaurès", -0.650, 44.842),
    (3, "École Marcel-Pagnol", "3 rue Marcel-Pagnol", -0.638, 44.842),
    (4, "Gymnase de Capeyron", "45 rue de Capeyron", -0.662, 44.830),
    (5, "Maison des associations", "8 allée des Tilleuls", -0.650, 44.830),
    (6, "École d'Arlac", "21 rue d'Arlac", -0.638, 44.830),
]
SIZE = 0.012

LISTS = [
    {"panel": 1, "label": "Mérignac ensemble", "nuance": "LDVG", "colour": "#b3261e"},
    {"panel": 2, "label": "Mérignac demain", "nuance": "LDVD", "colour": "#1f4e99"},
    {"panel": 3, "label": "Mérignac écologie", "nuance": "LECO", "colour": "#2e6b30"},
]

# Per bureau: inscrits, blancs, nuls, votes per list (round 1: three lists; round 2: two).
ROUND_ONE = [
    (1412, 14, 6, (402, 311, 141)),
    (1288, 11, 9, (356, 330, 118)),
    (1530, 17, 5, (389, 421, 160)),
    (1196, 9, 7, (344, 262, 97)),
    (1344, 12, 8, (301, 372, 133)),
    (1467, 15, 10, (415, 350, 151)),
]
ROUND_TWO = [
    (1412, 18, 9, (498, 402)),
    (1288, 16, 11, (437, 421)),
    (1530, 20, 8, (463, 522)),
    (1196, 13, 6, (421, 317)),  # entered, awaiting validation
]


def _square(x: float, y: float) -> dict[str, object]:
    ring = [[x, y], [x + SIZE, y], [x + SIZE, y + SIZE], [x, y + SIZE], [x, y]]
    return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}


def _count(row: tuple[int, int, int, tuple[int, ...]]) -> tuple[dict[str, int], dict[int, int]]:
    inscrits, blancs, nuls, votes = row
    exprimes = sum(votes)
    figures = {
        "inscrits": inscrits,
        "votants": exprimes + blancs + nuls,
        "blancs": blancs,
        "nuls": nuls,
        "exprimes": exprimes,
    }
    return figures, dict(enumerate(votes, start=1))


def load_elections(stdout: OutputWrapper | None = None) -> int:
    """The demo election (once). Returns how many elections were created (0 on a second run)."""
    if Election.objects.filter(slug=SLUG).exists():
        if stdout is not None:
            stdout.write("Élections : déjà chargées.")
        return 0
    merignac = Authority.objects.get(kind=Authority.Kind.COMMUNE, insee_code="33281")
    enters = User.objects.get(username=ENTERS)
    validates = User.objects.get(username=VALIDATES)
    with transaction.atomic():
        for number, name, address, x, y in BUREAUX:
            station_save_step(
                commune=merignac,
                number=number,
                valid_from=datetime.date(2024, 3, 1),
                name=f"Bureau n° {number} — {name}",
                place_name=name,
                address=f"{address}, 33700 Mérignac",
                canton="Mérignac-1" if number <= 3 else "Mérignac-2",
                circonscription="6e circonscription de la Gironde",
                contour=_square(x, y),
            )
    election = election_create(
        actor=validates,
        owner=merignac,
        title="Élections municipales 2026 — Mérignac",
        kind=ElectionKind.MUNICIPALES,
        round_dates=[datetime.date(2026, 3, 15), datetime.date(2026, 3, 22)],
        slug=SLUG,
        description=(
            "Élection du conseil municipal de Mérignac. Données de démonstration : les "
            "bureaux, les listes et les chiffres sont inventés."
        ),
    )
    first, second = election.rounds.order_by("number")
    candidates_set(actor=validates, round=first, candidates=LISTS)
    candidates_set(actor=validates, round=second, candidates=LISTS[:2])
    for round in (first, second):
        round_expect_owner_stations(actor=validates, round=round)
    for round, rows, validated in ((first, ROUND_ONE, 6), (second, ROUND_TWO, 3)):
        results = list(
            BureauResult.objects.filter(round=round).order_by("station__code")[: len(rows)]
        )
        for index, (result, row) in enumerate(zip(results, rows, strict=True)):
            figures, votes = _count(row)
            result_enter(actor=enters, result=result, figures=figures, votes=votes)
            if index < validated:
                result_validate(actor=validates, result=result)
    round_finalise(actor=validates, round=first)
    if stdout is not None:
        stdout.write(
            "Élections : municipales de Mérignac, 6 bureaux ; 1er tour définitif, 2e tour en "
            "cours de dépouillement (3 bureaux publiés, 1 à valider, 2 attendus)."
        )
    return 1
