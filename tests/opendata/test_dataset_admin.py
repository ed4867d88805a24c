"""Admin > Données ouvertes as a publisher uses it: the menu item (only for those who publish
for an authority), creating a draft dataset, adding a public document and an API endpoint,
reordering and removing resources, publishing and withdrawing; clear French errors (4xx) for
bad input; another authority's dataset answers 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

import opendata.wagtail_hooks  # noqa: F401 (registers the admin section's hooks)
from identity.models import Membership
from opendata.models import Dataset
from tests.factories import make_agent, make_dataset, make_open_document, make_territory


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def places(db):
    places = make_territory()
    places["publisher"] = make_agent(roles=[(places["merignac"], Membership.Role.PUBLISHER)])
    places["agent"] = make_agent(roles=[(places["merignac"], Membership.Role.AGENT)])
    places["bordeaux_publisher"] = make_agent(
        roles=[(places["bordeaux"], Membership.Role.PUBLISHER)]
    )
    return places


def edit_url(dataset: Dataset) -> str:
    return reverse("opendata_dataset_edit", kwargs={"identifier": dataset.identifier})


def test_menu_item_only_for_publishers(client: Client, places) -> None:
    client.force_login(places["publisher"])
    assert reverse("opendata_datasets") in client.get("/admin/").content.decode()
    client.force_login(places["agent"])
    assert reverse("opendata_datasets") not in client.get("/admin/").content.decode()
    assert client.get(reverse("opendata_datasets")).status_code in (302, 403)


def test_publisher_creates_fills_and_publishes_a_dataset(client: Client, places) -> None:
    merignac = places["merignac"]
    client.force_login(places["publisher"])
    response = client.post(
        reverse("opendata_dataset_create"),
        {
            "owner": merignac.pk,
            "title": "Équipements sportifs",
            "description": "Les équipements de la ville.",
            "keywords": "sport, stade",
            "themes": ["EDUC"],
            "licence": "lov2",
            "frequency": "ANNUAL",
        },
    )
    assert response.status_code == 302
    dataset = Dataset.objects.get()
    assert dataset.status == "draft"
    assert dataset.keywords == ["sport", "stade"]
    url = edit_url(dataset)
    document = make_open_document(merignac, title="Liste des équipements")
    response = client.post(
        url,
        {
            "action": "add_resource",
            "ressource-kind": "document",
            "ressource-title": "Liste (CSV)",
            "ressource-document": document.pk,
        },
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "action": "add_resource",
            "ressource-kind": "api",
            "ressource-title": "API",
            "ressource-api_path": "/api/v1/documents/?authority_code=33281",
        },
    )
    assert response.status_code == 302
    assert [r.title for r in dataset.resources.order_by("position")] == ["Liste (CSV)", "API"]
    api = dataset.resources.get(title="API")
    assert client.post(url, {"action": "up", "resource": api.pk}).status_code == 302
    assert [r.title for r in dataset.resources.order_by("position")] == ["API", "Liste (CSV)"]
    assert client.post(url, {"action": "publish"}).status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == "published"
    public = Client().get(reverse("opendata:dataset_detail", args=[dataset.identifier]))
    assert "Liste (CSV)" in public.content.decode()
    assert client.post(url, {"action": "remove", "resource": api.pk}).status_code == 302
    assert dataset.resources.count() == 1
    assert client.post(url, {"action": "withdraw"}).status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == "withdrawn"


def test_bad_input_gets_french_errors(client: Client, places) -> None:
    client.force_login(places["publisher"])
    response = client.post(reverse("opendata_dataset_create"), {"owner": places["merignac"].pk})
    assert response.status_code == 400
    assert "Donnez un titre au jeu de données." in response.content.decode()
    dataset = make_dataset(places["merignac"], status="draft")
    private = make_open_document(places["merignac"], audience="agents")
    response = client.post(
        edit_url(dataset),
        {
            "action": "add_resource",
            "ressource-kind": "document",
            "ressource-title": "Secret",
            "ressource-document": private.pk,
        },
    )
    assert response.status_code == 400
    assert "Choisissez un document de la liste." in response.content.decode()
    response = client.post(
        edit_url(dataset),
        {
            "action": "add_resource",
            "ressource-kind": "api",
            "ressource-title": "Ailleurs",
            "ressource-api_path": "https://evil.example/api/v1/",
        },
    )
    assert response.status_code == 400
    assert "chemin de l&#x27;API du portail" in response.content.decode()
    assert client.post(edit_url(dataset), {"action": "withdraw"}).status_code == 400
    assert client.post(edit_url(dataset), {"action": "nope"}).status_code == 400
    assert client.post(edit_url(dataset), {"action": "remove", "resource": "x"}).status_code == 404
    assert not dataset.resources.exists()


def test_other_authorities_datasets_are_404(client: Client, places) -> None:
    dataset = make_dataset(places["merignac"], status="draft", title="Jeu de Mérignac")
    client.force_login(places["bordeaux_publisher"])
    assert client.get(edit_url(dataset)).status_code == 404
    assert client.post(edit_url(dataset), {"action": "publish"}).status_code == 404
    assert "Jeu de Mérignac" not in client.get(reverse("opendata_datasets")).content.decode()
    dataset.refresh_from_db()
    assert dataset.status == "draft"
