"""Election night as the services live it: entry with the count's arithmetic, the second
agent's validation, publication, corrections as new versions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from elections.models import ResultState
from elections.selectors import round_summary
from elections.services.results import result_enter, result_validate, round_publish_validated
from identity.models import Membership
from tests.elections.factories import count, make_election, make_station
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def night():
    territory = make_territory()
    merignac = territory["merignac"]
    stations = [make_station(merignac, n) for n in (1, 2, 3)]
    election = make_election(merignac, stations=stations)
    round = election.rounds.get()
    first = make_agent("saisie-1", roles=[(merignac, Membership.Role.AGENT)])
    second = make_agent("saisie-2", roles=[(merignac, Membership.Role.AGENT)])
    outsider = make_agent("bordeaux", roles=[(territory["bordeaux"], Membership.Role.PUBLISHER)])
    return territory, round, first, second, outsider


def test_an_entry_that_adds_up_awaits_a_second_agent_and_then_is_published(night):
    _territory, round, first, second, _outsider = night
    result = round.results.order_by("station__code").first()
    figures, votes = count()
    version = result_enter(actor=first, result=result, figures=figures, votes=votes)
    result.refresh_from_db()
    assert result.state == ResultState.ENTERED and result.published is None
    assert round_summary(round).total.bureaux_counted == 0
    with pytest.raises(PermissionDenied):
        result_validate(actor=first, result=result)
    result_validate(actor=second, result=result)
    result.refresh_from_db()
    assert result.state == ResultState.PUBLISHED and result.published == version
    summary = round_summary(round)
    assert summary.total.bureaux_counted == 1 and summary.total.bureaux_total == 3
    assert summary.total.votes == {1: 300, 2: 200, 3: 100}
    assert summary.total.participation == 61.5
    actions = list(
        AuditEvent.objects.filter(detail__station=result.station.code).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == sorted(["enter", "approve", "publish"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"votants": 700}, "exprimés + blancs + nuls"),
        ({"inscrits": 100}, "plus de votants"),
        ({"exprimes": 601, "votants": 616}, "somme des voix"),
        ({"nuls": "-3"}, "entier positif"),
        ({"blancs": ""}, "Indiquez le nombre de blancs"),
    ],
)
def test_an_entry_that_does_not_add_up_is_refused_with_the_reason(night, change, message):
    _territory, round, first, _second, _outsider = night
    result = round.results.first()
    figures, votes = count()
    figures.update(change)
    with pytest.raises(ValidationError) as error:
        result_enter(actor=first, result=result, figures=figures, votes=votes)
    assert message in str(error.value)
    assert not result.versions.exists()


def test_someone_of_another_commune_or_anonymous_cannot_enter(night):
    _territory, round, _first, _second, outsider = night
    result = round.results.first()
    figures, votes = count()
    for actor in (outsider, AnonymousUser(), None):
        with pytest.raises(PermissionDenied):
            result_enter(actor=actor, result=result, figures=figures, votes=votes)


def test_a_correction_after_publication_keeps_the_published_figures_until_validated(night):
    _territory, round, first, second, _outsider = night
    result = round.results.first()
    figures, votes = count()
    result_enter(actor=first, result=result, figures=figures, votes=votes)
    result_validate(actor=second, result=result)
    figures, votes = count(votes=(310, 190, 100))
    with pytest.raises(ValidationError, match="motif"):
        result_enter(actor=first, result=result, figures=figures, votes=votes)
    result_enter(actor=first, result=result, figures=figures, votes=votes, note="Erreur de report")
    assert round_summary(round).total.votes == {1: 300, 2: 200, 3: 100}
    result_validate(actor=second, result=result)
    summary = round_summary(round)
    assert summary.total.votes == {1: 310, 2: 190, 3: 100}
    assert result.pk in summary.corrected


def test_without_publish_on_validation_a_publisher_publishes_the_validated_bureaux(night):
    _territory, round, first, second, _outsider = night
    round.publish_on_validation = False
    round.save()
    for result in round.results.all():
        figures, votes = count()
        result_enter(actor=first, result=result, figures=figures, votes=votes)
        result_validate(actor=second, result=result)
    assert round_summary(round).total.bureaux_counted == 0
    assert round_publish_validated(actor=second, round=round) == 3
    assert round_summary(round).total.complete
