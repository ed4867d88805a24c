"""What the public reads of a round, in every format: the results as a JSON-ready dict, the
CSV with the ministry's column names, the GeoJSON of the bureaux' contours with their results,
and the HTTP validators every results answer carries (ETag, Last-Modified, Cache-Control, CORS).

Everything is built from ``elections.selectors.round_summary``: published versions only, never
``current`` (a version awaiting validation is never public).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from elections.middleware import mark_shared
from elections.models import BureauResult, Candidate, Round, RoundStatus
from elections.selectors import RoundSummary, Tally
from identity.models import Authority

PROVISIONAL_MAX_AGE = 5
FINAL_MAX_AGE = 3600
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


# --- Progress and labels ------------------------------------------------------------------------


def progress_label(counted: int, total: int) -> str:
    """« 87 bureaux sur 104 dépouillés »."""
    return ngettext(
        "%(counted)d bureau sur %(total)d dépouillé",
        "%(counted)d bureaux sur %(total)d dépouillés",
        counted or 1,  # French: « 0 bureau … dépouillé » is singular
    ) % {"counted": counted, "total": total}


def percent(value: float | None) -> str:
    """``42.1`` → ``42,10 %`` (French decimal comma); None → « — »."""
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",") + "\u00a0%"


def status_label(round: Round) -> str:
    if round.status == RoundStatus.FINAL:
        return _("Résultats définitifs")
    if round.status == RoundStatus.COUNTING:
        return _("Résultats provisoires — dépouillement en cours")
    return _("En préparation : aucun résultat publié")


# --- Validators -----------------------------------------------------------------------------------


def last_modified(round: Round) -> datetime.datetime:
    """When what the public reads of the round last changed (the election's creation before
    a first publication)."""
    return round.published_at or round.finalised_at or round.election.created_at


def etag(round: Round, variant: str = "") -> str:
    source = "|".join(
        [
            str(round.pk),
            round.election.created_at.isoformat(),
            round.published_at.isoformat() if round.published_at else "",
            round.status,
            str(round.revision),
            variant,
        ]
    )
    return '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'


KEPT_HEADERS = ("Content-Type", "Content-Disposition")


def _built(request: HttpRequest, tag: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """``build()``'s answer, or this process's copy of it for the same ETag (the same
    publication): on election night thousands of widgets ask for the same round, and the body
    is computed once per publication and process. The key holds the scheme and host because
    the body holds absolute URLs."""
    store = caches["results"]
    key = hashlib.sha256(f"{tag}|{request.scheme}|{request.get_host()}".encode()).hexdigest()
    kept = store.get(key)
    if kept is not None:
        content, headers = kept
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        return response
    response = build()
    if response.status_code == 200:
        headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
        store.set(key, (response.content, headers))
    return response


def cached(
    request: HttpRequest,
    round: Round,
    build: Callable[[], HttpResponse],
    *,
    variant: str = "",
    cors: bool = True,
) -> HttpResponseBase:
    """A results answer with its validators: 304 when the caller's copy is current (``build``
    is then never called: nothing is computed), else ``build()``'s response, built once per
    publication and process."""
    tag = etag(round, f"{variant}|{get_language() or ''}")
    stamp = int(last_modified(round).timestamp())
    response: HttpResponseBase | None = get_conditional_response(
        request, etag=tag, last_modified=stamp
    )
    if response is None:
        response = _built(request, tag, build)
        mark_shared(response)
    response["ETag"] = tag
    response["Last-Modified"] = http_date(stamp)
    max_age = FINAL_MAX_AGE if round.status == RoundStatus.FINAL else PROVISIONAL_MAX_AGE
    patch_cache_control(response, public=True, max_age=max_age)
    if cors:
        for name, value in CORS_HEADERS.items():
            response[name] = value
    return response


def preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    for name, value in PREFLIGHT_HEADERS.items():
        response[name] = value
    return response


# --- JSON ---------------------------------------------------------------------------------------


def _tally_figures(tally: Tally, candidates: list[Candidate]) -> dict[str, Any]:
    data = tally.as_dict(candidates)
    data.pop("label", None)
    data.pop("key", None)
    return data


def bureau_dict(
    summary: RoundSummary, result: BureauResult, tally: Tally, *, absolute: Callable[[str], str]
) -> dict[str, Any]:
    """One bureau as the public reads it: its figures only once published."""
    station = result.station
    published = result.published is not None
    data: dict[str, Any] = {
        "code": station.code,
        "number": station.number,
        "name": station.name,
        "place_name": station.place_name,
        "address": station.address,
        "commune": station.commune.name,
        "commune_code": station.commune.insee_code,
        "canton": station.canton,
        "circonscription": station.circonscription,
        "published": published,
        "state": "published" if published else "not_published",
        "version": result.published.number if result.published is not None else None,
        "corrected": result.pk in summary.corrected,
        "url": absolute(
            reverse(
                "elections:bureau",
                kwargs={
                    "slug": summary.round.election.slug,
                    "number": summary.round.number,
                    "code": station.code,
                },
            )
        ),
    }
    if published:
        data.update(_tally_figures(tally, summary.candidates))
    else:
        for key in ("inscrits", "votants", "abstentions", "blancs", "nuls", "exprimes"):
            data[key] = None
        data.update({"participation": None, "leader": None, "results": []})
    return data


def candidate_dict(candidate: Candidate) -> dict[str, Any]:
    return {
        "panel": candidate.panel,
        "name": candidate.display_name,
        "label": candidate.label,
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "nuance": candidate.nuance,
        "colour": candidate.colour,
        "elected": candidate.elected,
    }


def results_dict(
    summary: RoundSummary, *, absolute: Callable[[str], str] = lambda path: path
) -> dict[str, Any]:
    """The results JSON of a round."""
    round = summary.round
    election = round.election
    total = summary.total
    updated = round.published_at
    return {
        "election": {
            "slug": election.slug,
            "title": election.title,
            "kind": election.kind,
            "kind_label": election.get_kind_display(),
            "owner": election.owner.name,
        },
        "round": {
            "number": round.number,
            "date": round.date.isoformat(),
            "status": round.status,
            "status_label": status_label(round),
        },
        "status": round.status,
        "provisional": summary.provisional,
        "progress": {
            "counted": total.bureaux_counted,
            "total": total.bureaux_total,
            "complete": total.complete,
            "label": progress_label(total.bureaux_counted, total.bureaux_total),
        },
        "updated_at": updated.isoformat() if updated else None,
        "candidates": [candidate_dict(c) for c in summary.candidates],
        "total": total.as_dict(summary.candidates),
        "by_commune": [t.as_dict(summary.candidates) for t in summary.by_commune],
        "by_canton": [t.as_dict(summary.candidates) for t in summary.by_canton],
        "by_circonscription": [t.as_dict(summary.candidates) for t in summary.by_circonscription],
        "bureaux": [
            bureau_dict(summary, result, tally, absolute=absolute)
            for result, tally in summary.bureaux
        ],
    }


# --- CSV ----------------------------------------------------------------------------------------

CSV_FIXED = (
    "Code département",
    "Libellé département",
    "Code commune",
    "Libellé commune",
    "Code BV",
    "Inscrits",
    "Votants",
    "Abstentions",
    "Exprimés",
    "Blancs",
    "Nuls",
)
CSV_CANDIDATE = (
    "Numéro de panneau {i}",
    "Nuance candidat {i}",
    "Nom candidat {i}",
    "Prénom candidat {i}",
    "Voix {i}",
    "% Voix/exprimés {i}",
)


def csv_header(candidates: list[Candidate]) -> list[str]:
    header = list(CSV_FIXED)
    for index in range(1, len(candidates) + 1):
        header += [column.format(i=index) for column in CSV_CANDIDATE]
    return header


def _department_code(insee: str) -> str:
    if insee.startswith("97"):
        return insee[:3]
    return insee[:2]


def _department_name(commune: Authority, cache: dict[int, str]) -> str:
    if commune.pk not in cache:
        found = next(
            (a.name for a in commune.ancestors() if a.kind == Authority.Kind.DEPARTEMENT), ""
        )
        cache[commune.pk] = found
    return cache[commune.pk]


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _share(votes: int, exprimes: int) -> str:
    if not exprimes:
        return ""
    return f"{100 * votes / exprimes:.2f}".replace(".", ",") + "%"


def results_csv(summary: RoundSummary) -> bytes:
    """The published bureaux in the ministry's layout: ``;``-separated, UTF-8 with a BOM (a
    spreadsheet opens it with its accents), decimal commas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_header(summary.candidates))
    departments: dict[int, str] = {}
    for result, tally in summary.bureaux:
        if result.published is None:
            continue
        station = result.station
        insee = station.commune.insee_code or ""
        row: list[str | int] = [
            _department_code(insee),
            _csv_safe(_department_name(station.commune, departments)),
            insee,
            _csv_safe(station.commune.name),
            f"{station.number:04d}",
            tally.inscrits,
            tally.votants,
            tally.abstentions,
            tally.exprimes,
            tally.blancs,
            tally.nuls,
        ]
        for candidate in summary.candidates:
            votes = tally.votes.get(candidate.panel, 0)
            row += [
                candidate.panel,
                _csv_safe(candidate.nuance),
                _csv_safe(candidate.last_name or candidate.label),
                _csv_safe(candidate.first_name),
                votes,
                _share(votes, tally.exprimes),
            ]
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- GeoJSON --------------------------------------------------------------------------------------


def results_geojson(
    summary: RoundSummary, *, absolute: Callable[[str], str] = lambda path: path
) -> dict[str, Any]:
    """A FeatureCollection of the round's bureaux (contour, or a null geometry when none is
    known) with their results as properties."""
    features = []
    for result, tally in summary.bureaux:
        properties = bureau_dict(summary, result, tally, absolute=absolute)
        leader = next((c for c in summary.candidates if c.panel == properties.get("leader")), None)
        properties["leader_name"] = leader.display_name if leader else None
        properties["leader_colour"] = leader.colour if leader else None
        features.append(
            {
                "type": "Feature",
                "id": result.station.code,
                "geometry": result.station.contour or None,
                "properties": properties,
            }
        )
    round = summary.round
    return {
        "type": "FeatureCollection",
        "name": f"{round.election.slug}-tour-{round.number}",
        "metadata": {
            "election": round.election.title,
            "round": round.number,
            "status": round.status,
            "provisional": summary.provisional,
            "updated_at": round.published_at.isoformat() if round.published_at else None,
            "progress": progress_label(summary.total.bureaux_counted, summary.total.bureaux_total),
        },
        "features": features,
    }
