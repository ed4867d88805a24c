"""The SCDL exports at stable URLs (what a dataset resource of kind "export" points at):

- ``/donnees/scdl/<code>/deliberations.csv`` (``opendata:scdl_deliberations``),
- ``/donnees/scdl/<code>/catalogue.csv`` (``opendata:scdl_catalogue``),

``code`` an INSEE code or a SIREN. An unknown code, or an authority without a SIRET (the
schemas require it of the publisher), answers 404. Rows of authorities of the subtree without
a SIRET are left out and named in ``X-Civis-Omitted: rows=<n>; authorities=<code> <code>…``
(ASCII codes, so every client reads the header). The answer is 200 directly (harvesters
refuse redirects), with ``ETag`` (a hash of the body) and ``Last-Modified``, and a 304 for a
matching conditional request.
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from opendata import scdl


def _export(request: HttpRequest, code: str, kind: str) -> HttpResponseBase:
    authority = scdl.authority_by_code(code)
    if authority is None or not authority.siret:
        raise Http404(_("Aucune collectivité publiant cet export n'a ce code."))
    export = scdl.EXPORTS[kind](authority, base_url=request.build_absolute_uri("/"))
    body = export.csv_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    last_modified = int(export.last_modified.timestamp()) if export.last_modified else None
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:
        return conditional
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Content-Disposition"] = f'inline; filename="{kind}-{authority.code}.csv"'
    response["Link"] = f'<{scdl.SCHEMAS[kind]}>; rel="describedby"'
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    if export.omitted:
        codes = " ".join(a.code or str(a.pk) for a in export.omitted)
        response["X-Civis-Omitted"] = f"rows={export.omitted_rows}; authorities={codes}"
    return response


@require_safe
def deliberations(request: HttpRequest, code: str) -> HttpResponseBase:
    return _export(request, code, "deliberations")


@require_safe
def catalogue(request: HttpRequest, code: str) -> HttpResponseBase:
    return _export(request, code, "catalogue")
