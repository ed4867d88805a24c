"""The DCAT-AP catalog over HTTP, for data.gouv.fr's harvester and any reuser.

- ``/catalog`` (content negotiation on ``Accept``: ``text/turtle`` — the default —,
  ``application/ld+json``, ``application/rdf+xml``), ``/catalog.ttl``, ``/catalog.jsonld``,
  ``/catalog.xml``; the same with a trailing slash (the harvester refuses any 3xx, so no
  redirect anywhere).
- ``?authority_code=<INSEE or SIREN>``: that authority's datasets only, not its subtree's.
  data.gouv.fr harvests one organisation per source: a métropole's catalog listing its
  communes' datasets would publish them twice (under the commune and under the métropole).
  An unknown code is a 400 (French text), so a mistyped harvest source fails loudly instead
  of harvesting an empty catalog and deleting everything.
- ``?modified_since=AAAA-MM-JJ``: datasets modified or published that day or later (like
  ckanext-dcat), in the portal's time zone.
- ``?page=`` / ``?page_size=`` (1 to 100, 50 by default): Hydra paging; the links (absolute)
  point at the format's own URL (``/catalog.ttl?page=2``), so following them needs no
  negotiation. A page past the last one is a 404.
- ``ETag`` (the body's hash) and ``Last-Modified``, 304 on ``If-None-Match`` /
  ``If-Modified-Since``; ``Vary: Accept`` on ``/catalog``.
- ``/donnees/<uuid>.ttl|.jsonld|.rdf``: one dataset (404 unless public).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rdflib import Graph

from core.params import BadParameter, parse_date, parse_int
from identity.models import Authority
from opendata.catalog import CatalogPage, catalog_graph, dataset_graph, page_count
from opendata.models import Dataset, Resource
from opendata.selectors import datasets_public

# Suffix → (rdflib format, media type).
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "xml": ("xml", "application/rdf+xml"),
}
DATASET_FORMATS = {"ttl": "ttl", "jsonld": "jsonld", "rdf": "xml"}
# Accept → suffix; the first is the default (``*/*``, or no Accept at all).
NEGOTIATED = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
    "application/x-turtle": "ttl",
    "application/json": "jsonld",
    "application/xml": "xml",
    "text/xml": "xml",
}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _authority(code: str) -> Authority:
    """The authority ``?authority_code`` names (INSEE code or SIREN), or ``BadParameter``."""
    code = code.strip()
    if not code or len(code) > 14 or not code.isascii() or not code.isalnum():
        raise BadParameter(
            "authority_code",
            _("« authority_code » doit être un code INSEE ou un SIREN (chiffres)."),
        )
    by_siren = Authority.objects.filter(siren=code).first()
    if by_siren is not None:
        return by_siren
    found = list(Authority.objects.filter(insee_code=code)[:2])
    if not found:
        raise BadParameter(
            "authority_code", _("Aucune collectivité n'a le code « %(code)s ».") % {"code": code}
        )
    if len(found) > 1:
        raise BadParameter(
            "authority_code",
            _("Le code « %(code)s » désigne plusieurs collectivités : utilisez leur SIREN.")
            % {"code": code},
        )
    return found[0]


def _last_modified(
    datasets: QuerySet[Dataset], authority: Authority | None, *, withdrawals: bool = True
) -> datetime.datetime:
    """When the catalog last changed: its datasets, their resources and documents, and the
    withdrawal of a dataset that was in it (its ``modified_at``), so that an
    ``If-Modified-Since`` alone never keeps a withdrawn dataset in a harvester's cache."""
    withdrawn = Dataset.objects.filter(status=Dataset.Status.WITHDRAWN)
    if authority is not None:
        withdrawn = withdrawn.filter(owner=authority)
    resources = Resource.objects.filter(dataset__in=datasets.values("pk"))
    moments = [
        *datasets.aggregate(a=Max("modified_at"), b=Max("published_at")).values(),
        withdrawn.aggregate(a=Max("modified_at"))["a"] if withdrawals else None,
        *resources.aggregate(
            a=Max("created_at"),
            b=Max("document__updated_at"),
            c=Max("document__current_version__created_at"),
        ).values(),
        Authority.objects.filter(pk__in=datasets.values("owner")).aggregate(a=Max("certified_at"))[
            "a"
        ],
    ]
    now = timezone.now()
    known = [min(m, now) for m in moments if m is not None]
    return max(known) if known else datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _rdf_response(
    request: HttpRequest, graph: Graph, suffix: str, last_modified: datetime.datetime | None
) -> HttpResponseBase:
    rdf_format, media_type = FORMATS[suffix]
    body = graph.serialize(format=rdf_format, encoding="utf-8")
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    stamp = int(last_modified.timestamp()) if last_modified is not None else None
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["ETag"] = etag
    if stamp is not None:
        response["Last-Modified"] = http_date(stamp)
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, no_cache=True)
    conditional = get_conditional_response(
        request, etag=etag, last_modified=stamp, response=response
    )
    return conditional or response


