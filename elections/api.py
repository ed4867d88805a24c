"""JSON API of election results (a router of civis/api.py, at /api/v1/elections/).

GET /elections/                                  the elections and their rounds
GET /elections/{slug}/                           one election and its rounds
GET /elections/{slug}/tours/{number}/resultats          results of a round (JSON)
GET /elections/{slug}/tours/{number}/resultats.csv      the ministry's CSV layout
GET /elections/{slug}/tours/{number}/resultats.geojson  contours with the results
GET /elections/{slug}/tours/{number}/bureaux/{code}     one bureau

Only published versions (``elections.selectors.round_summary``): a count awaiting validation
is never in an answer. The results answers carry ``ETag`` / ``Last-Modified`` (moved by each
publication), ``Cache-Control: public, max-age=5`` during the count (longer once final), 304
for a matching ``If-None-Match`` / ``If-Modified-Since`` (computed before the results, so a
304 costs two queries), and ``Access-Control-Allow-Origin: *``; ``OPTIONS`` answers the
preflight of a cross-origin conditional request. Unknown election, round or bureau: 404 with
a French ``{"error": …}``.
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from ninja import Router
from ninja.errors import HttpError

from core.api import error_responses
from elections import exports
from elections.models import Election, Round
from elections.selectors import elections_public, round_summary

router = Router(tags=["Élections"])

ELECTION_NOT_FOUND = "Élection introuvable."
ROUND_NOT_FOUND = "Ce tour n'existe pas pour cette élection."
BUREAU_NOT_FOUND = "Ce bureau de vote ne fait pas partie de ce tour."


def public_election(slug: str) -> Election:
    election = elections_public().filter(slug=slug[:80]).first()
    if election is None:
        raise HttpError(404, ELECTION_NOT_FOUND)
    return election


def public_round(slug: str, number: str) -> Round:
    election = public_election(slug)
    text = str(number).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise HttpError(404, ROUND_NOT_FOUND)
    round = election.rounds.filter(number=int(text)).first()
    if round is None:
        raise HttpError(404, ROUND_NOT_FOUND)
    round.election = election
    return round


def _json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        status=status,
    )


def round_dict(request: HttpRequest, round: Round) -> dict[str, Any]:
    kwargs = {"slug": round.election.slug, "number": round.number}
    return {
        "number": round.number,
        "date": round.date.isoformat(),
        "status": round.status,
        "status_label": exports.status_label(round),
        "provisional": round.status != "final",
        "updated_at": round.published_at.isoformat() if round.published_at else None,
        "url": request.build_absolute_uri(reverse("elections:round", kwargs=kwargs)),
        "results": request.build_absolute_uri(reverse("api:election_round_results", kwargs=kwargs)),
        "csv": request.build_absolute_uri(reverse("api:election_round_csv", kwargs=kwargs)),
        "geojson": request.build_absolute_uri(reverse("api:election_round_geojson", kwargs=kwargs)),
    }


def election_dict(request: HttpRequest, election: Election) -> dict[str, Any]:
    return {
        "slug": election.slug,
        "title": election.title,
        "kind": election.kind,
        "kind_label": election.get_kind_display(),
        "owner": election.owner.name,
        "owner_code": election.owner.code,
        "description": election.description,
        "url": request.build_absolute_uri(
            reverse("elections:detail", kwargs={"slug": election.slug})
        ),
        "rounds": [round_dict(request, r) for r in election.rounds.all()],
    }


@router.get(
    "/",
    response={200: dict[str, Any], **error_responses()},
    url_name="election_list",
    summary="Les élections publiées",
)
def election_list(request: HttpRequest) -> HttpResponse:
    """Toutes les élections du portail, avec leurs tours et les adresses de leurs résultats."""
    elections = elections_public().prefetch_related("rounds")
    body = [election_dict(request, election) for election in elections]
    response = _json_response({"count": len(body), "results": body})
    response["Access-Control-Allow-Origin"] = "*"
    return response


@router.get(
    "/{slug}/",
    response={200: dict[str, Any], **error_responses(404)},
    url_name="election_detail",
    summary="Une élection et ses tours",
)
def election_detail(request: HttpRequest, slug: str) -> HttpResponse:
    election = public_election(slug)
    response = _json_response(election_dict(request, election))
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _absolute(request: HttpRequest) -> Any:
    return request.build_absolute_uri


@router.get(
    "/{slug}/tours/{number}/resultats",
    response={200: dict[str, Any], **error_responses(404)},
    url_name="election_round_results",
    summary="Résultats d'un tour (JSON)",
)
def round_results(request: HttpRequest, slug: str, number: str) -> HttpResponseBase:
    """Participation, résultats du territoire, par commune, canton, circonscription et bureau,
    avancement du dépouillement (`provisional` tant que les résultats ne sont pas définitifs).
    Avec `ETag` et `Last-Modified` : `If-None-Match` donne un 304 si rien n'a été publié
    depuis. Ouvert à toutes les origines (CORS)."""
    round = public_round(slug, number)
    return exports.cached(
        request,
        round,
        lambda: _json_response(
            exports.results_dict(round_summary(round), absolute=_absolute(request))
        ),
        variant="json",
    )


@router.api_operation(["OPTIONS"], "/{slug}/tours/{number}/resultats", include_in_schema=False)
def round_results_preflight(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    return exports.preflight()


def _csv(round: Round) -> HttpResponse:
    response = HttpResponse(
        exports.results_csv(round_summary(round)), content_type="text/csv; charset=utf-8"
    )
    name = f"{round.election.slug}-tour-{round.number}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/{slug}/tours/{number}/resultats.csv",
    response={200: str, **error_responses(404)},
    url_name="election_round_csv",
    summary="Résultats d'un tour par bureau (CSV du ministère)",
)
def round_csv(request: HttpRequest, slug: str, number: str) -> HttpResponseBase:
    """Les bureaux publiés, avec les noms de colonnes du ministère de l'Intérieur, séparés par
    des points-virgules, en UTF-8 avec BOM, pourcentages à virgule."""
    round = public_round(slug, number)
    return exports.cached(request, round, lambda: _csv(round), variant="csv")


@router.api_operation(["OPTIONS"], "/{slug}/tours/{number}/resultats.csv", include_in_schema=False)
def round_csv_preflight(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    return exports.preflight()


def _geojson(request: HttpRequest, round: Round) -> HttpResponse:
    response = HttpResponse(
        json.dumps(
            exports.results_geojson(round_summary(round), absolute=_absolute(request)),
            ensure_ascii=False,
        ),
        content_type="application/geo+json; charset=utf-8",
    )
    return response


@router.get(
    "/{slug}/tours/{number}/resultats.geojson",
    response={200: dict[str, Any], **error_responses(404)},
    url_name="election_round_geojson",
    summary="Contours des bureaux et résultats (GeoJSON)",
)
def round_geojson(request: HttpRequest, slug: str, number: str) -> HttpResponseBase:
    round = public_round(slug, number)
    return exports.cached(request, round, lambda: _geojson(request, round), variant="geojson")


@router.api_operation(
    ["OPTIONS"], "/{slug}/tours/{number}/resultats.geojson", include_in_schema=False
)
def round_geojson_preflight(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    return exports.preflight()


def _bureau(request: HttpRequest, round: Round, code: str) -> HttpResponse:
    summary = round_summary(round)
    for result, tally in summary.bureaux:
        if result.station.code == code:
            data = exports.bureau_dict(summary, result, tally, absolute=_absolute(request))
            data["election"] = round.election.slug
            data["round"] = round.number
            data["status"] = round.status
            data["provisional"] = summary.provisional
            data["updated_at"] = round.published_at.isoformat() if round.published_at else None
            data["candidates"] = [exports.candidate_dict(c) for c in summary.candidates]
            return _json_response(data)
    raise HttpError(404, BUREAU_NOT_FOUND)


@router.get(
    "/{slug}/tours/{number}/bureaux/{code}",
    response={200: dict[str, Any], **error_responses(404)},
    url_name="election_bureau_results",
    summary="Résultats d'un bureau de vote",
)
def bureau_results(request: HttpRequest, slug: str, number: str, code: str) -> HttpResponseBase:
    """Un bureau par son code `INSEE_NNNN` (`33281_0004`) : ses chiffres une fois publiés."""
    round = public_round(slug, number)
    code = code[:16]
    if not round.results.filter(station__code=code).exists():
        raise HttpError(404, BUREAU_NOT_FOUND)
    return exports.cached(
        request, round, lambda: _bureau(request, round, code), variant=f"bureau|{code}"
    )


@router.api_operation(["OPTIONS"], "/{slug}/tours/{number}/bureaux/{code}", include_in_schema=False)
def bureau_results_preflight(
    request: HttpRequest, slug: str, number: str, code: str
) -> HttpResponse:
    return exports.preflight()
