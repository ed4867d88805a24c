"""The reuse statistics of a dataset as CSV: ``/donnees/<uuid>/statistiques.csv``
(``opendata:dataset_stats``).

One row per resource and day that had a download or an API call: ``jour`` (AAAA-MM-JJ),
``ressource_id``, ``ressource`` (its title), ``telechargements``, ``appels_api``. Only a public
dataset (``opendata.selectors.datasets_public``) and its public resources; anything else is a
404. Comma-separated UTF-8, a cell that a spreadsheet would read as a formula is prefixed with
``'``. Open to every origin (CORS), with ``ETag`` / ``Last-Modified`` and 304s.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from opendata.selectors import datasets_public, resources_public
from opendata.stats import dataset_daily_stats

HEADER = ["jour", "ressource_id", "ressource", "telechargements", "appels_api"]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_safe
def dataset_stats(request: HttpRequest, identifier: uuid.UUID) -> HttpResponseBase:
    dataset = datasets_public().filter(identifier=identifier).first()
    if dataset is None:
        raise Http404
    rows = dataset_daily_stats(dataset, resources_public(dataset))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in HEADER])
    body = out.getvalue().encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    conditional = get_conditional_response(request, etag=etag)
    if conditional is not None:
        conditional["Access-Control-Allow-Origin"] = "*"
        return conditional
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = (
        f'attachment; filename="statistiques-{dataset.identifier}.csv"'
    )
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, no_cache=True)
    return response
