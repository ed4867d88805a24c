"""SCDL exports built straight from the store: the délibérations (schema 2.1.5) of an
authority and the simplified catalogue (schema 0.1.3) of its datasets.

Both read through the one path (``documents.selectors.documents_visible_to`` as an anonymous
visitor, ``opendata.selectors``): only public, published délibérations that carry their SCDL
data (``documents.DeliberationDetails``), only published datasets with at least one public
resource. A métropole, a département or a région exports its whole subtree (its own rows and
those of every authority below it). The schemas need each publisher's SIRET: the rows of an
authority without one are left out, and ``Export.omitted`` says whose (the view sends it in
the ``X-Civis-Omitted`` header).
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from documents import actes
from documents.models import DeliberationDetails, DocumentType
from documents.selectors import documents_visible_to
from identity.models import Authority
from opendata.models import Dataset, DatasetLicence, Frequency, Resource, Theme
from opendata.selectors import datasets_public, resources_public

SCHEMAS = {
    "deliberations": "https://schema.data.gouv.fr/schemas/scdl/deliberations/2.1.5/schema.json",
    "catalogue": "https://schema.data.gouv.fr/schemas/scdl/catalogue/0.1.3/schema.json",
}

DELIBERATION_COLUMNS = [
    "COLL_NOM",
    "COLL_SIRET",
    "DELIB_ID",
    "DELIB_DATE",
    "DELIB_MATIERE_CODE",
    "DELIB_MATIERE_NOM",
    "DELIB_OBJET",
    "BUDGET_ANNEE",
    "BUDGET_NOM",
    "PREF_ID",
    "PREF_DATE",
    "VOTE_EFFECTIF",
    "VOTE_REEL",
    "VOTE_POUR",
    "VOTE_CONTRE",
    "VOTE_ABSTENTION",
    "DELIB_URL",
]

CATALOGUE_COLUMNS = [
    "COLL_NOM",
    "COLL_SIRET",
    "ID",
    "TITRE",
    "DESCRIPTION",
    "THEME",
    "PRODUCTEUR_NOM",
    "PRODUCTEUR_SIRET",
    "COUV_SPAT_MAILLE",
    "COUV_SPAT_NOM",
    "COUV_TEMP_DEBUT",
    "COUV_TEMP_FIN",
    "DATE_PUBL",
    "FREQ_MAJ",
    "DATE_MAJ",
    "MOTS_CLES",
    "LICENCE",
    "NOMBRE_RESSOURCES",
    "FORMAT_RESSOURCES",
    "URL",
]

COLUMNS = {"deliberations": DELIBERATION_COLUMNS, "catalogue": CATALOGUE_COLUMNS}

MAILLES: dict[str, str] = {
    Authority.Kind.COMMUNE: "Communale",
    Authority.Kind.EPCI: "Intercommunale",
    Authority.Kind.DEPARTEMENT: "Départementale",
    Authority.Kind.REGION: "Régionale",
    Authority.Kind.OTHER: "Autre",
}
FREQUENCIES: dict[str, str] = {
    Frequency.DAILY: "Quotidienne ou plusieurs fois par jour",
    Frequency.WEEKLY: "Hebdomadaire ou plusieurs fois par semaine",
    Frequency.MONTHLY: "Mensuelle ou plusieurs fois par mois",
    Frequency.QUARTERLY: "Trimestrielle",
    Frequency.ANNUAL: "Annuelle",
    Frequency.IRREG: "Irrégulière",
    Frequency.UPDATE_CONT: "Continuelle",
    Frequency.UNKNOWN: "Inconnue",
}
LICENCES: dict[str, str] = {
    DatasetLicence.LOV2: "Licence Ouverte-LO",
    DatasetLicence.ODBL: "Open Database License-ODBL",
    DatasetLicence.CC_BY: "Creative Commons-CC",
}


@dataclass
class Export:
    """An export's rows, whose rows were left out (authorities without a SIRET) and when its
    content last changed (``Last-Modified``)."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    omitted_rows: int = 0
    omitted: list[Authority] = field(default_factory=list)
    last_modified: datetime.datetime | None = None

    def csv_bytes(self) -> bytes:
        return to_csv(self.columns, self.rows)


def authority_by_code(code: str) -> Authority | None:
    """The authority an export URL names: its INSEE code, else its SIREN (an INSEE code
    shared by several kinds — a commune and a département never share one, but "33" may be a
    département only — picks the first by kind order: commune, EPCI, département, région)."""
    code = (code or "").strip()
    if not code or len(code) > 9 or not code.isalnum():
        return None
    order = ["commune", "epci", "departement", "region", "other"]
    found = list(Authority.objects.filter(insee_code=code)) or list(
        Authority.objects.filter(siren=code)
    )
    found.sort(key=lambda a: order.index(a.kind) if a.kind in order else len(order))
    return found[0] if found else None


def _subtree(authority: Authority) -> list[Authority]:
    return list(Authority.objects.subtree_of(authority).order_by("name", "pk"))