def _catalog(request: HttpRequest, suffix: str) -> HttpResponseBase:
    query = request.GET
    try:
        authority = _authority(query["authority_code"]) if "authority_code" in query else None
        since = (
            parse_date(query["modified_since"], field="modified_since")
            if "modified_since" in query
            else None
        )
        number = parse_int(query.get("page", "1"), field="page", low=1)
        size = (
            parse_int(query["page_size"], field="page_size", low=1, high=MAX_PAGE_SIZE)
            if "page_size" in query
            else PAGE_SIZE
        )
    except BadParameter as error:
        return _text(error.message, 400)
    datasets = datasets_public()
    if authority is not None:
        datasets = datasets.filter(owner=authority)
    if since is not None:
        start = datetime.datetime.combine(
            since, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        datasets = datasets.filter(Q(modified_at__gte=start) | Q(published_at__gte=start))
    last = page_count(datasets.count(), size)
    if number > last:
        return _text(
            _("Cette page n'existe pas : le catalogue a %(last)d page(s).") % {"last": last}, 404
        )
    path = reverse(f"opendata:catalog_{suffix}")
    kept = {k: query[k] for k in ("authority_code", "modified_since", "page_size") if k in query}

    def url(n: int) -> str:
        return request.build_absolute_uri(f"{path}?{urlencode({**kept, 'page': n})}")

    page = CatalogPage(number=number, size=size, url=url)
    graph = catalog_graph(request, datasets=datasets, page=page, publisher=authority)
    return _rdf_response(request, graph, suffix, _last_modified(datasets, authority))


def _fixed(suffix: str) -> Callable[[HttpRequest], HttpResponseBase]:
    @require_safe
    def view(request: HttpRequest) -> HttpResponseBase:
        return _catalog(request, suffix)

    view.__name__ = f"catalog_{suffix}"
    view.__doc__ = f"The catalog in {FORMATS[suffix][1]}."
    return view


catalog_ttl = _fixed("ttl")
catalog_jsonld = _fixed("jsonld")
catalog_xml = _fixed("xml")


@require_safe
def catalog(request: HttpRequest) -> HttpResponseBase:
    """The catalog in the format ``Accept`` prefers (Turtle when it has no preference)."""
    preferred = request.get_preferred_type(list(NEGOTIATED))
    if preferred is None:
        response: HttpResponseBase = _text(
            _(
                "Formats disponibles : text/turtle, application/ld+json, application/rdf+xml "
                "(ou /catalog.ttl, /catalog.jsonld, /catalog.xml)."
            ),
            406,
        )
    else:
        response = _catalog(request, NEGOTIATED[str(preferred)])
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def dataset_rdf(request: HttpRequest, identifier: uuid.UUID, fmt: str) -> HttpResponseBase:
    """One public dataset in Turtle (``.ttl``), JSON-LD (``.jsonld``) or RDF/XML (``.rdf``)."""
    if fmt not in DATASET_FORMATS:
        raise Http404
    dataset = datasets_public().filter(identifier=identifier).first()
    if dataset is None:
        raise Http404
    scope = datasets_public().filter(pk=dataset.pk)
    graph = dataset_graph(request, dataset)
    return _rdf_response(
        request, graph, DATASET_FORMATS[fmt], _last_modified(scope, None, withdrawals=False)
    )
