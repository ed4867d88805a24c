"""The demo's open data: published datasets for several authorities, built on public CSV
documents, with an API resource and Mérignac's SCDL export; Mérignac certified by the demo
superuser; loading it again changes nothing."""

from __future__ import annotations

import io

import pytest

from audit.models import AuditEvent
from civis.portal.demo.opendata import SUPERUSER, load_opendata
from documents.models import Document, DocumentType, Status
from identity.models import Authority, User
from opendata.models import Dataset, Resource
from opendata.selectors import datasets_public, resources_public
from tests.factories import make_agent, make_open_document, make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    places = make_territory()
    make_agent("editeur-merignac", roles=[(places["merignac"], "publisher")])
    make_agent("editeur-metropole", roles=[(places["metropole"], "publisher")])
    # Mérignac and the métropole have public CSVs of their own; the région has none.
    for owner in (places["merignac"], places["merignac"], places["metropole"]):
        make_open_document(owner, title=f"Données ouvertes — équipements sport de {owner.name}")
    make_open_document(places["merignac"], audience="internal", title="Fichier interne")
    return places


def test_the_demo_publishes_datasets_for_several_authorities(demo):
    out = io.StringIO()
    assert load_opendata(out, password="demo-password") == 4
    assert "Données ouvertes : 4 jeu(x)" in out.getvalue()
    owners = set(datasets_public().values_list("owner__name", flat=True))
    assert owners == {"Mérignac", "Bordeaux Métropole", "Nouvelle-Aquitaine"}
    assert not Dataset.objects.exclude(status=Dataset.Status.PUBLISHED).exists()
    for dataset in Dataset.objects.all():
        # Every resource is public: nothing the demo lists is hidden from its visitors.
        assert set(dataset.resources.all()) == set(resources_public(dataset))
        assert dataset.resources.exists()
    merignac = Resource.objects.filter(dataset__owner=demo["merignac"])
    assert merignac.filter(kind="document").count() == 2
    assert not merignac.filter(document__title="Fichier interne").exists()
    export = merignac.get(kind="export")
    assert export.export == Resource.Export.DELIBERATIONS
    assert export.schema_url.endswith("/deliberations/2.1.5/schema.json")
    assert merignac.filter(kind="api").exists()
    assert Resource.objects.filter(dataset__owner=demo["metropole"], kind="api").exists()


def test_the_region_gets_a_small_csv_of_the_projects_own_making(demo):
    load_opendata()
    (resource,) = Resource.objects.filter(dataset__owner=demo["region"])
    document = resource.document
    assert document.document_type == DocumentType.DONNEES
    assert document.current_version.kind == "csv"
    assert document.status == Status.PUBLISHED and document.audience == "public"


def test_merignac_is_certified_by_the_demo_superuser(demo):
    load_opendata(password="demo-password")
    superuser = User.objects.get(username=SUPERUSER)
    assert superuser.is_superuser and superuser.check_password("demo-password")
    merignac = Authority.objects.get(pk=demo["merignac"].pk)
    assert merignac.is_certified and merignac.certified_by == superuser
    assert not Authority.objects.exclude(pk=merignac.pk).filter(certified_at__isnull=False)
    assert AuditEvent.objects.filter(action="certify", actor=superuser).count() == 1


def test_loading_the_demo_again_changes_nothing(demo):
    load_opendata()
    counts = (Dataset.objects.count(), Resource.objects.count(), Document.objects.count())
    events = AuditEvent.objects.count()
    out = io.StringIO()
    assert load_opendata(out) == 0
    assert "déjà chargés" in out.getvalue()
    assert (Dataset.objects.count(), Resource.objects.count(), Document.objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_the_demo_datasets_are_in_the_api(client, demo):
    load_opendata()
    body = client.get("/api/v1/datasets/?authority_code=33281").json()
    assert body["count"] == 2
    assert all(item["publisher"]["certified"] for item in body["results"])
