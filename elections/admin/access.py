"""Who reaches what in Admin > Élections, resolved through ``elections.selectors`` only.

- The section (menu, list): whoever counts a commune's bureaux (``communes_counted_by``), manages
  an election (``elections_managed_by``) or may create one (``authorities_publishable_by``).
- A round: whoever counts one of its bureaux or manages its election.
- A bureau's result (entry, validation): whoever counts it (``results_countable_by``).
- Manager-only screens (candidates, import, expected bureaux, publication, closing, creation):
  whoever manages the election (``elections_managed_by``).

Anything else answers 404, never 403: the URL says nothing about what exists.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from documents.selectors import authorities_publishable_by
from elections.models import BureauResult, Election, Round
from elections.selectors import communes_counted_by, elections_managed_by, results_countable_by
from identity.models import Authority, User


def actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def counts_any_commune(user: Any) -> bool:
    return communes_counted_by(user).filter(kind=Authority.Kind.COMMUNE).exists()


def may_see_section(user: Any) -> bool:
    """The « Élections » menu item and list: someone who counts or manages, or may create."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        counts_any_commune(user)
        or elections_managed_by(user).exists()
        or authorities_publishable_by(user).exists()
    )


def may_create(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        authorities_publishable_by(user).exists()
    )


def elections_of(user: Any) -> QuerySet[Election]:
    """Elections ``user`` counts a bureau of or manages."""
    counted = results_countable_by(user).values("round__election_id")
    return (
        Election.objects.filter(
            Q(pk__in=elections_managed_by(user).values("pk")) | Q(pk__in=counted)
        )
        .select_related("owner")
        .distinct()
    )


def manages(user: Any, election: Election) -> bool:
    return elections_managed_by(user).filter(pk=election.pk).exists()


def visible_round(request: HttpRequest, pk: int, number: int) -> tuple[Round, bool]:
    """The round, and whether the requester manages its election; 404 when they neither count
    one of its bureaux nor manage it."""
    round = (
        Round.objects.select_related("election", "election__owner")
        .filter(election_id=pk, number=number)
        .first()
    )
    if round is None or not request.user.is_authenticated:
        raise Http404
    managed = manages(request.user, round.election)
    if not managed and not results_countable_by(request.user).filter(round=round).exists():
        raise Http404
    return round, managed


def managed_round(request: HttpRequest, pk: int, number: int) -> Round:
    """The round of an election the requester manages; 404 otherwise."""
    if not request.user.is_authenticated:
        raise Http404
    round = (
        Round.objects.select_related("election", "election__owner")
        .filter(election__in=elections_managed_by(request.user), election_id=pk, number=number)
        .first()
    )
    if round is None:
        raise Http404
    return round


def countable_result(request: HttpRequest, pk: int) -> BureauResult:
    """A bureau's result the requester counts; 404 otherwise."""
    if not request.user.is_authenticated:
        raise Http404
    result = (
        results_countable_by(request.user)
        .select_related(
            "round",
            "round__election",
            "round__election__owner",
            "station",
            "station__commune",
            "current",
            "current__entered_by",
            "current__validated_by",
            "published",
        )
        .filter(pk=pk)
        .first()
    )
    if result is None:
        raise Http404
    return result
