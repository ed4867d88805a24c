"""Election night: entering a bureau's figures, the second agent's validation, publication and
corrections.

    expected --enter--> entered --validate--> validated --publish--> published
                          ^  (another agent)                            |
                          +-------------- enter (a correction) ---------+

- ``result_enter`` checks the arithmetic of a count (votants = exprimés + blancs + nuls; the
  votes add up to exprimés; votants ≤ inscrits; a number for every candidate) and makes a new
  version. Entering again before validation replaces nothing: it is a new version, and the
  validator validates the latest one. After publication a new version is a correction and
  needs its reason; the public keeps reading the published one until the correction is
  validated.
- ``result_validate`` is the four-eyes rule: whoever entered a version cannot validate it. With
  the round's ``publish_on_validation`` (election night), validation publishes.
- ``round_publish_validated`` publishes every validated bureau of a round at once.

Every write locks the bureau's row, writes an audit row (``authority`` = the bureau's commune,
detail ``round``, ``station``, ``version``) and moves ``Round.published_at`` when what the public
reads changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from elections.models import (
    BureauResult,
    CandidateVotes,
    ResultState,
    ResultVersion,
    Round,
    RoundStatus,
)
from elections.selectors import results_countable_by
from identity.models import User

Actor = User | AnonymousUser | None

FIGURES = ("inscrits", "votants", "blancs", "nuls", "exprimes")
FIGURE_LABELS = {
    "inscrits": "inscrits",
    "votants": "votants",
    "blancs": "blancs",
    "nuls": "nuls",
    "exprimes": "exprimés",
}
MAX_FIGURE = 10_000_000


def _number(value: Any, label: str, errors: dict[str, list[str]], key: str) -> int | None:
    text = str(value if value is not None else "").strip().replace("\u202f", "").replace(" ", "")
    if text == "":
        errors.setdefault(key, []).append(_("Indiquez le nombre de %(what)s.") % {"what": label})
        return None
    if not text.isdigit() or int(text) > MAX_FIGURE:
        errors.setdefault(key, []).append(
            _("Le nombre de %(what)s doit être un entier positif ou nul.") % {"what": label}
        )
        return None
    return int(text)


def clean_count(
    round: Round, figures: Mapping[str, Any], votes: Mapping[Any, Any]
) -> tuple[dict[str, int], dict[int, int]]:
    """The figures and votes of one count as integers, or a ``ValidationError`` in French by
    field (``inscrits`` …, ``votes_<panel>``, and ``__all__`` for the arithmetic)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for key in FIGURES:
        number = _number(figures.get(key), FIGURE_LABELS[key], errors, key)
        if number is not None:
            clean[key] = number
    by_panel = {str(panel): value for panel, value in votes.items()}
    clean_votes: dict[int, int] = {}
    for candidate in round.candidates.all():
        key = f"votes_{candidate.panel}"
        number = _number(
            by_panel.get(str(candidate.panel)),
            _("voix de %(name)s") % {"name": candidate.display_name},
            errors,
            key,
        )
        if number is not None:
            clean_votes[candidate.panel] = number
    unknown = set(by_panel) - {str(c.panel) for c in round.candidates.all()}
    if unknown:
        errors.setdefault("__all__", []).append(
            _("Numéro de panneau inconnu : %(panels)s.") % {"panels": ", ".join(sorted(unknown))}
        )
    if errors:
        raise ValidationError(errors)
    if not clean_votes:
        raise ValidationError({"__all__": [_("Ce tour n'a encore aucun candidat ni liste.")]})
    checks: list[str] = []
    if clean["votants"] > clean["inscrits"]:
        checks.append(
            _("Il y a plus de votants (%(votants)d) que d'inscrits (%(inscrits)d).") % clean
        )
    balance = clean["exprimes"] + clean["blancs"] + clean["nuls"]
    if clean["votants"] != balance:
        checks.append(
            _(
                "Les votants (%(votants)d) doivent être égaux à exprimés + blancs + nuls "
                "(%(balance)d)."
            )
            % {"votants": clean["votants"], "balance": balance}
        )
    total = sum(clean_votes.values())
    if total != clean["exprimes"]:
        checks.append(
            _("La somme des voix (%(total)d) doit être égale au nombre d'exprimés (%(exprimes)d).")
            % {"total": total, "exprimes": clean["exprimes"]}
        )
    if checks:
        raise ValidationError({"__all__": checks})
    return clean, clean_votes


def _lock(result: BureauResult) -> BureauResult:
    return (
        BureauResult.objects.select_for_update(of=("self",))
        .select_related("round", "round__election", "station", "station__commune", "current")
        .get(pk=result.pk)
    )


def _require_counter(actor: Actor, result: BureauResult) -> None:
    if not results_countable_by(actor).filter(pk=result.pk).exists():
        raise PermissionDenied(_("Vous ne saisissez pas les résultats de ce bureau."))


def _audit(
    actor: Actor, action: str, result: BureauResult, version: ResultVersion, **detail: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        authority=result.station.commune,
        round=result.round_id,
        election=result.round.election.slug,
        station=result.station.code,
        version=version.number,
        **detail,
    )


