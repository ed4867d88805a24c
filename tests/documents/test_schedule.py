"""Scheduled publication and end of display, as a visitor notices them: a document dated in the
future is on no public path until its time, then on every one; an end of display withdraws it;
the system is the actor of both in the audit log."""

from __future__ import annotations

import datetime
import io
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from civis.portal.services import authority_pages_sync, home_page_ensure
from documents import services
from documents.models import Audience, Document, Status
from documents.selectors import document_actions, documents_visible_to
from documents.signals import documents_changed
from search.models import IndexOutbox
from tests.documents.conftest import pdf_upload

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TITLE = "Arrêté de circulation quai Zéphyrin"


@pytest.fixture(params=["sans cache", "cache des pages"])
def pages(request, territory):
    """The authority page's URL; every journey runs twice, the second time with the anonymous
    page cache on (core/pagecache.py): a go-live or an end of display is seen at once."""
    if request.param == "cache des pages":
        request.getfixturevalue("page_cache_on")
    home = home_page_ensure(title="Civis", territory=territory.region)
    authorities = [territory.region, territory.metropole, territory.merignac, territory.bordeaux]
    authority_pages_sync(home=home, authorities=authorities)
    return territory.merignac.portal_page.url


def seen_by(client: Client, document: Document, authority_url: str) -> dict[str, bool]:
    """Where ``client``'s visitor finds the document, path by path."""
    pk = document.pk
    link = f"/documents/{pk}/"
    api_list = client.get("/api/v1/documents/", {"page_size": 100}).json()
    api_search = client.get("/api/v1/search/", {"q": "Zéphyrin"}).json()
    return {
        "page": client.get(link).status_code == 200,
        "download": client.get(f"/documents/{pk}/telecharger").status_code == 200,
        "authority page": TITLE in client.get(authority_url).content.decode(),
        "search page": TITLE in client.get("/recherche/", {"q": "Zéphyrin"}).content.decode(),
        "api search": pk in {hit["id"] for hit in api_search["results"]},
        "api list": pk in {item["id"] for item in api_list["results"]},
        "api item": client.get(f"/api/v1/documents/{pk}/").status_code == 200,
        "feed": link in client.get("/documents/flux/").content.decode(),
        "sitemap": link in client.get("/sitemap.xml").content.decode(),
    }


def everywhere(value: bool) -> dict[str, bool]:
    keys = ["page", "download", "authority page", "search page", "api search", "api list"]
    return dict.fromkeys([*keys, "api item", "feed", "sitemap"], value)


def audit_trail(document: Document) -> list[tuple[str, str | None, dict]]:
    return [
        (e.action, e.actor.username if e.actor else None, e.detail)
        for e in AuditEvent.objects.filter(document=document).order_by("at", "pk")
    ]


def test_a_future_dated_document_is_on_no_public_path_until_its_time(territory, pages):
    day = timezone.localdate() + datetime.timedelta(days=3)
    document = services.document_create(
        actor=territory.publisher,
        owner=territory.merignac,
        title=TITLE,
        upload=pdf_upload(),
        published_on=day,
        publish=True,
    )
    document.refresh_from_db()
    midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=PARIS)
    assert (document.status, document.go_live_at) == (Status.SCHEDULED, midnight)
    anonymous = Client()
    assert seen_by(anonymous, document, pages) == everywhere(False)
    # Its editors see it, with what they may do.
    assert documents_visible_to(territory.publisher).filter(pk=document.pk).exists()
    assert document_actions(territory.publisher, document) == {
        "edit",
        "publish",
        "schedule",
        "unschedule",
    }

    # One second early: nothing happens.
    assert services.documents_go_live_due(now=midnight - datetime.timedelta(seconds=1)) == []
    assert seen_by(anonymous, document, pages) == everywhere(False)

    assert services.documents_go_live_due(now=midnight) == [document.pk]
    assert seen_by(anonymous, document, pages) == everywhere(True)
    document.refresh_from_db()
    assert (document.status, document.published_on) == (Status.PUBLISHED, day)
    assert audit_trail(document)[1:] == [
        (
            "schedule",
            "editeur-merignac",
            {"go_live_at": midnight.isoformat(), "expire_at": None},
        ),
        ("publish", None, {"scheduled": True}),
    ]
    # Idempotent: a second sweep (another worker, the cron safety net) does nothing.
    assert services.documents_go_live_due(now=midnight) == []
    assert AuditEvent.objects.filter(document=document, action="publish").count() == 1


