"""Preparing an election: the election and its rounds, the polling stations, the candidates or
lists of a round, the bureaux a round expects, and its finalisation (the open data dataset).

Managing an election is for the publishers of its authority (``elections_managed_by``); a
commune's bureaux are kept by the publishers of the commune (or above it).
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.selectors import authorities_publishable_by
from elections.models import (
    BureauResult,
    Candidate,
    Election,
    ElectionKind,
    PollingStation,
    Round,
    RoundStatus,
    station_code,
)
from elections.selectors import elections_managed_by, stations_in_force
from identity.models import Authority, User

Actor = User | AnonymousUser | None
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _require_manager(actor: Actor, election: Election) -> None:
    if not elections_managed_by(actor).filter(pk=election.pk).exists():
        raise PermissionDenied(_("Vous ne gérez pas cette élection."))


def _audit(actor: Actor, action: str, election: Election, **detail: Any) -> None:
    audit_record(
        actor=actor, action=action, authority=election.owner, election=election.slug, **detail
    )


@service
def election_create(
    *,
    actor: Actor,
    owner: Authority,
    title: str,
    kind: str,
    round_dates: Iterable[datetime.date],
    slug: str = "",
    description: str = "",
) -> Election:
    """An election of ``owner`` with its rounds (one date each, in order)."""
    if not authorities_publishable_by(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(_("Vous ne publiez pas pour cette collectivité."))
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": [_("Donnez un titre à l'élection.")]})
    if kind not in ElectionKind.values:
        raise ValidationError({"kind": [_("Type d'élection inconnu.")]})
    dates = list(round_dates)
    if not dates or len(dates) > 2:
        raise ValidationError({"round_dates": [_("Une élection a un ou deux tours.")]})
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        raise ValidationError({"round_dates": [_("Le second tour suit le premier.")]})
    slug = slugify(slug or f"{title}-{dates[0].year}")[:80]
    if not slug:
        raise ValidationError({"slug": [_("Donnez un identifiant à l'élection.")]})
    if Election.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [_("Une élection porte déjà cet identifiant.")]})
    election = Election.objects.create(
        slug=slug,
        title=title,
        kind=kind,
        owner=owner,
        description=(description or "").strip(),
        created_by=actor if isinstance(actor, User) else None,
    )
    for number, date in enumerate(dates, start=1):
        Round.objects.create(election=election, number=number, date=date)
    _audit(actor, AuditEvent.Action.CREATE, election, title=title, rounds=len(dates))
    return election


def _clean_candidate(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        panel = int(str(data.get("panel", "")).strip())
    except ValueError:
        raise ValidationError({"panel": [_("Le numéro de panneau est un entier.")]}) from None
    if panel < 1 or panel > 999:
        raise ValidationError({"panel": [_("Le numéro de panneau est entre 1 et 999.")]})
    clean = {
        "panel": panel,
        "nuance": str(data.get("nuance", "")).strip()[:16],
        "last_name": " ".join(str(data.get("last_name", "")).split())[:120],
        "first_name": " ".join(str(data.get("first_name", "")).split())[:120],
        "label": " ".join(str(data.get("label", "")).split())[:200],
        "elected": bool(data.get("elected", False)),
    }
    if not (clean["last_name"] or clean["label"]):
        raise ValidationError(
            {"last_name": [_("Indiquez le nom du candidat ou le libellé de la liste.")]}
        )
    colour = str(data.get("colour", "") or "").strip()
    if colour:
        if not COLOUR.match(colour):
            raise ValidationError(
                {"colour": [_("La couleur s'écrit #RRVVBB, par exemple #1f5fa8.")]}
            )
        clean["colour"] = colour.lower()
    return clean


def rounds_revise(rounds: QuerySet[Round]) -> None:
    """What the public reads of these rounds changed otherwise than by a publication: their
    ETag moves (``Round.revision``)."""
    Round.objects.filter(pk__in=rounds.values("pk")).update(revision=F("revision") + 1)


def candidates_set_step(
    *, round: Round, candidates: Iterable[Mapping[str, Any]]
) -> list[Candidate]:
    """Create or update a round's candidates by panel, inside the caller's transaction."""
    rounds_revise(Round.objects.filter(pk=round.pk))
    saved = []
    for data in candidates:
        clean = _clean_candidate(data)
        panel = clean.pop("panel")
        candidate, _created = Candidate.objects.update_or_create(
            round=round, panel=panel, defaults=clean
        )
        saved.append(candidate)
    return saved


@service
def candidates_set(
    *, actor: Actor, round: Round, candidates: Iterable[Mapping[str, Any]]
) -> list[Candidate]:
    """Add or update the candidates (lists) of a round, by panel number. Not once a bureau's
    figures are entered: the figures would not add up any more."""
    round = Round.objects.select_for_update().select_related("election").get(pk=round.pk)
    _require_manager(actor, round.election)
    if round.results.exclude(current__isnull=True).exists():
        raise ValidationError(
            {"__all__": [_("Des résultats sont déjà saisis : les candidats ne changent plus.")]}
        )
    saved = candidates_set_step(round=round, candidates=candidates)
    _audit(
        actor, AuditEvent.Action.UPDATE, round.election, round=round.number, candidates=len(saved)
    )
    return saved


def station_save_step(
    *,
    commune: Authority,
    number: int | str,
    valid_from: datetime.date,
    name: str,
    place_name: str = "",
    address: str = "",
    canton: str = "",
    circonscription: str = "",
    contour: dict[str, Any] | None = None,
    valid_to: datetime.date | None = None,
) -> tuple[PollingStation, bool]:
    """Create or update the bureau of (code, valid_from), inside the caller's transaction.
    Returns the station and whether anything changed."""
    if commune.kind != Authority.Kind.COMMUNE or not commune.insee_code:
        raise ValidationError({"commune": [_("Un bureau de vote appartient à une commune.")]})
    try:
        code = station_code(commune.insee_code, number)
    except ValueError:
        raise ValidationError({"number": [_("Le numéro du bureau est un entier.")]}) from None
    if contour is not None and contour.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError({"contour": [_("Le contour est un polygone GeoJSON.")]})
    values = {
        "commune": commune,
        "number": int(str(number)),
        "name": " ".join((name or "").split())[:200]
        or _("Bureau n° %(n)s") % {"n": int(str(number))},
        "place_name": " ".join((place_name or "").split())[:200],
        "address": " ".join((address or "").split())[:255],
        "canton": (canton or "").strip()[:80],
        "circonscription": (circonscription or "").strip()[:80],
        "contour": contour,
        "valid_to": valid_to,
    }
    station = PollingStation.objects.filter(code=code, valid_from=valid_from).first()
    if station is None:
        return PollingStation.objects.create(code=code, valid_from=valid_from, **values), True
    changed = [key for key, value in values.items() if getattr(station, key) != value]
    for key in changed:
        setattr(station, key, values[key])
    if changed:
        station.save(update_fields=changed)
        rounds_revise(Round.objects.filter(results__station=station))
    return station, bool(changed)


def round_expect_step(*, round: Round, stations: Iterable[PollingStation]) -> int:
    """The bureaux the round counts (an ``expected`` result each); returns how many are new."""
    existing = set(round.results.values_list("station_id", flat=True))
    new = [
        BureauResult(round=round, station=station)
        for station in stations
        if station.pk not in existing
    ]
    BureauResult.objects.bulk_create(new)
    if new:
        rounds_revise(Round.objects.filter(pk=round.pk))
    return len(new)


@service
def round_expect_owner_stations(*, actor: Actor, round: Round) -> int:
    """Expect every bureau in force on the round's date in the election's territory (the
    owner's communes)."""
    round = Round.objects.select_for_update().select_related("election__owner").get(pk=round.pk)
    _require_manager(actor, round.election)
    owner = round.election.owner
    communes = Authority.objects.subtree_of(owner)
    stations = stations_in_force(round.date).filter(Q(commune__in=communes))
    created = round_expect_step(round=round, stations=stations)
    _audit(actor, AuditEvent.Action.UPDATE, round.election, round=round.number, expected=created)
    return created


@service
def round_finalise(*, actor: Actor, round: Round) -> Round:
    """The round's results are final: nothing is entered any more, the exports lose their
    "provisional" flag, and the election's dataset is published in the catalog (made on the
    first final round, the same dataset afterwards)."""
    round = Round.objects.select_for_update().select_related("election__owner").get(pk=round.pk)
    _require_manager(actor, round.election)
    if round.status == RoundStatus.FINAL:
        return round
    pending = round.results.exclude(state="published").count()
    if pending:
        raise ValidationError(
            {
                "__all__": [
                    _("%(n)d bureau(x) ne sont pas encore publiés : le tour ne peut être clos.")
                    % {"n": pending}
                ]
            }
        )
    now = timezone.now()
    round.status = RoundStatus.FINAL
    round.finalised_at = now
    round.published_at = now
    round.save(update_fields=["status", "finalised_at", "published_at"])
    from elections.opendata import publish_round_dataset

    publish_round_dataset(actor=actor, round=round)
    _audit(actor, AuditEvent.Action.PUBLISH, round.election, round=round.number, final=True)
    return round
