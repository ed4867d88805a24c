"""JSON API of "Où voter ?" (a router of civis/api.py, at /api/v1/polling-station/).

GET /polling-station/?commune=<INSEE>&address=<text>   the bureau of an address, or why not
GET /polling-station/communes/?q=<text>                communes with data (autocomplete)
GET /polling-station/streets/?commune=<INSEE>&q=<text> the commune's known streets
GET /polling-station/communes/{insee}/bureaux.csv      the commune's bureaux
GET /polling-station/communes/{insee}/adresses.csv     its assignment of addresses
GET /polling-station/communes/{insee}/regles.csv       the rules of its arrêté
GET /polling-station/communes/{insee}/contours.geojson its bureaux' contours

The commune is required and never guessed: an address is only matched within it. A missing
or malformed parameter is a 400, an unknown commune a 404, with a French ``{"error": …}``.
Nothing typed is stored: no address reaches the database or the audit log.
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from core.api import error_responses
from identity.models import Authority
from opendata.models import Dataset
from polling import exports
from polling.models import CommuneReference
from polling.selectors import (
    OFFICIAL_SERVICE_URL,
    Answer,
    Bureau,
    commune_reference,
    commune_suggestions,
    next_election_date,
    polling_station_for,
    street_suggestions,
)

router = Router(tags=["Où voter ?"])

INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
COMMUNE_REQUIRED = (
    "Indiquez la commune par son code INSEE (paramètre commune, ex. 33281) : une adresse "
    "n'est cherchée que dans la commune choisie."
)
COMMUNE_NOT_FOUND = "Commune inconnue du portail."
NO_DATA = "Le portail n'a pas de données « Où voter ? » pour cette commune."


def _json(data: Any, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        status=status,
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"  # an answer is about someone's address
    return response


def _commune(code: str) -> Authority:
    code = (code or "").strip().upper()
    if not INSEE.match(code):
        raise HttpError(400, COMMUNE_REQUIRED)
    commune = Authority.objects.filter(kind=Authority.Kind.COMMUNE, insee_code=code).first()
    if commune is None:
        raise HttpError(404, COMMUNE_NOT_FOUND)
    return commune


def downloads(request: HttpRequest, reference: CommuneReference | None) -> dict[str, Any]:
    """The commune's data: the four files, its dataset in the catalog, the report form."""
    if reference is None:
        return {}
    insee = reference.commune.insee_code
    urls: dict[str, Any] = {
        name: request.build_absolute_uri(reverse(f"api:{route}", kwargs={"insee": insee}))
        for name, route in (
            ("bureaux_csv", "polling_bureaux_csv"),
            ("addresses_csv", "polling_addresses_csv"),
            ("rules_csv", "polling_rules_csv"),
            ("contours_geojson", "polling_contours_geojson"),
        )
    }
    dataset = (
        Dataset.objects.filter(pk=reference.dataset_id, status=Dataset.Status.PUBLISHED).first()
        if reference.dataset_id
        else None
    )
    urls["dataset"] = (
        request.build_absolute_uri(
            reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})
        )
        if dataset
        else None
    )
    urls["report"] = (
        request.build_absolute_uri(
            reverse("opendata:report", kwargs={"target": "dataset", "key": dataset.identifier})
        )
        if dataset
        else None
    )
    return urls


def _bureau(bureau: Bureau | None) -> dict[str, Any] | None:
    return bureau.as_dict() if bureau is not None else None


def answer_dict(request: HttpRequest, answer: Answer) -> dict[str, Any]:
    reference = answer.reference
    contact = answer.contact
    return {
        "commune": {"insee": answer.commune.insee_code, "name": answer.commune.name},
        "query": answer.query,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "confidence_label": answer.confidence_label,
        "reason": answer.reason,
        "explanation": answer.explanation,
        "matched_address": answer.matched_address or None,
        "bureau": _bureau(answer.bureau),
        "relied_on": answer.relied_on,
        "candidates": [b.as_dict() for b in answer.candidates],
        "suggestions": answer.suggestions,
        "rule": answer.rule_reference or None,
        "election_date": answer.election_date.isoformat() if answer.election_date else None,
        "source": (
            {
                "label": reference.source,
                "date": reference.source_date.isoformat() if reference.source_date else None,
                "imported_at": reference.imported_at.isoformat() if reference.imported_at else None,
            }
            if reference
            else None
        ),
        "mairie": (
            {
                "address": contact.street_address or None,
                "postal_code": contact.postal_code or None,
                "city": contact.city or None,
                "phone": contact.phone or None,
                "email": contact.email or None,
                "website": contact.website or None,
                "opening_hours": contact.opening_hours or None,
            }
            if contact
            else None
        ),
        "official_service": OFFICIAL_SERVICE_URL,
        "downloads": downloads(request, reference),
    }


