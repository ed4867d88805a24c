"""JSON API of open data (a router of civis/api.py): the public datasets and their resources.

GET /api/v1/datasets/                          filters: authority_code (INSEE code or SIREN:
                                               that authority's datasets, not its subtree's,
                                               like the catalog), theme (EU data theme),
                                               modified_since (AAAA-MM-JJ), page, page_size
GET /api/v1/datasets/<uuid>/                   one dataset with its resources
GET /api/v1/datasets/<uuid>/resources/         its resources only

Only what ``opendata.selectors`` calls public (``datasets_public``, ``resources_public``): a
draft or withdrawn dataset, or a resource whose document is no longer public, is never listed,
even to its editors (an open data API is the same for everyone); it answers 404 like an
unknown identifier. Errors are core.api's JSON (400 bad parameter, 404, 429).

- **CORS**: every answer of these read endpoints (200, 304) carries
  ``Access-Control-Allow-Origin: *`` (no credentials: the API is read anonymously), and
  ``OPTIONS`` answers the browsers' preflight (GET, HEAD, the conditional headers).
- **Conditional GET**: ``ETag`` and ``Last-Modified`` on the list and on a dataset, and 304 for
  a matching ``If-None-Match`` / ``If-Modified-Since``. The ETag of a list is its body's hash;
  that of a dataset is the hash of its body *without* the reuse counts, plus the day: the
  counts move with every call, so hashing them would make every answer new (a cached copy's
  counts are at most a day old).
- **Reuse statistics**: each call of a dataset or of its resources (200 or 304) counts one API
  call for each public resource it lists (``opendata.services.stats.resources_hit``, kind
  "api"); the list of datasets counts nothing (browsing the catalog is not reusing a
  resource). No address, no user is stored.
"""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.
import datetime
import hashlib
import json
import uuid
from typing import Annotated, Any, Self

from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator

from core.api import CivisPagination, DateParam, PageOut, PageParams, error_responses
from core.params import BadParameter
from identity.models import Authority
from opendata.links import resource_access_path
from opendata.models import LICENCE_URLS, Dataset, Resource, Theme
from opendata.selectors import datasets_public, resources_public
from opendata.services.stats import resources_hit
from opendata.stats import WINDOW_DAYS, resource_counts

router = Router(tags=["Données ouvertes"])

NOT_FOUND = "Jeu de données introuvable."
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


# --- Schemas ----------------------------------------------------------------------------------


class PublisherOut(Schema):
    id: int
    name: str
    kind: str
    code: str = Field(description="Code INSEE, ou SIREN pour un EPCI.")
    insee_code: str
    siren: str | None
    certified: bool = Field(description="« Service public certifié » (vérifié par le portail).")


class ChecksumOut(Schema):
    algorithm: str = Field(description="Toujours « sha256 ».")
    value: str = Field(description="Empreinte en hexadécimal.")


class ReuseOut(Schema):
    days: int = Field(description="Fenêtre de comptage, en jours (aujourd'hui compris).")
    downloads: int = Field(description="Téléchargements de la ressource sur la fenêtre.")
    api_calls: int = Field(description="Appels de l'API listant la ressource sur la fenêtre.")


class ResourceOut(Schema):
    id: int
    position: int
    kind: str = Field(description="document (fichier), api (point d'accès) ou export (SCDL).")
    title: str
    description: str
    url: str = Field(description="Adresse absolue où lire la ressource.")
    format: str | None = Field(description="csv, json, pdf…")
    media_type: str | None
    size: int | None = Field(description="Taille en octets (fichiers seulement).")
    checksum: ChecksumOut | None
    schema_url: str | None = Field(description="Le schéma de données auquel elle se conforme.")
    schema_valid: bool | None = Field(
        description="Conforme au schéma au dernier contrôle (null : jamais contrôlée)."
    )
    reuse: ReuseOut

    @classmethod
    def from_resource(
        cls, request: HttpRequest, resource: Resource, counts: tuple[int, int]
    ) -> Self:
        """Load ``document__current_version`` and ``dataset__owner`` with the resource."""
        kind: str | None
        mime: str | None
        size: int | None = None
        checksum = None
        if resource.kind == Resource.Kind.DOCUMENT:
            version = resource.document.current_version if resource.document else None
            kind = version.kind if version else None
            mime = version.mime_type if version else None
            if version is not None:
                size = version.size
                if version.sha256:
                    checksum = ChecksumOut(algorithm="sha256", value=version.sha256.lower())
        elif resource.kind == Resource.Kind.EXPORT:
            kind, mime = "csv", "text/csv"
        else:
            kind, mime = "json", "application/json"
        return cls(
            id=resource.pk,
            position=resource.position,
            kind=resource.kind,
            title=resource.title,
            description=resource.description,
            url=request.build_absolute_uri(resource_access_path(resource)),
            format=kind,
            media_type=mime,
            size=size,
            checksum=checksum,
            schema_url=resource.schema_url or None,
            schema_valid=resource.schema_valid,
            reuse=ReuseOut(days=WINDOW_DAYS, downloads=counts[0], api_calls=counts[1]),
        )


