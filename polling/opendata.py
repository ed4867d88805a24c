"""A commune's "Où voter ?" dataset: its bureaux, its assignment of addresses, the rules of
its arrêté (CSV) and the bureaux's contours (GeoJSON), as resources that are the portal's own
API endpoints, so that the catalog (DCAT, data.gouv.fr) lists them like every dataset and
anyone can download and check the data an answer came from. Made on the commune's first
import, kept (same identifier) afterwards.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from identity.models import User
from opendata.models import Dataset, Frequency, Theme
from opendata.services.datasets import (
    dataset_create,
    dataset_edit,
    dataset_publish,
    resource_add,
    system_publication,
)
from polling.models import CommuneReference

Actor = User | AnonymousUser | None

# (API route name, title) of each resource, in the order shown.
RESOURCES = (
    ("polling_bureaux_csv", gettext_lazy("Bureaux de vote (CSV)")),
    ("polling_addresses_csv", gettext_lazy("Adresses et leur bureau (CSV)")),
    ("polling_rules_csv", gettext_lazy("Règles de découpage de l'arrêté (CSV)")),
    ("polling_contours_geojson", gettext_lazy("Contours des bureaux (GeoJSON)")),
)


def resource_path(route: str, insee: str) -> str:
    return reverse(f"api:{route}", kwargs={"insee": insee})


def _description(reference: CommuneReference) -> str:
    return _(
        "Les bureaux de vote de %(name)s et l'adresse de chaque électeur rattachée à son "
        "bureau, telles que la commune les a établies (source : %(source)s), les règles de "
        "découpage par voie de son arrêté, et les contours des bureaux. Ce sont les données "
        "dont le service « Où voter ? » du portail tire ses réponses : chacun peut les "
        "télécharger, les vérifier et signaler une erreur."
    ) % {"name": reference.commune.name, "source": reference.source or _("la commune")}


def publish_commune_dataset(*, actor: Actor, reference: CommuneReference) -> Dataset:
    """Inside the import's transaction: the commune's dataset, published, with its four
    resources. ``actor=None`` is the system (a management command, the demo)."""
    if actor is None:
        with system_publication():
            return _publish(actor, reference)
    return _publish(actor, reference)


def _publish(actor: Actor, reference: CommuneReference) -> Dataset:
    commune = reference.commune
    dataset = (
        Dataset.objects.filter(pk=reference.dataset_id).first() if reference.dataset_id else None
    )
    if dataset is None:
        dataset = dataset_create.step(
            actor=actor,
            owner=commune,
            title=_("Bureaux de vote et adresses — %(name)s") % {"name": commune.name},
            description=_description(reference),
            keywords=["bureaux de vote", "élections", "adresses", "où voter"],
            themes=[Theme.GOVE, Theme.REGI],
            frequency=Frequency.IRREG,
        )
        CommuneReference.objects.filter(pk=reference.pk).update(dataset_id=dataset.pk)
        reference.dataset_id = dataset.pk
    else:
        dataset_edit.step(actor=actor, dataset=dataset, description=_description(reference))
    present = set(dataset.resources.values_list("api_path", flat=True))
    for route, title in RESOURCES:
        path = resource_path(route, commune.insee_code)
        if path not in present:
            resource_add.step(
                actor=actor, dataset=dataset, kind="api", title=str(title), api_path=path
            )
    if dataset.status != Dataset.Status.PUBLISHED:
        dataset_publish.step(actor=actor, dataset=dataset)
    return dataset