def _touch_round(round: Round, now: Any) -> None:
    Round.objects.filter(pk=round.pk).update(published_at=now)
    round.published_at = now


def _publish(result: BureauResult, version: ResultVersion, now: Any) -> None:
    version.published_at = now
    version.save(update_fields=["published_at"])
    result.published = version
    result.state = ResultState.PUBLISHED
    result.updated_at = now
    result.save(update_fields=["published", "state", "updated_at"])
    _touch_round(result.round, now)


@service
def result_enter(
    *,
    actor: Actor,
    result: BureauResult,
    figures: Mapping[str, Any],
    votes: Mapping[Any, Any],
    note: str = "",
) -> ResultVersion:
    """Enter one bureau's count as a new version, awaiting a second agent's validation."""
    result = _lock(result)
    _require_counter(actor, result)
    if result.round.status == RoundStatus.FINAL:
        raise ValidationError(
            {"__all__": [_("Les résultats de ce tour sont définitifs : ils ne changent plus.")]}
        )
    clean, clean_votes = clean_count(result.round, figures, votes)
    note = " ".join((note or "").split())[:300]
    correction = result.published is not None
    if correction and not note:
        raise ValidationError(
            {"note": [_("Ce bureau est déjà publié : indiquez le motif de la correction.")]}
        )
    now = timezone.now()
    last = result.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ResultVersion.objects.create(
        result=result,
        number=last + 1,
        source=ResultVersion.Source.ENTRY,
        note=note,
        entered_by=actor if isinstance(actor, User) else None,
        entered_at=now,
        **clean,
    )
    candidates = {c.panel: c for c in result.round.candidates.all()}
    CandidateVotes.objects.bulk_create(
        CandidateVotes(version=version, candidate=candidates[panel], votes=count)
        for panel, count in clean_votes.items()
    )
    result.current = version
    result.state = ResultState.ENTERED
    result.updated_at = now
    result.save(update_fields=["current", "state", "updated_at"])
    if result.round.status == RoundStatus.PREPARING:
        Round.objects.filter(pk=result.round_id).update(status=RoundStatus.COUNTING)
    _audit(actor, AuditEvent.Action.ENTER, result, version, correction=correction)
    return version


@service
def result_validate(*, actor: Actor, result: BureauResult) -> BureauResult:
    """Validate the latest version entered, by an agent other than the one who entered it;
    on election night (``publish_on_validation``) it is published at once."""
    result = _lock(result)
    _require_counter(actor, result)
    version = result.current
    if result.state != ResultState.ENTERED or version is None:
        raise ValidationError({"__all__": [_("Ce bureau n'a pas de saisie à valider.")]})
    if version.entered_by_id is not None and version.entered_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(
            _("Un autre agent que celui qui a saisi les résultats doit les valider.")
        )
    now = timezone.now()
    version.validated_by = actor if isinstance(actor, User) else None
    version.validated_at = now
    version.save(update_fields=["validated_by", "validated_at"])
    result.state = ResultState.VALIDATED
    result.updated_at = now
    result.save(update_fields=["state", "updated_at"])
    _audit(actor, AuditEvent.Action.APPROVE, result, version)
    if result.round.publish_on_validation:
        _publish(result, version, now)
        _audit(actor, AuditEvent.Action.PUBLISH, result, version)
    return result


@service
def round_publish_validated(*, actor: Actor, round: Round) -> int:
    """Publish every validated bureau of the round that ``actor`` counts; returns how many."""
    now = timezone.now()
    published = 0
    validated = results_countable_by(actor).filter(round=round, state=ResultState.VALIDATED)
    for result in validated.select_for_update(of=("self",)).select_related(
        "round", "round__election", "station", "station__commune", "current"
    ):
        if result.current is None:
            continue
        _publish(result, result.current, now)
        _audit(actor, AuditEvent.Action.PUBLISH, result, result.current)
        published += 1
    return published


def record_official(
    *,
    actor: Actor,
    result: BureauResult,
    figures: Mapping[str, Any],
    votes: Mapping[Any, Any],
    now: Any,
) -> ResultVersion | None:
    """One bureau's official figures from the ministry's file, inside the import's transaction:
    checked like an entry, recorded as a validated and published version (the file is the
    official count, its own validation). Returns None when the published version already has
    these figures (a re-import changes nothing)."""
    clean, clean_votes = clean_count(result.round, figures, votes)
    published = result.published
    if published is not None:
        same = all(getattr(published, key) == value for key, value in clean.items())
        if same and published.votes_by_panel() == clean_votes:
            return None
    last = result.versions.order_by("-number").values_list("number", flat=True).first() or 0
    user = actor if isinstance(actor, User) else None
    version = ResultVersion.objects.create(
        result=result,
        number=last + 1,
        source=ResultVersion.Source.IMPORT,
        note=_("Import du fichier officiel") if published is not None else "",
        entered_by=user,
        entered_at=now,
        validated_by=user,
        validated_at=now,
        **clean,
    )
    candidates = {c.panel: c for c in result.round.candidates.all()}
    CandidateVotes.objects.bulk_create(
        CandidateVotes(version=version, candidate=candidates[panel], votes=count)
        for panel, count in clean_votes.items()
    )
    result.current = version
    _publish(result, version, now)
    return version