def _base(base_url: str | None) -> str:
    return (base_url if base_url is not None else settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return " ".join(str(value).split())  # one line per row: no newline inside a cell


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8, comma separated, a header of the schema's column names in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")


def deliberations_export(authority: Authority, *, base_url: str | None = None) -> Export:
    """The SCDL délibérations of ``authority`` and its subtree, oldest first."""
    export = Export(columns=DELIBERATION_COLUMNS)
    owners = _subtree(authority)
    documents = (
        documents_visible_to(AnonymousUser())
        .filter(
            owner__in=owners,
            document_type=DocumentType.DELIBERATION,
            deliberation__isnull=False,
        )
        .select_related("owner", "deliberation")
        .order_by("owner__name", "deliberation__adopted_on", "deliberation__act_id", "pk")
    )
    export.last_modified = documents.aggregate(at=Max("updated_at"))["at"]
    base = _base(base_url)
    omitted: dict[int, Authority] = {}
    for document in documents:
        owner = document.owner
        if not owner.siret:
            omitted[owner.pk] = owner
            export.omitted_rows += 1
            continue
        details: DeliberationDetails = document.deliberation
        export.rows.append(
            {
                "COLL_NOM": owner.name,
                "COLL_SIRET": owner.siret,
                "DELIB_ID": details.act_id,
                "DELIB_DATE": details.adopted_on,
                "DELIB_MATIERE_CODE": details.subject_code,
                "DELIB_MATIERE_NOM": actes.matiere_nom(details.subject_code)
                if actes.is_subject(details.subject_code)
                else "",
                "DELIB_OBJET": document.title,
                "BUDGET_ANNEE": details.budget_year,
                "BUDGET_NOM": details.budget_name,
                "PREF_ID": details.prefecture_id,
                "PREF_DATE": details.prefecture_date,
                "VOTE_EFFECTIF": details.vote_effectif,
                "VOTE_REEL": details.vote_reel,
                "VOTE_POUR": details.vote_pour,
                "VOTE_CONTRE": details.vote_contre,
                "VOTE_ABSTENTION": details.vote_abstention,
                "DELIB_URL": base + reverse("document_detail", args=[document.pk]),
            }
        )
    export.omitted = sorted(omitted.values(), key=lambda a: a.name)
    return export


def deliberations_rows(
    authority: Authority, *, base_url: str | None = None
) -> list[dict[str, Any]]:
    """The rows of ``deliberations_export`` (schema column → value)."""
    return deliberations_export(authority, base_url=base_url).rows


def _ascii_lower(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn"
    )


def _keywords(dataset: Dataset) -> str:
    words = [_ascii_lower(str(k)).replace(";", " ").strip() for k in dataset.keywords or []]
    words = [" ".join(w.split()) for w in words if w]
    return ";".join(dict.fromkeys(words)) or _ascii_lower(dataset.owner.name)


def _themes(dataset: Dataset) -> str:
    labels = [str(Theme(t).label) for t in dataset.themes or [] if t in Theme.values]
    return ";".join(labels) or str(Theme.GOVE.label)


def _format(resource: Resource) -> str:
    if resource.kind == Resource.Kind.DOCUMENT:
        version = resource.document.current_version if resource.document else None
        return _ascii_lower(version.kind) if version is not None else ""
    return "json" if resource.kind == Resource.Kind.API else "csv"


def _dataset_url(base: str, dataset: Dataset) -> str:
    try:
        path = reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})
    except NoReverseMatch:
        path = f"/donnees/{dataset.identifier}/"
    return base + path


def _day(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def catalogue_export(authority: Authority, *, base_url: str | None = None) -> Export:
    """The SCDL simplified catalogue of the published datasets of ``authority`` and its
    subtree. ``COLL_*`` is the authority that publishes the catalogue, ``PRODUCTEUR_*`` each
    dataset's owner. A dataset without a public resource is left out (the schema wants at
    least one); so is one whose owner has no SIRET."""
    export = Export(columns=CATALOGUE_COLUMNS)
    base = _base(base_url)
    datasets = (
        datasets_public()
        .filter(owner__in=_subtree(authority))
        .select_related("owner")
        .order_by("owner__name", "title", "pk")
    )
    export.last_modified = datasets.aggregate(at=Max("modified_at"))["at"]
    omitted: dict[int, Authority] = {}
    for dataset in datasets:
        resources = list(resources_public(dataset))
        if not resources:
            continue
        owner = dataset.owner
        if not owner.siret:
            omitted[owner.pk] = owner
            export.omitted_rows += 1
            continue
        published = _day(dataset.published_at or dataset.created_at)
        modified = max(_day(dataset.modified_at), published)
        start = dataset.temporal_start or published
        end = max(dataset.temporal_end or modified, start)
        export.rows.append(
            {
                "COLL_NOM": authority.name,
                "COLL_SIRET": authority.siret,
                "ID": str(dataset.identifier),
                "TITRE": dataset.title,
                "DESCRIPTION": dataset.description or dataset.title,
                "THEME": _themes(dataset),
                "PRODUCTEUR_NOM": owner.name,
                "PRODUCTEUR_SIRET": owner.siret,
                "COUV_SPAT_MAILLE": MAILLES.get(owner.kind, "Autre"),
                "COUV_SPAT_NOM": owner.name,
                "COUV_TEMP_DEBUT": start,
                "COUV_TEMP_FIN": end,
                "DATE_PUBL": published,
                "FREQ_MAJ": FREQUENCIES.get(dataset.frequency, "Inconnue"),
                "DATE_MAJ": modified,
                "MOTS_CLES": _keywords(dataset),
                "LICENCE": LICENCES.get(dataset.licence, "Spécifique ou autre"),
                "NOMBRE_RESSOURCES": len(resources),
                "FORMAT_RESSOURCES": ";".join(sorted({f for f in map(_format, resources) if f})),
                "URL": _dataset_url(base, dataset),
            }
        )
    export.omitted = sorted(omitted.values(), key=lambda a: a.name)
    return export


EXPORTS = {"deliberations": deliberations_export, "catalogue": catalogue_export}
