"""Admin > Élections: election night for the agents who count and the publishers who manage.

- ``/admin/elections/``: the elections one counts a bureau of or manages, per round a progress
  line (published / validated / entered / expected).
- ``/admin/elections/<pk>/tours/<n>/``: the round's bureaux the agent counts
  (``results_countable_by``), grouped by state — to enter, to validate (entered by someone
  else, ``awaiting_validation``), entered by me awaiting a second agent, validated awaiting
  publication, published — filtered by commune; the managers' actions (publish the validated
  bureaux, close the round, expect the territory's bureaux).
- ``/admin/elections/resultats/<pk>/saisie/``: the phone-sized entry form of one bureau
  (``result_enter``); a correction when the bureau is already published (its reason needed).
- ``/admin/elections/resultats/<pk>/validation/``: the figures entered, their arithmetic checks,
  the published version beside a correction, and « Valider » (``result_validate``) for anyone
  but the agent who entered them.

Objects are found through ``elections.admin.access`` (the selectors): out of scope is 404.
Every write is a service; its French ``ValidationError`` is shown by field, with a 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from elections.admin.access import (
    actor,
    countable_result,
    elections_of,
    managed_round,
    may_create,
    may_see_section,
    visible_round,
)
from elections.models import (
    BureauResult,
    Candidate,
    ResultState,
    ResultVersion,
    Round,
    RoundStatus,
)
from elections.selectors import (
    awaiting_validation,
    elections_managed_by,
    results_countable_by,
)
from elections.services.results import FIGURES
from identity.models import Authority

FIGURE_LABELS = {
    "inscrits": gettext_lazy("Inscrits"),
    "votants": gettext_lazy("Votants"),
    "blancs": gettext_lazy("Bulletins blancs"),
    "nuls": gettext_lazy("Bulletins nuls"),
    "exprimes": gettext_lazy("Suffrages exprimés"),
}
FIGURE_HELP = {
    "inscrits": gettext_lazy("Électeurs inscrits sur la liste du bureau."),
    "votants": gettext_lazy("Émargements sur la liste."),
    "blancs": "",
    "nuls": "",
    "exprimes": gettext_lazy("Votants moins blancs et nuls."),
}


def round_label(round: Round) -> str:
    if round.number == 1:
        return _("1er tour")
    return _("%(n)de tour") % {"n": round.number}


def round_url(round: Round) -> str:
    return reverse("elections_admin_round", args=[round.election_id, round.number])


def public_round_url(round: Round) -> str:
    """The round's public results page, once the public side is there."""
    try:
        return reverse("elections:round", args=[round.election.slug, round.number])
    except NoReverseMatch:
        return ""


# --- Progress ----------------------------------------------------------------------------------


@dataclass
class Progress:
    expected: int = 0
    entered: int = 0
    validated: int = 0
    published: int = 0

    @property
    def total(self) -> int:
        return self.expected + self.entered + self.validated + self.published

    def text(self) -> str:
        return _(
            "%(published)d publié(s) · %(validated)d validé(s) · %(entered)d saisi(s) · "
            "%(expected)d attendu(s) — %(total)d bureau(x)"
        ) % {
            "published": self.published,
            "validated": self.validated,
            "entered": self.entered,
            "expected": self.expected,
            "total": self.total,
        }


def progress_by_round(results: QuerySet[BureauResult]) -> dict[int, Progress]:
    """{round id: Progress} over ``results``, in one query."""
    out: dict[int, Progress] = {}
    for row in results.order_by().values("round_id", "state").annotate(n=Count("pk")):
        progress = out.setdefault(row["round_id"], Progress())
        setattr(progress, row["state"], row["n"])
    return out


def visible_results(user: Any) -> QuerySet[BureauResult]:
    """Results whose state the requester may follow: every bureau of the elections they manage,
    and the bureaux they count."""
    return BureauResult.objects.filter(
        Q(round__election__in=elections_managed_by(user).values("pk"))
        | Q(pk__in=results_countable_by(user).values("pk"))
    )


