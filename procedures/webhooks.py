"""Passerelle, push side: a signed webhook on every state change of a request.

``announce(request, event)`` is called by the services inside their transaction: when the
procedure has a ``webhook_url`` it records a ``WebhookDelivery`` (the payload says what
happened — event, request uuid and number, state, procedure, when — never the citizen's
answers: the back-office reads those through the authenticated API) and, once the
transaction commits, enqueues its delivery.

``deliver(delivery_id)`` (the task ``procedures.tasks.deliver_webhook``) POSTs the
payload as JSON with

- ``X-Civis-Signature: sha256=<hex HMAC-SHA256(procedure.webhook_secret, body)>``,
- ``X-Civis-Delivery: <delivery id>`` and ``X-Civis-Event: <event>``,

a 5 s timeout, no redirect followed (a 3xx is a failure), no proxy; it records the status,
the attempts and the last error, and retries up to ``MAX_ATTEMPTS`` times with a growing
delay (re-enqueued with ``run_after`` when the task backend can defer). Only http(s) URLs on
the public Internet are called — never this machine, a private network or a cloud metadata
service (identity.netpolicy), unless ``CIVIS_WEBHOOK_ALLOW_LOOPBACK`` (tests) lets this
machine in. The host is resolved once and the checked address is the one connected to (a
DNS answer cannot change between the check and the connection).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from identity import netpolicy
from procedures.models import Request, WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 5
MAX_RESPONSE_BYTES = 64 * 1024
# Delay before attempt n+1 (n = attempts made): 1 min, 5 min, 30 min, 2 h.
BACKOFF_SECONDS = (60, 300, 1800, 7200)
USER_AGENT = "CivisData-Webhook/1"


class WebhookRefused(Exception):
    """The destination may not be called, or did not answer usably."""


def payload_of(request: Request, event: str) -> dict[str, Any]:
    """What a hook says: no personal answers, only what lets the back-office fetch them."""
    return {
        "event": event,
        "request": {
            "uuid": str(request.uuid),
            "number": request.number,
            "state": request.state,
        },
        "procedure": request.procedure.slug,
        "at": timezone.now().isoformat(),
    }


def announce(request: Request, event: str) -> WebhookDelivery | None:
    """Record a delivery of ``event`` for ``request`` (inside the caller's transaction) and
    enqueue it once that transaction commits. Nothing when the procedure has no webhook."""
    procedure = request.procedure
    if not procedure.webhook_url:
        return None
    delivery = WebhookDelivery.objects.create(
        procedure=procedure,
        request=request,
        event=event[:32],
        payload=payload_of(request, event),
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: enqueue_delivery(delivery_id), robust=True)
    return delivery


def enqueue_delivery(delivery_id: int, *, at: datetime.datetime | None = None) -> bool:
    """Queue the delivery, now or at ``at``. A backend that cannot defer (the immediate one of
    the tests) gets no delayed retry: False."""
    from procedures.tasks import deliver_webhook

    if at is None:
        deliver_webhook.enqueue(delivery_id)
        return True
    if deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=at).enqueue(delivery_id)
        return True
    return False


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(
        delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def _allow_loopback() -> bool:
    return bool(getattr(settings, "CIVIS_WEBHOOK_ALLOW_LOOPBACK", False))


def check_url(url: str) -> str | None:
    """Why ``url`` may not be a webhook (a French sentence), None when it may (the form of
    the procedure's settings uses it; the delivery checks again at each connection)."""
    refusal = netpolicy.url_refusal(
        url,
        allow_http_loopback=_allow_loopback(),
        allow_private=False,
        check_addresses=True,
    )
    if refusal is None:
        return None
    if refusal.kind == "scheme":
        return "L'adresse du webhook doit commencer par https:// (ou http:// en test)."
    if refusal.kind in ("invalid", "credentials"):
        return "L'adresse du webhook n'est pas valide (pas d'identifiants dans l'adresse)."
    return (
        "L'adresse du webhook désigne une machine locale ou un réseau privé : "
        "seules les adresses publiques d'Internet sont appelées."
    )


def _checked_address(host: str, port: int, *, https: bool) -> str:
    try:
        addresses = netpolicy.resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookRefused(f"name resolution failed: {exc}") from exc
    if not addresses:
        raise WebhookRefused("no address")
    for address in addresses:
        refusal = netpolicy.address_refusal(
            address, allow_loopback=_allow_loopback(), allow_private=False
        )
        if refusal is None and not https and netpolicy.address_kind(address) != "loopback":
            refusal = netpolicy.Refusal("plain http", str(address))
        if refusal is not None:
            raise WebhookRefused(f"destination refused: {refusal}")
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` under the network policy; the status code (redirects are not
    followed: the caller treats a 3xx as a failure)."""
    refusal = netpolicy.url_refusal(
        url, allow_http_loopback=_allow_loopback(), allow_private=False, check_addresses=False
    )
    if refusal is not None:
        raise WebhookRefused(f"destination refused: {refusal}")
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    address = _checked_address(host, port, https=https)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(host, port, address, TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    finally:
        connection.close()


def deliver(delivery_id: int) -> str:
    """One attempt: "delivered", "retry" (scheduled again), "failed" (given up) or "gone"."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).select_related("procedure").first()
    if delivery is None:
        return "gone"
    if delivery.delivered_at is not None:
        return "delivered"
    if delivery.attempts >= MAX_ATTEMPTS:
        return "failed"
    procedure = delivery.procedure
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Civis-Delivery": str(delivery.pk),
        "X-Civis-Event": delivery.event,
        "X-Civis-Signature": signature(procedure.webhook_secret or "", body),
    }
    status: int | None = None
    error = ""
    url = procedure.webhook_url
    if not url:
        error = "no webhook URL any more"
    else:
        try:
            status = post(url, body, headers)
        except WebhookRefused as exc:
            error = str(exc)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if not 200 <= status < 300:
                error = f"HTTP {status}"
    attempts = delivery.attempts + 1
    now = timezone.now()
    delivered = not error
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        status_code=status,
        last_error=error[:500],
        delivered_at=now if delivered else None,
    )
    if delivered:
        return "delivered"
    logger.warning("Webhook delivery %s failed (attempt %s): %s", delivery.pk, attempts, error)
    if attempts >= MAX_ATTEMPTS or not url:
        return "failed"
    delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
    enqueue_delivery(delivery.pk, at=now + datetime.timedelta(seconds=delay))
    return "retry"
