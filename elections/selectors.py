"""Who may read and write election results: the one path every view, export, widget and the
API go through.

- Elections, rounds, candidates and polling stations are public.
- A bureau's figures are public only once published, and the public reads the published
  version (``BureauResult.published``), never a version awaiting validation.
- Results are entered and validated by the agents of the bureau's commune (any active role)
  and by those who oversee it (administrators above it); a superuser everywhere.
- Elections are managed (rounds, candidates, imports, finalisation) by the publishers of the
  election's authority (``documents.selectors.authorities_publishable_by``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet, Sum

from documents.selectors import authorities_publishable_by
from elections.models import (
    BureauResult,
    Candidate,
    CandidateVotes,
    Election,
    PollingStation,
    ResultState,
    ResultVersion,
    Round,
)
from identity.models import Authority, User
from identity.selectors import overseen_subtree, principals_of

Someone = User | AnonymousUser | None


def elections_public() -> QuerySet[Election]:
    return Election.objects.select_related("owner")


def elections_managed_by(user: Someone) -> QuerySet[Election]:
    return Election.objects.filter(owner__in=authorities_publishable_by(user))


def communes_counted_by(user: Someone) -> QuerySet[Authority]:
    """Communes whose bureaux ``user`` may enter and validate."""
    principals = principals_of(user)
    if principals.superuser:
        return Authority.objects.all()
    if not principals.authenticated:
        return Authority.objects.none()
    return Authority.objects.filter(
        Q(pk__in=principals.agent_of) | Q(pk__in=overseen_subtree(principals))
    )


def results_countable_by(user: Someone) -> QuerySet[BureauResult]:
    """Bureau results ``user`` may enter and validate."""
    return BureauResult.objects.filter(station__commune__in=communes_counted_by(user))


def stations_in_force(on: datetime.date) -> QuerySet[PollingStation]:
    """Bureaux in force on a date (bureaux change on 1 March)."""
    return PollingStation.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def published_results(round: Round) -> QuerySet[BureauResult]:
    """A round's bureaux with a published version, as the public reads them."""
    return (
        BureauResult.objects.filter(round=round, published__isnull=False)
        .select_related("station", "station__commune", "published")
        .order_by("station__code")
    )


def round_results(round: Round) -> QuerySet[BureauResult]:
    """Every bureau of a round (expected, entered, validated and published), for progress."""
    return (
        BureauResult.objects.filter(round=round)
        .select_related("station", "station__commune", "published")
        .order_by("station__code")
    )


@dataclass
class Tally:
    """Sums over a set of published bureaux; percentages are derived here, never stored."""

    label: str
    key: str = ""
    bureaux_total: int = 0
    bureaux_counted: int = 0
    inscrits: int = 0
    votants: int = 0
    blancs: int = 0
    nuls: int = 0
    exprimes: int = 0
    votes: dict[int, int] = field(default_factory=dict)  # panel -> votes

    @property
    def abstentions(self) -> int:
        return self.inscrits - self.votants

    @property
    def participation(self) -> float | None:
        return round(100 * self.votants / self.inscrits, 2) if self.inscrits else None

    def share(self, panel: int) -> float | None:
        return round(100 * self.votes.get(panel, 0) / self.exprimes, 2) if self.exprimes else None

    @property
    def leader(self) -> int | None:
        """The panel with the most votes (None when nothing is counted or on a tie)."""
        if not self.votes:
            return None
        ranked = sorted(self.votes.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0] if ranked[0][1] else None

    @property
    def complete(self) -> bool:
        return self.bureaux_total > 0 and self.bureaux_counted == self.bureaux_total

    def add(self, version: ResultVersion, votes: dict[int, int]) -> None:
        self.bureaux_counted += 1
        self.inscrits += version.inscrits
        self.votants += version.votants
        self.blancs += version.blancs
        self.nuls += version.nuls
        self.exprimes += version.exprimes
        for panel, count in votes.items():
            self.votes[panel] = self.votes.get(panel, 0) + count

    def as_dict(self, candidates: list[Candidate]) -> dict[str, Any]:
        return {
            "label": self.label,
            "key": self.key,
            "bureaux_total": self.bureaux_total,
            "bureaux_counted": self.bureaux_counted,
            "inscrits": self.inscrits,
            "votants": self.votants,
            "abstentions": self.abstentions,
            "blancs": self.blancs,
            "nuls": self.nuls,
            "exprimes": self.exprimes,
            "participation": self.participation,
            "leader": self.leader,
            "results": [
                {
                    "panel": c.panel,
                    "name": c.display_name,
                    "nuance": c.nuance,
                    "colour": c.colour,
                    "votes": self.votes.get(c.panel, 0),
                    "share": self.share(c.panel),
                }
                for c in candidates
            ],
        }