# --- List --------------------------------------------------------------------------------------


@require_http_methods(["GET"])
def elections_view(request: HttpRequest) -> HttpResponse:
    if not may_see_section(request.user):
        raise Http404
    elections = list(elections_of(request.user).order_by("-created_at", "-pk")[:200])
    rounds = list(
        Round.objects.filter(election__in=[e.pk for e in elections]).order_by("election", "number")
    )
    progress = progress_by_round(visible_results(request.user).filter(round__in=rounds))
    managed = set(
        elections_managed_by(request.user)
        .filter(pk__in=[e.pk for e in elections])
        .values_list("pk", flat=True)
    )
    by_election: dict[int, list[dict[str, Any]]] = {}
    for round in rounds:
        by_election.setdefault(round.election_id, []).append(
            {
                "round": round,
                "label": round_label(round),
                "url": round_url(round),
                "progress": progress.get(round.pk, Progress()),
            }
        )
    rows = [
        {"election": e, "managed": e.pk in managed, "rounds": by_election.get(e.pk, [])}
        for e in elections
    ]
    return render(
        request,
        "elections/admin/elections.html",
        {
            "page_title": _("Élections"),
            "rows": rows,
            "may_create": may_create(request.user),
        },
    )


# --- Round (election night) --------------------------------------------------------------------


