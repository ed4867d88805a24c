"""The public election pages (namespace ``elections``, at /elections/): the list, an election,
a round's results (participation, the whole territory, progress, the map and the tables by
commune, canton, circonscription and bureau, downloads, the snippets to embed them), a bureau,
and the widgets — headerless pages made to be framed by any other site, that refresh
themselves from the results JSON (elections/static/elections/widget.js).

Everything read goes through ``elections.selectors`` (``round_summary``: published versions
only). Unknown election, round or bureau: 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from elections import exports
from elections.map import MapView, render_map, several_communes, station_label
from elections.models import BureauResult, Election, Round
from elections.selectors import RoundSummary, Tally, elections_public, round_summary

WIDGET_KINDS = ("resume", "bureau", "carte", "participation")
REFRESH_DEFAULT = 30
REFRESH_MIN = 10
REFRESH_MAX = 3600
# The widgets may be framed by any site; the rest of the policy is the portal's.
WIDGET_CSP = {**getattr(settings, "SECURE_CSP", {}), "frame-ancestors": ["*"]}


def _election(slug: str) -> Election:
    election = elections_public().filter(slug=slug[:80]).first()
    if election is None:
        raise Http404(_("Cette élection n'existe pas."))
    return election


def _round(slug: str, number: int) -> Round:
    election = _election(slug)
    round = election.rounds.filter(number=number).first()
    if round is None:
        raise Http404(_("Ce tour n'existe pas pour cette élection."))
    round.election = election
    return round


def round_label(round: Round) -> str:
    return _("1er tour") if round.number == 1 else _("%(n)de tour") % {"n": round.number}


def _bureau_url(round: Round, code: str) -> str:
    return reverse(
        "elections:bureau",
        kwargs={"slug": round.election.slug, "number": round.number, "code": code},
    )


def _rows(summary: RoundSummary, tallies: list[Tally]) -> list[dict[str, Any]]:
    """Table rows: a tally's figures, its share per candidate, its leader."""
    by_panel = {c.panel: c for c in summary.candidates}
    rows = []
    for tally in tallies:
        leader = by_panel.get(tally.leader) if tally.leader is not None else None
        rows.append(
            {
                "tally": tally,
                "participation": exports.percent(tally.participation),
                "shares": [
                    {
                        "candidate": c,
                        "votes": tally.votes.get(c.panel, 0),
                        "share": exports.percent(tally.share(c.panel)),
                    }
                    for c in summary.candidates
                ],
                "leader": leader,
            }
        )
    return rows


def _bars(summary: RoundSummary, tally: Tally) -> list[dict[str, Any]]:
    """The candidates of a tally, most votes first, with their share (bars, numbers and
    percentages: never the colour alone)."""
    bars = []
    for candidate in summary.candidates:
        share = tally.share(candidate.panel)
        bars.append(
            {
                "candidate": candidate,
                "votes": tally.votes.get(candidate.panel, 0),
                "share": share,
                "share_text": exports.percent(share),
                "width": f"{share or 0:.2f}",
                "leader": tally.leader == candidate.panel,
            }
        )
    return sorted(bars, key=lambda bar: (-bar["votes"], bar["candidate"].panel))


def _bureau_rows(summary: RoundSummary) -> list[dict[str, Any]]:
    by_panel = {c.panel: c for c in summary.candidates}
    communes = several_communes(summary)
    rows = []
    for result, tally in summary.bureaux:
        published = result.published is not None
        leader = by_panel.get(tally.leader) if published and tally.leader is not None else None
        rows.append(
            {
                "result": result,
                "station": result.station,
                "label": station_label(result, with_commune=communes),
                "url": _bureau_url(summary.round, result.station.code),
                "published": published,
                "tally": tally,
                "corrected": result.pk in summary.corrected,
                "version": result.published.number if result.published else None,
                "participation": exports.percent(tally.participation),
                "leader": leader,
                "leader_share": exports.percent(tally.share(leader.panel)) if leader else "",
                "shares": [
                    {
                        "candidate": c,
                        "votes": tally.votes.get(c.panel, 0),
                        "share": exports.percent(tally.share(c.panel)),
                    }
                    for c in summary.candidates
                ],
            }
        )
    return rows


