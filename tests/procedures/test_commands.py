"""The daily commands: the ARE at the latest 10 working days after submission (weekends not
counted), and the purge of closed requests past their procedure's retention period."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from procedures.management.commands.civis_send_acknowledgements import (
    acknowledgement_deadline,
    add_working_days,
    due_requests,
)
from procedures.models import Attachment, Request, RequestState
from tests.factories import make_territory, make_user
from tests.procedures.factories import make_procedure, make_request


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def procedure(db):
    return make_procedure(make_territory()["merignac"], retention_days=30)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def test_working_days_skip_weekends():
    monday = datetime.date(2026, 11, 2)
    assert add_working_days(monday, 10) == datetime.date(2026, 11, 16)  # two weeks later
    friday = datetime.date(2026, 11, 6)
    assert add_working_days(friday, 1) == datetime.date(2026, 11, 9)  # the Monday
    assert add_working_days(friday, 10) == datetime.date(2026, 11, 20)
    saturday = datetime.date(2026, 11, 7)
    assert add_working_days(saturday, 10) == datetime.date(2026, 11, 20)
    assert acknowledgement_deadline(at(saturday)) == datetime.date(2026, 11, 20)


def test_due_requests_count_working_days(procedure):
    citizen = make_user()
    today = timezone.localdate()
    # Submitted exactly 10 working days ago: due today.
    day = today
    count = 0
    while count < 10:
        day -= datetime.timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    due = make_request(procedure, citizen, state=RequestState.SUBMITTED, submitted_at=at(day))
    # 10 calendar days ago (weekends inside): not yet due.
    recent = make_request(
        procedure,
        citizen,
        state=RequestState.SUBMITTED,
        submitted_at=at(today - datetime.timedelta(days=10)),
    )
    assert acknowledgement_deadline(recent.submitted_at) > today
    old_draft = make_request(procedure, citizen, submitted_at=None)
    assert [r.pk for r in due_requests(today)] == [due.pk]
    assert old_draft.pk not in [r.pk for r in due_requests(today)]


def test_ack_command_files_the_are_once(procedure):
    citizen = make_user()
    submitted = make_request(
        procedure,
        citizen,
        state=RequestState.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=20),
    )
    waiting = make_request(
        procedure,
        citizen,
        state=RequestState.SUBMITTED,
        submitted_at=timezone.now() - datetime.timedelta(days=3),
    )
    out = io.StringIO()
    call_command("civis_send_acknowledgements", "--dry-run", stdout=out)
    assert submitted.number in out.getvalue()
    submitted.refresh_from_db()
    assert submitted.acknowledgement is None
    out = io.StringIO()
    call_command("civis_send_acknowledgements", stdout=out)
    assert submitted.number in out.getvalue() and waiting.number not in out.getvalue()
    submitted.refresh_from_db()
    waiting.refresh_from_db()
    assert submitted.acknowledgement is not None
    assert submitted.acknowledgement.addressee == citizen
    assert waiting.acknowledgement is None
    out = io.StringIO()
    call_command("civis_send_acknowledgements", stdout=out)
    assert "Rien à faire" in out.getvalue()


def test_purge_deletes_expired_closed_requests_only(procedure, django_capture_on_commit_callbacks):
    citizen = make_user()
    now = timezone.now()
    expired = make_request(
        procedure, None, state=RequestState.REFUSED, decided_at=now - datetime.timedelta(days=31)
    )
    attachment = Attachment(
        request=expired,
        field_key="piece",
        file_name="a.pdf",
        mime_type="application/pdf",
        size=4,
        sha256="0" * 64,
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF"), save=False)
    attachment.save()
    stored = attachment.file.name
    storage = attachment.file.storage
    recent = make_request(
        procedure, None, state=RequestState.ACCEPTED, decided_at=now - datetime.timedelta(days=5)
    )
    ongoing = make_request(procedure, citizen, state=RequestState.INSTRUCTION)
    old_draft = make_request(procedure, citizen, created_at=now - datetime.timedelta(days=400))
    out = io.StringIO()
    call_command("civis_purge_requests", "--dry-run", stdout=out)
    assert "1 dossier" in out.getvalue()
    assert Request.objects.filter(pk=expired.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("civis_purge_requests", stdout=io.StringIO())
    assert not Request.objects.filter(pk=expired.pk).exists()
    assert set(Request.objects.values_list("pk", flat=True)) == {
        recent.pk,
        ongoing.pk,
        old_draft.pk,
    }
    assert not storage.exists(stored)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PURGE)
    assert event.detail["requests_deleted"] == 1 and event.authority == procedure.owner
    out = io.StringIO()
    call_command("civis_purge_requests", stdout=out)
    assert "Rien à faire" in out.getvalue()
