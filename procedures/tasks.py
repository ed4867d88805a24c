"""Background work of the online procedures, run by `manage.py db_worker --backend civis`.

Mail tasks (procedures.notify) first; other tasks follow below.
"""

from __future__ import annotations

from django.tasks import task


@task(backend="civis")
def send_request_mail(request_id: int, audience: str, event: str, attempt: int = 0) -> str:
    """Send a request's notification mail (procedures.notify.deliver); a mail server failure
    is logged and retried later, never raised."""
    from procedures.notify import deliver

    return deliver(request_id, audience, event, attempt=attempt)


# --- end of the mail tasks; other tasks below ---------------------------------------------------


@task(backend="civis")
def deliver_webhook(delivery_id: int) -> str:
    """One attempt at a passerelle webhook delivery (procedures.webhooks.deliver); a failure is
    recorded in the delivery log and retried later, never raised."""
    from procedures.webhooks import deliver

    return deliver(delivery_id)