@router.get(
    "/",
    response={200: dict[str, Any], **error_responses(400, 404)},
    url_name="polling_lookup",
    summary="Le bureau de vote d'une adresse",
    description=(
        "`commune` (code INSEE, obligatoire) et `address` (l'adresse telle qu'on l'écrit). "
        "`confidence` : `certain` (l'adresse figure dans la liste de la commune), "
        "`certain_arrete` (une règle de l'arrêté couvre ce numéro), `probable` (déduit des "
        "voisins, avec `relied_on`), `none` (pas de réponse sûre : `candidates`, "
        "`suggestions`, le contact de la mairie)."
    ),
)
def lookup(request: HttpRequest, commune: str = "", address: str = "") -> HttpResponse:
    found = _commune(commune)
    if not address.strip():
        raise HttpError(400, "Indiquez l'adresse (paramètre address, ex. 15 rue Jean Jaurès).")
    if len(address) > 200:
        raise HttpError(400, "L'adresse dépasse 200 caractères.")
    return _json(answer_dict(request, polling_station_for(found, address)))


@router.get(
    "/communes/",
    response={200: dict[str, Any], **error_responses()},
    url_name="polling_communes",
    summary="Les communes dont le portail a les données (saisie assistée)",
)
def communes(request: HttpRequest, q: str = "") -> HttpResponse:
    """The same shape as ``/api/v1/communes/`` (the portal's commune finder), so that one
    combobox serves both; ``url`` is the commune's "Où voter ?" page."""
    base = reverse("polling:where_to_vote")
    return _json(
        [
            {
                "name": c.name,
                "insee_code": c.insee_code,
                "postal_code": c.postal_codes.split(" ", 1)[0],
                "url": f"{base}?commune={c.insee_code}",
            }
            for c in commune_suggestions(q[:100])
        ]
    )


@router.get(
    "/streets/",
    response={200: dict[str, Any], **error_responses(400, 404)},
    url_name="polling_streets",
    summary="Les voies connues d'une commune (saisie assistée)",
)
def streets(request: HttpRequest, commune: str = "", q: str = "") -> HttpResponse:
    found = _commune(commune)
    return _json({"results": street_suggestions(found, q[:100])})


def _reference(insee: str) -> CommuneReference:
    reference = commune_reference(insee) if INSEE.match(insee.upper()) else None
    if reference is None:
        raise HttpError(404, NO_DATA)
    return reference


def _on(reference: CommuneReference) -> datetime.date:
    return next_election_date(reference.commune, timezone.localdate())


CSV = "text/csv; charset=utf-8"


def _download(
    request: HttpRequest,
    insee: str,
    build: Callable[[CommuneReference], bytes],
    content_type: str,
    name: str,
) -> HttpResponseBase:
    """One of the commune's files (404 without data), ``name`` with the INSEE code."""
    reference = _reference(insee)
    return exports.file_response(
        request,
        build(reference),
        content_type=content_type,
        filename=name.format(insee=reference.commune.insee_code),
        reference=reference,
    )


@router.get(
    "/communes/{insee}/bureaux.csv",
    response={200: str, **error_responses(404)},
    url_name="polling_bureaux_csv",
    summary="Les bureaux de vote de la commune (CSV)",
)
def bureaux_csv(request: HttpRequest, insee: str) -> HttpResponseBase:
    def build(reference: CommuneReference) -> bytes:
        return exports.bureaux_csv(reference, _on(reference))

    return _download(request, insee, build, CSV, "bureaux-{insee}.csv")


@router.get(
    "/communes/{insee}/adresses.csv",
    response={200: str, **error_responses(404)},
    url_name="polling_addresses_csv",
    summary="Les adresses de la commune et leur bureau (CSV)",
)
def addresses_csv(request: HttpRequest, insee: str) -> HttpResponseBase:
    return _download(request, insee, exports.addresses_csv, CSV, "adresses-bureaux-{insee}.csv")


@router.get(
    "/communes/{insee}/regles.csv",
    response={200: str, **error_responses(404)},
    url_name="polling_rules_csv",
    summary="Les règles de découpage de l'arrêté de la commune (CSV)",
)
def rules_csv(request: HttpRequest, insee: str) -> HttpResponseBase:
    return _download(request, insee, exports.rules_csv, CSV, "regles-bureaux-{insee}.csv")


@router.get(
    "/communes/{insee}/contours.geojson",
    response={200: dict[str, Any], **error_responses(404)},
    url_name="polling_contours_geojson",
    summary="Les contours des bureaux de la commune (GeoJSON)",
)
def contours_geojson(request: HttpRequest, insee: str) -> HttpResponseBase:
    def build(reference: CommuneReference) -> bytes:
        return exports.contours_geojson(reference, _on(reference))

    return _download(
        request, insee, build, "application/geo+json", "contours-bureaux-{insee}.geojson"
    )