@dataclass
class RoundSummary:
    round: Round
    candidates: list[Candidate]
    total: Tally
    bureaux: list[tuple[BureauResult, Tally]]  # every bureau; a Tally with 0 counted if none
    by_commune: list[Tally]
    by_canton: list[Tally]
    by_circonscription: list[Tally]
    corrected: set[int]  # BureauResult ids whose published version is a correction

    @property
    def provisional(self) -> bool:
        return self.round.status != "final"


def published_votes(round: Round) -> dict[int, dict[int, int]]:
    """Votes of every published version of the round: {version id: {panel: votes}}."""
    rows = CandidateVotes.objects.filter(
        version__in=BureauResult.objects.filter(round=round, published__isnull=False).values(
            "published"
        )
    ).values_list("version_id", "candidate__panel", "votes")
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for version_id, panel, votes in rows:
        out[version_id][panel] = votes
    return out


def round_summary(round: Round) -> RoundSummary:
    """Everything the public pages, widgets and exports show of a round, from published
    versions only, in a fixed number of queries whatever the number of bureaux."""
    candidates = list(round.candidates.all())
    results = list(round_results(round))
    votes = published_votes(round)
    total = Tally(label=round.election.title, key="total")
    groups: dict[str, dict[str, Tally]] = {"commune": {}, "canton": {}, "circonscription": {}}
    bureaux: list[tuple[BureauResult, Tally]] = []
    corrected: set[int] = set()
    for result in results:
        station = result.station
        keys = {
            "commune": (
                station.commune.insee_code or str(station.commune_id),
                station.commune.name,
            ),
            "canton": (station.canton, station.canton),
            "circonscription": (station.circonscription, station.circonscription),
        }
        tally = Tally(label=station.name, key=station.code, bureaux_total=1)
        total.bureaux_total += 1
        targets = [total, tally]
        for group, (key, label) in keys.items():
            if not key:
                continue
            bucket = groups[group].setdefault(key, Tally(label=label, key=key))
            bucket.bureaux_total += 1
            targets.append(bucket)
        if result.published is not None:
            for target in targets:
                target.add(result.published, votes.get(result.published_id or 0, {}))
            if result.published.number > 1:
                corrected.add(result.pk)
        bureaux.append((result, tally))

    def ordered(group: str) -> list[Tally]:
        return sorted(groups[group].values(), key=lambda t: t.label)

    return RoundSummary(
        round=round,
        candidates=candidates,
        total=total,
        bureaux=bureaux,
        by_commune=ordered("commune"),
        by_canton=ordered("canton"),
        by_circonscription=ordered("circonscription"),
        corrected=corrected,
    )


def candidate_totals(round: Round) -> dict[int, int]:
    """Votes per panel over the published bureaux, summed by the database (a check of
    ``round_summary``'s Python sums)."""
    rows = (
        CandidateVotes.objects.filter(
            version__in=BureauResult.objects.filter(round=round, published__isnull=False).values(
                "published"
            )
        )
        .values("candidate__panel")
        .annotate(total=Sum("votes"))
    )
    return {row["candidate__panel"]: row["total"] for row in rows}


def awaiting_validation(user: Someone, round: Round) -> QuerySet[BureauResult]:
    """Bureaux of the round entered by someone else, that ``user`` may validate."""
    queryset = results_countable_by(user).filter(round=round, state=ResultState.ENTERED)
    if user is not None and user.is_authenticated:
        queryset = queryset.exclude(current__entered_by=user)
    return queryset.select_related("station", "current", "current__entered_by")
