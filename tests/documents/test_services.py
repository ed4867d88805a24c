"""Writes of the document store: creation, publication, versions, grants, audit, rejections."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from documents import services
from documents.models import (
    Audience,
    Document,
    DocumentVersion,
    GrantLevel,
    Licence,
    Status,
)
from documents.selectors import documents_visible_to
from tests.documents.conftest import csv_upload, odt_upload, pdf_upload, stored_files
from tests.documents.hostile import MAX_SIZE, hostile_corpus

pytestmark = pytest.mark.django_db


def test_a_publisher_creates_a_draft_then_publishes_it(
    territory, private_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = services.document_create(
            actor=territory.publisher,
            owner=territory.merignac,
            title="Délibération n° 2026-12",
            document_type="deliberation",
            tags=["budget", "écoles"],
            upload=pdf_upload(),
        )
    assert document.status == Status.DRAFT
    assert document.licence == Licence.LO2
    assert not documents_visible_to(None).filter(pk=document.pk).exists()
    version = document.current_version
    assert (version.number, version.kind, version.mime_type) == (1, "pdf", "application/pdf")
    assert len(version.sha256) == 64 and version.size > 0
    assert version.created_by == territory.publisher
    assert stored_files(private_storage) == [version.file.name]
    # The text was extracted by the background task (immediate in tests).
    document.refresh_from_db()
    assert "école" in document.extracted_text
    version.refresh_from_db()
    assert version.extraction_status == DocumentVersion.ExtractionStatus.DONE

    services.document_publish(actor=territory.publisher, document=document)
    document.refresh_from_db()
    assert document.status == Status.PUBLISHED
    assert document.published_on == timezone.localdate()
    assert documents_visible_to(None).filter(pk=document.pk).exists()
    actions = list(
        AuditEvent.objects.filter(document=document)
        .order_by("at")
        .values_list("action", "actor__username")
    )
    assert actions == [("create", "editeur-merignac"), ("publish", "editeur-merignac")]


def test_replacing_the_file_keeps_earlier_versions_with_who_and_when(
    territory, publish, django_capture_on_commit_callbacks
):
    document = publish()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_replace_file(
            actor=territory.publisher, document=document, upload=odt_upload()
        )
    versions = list(document.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].kind == "odt" and versions[1].created_by == territory.publisher
    assert versions[0].file.storage.exists(versions[0].file.name)
    document.refresh_from_db()
    assert document.current_version == versions[1]
    assert "Séance du conseil" in document.extracted_text
    assert AuditEvent.objects.filter(document=document, action="version").count() == 1


def test_withdrawn_documents_are_seen_by_editors_only(territory, publish):
    document = publish()
    services.document_withdraw(actor=territory.publisher, document=document)
    assert not documents_visible_to(territory.agent).filter(pk=document.pk).exists()
    assert documents_visible_to(territory.publisher).filter(pk=document.pk).exists()
    assert documents_visible_to(territory.region_admin).filter(pk=document.pk).exists()
    assert AuditEvent.objects.filter(document=document, action="withdraw").exists()


def test_only_editors_of_the_owner_may_write(territory, publish):
    document = publish()
    for outsider in (
        territory.agent,
        territory.bordeaux_agent,
        territory.citizen,
        territory.metro_publisher,
    ):
        with pytest.raises(PermissionDenied):
            services.document_withdraw(actor=outsider, document=document)
        with pytest.raises(PermissionDenied):
            services.document_create(
                actor=outsider, owner=territory.merignac, title="X", upload=pdf_upload()
            )
    # The territory administrator of the région edits everything below it.
    services.document_edit(actor=territory.region_admin, document=document, title="Nouveau")
    document.refresh_from_db()
    assert document.title == "Nouveau"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    hostile_corpus(),
    ids=[f"{i:03d}-{entry[0]}" for i, entry in enumerate(hostile_corpus())],
)
def test_every_hostile_upload_is_refused_and_leaves_nothing(
    territory, private_storage, settings, name, content, code
):
    settings.CIVIS_MAX_UPLOAD_MB = MAX_SIZE / (1024 * 1024)
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.document_create(
            actor=territory.publisher,
            owner=territory.merignac,
            title="Envoi",
            upload=services.Upload(io.BytesIO(content), name),
        )
    message = error.value.message_dict["file"][0]
    assert message and message[0].isupper()
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before
    assert stored_files(private_storage) == []


def test_a_rejected_new_version_keeps_the_current_one(territory, publish, private_storage):
    document = publish()
    before = stored_files(private_storage)
    with pytest.raises(ValidationError):
        services.document_replace_file(
            actor=territory.publisher,
            document=document,
            upload=services.Upload(io.BytesIO(b"MZ\x90\x00binary"), "rapport.pdf"),
        )
    assert stored_files(private_storage) == before
    assert document.versions.count() == 1


def test_a_failure_after_storing_removes_the_file(territory, private_storage, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.store, "audit_record", explode)
    with pytest.raises(RuntimeError):
        services.document_create(
            actor=territory.publisher, owner=territory.merignac, title="Doc", upload=pdf_upload()
        )
    assert stored_files(private_storage) == []
    assert Document.objects.count() == 0


def test_a_failed_extraction_is_recorded_and_the_upload_kept(territory, publish):
    document = publish()
    version = document.current_version
    with version.file.storage.open(version.file.name, "wb") as handle:
        handle.write(b"%PDF-1.4 garbage that no parser reads %%EOF")
    from documents.tasks import extract_version_text

    assert extract_version_text.call(version.pk) == "failed"
    version.refresh_from_db()
    assert version.extraction_status == DocumentVersion.ExtractionStatus.FAILED
    assert version.extraction_error
    assert version.file.storage.exists(version.file.name)


@pytest.mark.parametrize(
    ("audience", "addressee_attr", "field"),
    [
        (Audience.PERSONAL, None, "addressee"),
        (Audience.PERSONAL, "agent", "addressee"),
        (Audience.PUBLIC, "citizen", "addressee"),
        ("everyone", None, "audience"),
    ],
)
def test_audience_and_addressee_must_agree(territory, audience, addressee_attr, field):
    addressee = getattr(territory, addressee_attr) if addressee_attr else None
    with pytest.raises(ValidationError) as error:
        services.document_create(
            actor=territory.publisher,
            owner=territory.merignac,
            title="Doc",
            audience=audience,
            addressee=addressee,
            upload=pdf_upload(),
        )
    assert field in error.value.message_dict
    assert Document.objects.count() == 0


def test_non_public_documents_carry_no_licence(territory, publish):
    assert publish(Audience.INTERNAL).licence == ""
    assert publish(Audience.PUBLIC, upload=csv_upload()).licence == Licence.LO2


def test_grants_to_a_user_a_group_and_an_authority(territory, publish):
    document = publish(Audience.RESTRICTED)
    commission = Group.objects.create(name="Commission urbanisme")
    commission.user_set.add(territory.bordeaux_agent)
    for user in (territory.citizen, territory.bordeaux_agent, territory.metro_agent):
        assert not documents_visible_to(user).filter(pk=document.pk).exists()

    services.grant_add(actor=territory.publisher, document=document, user=territory.citizen)
    services.grant_add(actor=territory.publisher, document=document, group=commission)
    services.grant_add(actor=territory.publisher, document=document, authority=territory.metropole)
    for user in (territory.citizen, territory.bordeaux_agent, territory.metro_agent):
        assert documents_visible_to(user).filter(pk=document.pk).exists(), user

    services.grant_remove(actor=territory.publisher, document=document, group=commission)
    assert not documents_visible_to(territory.bordeaux_agent).filter(pk=document.pk).exists()
    actions = list(
        AuditEvent.objects.filter(action__in=["grant", "revoke"]).values_list("action", flat=True)
    )
    assert sorted(actions) == ["grant", "grant", "grant", "revoke"]


def test_a_change_grant_lets_a_user_edit_and_see_drafts(territory, publish):
    draft = publish(publish=False)
    assert not documents_visible_to(territory.bordeaux_agent).filter(pk=draft.pk).exists()
    services.grant_add(
        actor=territory.publisher,
        document=draft,
        user=territory.bordeaux_agent,
        level=GrantLevel.CHANGE,
    )
    assert documents_visible_to(territory.bordeaux_agent).filter(pk=draft.pk).exists()
    services.document_edit(actor=territory.bordeaux_agent, document=draft, summary="Relu")


def test_audit_purge_removes_entries_older_than_the_retention(territory, publish, settings):
    settings.CIVIS_AUDIT_RETENTION_DAYS = 365
    document = publish()
    old = AuditEvent.objects.create(
        action="view", document=document, at=timezone.now() - timezone.timedelta(days=400)
    )
    out = io.StringIO()
    call_command("civis_purge_audit", stdout=out)
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(document=document).count() == 2  # create + publish
    assert "1" in out.getvalue()
