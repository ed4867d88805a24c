"""The admin home's « Soirée électorale » panel (Wagtail's ``construct_homepage_panels``),
shaped like the documents' role panels (documents/admin/dashboard.py): for whoever counts
bureaux or manages an election, the rounds being counted, each linking to its election-night
page with how many bureaux wait to be entered and validated. Shown only when such a round
exists; a fixed number of queries."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from documents.admin.dashboard import DashboardPanel, PanelData, Row, Section
from elections.admin.views import (
    Progress,
    progress_by_round,
    round_label,
    round_url,
    visible_results,
)
from elections.models import Round, RoundStatus
from elections.selectors import awaiting_validation, elections_managed_by, results_countable_by

ROWS = 8


def counting_rounds(request: HttpRequest) -> list[Round]:
    user = request.user
    return list(
        Round.objects.filter(status=RoundStatus.COUNTING)
        .filter(
            Q(election__in=elections_managed_by(user).values("pk"))
            | Q(pk__in=results_countable_by(user).values("round_id"))
        )
        .select_related("election", "election__owner")
        .distinct()
        .order_by("-date", "election__title")[:ROWS]
    )


class ElectionNightPanel(DashboardPanel):
    name = "civis_election_night"
    order = 5

    def __init__(self, request: HttpRequest, rounds: list[Round]) -> None:
        super().__init__(request)
        self.rounds = rounds
        self.heading = _("Soirée électorale")
        self.intro = _(
            "Les tours en cours de dépouillement dont vous saisissez ou gérez les bureaux."
        )

    def data(self) -> PanelData:
        progress = progress_by_round(visible_results(self.user).filter(round__in=self.rounds))
        awaiting = {
            round.pk: awaiting_validation(self.user, round).count() for round in self.rounds
        }
        rows = []
        for round in self.rounds:
            counts = progress.get(round.pk, Progress())
            rows.append(
                Row(
                    title=f"{round.election.title} — {round_label(round)}",
                    url=round_url(round),
                    authority=round.election.owner.name,
                    when=round.date,
                    when_label=_("scrutin du"),
                    note=_("%(expected)d à saisir, %(awaiting)d à valider, %(published)d publiés")
                    % {
                        "expected": counts.expected,
                        "awaiting": awaiting.get(round.pk, 0),
                        "published": counts.published,
                    },
                )
            )
        return PanelData(
            sections=[
                Section(
                    _("Dépouillement en cours"),
                    rows,
                    _("Aucun tour en cours de dépouillement"),
                    identifier="rounds",
                )
            ]
        )


def panels_for(request: HttpRequest) -> list[DashboardPanel]:
    if not request.user.is_authenticated:
        return []
    rounds = counting_rounds(request)
    return [ElectionNightPanel(request, rounds)] if rounds else []
