"""An election's open data dataset: made on its first final round, through opendata's services
(so the catalog, DCAT and data.gouv.fr harvesting treat it like any other dataset). Its
identifier never changes: later rounds add their resources to the same dataset.

The resources are the portal's own API endpoints (JSON, CSV with the ministry's column names,
GeoJSON of the contours with the results): live during the count, final afterwards.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.models import Election, Round
from identity.models import User
from opendata.models import Dataset, Frequency, Theme
from opendata.services.datasets import dataset_create, dataset_edit, dataset_publish, resource_add

Actor = User | AnonymousUser | None

FORMATS = (
    ("json", gettext_lazy("JSON")),
    ("csv", gettext_lazy("CSV (colonnes du ministère de l'Intérieur)")),
    ("geojson", gettext_lazy("GeoJSON (contours des bureaux et résultats)")),
)


def round_export_path(round: Round, fmt: str) -> str:
    """The API path of a round's results in one format (``json``, ``csv``, ``geojson``)."""
    name = {"json": "election_round_results", "csv": "election_round_csv"}.get(
        fmt, "election_round_geojson"
    )
    return reverse(f"api:{name}", kwargs={"slug": round.election.slug, "number": round.number})


def _description(election: Election) -> str:
    return _(
        "Résultats de « %(title)s » par bureau de vote, publiés par %(owner)s : inscrits, "
        "votants, abstentions, blancs, nuls, exprimés et voix de chaque candidat ou liste, par "
        "tour. Les fichiers CSV reprennent les noms de colonnes du ministère de l'Intérieur ; "
        "le GeoJSON joint les contours des bureaux."
    ) % {"title": election.title, "owner": election.owner.name}


def publish_round_dataset(*, actor: Actor, round: Round) -> Dataset:
    """Inside the finalisation's transaction: the election's dataset with this round's
    resources, published."""
    election = round.election
    dataset = (
        Dataset.objects.filter(pk=election.dataset_id).first() if election.dataset_id else None
    )
    if dataset is None:
        dataset = dataset_create.step(
            actor=actor,
            owner=election.owner,
            title=_("Résultats — %(title)s") % {"title": election.title},
            description=_description(election),
            keywords=["élections", election.get_kind_display().lower(), "bureaux de vote"],
            themes=[Theme.GOVE],
            frequency=Frequency.IRREG,
            temporal_start=min(r.date for r in election.rounds.all()),
            temporal_end=max(r.date for r in election.rounds.all()),
        )
        Election.objects.filter(pk=election.pk).update(dataset_id=dataset.pk)
        election.dataset_id = dataset.pk
    present = set(dataset.resources.values_list("api_path", flat=True))
    ordinal = _("1er tour") if round.number == 1 else _("%(n)de tour") % {"n": round.number}
    for fmt, label in FORMATS:
        path = round_export_path(round, fmt)
        if path in present:
            continue
        resource_add.step(
            actor=actor,
            dataset=dataset,
            kind="api",
            title=f"{ordinal} — {label}",
            api_path=path,
        )
    if dataset.status != Dataset.Status.PUBLISHED:
        dataset_publish.step(actor=actor, dataset=dataset)
    else:
        dataset_edit.step(actor=actor, dataset=dataset, description=_description(election))
    return dataset
