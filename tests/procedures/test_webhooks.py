"""The passerelle's webhooks, delivered to a real HTTP server on loopback: what a hook says
(no personal answers), its HMAC signature, the delivery log, retries with backoff, and the
network policy (no redirect followed, no other scheme, no loopback unless allowed)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.tasks import task_backends

from procedures import webhooks
from procedures.models import RequestState, WebhookDelivery
from tests.factories import make_territory, make_user
from tests.procedures.factories import make_procedure, make_request

SECRET = "un-secret-de-test"


class Hook:
    """A local receiver: records each POST; answers ``status`` (and ``location``)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.location = ""
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                hook.received.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                self.send_response(hook.status)
                if hook.location:
                    self.send_header("Location", hook.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?source=civis"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.CIVIS_WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def setup(db, hook):
    places = make_territory()
    procedure = make_procedure(places["merignac"], webhook_url=hook.url, webhook_secret=SECRET)
    citizen = make_user("citoyen-hook")
    item = make_request(
        procedure, citizen, state=RequestState.SUBMITTED, data={"nom": "Dupont-Secret"}
    )
    return procedure, item


def _announce(item, event, capture) -> WebhookDelivery:
    with capture(execute=True), transaction.atomic():
        delivery = webhooks.announce(item, event)
    assert delivery is not None
    delivery.refresh_from_db()
    return delivery


def test_hook_is_signed_and_carries_no_answers(setup, hook, django_capture_on_commit_callbacks):
    procedure, item = setup
    delivery = _announce(item, "open", django_capture_on_commit_callbacks)
    assert delivery.delivered_at is not None
    assert delivery.attempts == 1
    assert delivery.status_code == 200
    assert delivery.last_error == ""
    assert len(hook.received) == 1
    got = hook.received[0]
    assert got["path"] == "/hook?source=civis"
    expected = hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Civis-Signature"] == f"sha256={expected}"
    assert got["headers"]["X-Civis-Delivery"] == str(delivery.pk)
    assert got["headers"]["X-Civis-Event"] == "open"
    payload = json.loads(got["body"])
    assert payload["event"] == "open"
    assert payload["request"] == {
        "uuid": str(item.uuid),
        "number": item.number,
        "state": RequestState.SUBMITTED,
    }
    assert payload["procedure"] == procedure.slug
    assert "at" in payload
    assert b"Dupont-Secret" not in got["body"]


def test_no_webhook_url_no_delivery(db):
    places = make_territory()
    procedure = make_procedure(places["merignac"])
    item = make_request(procedure, make_user(), state=RequestState.SUBMITTED)
    assert webhooks.announce(item, "submit") is None
    assert not WebhookDelivery.objects.exists()


def test_nothing_sent_when_the_transaction_is_undone(
    setup, hook, django_capture_on_commit_callbacks
):
    _procedure, item = setup
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                webhooks.announce(item, "accept")
                raise RuntimeError("undone")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert hook.received == []


def test_failures_are_recorded_and_retried_up_to_five_times(
    setup, hook, django_capture_on_commit_callbacks
):
    _procedure, item = setup
    hook.status = 500
    delivery = _announce(item, "refuse", django_capture_on_commit_callbacks)
    assert delivery.attempts == 1
    assert delivery.status_code == 500
    assert delivery.last_error == "HTTP 500"
    assert delivery.delivered_at is None
    outcomes = [webhooks.deliver(delivery.pk) for _ in range(5)]
    assert outcomes == ["retry", "retry", "retry", "failed", "failed"]
    delivery.refresh_from_db()
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert len(hook.received) == webhooks.MAX_ATTEMPTS


def test_a_retry_is_enqueued_later_with_backoff(setup, hook, settings):
    _procedure, item = setup
    settings.TASKS = {
        **settings.TASKS,
        "civis": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    }
    hook.status = 503
    with transaction.atomic():
        delivery = webhooks.announce(item, "close")
    assert delivery is not None
    assert webhooks.deliver(delivery.pk) == "retry"
    backend = task_backends["civis"]
    deferred = [r for r in backend.results if r.task.run_after is not None]
    assert len(deferred) == 1
    assert deferred[0].args == [delivery.pk]
    delivery.refresh_from_db()
    wait = (deferred[0].task.run_after - delivery.created_at).total_seconds()
    assert wait >= webhooks.BACKOFF_SECONDS[0] - 1


def test_success_after_a_failure(setup, hook, django_capture_on_commit_callbacks):
    _procedure, item = setup
    hook.status = 502
    delivery = _announce(item, "accept", django_capture_on_commit_callbacks)
    hook.status = 204
    assert webhooks.deliver(delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.status_code == 204
    assert delivery.last_error == ""
    assert webhooks.deliver(delivery.pk) == "delivered"  # never sent twice
    assert len(hook.received) == 2


def test_redirects_are_not_followed(setup, hook, django_capture_on_commit_callbacks):
    _procedure, item = setup
    hook.status = 302
    hook.location = "http://169.254.169.254/latest/meta-data/"
    delivery = _announce(item, "open", django_capture_on_commit_callbacks)
    assert delivery.delivered_at is None
    assert delivery.status_code == 302
    assert delivery.last_error == "HTTP 302"
    assert len(hook.received) == 1


def test_loopback_refused_unless_allowed(setup, hook, settings, django_capture_on_commit_callbacks):
    _procedure, item = setup
    settings.CIVIS_WEBHOOK_ALLOW_LOOPBACK = False
    delivery = _announce(item, "open", django_capture_on_commit_callbacks)
    assert delivery.delivered_at is None
    assert "refused" in delivery.last_error
    assert hook.received == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hook",
        "file:///etc/passwd",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/",
        "https://user:pass@example.org/hook",
    ],
)
def test_bad_destinations_are_refused(db, url, django_capture_on_commit_callbacks):
    places = make_territory()
    procedure = make_procedure(places["merignac"], webhook_url=url, webhook_secret=SECRET)
    item = make_request(procedure, make_user(), state=RequestState.SUBMITTED)
    delivery = _announce(item, "open", django_capture_on_commit_callbacks)
    assert delivery.delivered_at is None
    assert delivery.last_error
    assert webhooks.check_url(url) is not None


def test_check_url_messages_are_french(settings):
    settings.CIVIS_WEBHOOK_ALLOW_LOOPBACK = False
    assert "https://" in (webhooks.check_url("ftp://example.org/") or "")
    assert "réseau privé" in (webhooks.check_url("https://10.1.2.3/hook") or "")
    assert webhooks.check_url("https://93.184.215.14/hook") is None


def test_no_webhook_url_any_more(setup, hook, django_capture_on_commit_callbacks):
    procedure, item = setup
    with transaction.atomic():
        delivery = webhooks.announce(item, "open")
    assert delivery is not None
    type(procedure).objects.filter(pk=procedure.pk).update(webhook_url="")
    assert webhooks.deliver(delivery.pk) == "failed"
    assert hook.received == []