class DatasetOut(Schema):
    identifier: uuid.UUID = Field(description="Identifiant stable : ne change jamais.")
    title: str
    description: str
    keywords: list[str]
    themes: list[str] = Field(description="Thèmes de données de l'UE (GOVE, ECON…).")
    licence: str = Field(description="Identifiant data.gouv.fr : lov2, odc-odbl, cc-by.")
    licence_url: str | None
    frequency: str = Field(description="Fréquence de mise à jour (vocabulaire de l'UE).")
    temporal_start: datetime.date | None
    temporal_end: datetime.date | None
    contact_name: str
    contact_email: str
    publisher: PublisherOut
    created_at: datetime.datetime
    modified_at: datetime.datetime
    published_at: datetime.datetime | None
    url: str = Field(description="La page du jeu de données sur le portail.")
    api_url: str = Field(description="Ce jeu de données dans l'API, avec ses ressources.")

    @classmethod
    def from_dataset(cls, request: HttpRequest, dataset: Dataset, **extra: Any) -> Self:
        """Load ``owner`` with the dataset."""
        owner = dataset.owner
        return cls(
            identifier=dataset.identifier,
            title=dataset.title,
            description=dataset.description,
            keywords=[str(word) for word in dataset.keywords or []],
            themes=[str(theme) for theme in dataset.themes or []],
            licence=dataset.licence,
            licence_url=LICENCE_URLS.get(dataset.licence),  # type: ignore[call-overload]
            frequency=dataset.frequency,
            temporal_start=dataset.temporal_start,
            temporal_end=dataset.temporal_end,
            contact_name=dataset.contact_name,
            contact_email=dataset.contact_email,
            publisher=PublisherOut(
                id=owner.pk,
                name=owner.name,
                kind=owner.kind,
                code=owner.code,
                insee_code=owner.insee_code,
                siren=owner.siren,
                certified=owner.is_certified,
            ),
            created_at=dataset.created_at,
            modified_at=dataset.modified_at,
            published_at=dataset.published_at,
            url=request.build_absolute_uri(
                reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})
            ),
            api_url=request.build_absolute_uri(
                reverse("api:dataset_item", kwargs={"identifier": dataset.identifier})
            ),
            **extra,
        )


class DatasetDetailOut(DatasetOut):
    resources: list[ResourceOut] = Field(description="Ses ressources publiques, dans l'ordre.")


class DatasetPageOut(PageOut):
    results: list[DatasetOut]


# --- Filters ----------------------------------------------------------------------------------


def _theme(value: str | None) -> str | None:
    if value and value not in Theme.values:
        raise BadParameter(
            "theme", "Thème inconnu. Valeurs possibles : " + ", ".join(Theme.values) + "."
        )
    return value or None


def _authority(code: str) -> Authority:
    """The authority a code names (SIREN first, then a unique INSEE code), or a 400."""
    code = code.strip()
    if not code or len(code) > 14 or not code.isascii() or not code.isalnum():
        raise BadParameter(
            "authority_code", "« authority_code » doit être un code INSEE ou un SIREN."
        )
    by_siren = Authority.objects.filter(siren=code).first()
    if by_siren is not None:
        return by_siren
    found = list(Authority.objects.filter(insee_code=code)[:2])
    if not found:
        raise BadParameter("authority_code", f"Collectivité inconnue : « {code} ».")
    if len(found) > 1:
        raise BadParameter(
            "authority_code",
            f"Le code « {code} » désigne plusieurs collectivités : utilisez leur SIREN.",
        )
    return found[0]