def test_personal_documents_reach_the_citizen_space_only_at_their_time(territory):
    go_live = timezone.now() + datetime.timedelta(hours=2)
    document = services.document_create(
        actor=territory.publisher,
        owner=territory.merignac,
        title="Attestation de résidence",
        audience=Audience.PERSONAL,
        addressee=territory.citizen,
        upload=pdf_upload(),
    )
    services.document_schedule(actor=territory.publisher, document=document, go_live_at=go_live)
    citizen = Client()
    citizen.force_login(territory.citizen)

    def in_space() -> bool:
        space = citizen.get("/mon-espace/")
        return document.pk in {d.pk for d in space.context["page_obj"].object_list}

    assert not in_space()
    assert citizen.get(f"/documents/{document.pk}/").status_code == 404
    services.documents_go_live_due(now=go_live)
    assert in_space()
    assert citizen.get(f"/documents/{document.pk}/").status_code == 200


def test_an_end_of_display_withdraws_the_document_by_itself(territory, pages, publish):
    go_live = timezone.now() + datetime.timedelta(hours=1)
    expire = go_live + datetime.timedelta(days=7)
    document = publish(title=TITLE, publish=False)
    services.document_schedule(
        actor=territory.publisher, document=document, go_live_at=go_live, expire_at=expire
    )
    services.documents_go_live_due(now=go_live)
    anonymous = Client()
    assert seen_by(anonymous, document, pages) == everywhere(True)

    assert services.documents_expire_due(now=expire - datetime.timedelta(seconds=1)) == []
    assert services.documents_expire_due(now=expire) == [document.pk]
    assert services.documents_expire_due(now=expire) == []
    document.refresh_from_db()
    assert document.status == Status.WITHDRAWN
    assert seen_by(anonymous, document, pages) == everywhere(False)
    assert audit_trail(document)[-1] == ("withdraw", None, {"reason": "expired"})


def test_a_window_already_over_never_goes_live(territory, publish):
    go_live = timezone.now() + datetime.timedelta(hours=1)
    document = publish(publish=False)
    services.document_schedule(
        actor=territory.publisher,
        document=document,
        go_live_at=go_live,
        expire_at=go_live + datetime.timedelta(hours=1),
    )
    # The worker was down for the whole window: the sweep withdraws, it never publishes.
    later = go_live + datetime.timedelta(hours=3)
    assert services.documents_schedule_apply(now=later) == {
        "published": [],
        "expired": [document.pk],
    }
    assert [a for a, _u, _d in audit_trail(document)][-2:] == ["schedule", "withdraw"]


def test_an_end_of_display_on_a_published_document(territory, publish):
    document = publish()
    expire = timezone.now() + datetime.timedelta(days=1)
    services.document_edit(actor=territory.publisher, document=document, expire_at=expire)
    document.refresh_from_db()
    assert (document.status, document.expire_at) == (Status.PUBLISHED, expire)
    services.documents_expire_due(now=expire)
    assert not documents_visible_to(None).filter(pk=document.pk).exists()


def test_going_live_dates_an_undated_document_on_the_paris_day(territory, publish):
    # 23:30 UTC is already the next day in Paris.
    day = timezone.localdate() + datetime.timedelta(days=30)
    go_live = datetime.datetime.combine(day, datetime.time(0, 30), tzinfo=PARIS)
    document = publish(publish=False)
    assert document.published_on is None
    services.document_schedule(actor=territory.publisher, document=document, go_live_at=go_live)
    services.documents_go_live_due(now=go_live)
    document.refresh_from_db()
    assert document.published_on == day


