"""The public dataset pages: ``/donnees/`` (public datasets, filtered by authority and theme,
paginated, ``?format=csv`` / ``?format=json`` exports of the same filtered listing),
``/donnees/<uuid>/`` (a dataset, its resources and a preview of tabular files) and the
download of a document resource. Everything read goes through ``opendata.selectors``;
anything the visitor may not read answers 404."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any
from uuid import UUID

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from documents.http import file_response
from identity.models import Authority
from opendata.links import resource_access_path
from opendata.models import LICENCE_URLS, Dataset, Frequency, Resource, Theme
from opendata.preview import preview_version
from opendata.selectors import (
    datasets_editable_by,
    datasets_public,
    datasets_visible_to,
    resources_public,
    resources_visible_to,
)
from opendata.services.stats import resource_hit
from opendata.stats import resource_counts

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
EXPORT_MAX = 5000
PREVIEW_MAX = 3  # tabular previews on one page (each reads a file)
EXPORT_COLUMNS = (
    "identifiant",
    "titre",
    "collectivite",
    "code_collectivite",
    "licence",
    "frequence",
    "themes",
    "mots_cles",
    "url",
    "ressources",
    "cree_le",
    "modifie_le",
)


def _theme_label(code: str) -> str:
    try:
        return str(Theme(code).label)
    except ValueError:
        return code


def _filters(request: HttpRequest) -> tuple[dict[str, str], Authority | None, str]:
    code = request.GET.get("collectivite", "").strip()[:20]
    theme = request.GET.get("theme", "").strip()[:12]
    authority = None
    if code:
        authority = Authority.objects.filter(Q(insee_code=code) | Q(siren=code)).first()
    if theme not in Theme.values:
        theme = ""
    chosen = {}
    if authority is not None:
        chosen["collectivite"] = code
    if theme:
        chosen["theme"] = theme
    return chosen, authority, theme


def _filtered(authority: Authority | None, theme: str) -> QuerySet[Dataset]:
    datasets = datasets_public().select_related("owner")
    if authority is not None:
        datasets = datasets.filter(owner=authority)
    if theme:
        # Theme codes are upper-case letters: their quoted form matches one list item only
        # (portable: SQLite has no JSON ``contains``).
        datasets = datasets.filter(themes__icontains=f'"{theme}"')
    return datasets.order_by("-modified_at", "-pk")


def _export_rows(request: HttpRequest, datasets: QuerySet[Dataset]) -> list[dict[str, Any]]:
    rows = []
    for dataset in datasets[:EXPORT_MAX]:
        url = request.build_absolute_uri(
            reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})
        )
        rows.append(
            {
                "identifiant": str(dataset.identifier),
                "titre": dataset.title,
                "collectivite": dataset.owner.name,
                "code_collectivite": dataset.owner.code,
                "licence": dataset.licence,
                "frequence": dataset.frequency,
                "themes": list(dataset.themes),
                "mots_cles": list(dataset.keywords),
                "url": url,
                "ressources": resources_public(dataset).count(),
                "cree_le": dataset.created_at.isoformat(),
                "modifie_le": dataset.modified_at.isoformat(),
            }
        )
    return rows


def _csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _export(request: HttpRequest, fmt: str, datasets: QuerySet[Dataset]) -> HttpResponse:
    rows = _export_rows(request, datasets)
    if fmt == "json":
        response = HttpResponse(
            json.dumps({"count": len(rows), "results": rows}, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        name = "jeux-de-donnees.json"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_safe(row[column]) for column in EXPORT_COLUMNS])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        name = "jeux-de-donnees.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def dataset_list(request: HttpRequest) -> HttpResponse:
    chosen, authority, theme = _filters(request)
    datasets = _filtered(authority, theme)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "json"):
        return _export(request, fmt, datasets)
    if fmt:
        return render(
            request,
            "opendata/dataset_list.html",
            {"error": _("Format inconnu : choisissez csv ou json.")},
            status=400,
        )
    paginator = Paginator(datasets, PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", "1"))
    except (EmptyPage, PageNotAnInteger):
        raise Http404(_("Cette page de la liste n'existe pas.")) from None
    owners = (
        Authority.objects.filter(pk__in=datasets_public().values("owner"))
        .only("name", "insee_code", "siren")
        .order_by("name")
    )

    def link(**extra: str) -> str:
        return "?" + urlencode({**chosen, **extra}) if {**chosen, **extra} else "?"

    context = {
        "page_obj": page,
        "datasets": page.object_list,
        "authorities": owners,
        "themes": Theme.choices,
        "chosen": chosen,
        "chosen_authority": authority,
        "chosen_theme": theme,
        "chosen_theme_label": _theme_label(theme) if theme else "",
        "previous_url": link(page=str(page.previous_page_number())) if page.has_previous() else "",
        "next_url": link(page=str(page.next_page_number())) if page.has_next() else "",
        "csv_url": link(format="csv"),
        "json_url": link(format="json"),
    }
    return render(request, "opendata/dataset_list.html", context)


def _visible_dataset(request: HttpRequest, identifier: UUID) -> Dataset:
    dataset = (
        datasets_visible_to(request.user)
        .select_related("owner")
        .filter(identifier=identifier)
        .first()
    )
    if dataset is None:
        raise Http404(_("Ce jeu de données n'existe pas ou n'est pas public."))
    return dataset


def _counts(resources: list[Resource]) -> dict[int, tuple[int, int]]:
    return resource_counts(resources)


def _rdf_href(dataset: Dataset) -> str:
    try:
        return reverse(
            "opendata:dataset_rdf", kwargs={"identifier": dataset.identifier, "fmt": "ttl"}
        )
    except NoReverseMatch:
        return f"/donnees/{dataset.identifier}.ttl"


@require_safe
def dataset_detail(request: HttpRequest, identifier: UUID) -> HttpResponse:
    dataset = _visible_dataset(request, identifier)
    is_editor = datasets_editable_by(request.user).filter(pk=dataset.pk).exists()
    resources = list(resources_visible_to(request.user, dataset).order_by("position", "pk"))
    public_ids = set(resources_public(dataset).values_list("pk", flat=True))
    counts = _counts(resources)
    items = []
    previews = 0
    for resource in resources:
        version = resource.document.current_version if resource.document else None
        preview = None
        if version is not None and previews < PREVIEW_MAX:
            preview = preview_version(version)
            previews += preview is not None
        access = resource_access_path(resource)
        items.append(
            {
                "resource": resource,
                "version": version,
                "format": (version.kind if version else "csv" if resource.export else "json"),
                "url": access,
                "absolute_url": request.build_absolute_uri(access),
                "is_public": resource.pk in public_ids,
                "preview": preview,
                "counts": counts.get(resource.pk, (0, 0)),
            }
        )
    context = {
        "dataset": dataset,
        "items": items,
        "is_editor": is_editor,
        "licence_url": LICENCE_URLS.get(dataset.licence, ""),  # type: ignore[call-overload]
        "frequency_label": Frequency(dataset.frequency).label
        if dataset.frequency in Frequency.values
        else dataset.frequency,
        "themes": [_theme_label(code) for code in dataset.themes],
        "rdf_href": _rdf_href(dataset),
    }
    return render(request, "opendata/dataset_detail.html", context)


def _hit(resource: Resource) -> None:
    try:
        resource_hit(resource=resource, kind="download")
    except Exception:  # a counter must never stop a download
        logger.exception("resource_hit failed for resource %s", resource.pk)


@require_safe
def resource_download(request: HttpRequest, identifier: UUID, resource_id: int) -> HttpResponseBase:
    dataset = _visible_dataset(request, identifier)
    resource = (
        resources_visible_to(request.user, dataset)
        .filter(pk=resource_id, kind=Resource.Kind.DOCUMENT)
        .select_related("document__current_version")
        .first()
    )
    if resource is None or resource.document is None:
        raise Http404(_("Cette ressource n'existe pas ou n'est pas téléchargeable ici."))
    version = resource.document.current_version
    if version is None:
        raise Http404(_("Cette ressource n'a pas de fichier."))
    response = file_response(resource.document, version)
    if request.method == "GET":
        _hit(resource)
    return response