class CommuneFilter(forms.Form):
    commune = forms.ModelChoiceField(
        label=gettext_lazy("Commune"),
        queryset=Authority.objects.none(),
        required=False,
        empty_label=gettext_lazy("Toutes les communes"),
        error_messages={"invalid_choice": gettext_lazy("Choisissez une commune de la liste.")},
    )

    def __init__(self, *args: Any, communes: QuerySet[Authority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField[Authority], self.fields["commune"])
        field.queryset = communes


@dataclass
class Group:
    key: str
    title: str
    empty: str
    rows: list[BureauResult]


def _groups(request: HttpRequest, round: Round, results: list[BureauResult]) -> list[Group]:
    awaiting = set(awaiting_validation(request.user, round).values_list("pk", flat=True))
    groups = {
        "a-saisir": Group("a-saisir", _("À saisir"), _("Aucun bureau à saisir"), []),
        "a-valider": Group("a-valider", _("À valider"), _("Aucune saisie à valider"), []),
        "mes-saisies": Group(
            "mes-saisies",
            _("Saisis par moi, en attente d'un second agent"),
            _("Aucune saisie de votre part en attente"),
            [],
        ),
        "valides": Group(
            "valides",
            _("Validés, en attente de publication"),
            _("Aucun bureau validé en attente"),
            [],
        ),
        "publies": Group("publies", _("Publiés"), _("Aucun bureau publié"), []),
    }
    for result in results:
        if result.state == ResultState.EXPECTED:
            key = "a-saisir"
        elif result.state == ResultState.ENTERED:
            key = "a-valider" if result.pk in awaiting else "mes-saisies"
        elif result.state == ResultState.VALIDATED:
            key = "valides"
        else:
            key = "publies"
        groups[key].rows.append(result)
    shown = list(groups.values())
    if not groups["valides"].rows:
        shown.remove(groups["valides"])
    return shown


def render_round(
    request: HttpRequest,
    round: Round,
    managed: bool,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    countable = results_countable_by(request.user).filter(round=round)
    communes = Authority.objects.filter(pk__in=countable.values("station__commune_id")).order_by(
        "name"
    )
    filters = CommuneFilter(request.GET or None, communes=communes)
    shown = countable
    if request.GET and filters.is_valid() and filters.cleaned_data.get("commune"):
        shown = shown.filter(station__commune=filters.cleaned_data["commune"])
    elif request.GET and not filters.is_valid():
        status = max(status, 400)
    results = list(
        shown.select_related(
            "station", "station__commune", "current", "current__entered_by", "published"
        ).order_by("station__code")[:2000]
    )
    scope = BureauResult.objects.filter(round=round) if managed else countable
    progress = progress_by_round(scope).get(round.pk, Progress())
    return render(
        request,
        "elections/admin/round.html",
        {
            "page_title": f"{round.election.title} — {round_label(round)}",
            "round": round,
            "election": round.election,
            "round_label": round_label(round),
            "managed": managed,
            "final": round.status == RoundStatus.FINAL,
            "progress": progress,
            "groups": _groups(request, round, results),
            "filters": filters,
            "show_filter": communes.count() > 1,
            "errors": errors or [],
            "public_url": public_round_url(round),
            "other_rounds": [
                (r, round_label(r), round_url(r))
                for r in round.election.rounds.exclude(pk=round.pk).order_by("number")
            ],
        },
        status=status,
    )


@require_http_methods(["GET"])
def round_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    round, managed = visible_round(request, pk, number)
    return render_round(request, round, managed)


@require_POST
def round_publish_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    from elections.services.results import round_publish_validated

    round = managed_round(request, pk, number)
    try:
        published = round_publish_validated(actor=actor(request), round=round)
    except (PermissionDenied, ValidationError) as error:
        return render_round(request, round, True, errors=_messages(error), status=400)
    if published:
        django_messages.success(
            request,
            ngettext("%(n)d bureau validé publié.", "%(n)d bureaux validés publiés.", published)
            % {"n": published},
        )
    else:
        django_messages.info(request, _("Aucun bureau validé à publier."))
    return redirect(round_url(round))


@require_POST
def round_finalise_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    from elections.services.elections import round_finalise

    round = managed_round(request, pk, number)
    if request.POST.get("confirm") != "1":
        return render_round(
            request,
            round,
            True,
            errors=[_("Cochez la case de confirmation pour clore le tour.")],
            status=400,
        )
    try:
        round_finalise(actor=actor(request), round=round)
    except (PermissionDenied, ValidationError) as error:
        return render_round(request, round, True, errors=_messages(error), status=400)
    django_messages.success(
        request,
        _("Le tour est clos : ses résultats sont définitifs et publiés en données ouvertes."),
    )
    return redirect(round_url(round))


def _messages(error: PermissionDenied | ValidationError) -> list[str]:
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or _("Action refusée.")]


# --- Entry -------------------------------------------------------------------------------------


def _numeric(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autocomplete": "off",
                "maxlength": "9",
                "class": "civis-count__input",
            }
        ),
    )