def _map(summary: RoundSummary, mode: str, dom_id: str = "carte") -> MapView:
    round = summary.round
    return render_map(
        summary,
        mode=mode,
        link=lambda result: _bureau_url(round, result.station.code),
        title=_("Carte des bureaux de vote — %(election)s, %(round)s")
        % {"election": round.election.title, "round": round_label(round)},
        dom_id=dom_id,
    )


def _round_context(request: HttpRequest, summary: RoundSummary) -> dict[str, Any]:
    round = summary.round
    election = round.election
    kwargs = {"slug": election.slug, "number": round.number}
    total = summary.total
    return {
        "election": election,
        "round": round,
        "round_label": round_label(round),
        "summary": summary,
        "total": total,
        "status_label": exports.status_label(round),
        "progress": exports.progress_label(total.bureaux_counted, total.bureaux_total),
        "participation": exports.percent(total.participation),
        "bars": _bars(summary, total),
        "results_url": reverse("api:election_round_results", kwargs=kwargs),
        "results_absolute": request.build_absolute_uri(
            reverse("api:election_round_results", kwargs=kwargs)
        ),
    }


@require_safe
def election_list(request: HttpRequest) -> HttpResponse:
    elections = list(elections_public().prefetch_related("rounds"))
    return render(request, "elections/election_list.html", {"elections": elections})


