"""Dataset services: who may write, which documents may be resources (public, published, of
the owner itself), API paths of this portal only, dates never in the future and moving on
every change, the identifier never changing, every write audited."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from identity.models import Membership
from opendata.models import Dataset, Resource
from opendata.services.datasets import (
    clean_api_path,
    dataset_create,
    dataset_edit,
    dataset_publish,
    dataset_withdraw,
    resource_add,
    resource_move,
    resource_remove,
)
from tests.factories import make_agent, make_dataset, make_open_document, make_territory

pytestmark = pytest.mark.django_db(transaction=True)


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
def territory():
    return make_territory()


@pytest.fixture
def publisher(territory):
    return make_agent(roles=[(territory["merignac"], Membership.Role.PUBLISHER)])


def create(publisher, owner, **fields):
    return dataset_create(
        actor=publisher,
        owner=owner,
        title=fields.pop("title", "Écoles"),
        description=fields.pop("description", "La liste des écoles."),
        **fields,
    )


def test_create_edit_publish_withdraw_are_audited(publisher, territory) -> None:
    dataset = create(publisher, territory["merignac"], keywords="écoles, Écoles, carte")
    assert dataset.status == Dataset.Status.DRAFT
    assert dataset.keywords == ["écoles", "carte"]
    identifier = dataset.identifier
    dataset = dataset_edit(actor=publisher, dataset=dataset, title="Écoles publiques")
    dataset = dataset_publish(actor=publisher, dataset=dataset)
    assert dataset.published_at is not None
    dataset = dataset_withdraw(actor=publisher, dataset=dataset)
    assert dataset.status == Dataset.Status.WITHDRAWN
    assert dataset.identifier == identifier  # renamed, never re-identified
    events = AuditEvent.objects.filter(authority=territory["merignac"]).order_by("pk")
    assert [e.action for e in events] == ["create", "update", "publish", "withdraw"]
    assert all(e.detail["dataset"] == str(identifier) for e in events)
    assert events[0].actor == publisher


def test_only_publishers_of_the_owner_write(publisher, territory) -> None:
    outsider = make_agent(roles=[(territory["bordeaux"], Membership.Role.PUBLISHER)])
    agent = make_agent(roles=[(territory["merignac"], Membership.Role.AGENT)])
    for actor in (outsider, agent, AnonymousUser(), None):
        with pytest.raises(PermissionDenied):
            create(actor, territory["merignac"])
    dataset = make_dataset(territory["merignac"])
    with pytest.raises(PermissionDenied):
        dataset_edit(actor=outsider, dataset=dataset, title="Piraté")
    with pytest.raises(PermissionDenied):
        dataset_withdraw(actor=outsider, dataset=dataset)
    assert not AuditEvent.objects.exists()


def test_bad_input_is_a_french_validation_error(publisher, territory) -> None:
    with pytest.raises(ValidationError) as error:
        create(publisher, territory["merignac"], title="  ")
    assert "titre" in str(error.value)
    with pytest.raises(ValidationError):
        create(publisher, territory["merignac"], themes=["NOPE"])
    with pytest.raises(ValidationError):
        create(publisher, territory["merignac"], licence="proprietary")
    with pytest.raises(ValidationError) as error:
        create(
            publisher,
            territory["merignac"],
            temporal_start=datetime.date(2026, 5, 1),
            temporal_end=datetime.date(2026, 1, 1),
        )
    assert "précède" in str(error.value)
    assert not Dataset.objects.exists()


def test_dates_are_never_in_the_future_and_modified_moves(publisher, territory) -> None:
    dataset = create(publisher, territory["merignac"])
    assert dataset.created_at <= timezone.now()
    Dataset.objects.filter(pk=dataset.pk).update(
        modified_at=timezone.now() + datetime.timedelta(days=3)
    )
    dataset.refresh_from_db()
    dataset = dataset_edit(actor=publisher, dataset=dataset, description="Nouvelle description.")
    assert dataset.modified_at <= timezone.now()
    before = dataset.modified_at
    resource = resource_add(
        actor=publisher,
        dataset=dataset,
        kind="document",
        title="Fichier",
        document=make_open_document(territory["merignac"]),
    )
    dataset.refresh_from_db()
    assert before < dataset.modified_at <= timezone.now()
    before = dataset.modified_at
    resource_remove(actor=publisher, resource=resource)
    dataset.refresh_from_db()
    assert before < dataset.modified_at <= timezone.now()


def test_only_public_published_documents_of_the_owner(publisher, territory) -> None:
    merignac = territory["merignac"]
    dataset = make_dataset(merignac)
    refused = [
        make_open_document(merignac, audience="agents"),
        make_open_document(merignac, status="draft"),
        make_open_document(merignac, status="withdrawn"),
        make_open_document(territory["bordeaux"]),  # another commune
        make_open_document(territory["metropole"]),  # above: not the owner either
    ]
    for document in refused:
        with pytest.raises(ValidationError) as error:
            resource_add(
                actor=publisher, dataset=dataset, kind="document", title="X", document=document
            )
        assert "public" in str(error.value)
    assert not dataset.resources.exists()
    ok = resource_add(
        actor=publisher,
        dataset=dataset,
        kind="document",
        title="Fichier public",
        document=make_open_document(merignac),
    )
    assert ok.kind == Resource.Kind.DOCUMENT


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/api/v1/documents/",
        "//evil.example/api/v1/documents/",
        "/api/v2/documents/",
        "/admin/",
        "/api/v1/../admin/",
        "/api/v1/documents/\nX: y",
        "javascript:alert(1)",
        "/api/v1/documents/#frag",
        "",
    ],
)
def test_api_path_must_be_a_portal_api_path(path) -> None:
    with pytest.raises(ValidationError):
        clean_api_path(path)


def test_api_path_accepts_portal_routes() -> None:
    assert clean_api_path(" /api/v1/documents/?authority_code=33281 ") == (
        "/api/v1/documents/?authority_code=33281"
    )


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60))
def test_api_path_never_accepts_anything_outside_the_api(text) -> None:
    try:
        cleaned = clean_api_path(text)
    except ValidationError:
        return
    assert cleaned.startswith("/api/v1/")
    assert "//" not in cleaned.split("?")[0]


def test_move_reorders_resources(publisher, territory) -> None:
    dataset = make_dataset(territory["merignac"])
    first, _second, third = (
        resource_add(
            actor=publisher, dataset=dataset, kind="api", title=t, api_path="/api/v1/documents/"
        )
        for t in ("A", "B", "C")
    )
    resource_move(actor=publisher, resource=third, offset=-1)
    assert [r.title for r in dataset.resources.order_by("position")] == ["A", "C", "B"]
    resource_move(actor=publisher, resource=first, offset=5)
    assert [r.title for r in dataset.resources.order_by("position")] == ["C", "B", "A"]
    assert (
        AuditEvent.objects.filter(action="update", detail__resource_moved__isnull=False).count()
        == 2
    )
