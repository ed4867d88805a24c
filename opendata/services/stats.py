"""Reuse statistics, counted server-side without tracking anyone: one row per resource and
day (``ResourceDailyStat``) holding two numbers, downloads and API calls. No address, no user,
no cookie is read or stored.

``resource_hit`` is not a durable service: it is called from a download or an API answer,
inside or outside a transaction, and never fails the request it counts (a lost count is better
than a lost download). The increment is one ``UPDATE … SET n = n + 1`` (``F()``), so two
requests at once both count; the day's row is created race-safely (a savepoint around the
insert; on a unique-constraint clash the other request created it, and the update is retried).
"""

from __future__ import annotations

import datetime
import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from opendata.models import Resource, ResourceDailyStat

logger = logging.getLogger(__name__)

#: ``kind`` → the counter it increments.
FIELDS = {"download": "downloads", "api": "api_calls"}


def _increment(resource_ids: list[int], field: str, day: datetime.date) -> int:
    return ResourceDailyStat.objects.filter(resource_id__in=resource_ids, day=day).update(
        **{field: F(field) + 1}
    )


def resources_hit(*, resources: list[Resource], kind: str) -> None:
    """Count one ``kind`` ("download" or "api") for each of ``resources`` today."""
    if kind not in FIELDS:
        raise ValueError(f"Unknown hit kind: {kind!r}")
    field = FIELDS[kind]
    ids = sorted({resource.pk for resource in resources if resource.pk is not None})
    if not ids:
        return
    day = timezone.localdate()
    try:
        with transaction.atomic():  # a savepoint: a failure here never breaks the caller's
            _count(ids, field, day)
    except DatabaseError:
        logger.warning("Reuse statistics: a %s hit was not counted", kind, exc_info=True)


def _count(ids: list[int], field: str, day: datetime.date) -> None:
    existing = set(
        ResourceDailyStat.objects.filter(resource_id__in=ids, day=day).values_list(
            "resource_id", flat=True
        )
    )
    if existing:
        _increment(sorted(existing), field, day)
    missing = [resource_id for resource_id in ids if resource_id not in existing]
    if missing:  # a resource removed meanwhile is not counted (no dangling row)
        missing = list(Resource.objects.filter(pk__in=missing).values_list("pk", flat=True))
    for resource_id in missing:
        try:
            with transaction.atomic():  # a savepoint when inside a transaction
                ResourceDailyStat.objects.create(resource_id=resource_id, day=day, **{field: 1})
        except IntegrityError:
            # Another request created today's row in between (or the resource is gone).
            _increment([resource_id], field, day)


def resource_hit(*, resource: Resource, kind: str) -> None:
    """Count one download (``kind="download"``) or API call (``kind="api"``) of ``resource``
    today. Callable inside or outside a transaction."""
    resources_hit(resources=[resource], kind=kind)
