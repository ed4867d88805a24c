"""A commune's "Où voter ?" data as files anyone can download and check: bureaux, assignment
and rules as CSV (UTF-8, comma separated, a cell a spreadsheet would run as a formula is
quoted), contours as GeoJSON. Built from ``polling.selectors`` only.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from polling.models import CommuneReference
from polling.selectors import commune_addresses, commune_rules, commune_stations

MAX_AGE = 300
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}

BUREAU_COLUMNS = [
    "code_commune",
    "numero_bureau",
    "code_bureau",
    "nom",
    "lieu_de_vote",
    "adresse_lieu_de_vote",
    "en_vigueur_depuis",
    "en_vigueur_jusqu_au",
]
ADDRESS_COLUMNS = [
    "code_commune",
    "numero",
    "indice_repetition",
    "voie",
    "numero_bureau",
    "lignes",
    "latitude",
    "longitude",
    "id_ban",
]
RULE_COLUMNS = ["code_commune", "voie", "de", "a", "cote", "bureau", "arrete"]
PARITY_WORDS = {"all": "", "even": "pairs", "odd": "impairs"}


def _safe(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return out.getvalue().encode("utf-8")


def bureaux_csv(reference: CommuneReference, on: datetime.date) -> bytes:
    insee = reference.commune.insee_code
    return _csv(
        BUREAU_COLUMNS,
        (
            [insee, s.number, s.code, s.name, s.place_name, s.address, s.valid_from, s.valid_to]
            for s in commune_stations(reference.commune, on)
        ),
    )


def addresses_csv(reference: CommuneReference) -> bytes:
    insee = reference.commune.insee_code
    return _csv(
        ADDRESS_COLUMNS,
        (
            [
                insee,
                a.number,
                a.repetition.lower(),
                a.street.label,
                a.bureau,
                a.lines,
                a.latitude,
                a.longitude,
                a.ban_id,
            ]
            for a in commune_addresses(reference.commune).iterator(chunk_size=2000)
        ),
    )


def rules_csv(reference: CommuneReference) -> bytes:
    insee = reference.commune.insee_code
    return _csv(
        RULE_COLUMNS,
        (
            [
                insee,
                r.street.label,
                r.number_from,
                r.number_to,
                PARITY_WORDS[r.parity],
                r.bureau,
                r.reference,
            ]
            for r in commune_rules(reference.commune)
        ),
    )


def contours_geojson(reference: CommuneReference, on: datetime.date) -> bytes:
    features = [
        {
            "type": "Feature",
            "geometry": s.contour,
            "properties": {
                "code_commune": reference.commune.insee_code,
                "numero_bureau": s.number,
                "code_bureau": s.code,
                "nom": s.name,
                "lieu_de_vote": s.place_name,
                "adresse_lieu_de_vote": s.address,
            },
        }
        for s in commune_stations(reference.commune, on)
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode("utf-8")


def file_response(
    request: HttpRequest,
    body: bytes,
    *,
    content_type: str,
    filename: str,
    reference: CommuneReference,
) -> HttpResponseBase:
    """The file, with an ETag of its content and the commune's last change as Last-Modified;
    304 to a matching conditional request."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified = reference.updated_at.timestamp() if reference.updated_at else None
    conditional = get_conditional_response(
        request, etag=etag, last_modified=int(modified) if modified else None
    )
    response: HttpResponseBase
    if conditional is not None:
        response = conditional
    else:
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    if modified:
        response["Last-Modified"] = http_date(modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response