class DatasetParams(PageParams):
    authority_code: str | None = Field(
        None,
        description="SIREN, ou code INSEE : les jeux de données de cette collectivité.",
        max_length=14,
    )
    theme: Annotated[str | None, AfterValidator(_theme)] = Field(
        None, json_schema_extra={"enum": list(Theme.values)}, description="Un thème de l'UE."
    )
    modified_since: Annotated[datetime.date | None, DateParam()] = Field(
        None, description="Modifiés ou publiés ce jour ou après (AAAA-MM-JJ)."
    )


def _filtered(params: DatasetParams) -> tuple[QuerySet[Dataset], Authority | None]:
    datasets = datasets_public()
    authority = _authority(params.authority_code) if params.authority_code else None
    if authority is not None:
        datasets = datasets.filter(owner=authority)
    if params.modified_since is not None:
        start = datetime.datetime.combine(
            params.modified_since, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        datasets = datasets.filter(Q(modified_at__gte=start) | Q(published_at__gte=start))
    if params.theme:
        if connection.features.supports_json_field_contains:
            datasets = datasets.filter(themes__contains=[params.theme])
        else:  # SQLite: the themes are a short JSON list, read them
            matching = [
                pk
                for pk, themes in datasets.values_list("pk", "themes")
                if isinstance(themes, list) and params.theme in themes
            ]
            datasets = datasets.filter(pk__in=matching)
    return datasets, authority


# --- Conditional answers ------------------------------------------------------------------------


def _last_modified(
    datasets: QuerySet[Dataset], withdrawn: QuerySet[Dataset] | None
) -> datetime.datetime:
    """When what these datasets show last changed: the datasets, their resources and their
    documents, their publishers' certification, and (for a list) the withdrawal of a dataset
    that was in it — so that ``If-Modified-Since`` alone never keeps a withdrawn one."""
    resources = Resource.objects.filter(dataset__in=datasets.values("pk"))
    moments = [
        *datasets.aggregate(a=Max("modified_at"), b=Max("published_at")).values(),
        *resources.aggregate(
            a=Max("created_at"),
            b=Max("document__updated_at"),
            c=Max("document__current_version__created_at"),
            d=Max("schema_checked_at"),
        ).values(),
        Authority.objects.filter(pk__in=datasets.values("owner")).aggregate(a=Max("certified_at"))[
            "a"
        ],
    ]
    if withdrawn is not None:
        moments.append(withdrawn.aggregate(a=Max("modified_at"))["a"])
    now = timezone.now()
    known = [min(moment, now) for moment in moments if moment is not None]
    return max(known) if known else EPOCH


def _json(payload: Schema) -> bytes:
    return json.dumps(payload.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


def _conditional(
    request: HttpRequest, body: bytes, tag_source: bytes, last_modified: datetime.datetime
) -> HttpResponseBase:
    etag = '"' + hashlib.sha256(tag_source).hexdigest()[:32] + '"'
    stamp = int(last_modified.timestamp())
    full = HttpResponse(body, content_type="application/json; charset=utf-8")
    full["ETag"] = etag
    full["Last-Modified"] = http_date(stamp)
    patch_cache_control(full, public=True, no_cache=True)
    response: HttpResponseBase = (
        get_conditional_response(request, etag=etag, last_modified=stamp, response=full) or full
    )
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    for name, value in PREFLIGHT_HEADERS.items():
        response[name] = value
    return response


# --- Operations -------------------------------------------------------------------------------


@router.api_operation(["HEAD"], "/", include_in_schema=False)
@router.get(
    "/",
    response={200: DatasetPageOut, **error_responses(400)},
    url_name="dataset_list",
    summary="Les jeux de données publics",
)
def dataset_list(request: HttpRequest, params: Query[DatasetParams]) -> HttpResponseBase:
    """Du plus récemment modifié au plus ancien. Réponses avec `ETag` et `Last-Modified` ;
    `If-None-Match` / `If-Modified-Since` donnent un 304 si rien n'a changé. Ouvert à toutes
    les origines (CORS)."""
    datasets, authority = _filtered(params)
    total = datasets.count()
    CivisPagination.check_page(params.page, params.page_size, total)
    start = (params.page - 1) * params.page_size
    window = list(datasets.select_related("owner")[start : start + params.page_size])
    page = DatasetPageOut(
        **CivisPagination.envelope(
            request,
            page=params.page,
            page_size=params.page_size,
            total=total,
            results=[DatasetOut.from_dataset(request, dataset) for dataset in window],
        )
    )
    withdrawn = Dataset.objects.filter(status=Dataset.Status.WITHDRAWN)
    if authority is not None:
        withdrawn = withdrawn.filter(owner=authority)
    body = _json(page)
    return _conditional(request, body, body, _last_modified(datasets, withdrawn))


@router.api_operation(["OPTIONS"], "/", include_in_schema=False)
def dataset_list_preflight(request: HttpRequest) -> HttpResponse:
    return _preflight()


def _public_dataset(identifier: uuid.UUID) -> Dataset:
    dataset = datasets_public().select_related("owner").filter(identifier=identifier).first()
    if dataset is None:
        raise HttpError(404, NOT_FOUND)
    return dataset


def _resources(request: HttpRequest, dataset: Dataset) -> list[ResourceOut]:
    resources = list(
        resources_public(dataset)
        .select_related("dataset__owner", "document__current_version")
        .order_by("position", "pk")
    )
    counts = resource_counts(resources)
    outs = [ResourceOut.from_resource(request, r, counts[r.pk]) for r in resources]
    resources_hit(resources=resources, kind="api")
    return outs


def _tag(payload: Schema, exclude: Any) -> bytes:
    """What a dataset's ETag hashes: its answer without the reuse counts, and the day."""
    data = payload.model_dump(mode="json", exclude=exclude)
    return json.dumps([data, timezone.localdate().isoformat()], ensure_ascii=False).encode()


@router.api_operation(["HEAD"], "/{identifier}/", include_in_schema=False)
@router.get(
    "/{identifier}/",
    response={200: DatasetDetailOut, **error_responses(400, 404)},
    url_name="dataset_item",
    summary="Un jeu de données et ses ressources",
)
def dataset_item(request: HttpRequest, identifier: uuid.UUID) -> HttpResponseBase:
    """Avec ses ressources publiques : adresse absolue, format, taille, empreinte SHA-256,
    schéma et conformité, et leurs réutilisations (téléchargements et appels de l'API sur 30
    jours). Chaque appel (200 ou 304) compte un appel de l'API pour chacune de ses
    ressources. `ETag` / `Last-Modified` et 304 ; ouvert à toutes les origines (CORS)."""
    dataset = _public_dataset(identifier)
    payload = DatasetDetailOut.from_dataset(
        request, dataset, resources=_resources(request, dataset)
    )
    scope = Dataset.objects.filter(pk=dataset.pk)
    tag = _tag(payload, {"resources": {"__all__": {"reuse"}}})
    return _conditional(request, _json(payload), tag, _last_modified(scope, None))


@router.api_operation(["OPTIONS"], "/{identifier}/", include_in_schema=False)
def dataset_item_preflight(request: HttpRequest, identifier: str) -> HttpResponse:
    return _preflight()


class ResourceListOut(Schema):
    dataset: uuid.UUID = Field(description="L'identifiant du jeu de données.")
    results: list[ResourceOut]


@router.api_operation(["HEAD"], "/{identifier}/resources/", include_in_schema=False)
@router.get(
    "/{identifier}/resources/",
    response={200: ResourceListOut, **error_responses(400, 404)},
    url_name="dataset_resources",
    summary="Les ressources d'un jeu de données",
)
def dataset_resources(request: HttpRequest, identifier: uuid.UUID) -> HttpResponseBase:
    """Ses ressources publiques, dans l'ordre. Chaque appel (200 ou 304) compte un appel de
    l'API pour chacune. `ETag` / `Last-Modified` et 304 ; ouvert à toutes les origines."""
    dataset = _public_dataset(identifier)
    payload = ResourceListOut(dataset=dataset.identifier, results=_resources(request, dataset))
    scope = Dataset.objects.filter(pk=dataset.pk)
    tag = _tag(payload, {"results": {"__all__": {"reuse"}}})
    return _conditional(request, _json(payload), tag, _last_modified(scope, None))


@router.api_operation(["OPTIONS"], "/{identifier}/resources/", include_in_schema=False)
def dataset_resources_preflight(request: HttpRequest, identifier: str) -> HttpResponse:
    return _preflight()
