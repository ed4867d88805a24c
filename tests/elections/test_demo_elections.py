"""The demo's election night: Mérignac's six bureaux, a final first round published as an open
data dataset, a second round half counted with one bureau awaiting a second agent; loading it
again changes nothing."""

from __future__ import annotations

import io

import pytest

from civis.portal.demo.elections import SLUG, load_elections
from elections.models import Election, ResultState, RoundStatus
from elections.selectors import awaiting_validation, round_summary
from identity.models import Membership, User
from opendata.models import Dataset
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    places = make_territory()
    make_agent("agent-merignac", roles=[(places["merignac"], Membership.Role.AGENT)])
    make_agent("editeur-merignac", roles=[(places["merignac"], Membership.Role.PUBLISHER)])
    return places


def test_the_demo_shows_a_final_round_and_a_live_one(demo):
    out = io.StringIO()
    assert load_elections(out) == 1
    election = Election.objects.get(slug=SLUG)
    first, second = election.rounds.order_by("number")
    assert first.status == RoundStatus.FINAL
    assert round_summary(first).total.complete
    live = round_summary(second)
    assert second.status == RoundStatus.COUNTING and live.provisional
    assert (live.total.bureaux_counted, live.total.bureaux_total) == (3, 6)
    states = sorted(second.results.values_list("state", flat=True))
    assert states.count(ResultState.EXPECTED) == 2 and states.count(ResultState.ENTERED) == 1
    validator = User.objects.get(username="editeur-merignac")
    assert awaiting_validation(validator, second).count() == 1
    # The entering agent cannot validate their own entry.
    assert not awaiting_validation(User.objects.get(username="agent-merignac"), second).exists()
    dataset = Dataset.objects.get(pk=election.dataset_id)
    assert dataset.status == Dataset.Status.PUBLISHED and dataset.owner == demo["merignac"]
    assert dataset.resources.count() == 3  # the first round's JSON, CSV and GeoJSON
    assert "1 à valider" in out.getvalue()


def test_loading_the_demo_again_changes_nothing(demo):
    load_elections()
    assert load_elections() == 0
    assert Election.objects.count() == 1