@require_safe
def election_detail(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The latest round with published results, or the list of the rounds."""
    election = _election(slug)
    rounds = list(election.rounds.all())
    with_results = [r for r in rounds if r.published_at is not None]
    if with_results:
        latest = max(with_results, key=lambda r: r.number)
        return redirect("elections:round", slug=election.slug, number=latest.number)
    return render(
        request,
        "elections/election_detail.html",
        {
            "election": election,
            "rounds": [(r, round_label(r), exports.status_label(r)) for r in rounds],
        },
    )


@require_safe
def round_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The results of a round. Their part of the page is the same for every reader: it is
    rendered once per publication (the round's ETag), map mode, language and host, and kept
    by the process (``caches["results"]``): election night's readers cost a lookup each."""
    round = _round(slug, number)
    mode = "participation" if request.GET.get("carte") == "participation" else "candidat"
    variant = f"page|{mode}|{get_language() or ''}|{request.scheme}|{request.get_host()}"
    key = "page|" + exports.etag(round, variant).strip('"')
    store = caches["results"]
    content = store.get(key)
    if content is None:
        content = render_to_string(
            "elections/includes/round_content.html", _round_page_context(request, round, mode)
        )
        store.set(key, content)
    return render(
        request,
        "elections/round.html",
        {
            "election": round.election,
            "round": round,
            "round_label": round_label(round),
            "content": mark_safe(content),  # noqa: S308 (our own template's output)
        },
    )


def _round_page_context(request: HttpRequest, round: Round, mode: str) -> dict[str, Any]:
    summary = round_summary(round)
    kwargs = {"slug": round.election.slug, "number": round.number}
    widget_base = request.build_absolute_uri(
        reverse("elections:widget", kwargs={**kwargs, "kind": "resume"})
    )
    context = _round_context(request, summary)
    context.update(
        {
            "map": _map(summary, mode),
            "map_mode": mode,
            "groups": [
                (
                    "commune",
                    _("Résultats par commune"),
                    _("Commune"),
                    _rows(summary, summary.by_commune),
                ),
                (
                    "canton",
                    _("Résultats par canton"),
                    _("Canton"),
                    _rows(summary, summary.by_canton),
                ),
                (
                    "circonscription",
                    _("Résultats par circonscription"),
                    _("Circonscription"),
                    _rows(summary, summary.by_circonscription),
                ),
            ],
            "bureaux": _bureau_rows(summary),
            "other_rounds": [
                (r, round_label(r)) for r in round.election.rounds.all() if r.pk != round.pk
            ],
            "downloads": [
                (_("Résultats (JSON)"), reverse("api:election_round_results", kwargs=kwargs)),
                (
                    _("Résultats par bureau (CSV, colonnes du ministère de l'Intérieur)"),
                    reverse("api:election_round_csv", kwargs=kwargs),
                ),
                (
                    _("Contours des bureaux et résultats (GeoJSON)"),
                    reverse("api:election_round_geojson", kwargs=kwargs),
                ),
            ],
            "widget_url": widget_base,
            "embed_js": request.build_absolute_uri(
                settings.STATIC_URL.rstrip("/") + "/elections/embed.js"
            ),
            "component_js": request.build_absolute_uri(
                settings.STATIC_URL.rstrip("/") + "/elections/civis-resultats.js"
            ),
        }
    )
    return context


def _find_bureau(summary: RoundSummary, code: str) -> tuple[BureauResult, Tally]:
    for result, tally in summary.bureaux:
        if result.station.code == code:
            return result, tally
    raise Http404(_("Ce bureau de vote ne fait pas partie de ce tour."))


def _bureau_context(summary: RoundSummary, code: str) -> dict[str, Any]:
    result, tally = _find_bureau(summary, code)
    return {
        "result": result,
        "station": result.station,
        "station_label": station_label(result),
        "tally": tally,
        "published": result.published is not None,
        "corrected": result.pk in summary.corrected,
        "version": result.published,
        "bureau_participation": exports.percent(tally.participation),
        "bureau_bars": _bars(summary, tally),
    }


@require_safe
def bureau_page(request: HttpRequest, slug: str, number: int, code: str) -> HttpResponse:
    round = _round(slug, number)
    summary = round_summary(round)
    context = _round_context(request, summary)
    context.update(_bureau_context(summary, code[:16]))
    return render(request, "elections/bureau.html", context)


class _BadWidget(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refresh(request: HttpRequest) -> int:
    text = request.GET.get("refresh", "").strip()
    if not text:
        return REFRESH_DEFAULT
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise _BadWidget(_("« refresh » doit être un nombre entier de secondes (10 au moins)."))
    return min(max(int(text), REFRESH_MIN), REFRESH_MAX)


@require_safe
@xframe_options_exempt
@csp_override(WIDGET_CSP)
def widget(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponseBase:
    """A headerless view for an ``<iframe>`` of another site; ``?refresh=`` seconds (10 at
    least, 30 by default); ``?code=`` for the bureau widget; ``?vue=participation`` colours
    the map by participation; ``?fragment=1`` is the refreshed part only (widget.js)."""
    if kind not in WIDGET_KINDS:
        raise Http404(_("Ce type de widget n'existe pas."))
    round = _round(slug, number)
    try:
        refresh = _refresh(request)
    except _BadWidget as error:
        return render(request, "elections/widget_error.html", {"error": error.message}, status=400)
    code = request.GET.get("code", "").strip()[:16]
    if kind == "bureau" and not round.results.filter(station__code=code).exists():
        raise Http404(_("Ce bureau de vote ne fait pas partie de ce tour."))
    mode = "participation" if request.GET.get("vue") == "participation" else "candidat"
    fragment = request.GET.get("fragment") == "1"

    def build() -> HttpResponse:
        summary = round_summary(round)
        context = _round_context(request, summary)
        context.update(
            {
                "kind": kind,
                "refresh": refresh,
                "code": code,
                "fragment": fragment,
                "page_url": request.build_absolute_uri(
                    reverse(
                        "elections:round",
                        kwargs={"slug": round.election.slug, "number": round.number},
                    )
                ),
                "fragment_url": f"{request.path}?{_fragment_query(request)}",
            }
        )
        if kind == "bureau":
            context.update(_bureau_context(summary, code))
            context["page_url"] = request.build_absolute_uri(_bureau_url(round, code))
        if kind == "carte":
            context["map"] = _map(summary, mode, dom_id="carte-widget")
            context["bureaux"] = _bureau_rows(summary)
            context["map_mode"] = mode
        template = "elections/widget_body.html" if fragment else "elections/widget.html"
        return render(request, template, context)

    variant = f"widget|{kind}|{code}|{mode}|{refresh}|{int(fragment)}"
    return exports.cached(request, round, build, variant=variant)


def _fragment_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["fragment"] = "1"
    return query.urlencode()
