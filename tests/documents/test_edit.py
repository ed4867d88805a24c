"""One edit, one transaction: what the admin edit form does either happens whole or not at all,
and a service cannot be swallowed by an outer transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from audit.models import AuditEvent
from documents import services
from documents.models import Status
from identity.models import Membership
from identity.services import membership_grant
from tests.documents.conftest import pdf_upload, stored_files
from tests.factories import make_user


def test_an_edit_changes_metadata_file_tags_and_status_at_once(territory, publish, private_storage):
    document = publish(publish=False, title="Avant")
    services.document_edit(
        actor=territory.publisher,
        document=document,
        title="Après",
        tags=["voirie"],
        upload=pdf_upload(text="Deuxième version"),
        status=Status.PUBLISHED,
    )
    document.refresh_from_db()
    assert (document.title, document.status, document.versions.count()) == (
        "Après",
        Status.PUBLISHED,
        2,
    )
    assert list(document.tags.names()) == ["voirie"]
    assert list(
        AuditEvent.objects.filter(document=document)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    ) == ["create", "update", "version", "publish"]


def test_a_failure_late_in_an_edit_keeps_nothing_of_it(
    territory, publish, private_storage, monkeypatch
):
    document = publish(publish=False, title="Avant")
    files_before = stored_files(private_storage)
    events_before = AuditEvent.objects.count()
    record = services.store.audit_record

    def fail_on_publish(**kwargs):
        if kwargs["action"] == AuditEvent.Action.PUBLISH:
            raise RuntimeError("la base ne répond plus")
        return record(**kwargs)

    monkeypatch.setattr(services.store, "audit_record", fail_on_publish)
    with pytest.raises(RuntimeError):
        services.document_edit(
            actor=territory.publisher,
            document=document,
            title="Après",
            upload=pdf_upload(text="Deuxième version"),
            status=Status.PUBLISHED,
        )
    document.refresh_from_db()
    assert (document.title, document.status, document.versions.count()) == (
        "Avant",
        Status.DRAFT,
        1,
    )
    assert stored_files(private_storage) == files_before  # the new file is gone
    assert AuditEvent.objects.count() == events_before


def test_an_unchanged_edit_writes_no_audit_row(territory, publish):
    document = publish(title="Même titre")
    events_before = AuditEvent.objects.count()
    services.document_edit(actor=territory.publisher, document=document, title="Même titre")
    assert AuditEvent.objects.count() == events_before


def test_wrapping_a_service_in_a_transaction_is_an_error(territory):
    citizen = make_user("nouvel-agent")
    with pytest.raises(RuntimeError), transaction.atomic():
        membership_grant(
            actor=None, user=citizen, authority=territory.merignac, role=Membership.Role.AGENT
        )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.document_create(
            actor=None, owner=territory.merignac, title="Doc", upload=pdf_upload()
        )