def test_dates_are_checked_with_french_messages_and_nothing_is_half_written(territory, publish):
    document = publish(publish=False)
    go_live = timezone.now() + datetime.timedelta(days=2)
    before = audit_trail(document)
    cases = [
        ({"go_live_at": go_live, "expire_at": go_live - datetime.timedelta(hours=1)}, "expire_at"),
        ({"go_live_at": go_live, "expire_at": timezone.now() - datetime.timedelta(1)}, "expire_at"),
        ({"go_live_at": None}, "go_live_at"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.document_edit(
                actor=territory.publisher,
                document=document,
                status=Status.SCHEDULED,
                title="Titre changé",
                **kwargs,
            )
        assert list(caught.value.message_dict) == [field]
        assert "fin d'affichage" in str(caught.value) or "mise en ligne" in str(caught.value)
    document.refresh_from_db()
    assert (document.status, document.title, document.go_live_at) == (Status.DRAFT, "Doc", None)
    assert audit_trail(document) == before


def test_a_go_live_time_already_past_publishes_now(territory, publish):
    document = publish(publish=False)
    services.document_schedule(
        actor=territory.publisher,
        document=document,
        go_live_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    document.refresh_from_db()
    assert document.status == Status.PUBLISHED
    assert documents_visible_to(None).filter(pk=document.pk).exists()
    assert audit_trail(document)[-1] == ("publish", "editeur-merignac", {})


def test_unschedule_and_reschedule(territory, publish):
    document = publish(publish=False)
    first = timezone.now() + datetime.timedelta(hours=1)
    second = first + datetime.timedelta(days=1)
    services.document_schedule(actor=territory.publisher, document=document, go_live_at=first)
    # A new time on the scheduled document (the edit form, status untouched) reschedules it.
    services.document_edit(actor=territory.publisher, document=document, go_live_at=second)
    assert services.documents_go_live_due(now=first) == []
    services.document_unschedule(actor=territory.publisher, document=document)
    document.refresh_from_db()
    assert document.status == Status.DRAFT
    assert services.documents_go_live_due(now=second) == []
    actions = [(a, d.get("go_live_at") or d.get("changed")) for a, _u, d in audit_trail(document)]
    assert actions[-4:] == [
        ("schedule", first.isoformat()),
        ("update", {"go_live_at": [str(first), str(second)]}),
        ("schedule", second.isoformat()),
        ("update", {"status": ["scheduled", "draft"]}),
    ]
    services.document_publish(actor=territory.publisher, document=document)
    with pytest.raises(ValidationError) as caught:
        services.document_unschedule(actor=territory.publisher, document=document)
    assert "status" in caught.value.message_dict


def test_one_failing_document_does_not_hold_up_the_others(territory, publish):
    go_live = timezone.now() + datetime.timedelta(hours=1)
    documents = [publish(title=f"D{i}", publish=False) for i in range(3)]
    for document in documents:
        services.document_schedule(actor=territory.publisher, document=document, go_live_at=go_live)
    broken = documents[1].pk

    def failing_subscriber(*, document_ids, **_kwargs):
        if broken in document_ids:
            raise RuntimeError("index en panne pour ce document")

    documents_changed.connect(failing_subscriber, dispatch_uid="test-failing")
    try:
        done = services.documents_go_live_due(now=go_live)
    finally:
        documents_changed.disconnect(dispatch_uid="test-failing")
    assert done == [documents[0].pk, documents[2].pk]
    statuses = dict(Document.objects.values_list("pk", "status"))
    assert statuses[broken] == Status.SCHEDULED  # nothing half-written; the next sweep retries
    assert not AuditEvent.objects.filter(document_id=broken, action="publish").exists()
    assert services.documents_go_live_due(now=go_live) == [broken]


def test_the_cron_command_says_what_it_did_in_french(territory, publish):
    document = publish(publish=False)
    services.document_schedule(
        actor=territory.publisher,
        document=document,
        go_live_at=timezone.now() + datetime.timedelta(hours=1),
    )
    out = io.StringIO()
    call_command("civis_publish_scheduled", stdout=out)
    assert "Rien à faire" in out.getvalue()
    # Time passes (the worker was down).
    Document.objects.filter(pk=document.pk).update(
        go_live_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    out = io.StringIO()
    call_command("civis_publish_scheduled", stdout=out)
    assert out.getvalue().strip() == f"1 document(s) mis en ligne : {document.pk}"
    assert documents_visible_to(None).filter(pk=document.pk).exists()


def test_the_task_applies_the_schedule(territory, publish):
    from documents.tasks import apply_schedule

    document = publish(publish=False)
    services.document_schedule(
        actor=territory.publisher,
        document=document,
        go_live_at=timezone.now() + datetime.timedelta(hours=1),
    )
    Document.objects.filter(pk=document.pk).update(go_live_at=timezone.now())
    result = apply_schedule.enqueue()  # immediate backend in tests
    assert result.return_value == {"published": [document.pk], "expired": []}


def test_scheduling_enqueues_the_worker_for_that_time(
    territory, publish, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    document = publish(publish=False)
    go_live = timezone.now() + datetime.timedelta(hours=1)
    settings.TASKS = {
        **settings.TASKS,
        "civis": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.document_schedule(actor=territory.publisher, document=document, go_live_at=go_live)
    queued = DBTaskResult.objects.filter(task_path="documents.tasks.apply_schedule")
    assert [q.run_after for q in queued] == [go_live]


def test_the_elasticsearch_outbox_follows_a_scheduled_document(territory, publish, settings):
    """With Elasticsearch configured, going live records outbox rows the worker applies: the
    engine learns the document is now public (a recording engine stands in for the cluster)."""
    from search.outbox import apply_pending

    settings.CIVIS_ELASTICSEARCH_URL = "http://127.0.0.1:9"
    document = publish(publish=False)
    go_live = timezone.now() + datetime.timedelta(hours=1)
    services.document_schedule(actor=territory.publisher, document=document, go_live_at=go_live)

    class Recording:
        name = "es"
        applied: dict[int, tuple[str, ...]] = {}

        def apply(self, docs, removed) -> None:
            self.applied.update({d.id: d.principals for d in docs})

    engine = Recording()
    apply_pending(due_only=False, backends={"es": engine})
    assert "public" not in engine.applied[document.pk]
    services.documents_go_live_due(now=go_live)
    assert IndexOutbox.objects.filter(target="es", document_id=document.pk).exists()
    apply_pending(due_only=False, backends={"es": engine})
    assert "public" in engine.applied[document.pk]
