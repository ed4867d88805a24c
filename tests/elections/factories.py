"""Factories of the elections tests: an election with its rounds and candidates, bureaux with
square contours, and counts that add up."""

from __future__ import annotations

import datetime
from typing import Any

from elections.models import (
    BureauResult,
    Candidate,
    Election,
    ElectionKind,
    PollingStation,
    Round,
    station_code,
)
from identity.models import Authority

ROUND_ONE = datetime.date(2026, 3, 15)


def square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    """A square GeoJSON polygon (WGS84) with its south-west corner at (x, y)."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_station(commune: Authority, number: int, **fields: Any) -> PollingStation:
    defaults: dict[str, Any] = {
        "name": f"Bureau n° {number}",
        "place_name": f"École {number}",
        "address": f"{number} rue de l'École",
        "canton": "Canton 1",
        "circonscription": "1re circonscription",
        "contour": square(-0.7 + 0.01 * number, 44.8),
        "valid_from": datetime.date(2024, 3, 1),
    }
    defaults.update(fields)
    return PollingStation.objects.create(
        commune=commune,
        number=number,
        code=station_code(commune.insee_code or "", number),
        **defaults,
    )


CANDIDATES = [
    {"panel": 1, "last_name": "Martin", "first_name": "Anne", "nuance": "DVG", "colour": "#c0392b"},
    {"panel": 2, "last_name": "Bernard", "first_name": "Luc", "nuance": "DVD", "colour": "#1f5fa8"},
    {
        "panel": 3,
        "last_name": "Petit",
        "first_name": "Claire",
        "nuance": "ECO",
        "colour": "#2e7d32",
    },
]


def make_election(
    owner: Authority,
    *,
    stations: list[PollingStation] = (),
    rounds: int = 1,
    kind: str = ElectionKind.MUNICIPALES,
    slug: str = "municipales-2026",
    candidates: list[dict[str, Any]] = CANDIDATES,
    **fields: Any,
) -> Election:
    """An election of ``owner`` with ``rounds`` rounds, the same candidates in each, and an
    expected result for every station in each round."""
    election = Election.objects.create(
        slug=slug, title=fields.pop("title", "Municipales 2026"), kind=kind, owner=owner, **fields
    )
    for number in range(1, rounds + 1):
        round = Round.objects.create(
            election=election,
            number=number,
            date=ROUND_ONE + datetime.timedelta(days=7 * (number - 1)),
        )
        for data in candidates:
            Candidate.objects.create(round=round, **data)
        BureauResult.objects.bulk_create(BureauResult(round=round, station=s) for s in stations)
    return election


def count(
    inscrits: int = 1000, votes: tuple[int, ...] = (300, 200, 100), blancs: int = 10, nuls: int = 5
):
    """(figures, votes) of a count that adds up."""
    exprimes = sum(votes)
    figures = {
        "inscrits": inscrits,
        "votants": exprimes + blancs + nuls,
        "blancs": blancs,
        "nuls": nuls,
        "exprimes": exprimes,
    }
    return figures, {panel: v for panel, v in enumerate(votes, start=1)}