class EntryForm(forms.Form):
    """One bureau's count: the five figures and one number per candidate. Checked by
    ``result_enter`` (its messages are attached to these fields by name), so every field is
    kept as typed."""

    def __init__(
        self, *args: Any, candidates: list[Candidate], correction: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for key in FIGURES:
            self.fields[key] = _numeric(FIGURE_LABELS[key], FIGURE_HELP[key])
            self.fields[key].widget.attrs["data-count"] = key
        self.candidates = candidates
        for candidate in candidates:
            field = _numeric(candidate_label(candidate))
            field.widget.attrs["data-count"] = "voix"
            self.fields[f"votes_{candidate.panel}"] = field
        if correction:
            self.fields["note"] = forms.CharField(
                label=gettext_lazy("Motif de la correction"),
                required=False,
                help_text=gettext_lazy(
                    "Obligatoire : le bureau est déjà publié. Le motif est affiché avec la "
                    "correction."
                ),
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": "300"}),
            )

    def figure_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in FIGURES]

    def vote_fields(self) -> list[tuple[Candidate, forms.BoundField]]:
        return [(c, self[f"votes_{c.panel}"]) for c in self.candidates]

    def apply(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                self.add_error(key if key in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


def candidate_label(candidate: Candidate) -> str:
    name = candidate.display_name
    person = f"{candidate.first_name} {candidate.last_name}".strip()
    if candidate.label and person:
        name = f"{candidate.label} ({person})"
    nuance = f" — {candidate.nuance}" if candidate.nuance else ""
    return _("Panneau %(panel)d : %(name)s%(nuance)s") % {
        "panel": candidate.panel,
        "name": name,
        "nuance": nuance,
    }


def _initial(version: ResultVersion | None) -> dict[str, Any]:
    if version is None:
        return {}
    initial: dict[str, Any] = {key: getattr(version, key) for key in FIGURES}
    for panel, votes in version.votes_by_panel().items():
        initial[f"votes_{panel}"] = votes
    return initial


@require_http_methods(["GET", "POST"])
def entry_view(request: HttpRequest, pk: int) -> HttpResponse:
    from elections.services.results import result_enter

    result = countable_result(request, pk)
    round = result.round
    candidates = list(round.candidates.all())
    correction = result.published is not None
    final = round.status == RoundStatus.FINAL
    current = result.current
    mine = (
        result.state == ResultState.ENTERED
        and current is not None
        and current.entered_by_id == request.user.pk
    )
    # A correction starts from the published figures; re-entering one's own entry, from it.
    start = current if mine else (result.published if correction else None)
    form = EntryForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        correction=correction,
        initial=_initial(start),
    )
    status = 200
    if request.method == "POST":
        form.is_valid()  # every field is optional text: the service checks the count
        figures = {key: request.POST.get(key, "") for key in FIGURES}
        votes: dict[int | str, Any] = {
            c.panel: request.POST.get(f"votes_{c.panel}", "") for c in candidates
        }
        try:
            version = result_enter(
                actor=actor(request),
                result=result,
                figures=figures,
                votes=votes,
                note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            form.apply(error)
            status = 400
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("Action refusée."))
            status = 403
        else:
            if correction:
                done = _(
                    "Correction du %(bureau)s enregistrée (version %(n)d) : un second agent doit "
                    "la valider ; le public lit la version publiée d'ici là."
                )
            else:
                done = _(
                    "%(bureau)s saisi (version %(n)d) : un second agent doit maintenant valider "
                    "la saisie."
                )
            django_messages.success(
                request, done % {"bureau": result.station.name, "n": version.number}
            )
            return redirect(round_url(round))
    other_entry = result.state == ResultState.ENTERED and current is not None and not mine
    return render(
        request,
        "elections/admin/entry.html",
        {
            "page_title": _("Saisie — %(bureau)s") % {"bureau": result.station.name},
            "result": result,
            "round": round,
            "round_label": round_label(round),
            "round_url": round_url(round),
            "station": result.station,
            "form": form,
            "correction": correction,
            "final": final,
            "mine": mine,
            "other_entry": other_entry,
            "published_rows": _figure_rows(result.published, None, candidates)
            if correction
            else [],
            "no_candidates": not candidates,
            "table": {
                "caption": _("Chiffres publiés"),
                "first": _("Version publiée (%(n)d)")
                % {"n": result.published.number if result.published else 0},
            },
        },
        status=status,
    )


# --- Validation --------------------------------------------------------------------------------


@dataclass
class Check:
    label: str
    ok: bool
    detail: str


def checks_of(version: ResultVersion, votes: dict[int, int]) -> list[Check]:
    """The count's arithmetic, as the validator reads it."""
    balance = version.exprimes + version.blancs + version.nuls
    total = sum(votes.values())
    return [
        Check(
            _("Votants = exprimés + blancs + nuls"),
            version.votants == balance,
            _("%(votants)d = %(exprimes)d + %(blancs)d + %(nuls)d")
            % {
                "votants": version.votants,
                "exprimes": version.exprimes,
                "blancs": version.blancs,
                "nuls": version.nuls,
            }
            if version.votants == balance
            else _("%(votants)d votants, mais exprimés + blancs + nuls = %(balance)d")
            % {"votants": version.votants, "balance": balance},
        ),
        Check(
            _("Somme des voix = exprimés"),
            total == version.exprimes,
            _("%(total)d voix pour %(exprimes)d exprimés")
            % {"total": total, "exprimes": version.exprimes},
        ),
        Check(
            _("Votants ≤ inscrits"),
            version.votants <= version.inscrits,
            _("%(votants)d votants pour %(inscrits)d inscrits (participation %(rate)s %%)")
            % {
                "votants": version.votants,
                "inscrits": version.inscrits,
                "rate": (
                    f"{100 * version.votants / version.inscrits:.2f}".replace(".", ",")
                    if version.inscrits
                    else "—"
                ),
            },
        ),
    ]


def _figure_rows(
    first: ResultVersion | None, second: ResultVersion | None, candidates: list[Candidate]
) -> list[dict[str, Any]]:
    """Rows (label, value in ``first``, value in ``second``, changed) of two versions."""
    first_votes = first.votes_by_panel() if first is not None else {}
    second_votes = second.votes_by_panel() if second is not None else {}
    rows: list[dict[str, Any]] = []
    keys: list[tuple[str, Any, Any]] = [
        (str(FIGURE_LABELS[k]), getattr(first, k, None), getattr(second, k, None)) for k in FIGURES
    ]
    keys.insert(
        2,
        (
            _("Abstentions"),
            first.abstentions if first is not None else None,
            second.abstentions if second is not None else None,
        ),
    )
    keys += [
        (candidate_label(c), first_votes.get(c.panel), second_votes.get(c.panel))
        for c in candidates
    ]
    for label, a, b in keys:
        rows.append(
            {"label": label, "first": a, "second": b, "changed": second is not None and a != b}
        )
    return rows


@require_http_methods(["GET", "POST"])
def validation_view(request: HttpRequest, pk: int) -> HttpResponse:
    from elections.services.results import result_validate

    result = countable_result(request, pk)
    round = result.round
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            result = result_validate(actor=actor(request), result=result)
        except ValidationError as error:
            errors = list(error.messages)
            status = 400
        except PermissionDenied as error:
            errors = [str(error) or _("Action refusée.")]
            status = 403
        else:
            if result.state == ResultState.PUBLISHED:
                done = _("%(bureau)s validé et publié.")
            else:
                done = _("%(bureau)s validé : il sera publié avec les autres bureaux validés.")
            django_messages.success(request, done % {"bureau": result.station.name})
            return redirect(round_url(round))
        result = countable_result(request, pk)
    candidates = list(round.candidates.all())
    version = result.current
    votes = version.votes_by_panel() if version is not None else {}
    published = result.published
    correction = published is not None and version is not None and published.pk != version.pk
    entered_by_me = (
        version is not None
        and version.entered_by_id is not None
        and version.entered_by_id == request.user.pk
    )
    pending = result.state == ResultState.ENTERED and version is not None
    return render(
        request,
        "elections/admin/validation.html",
        {
            "page_title": _("Validation — %(bureau)s") % {"bureau": result.station.name},
            "result": result,
            "round": round,
            "round_label": round_label(round),
            "round_url": round_url(round),
            "station": result.station,
            "version": version,
            "published": published,
            "correction": correction,
            "pending": pending,
            "entered_by_me": entered_by_me,
            "may_validate": pending and not entered_by_me,
            "checks": checks_of(version, votes) if version is not None else [],
            "rows": _figure_rows(version, published if correction else None, candidates),
            "table": {
                "caption": _("Chiffres saisis (version %(n)d)")
                % {"n": version.number if version else 0},
                "first": _("Saisie à valider") if pending else _("Saisie"),
                "second": (
                    _("Version publiée (%(n)d)") % {"n": published.number}
                    if correction and published is not None
                    else ""
                ),
            },
            "errors": errors,
            "final": round.status == RoundStatus.FINAL,
        },
        status=status,
    )
