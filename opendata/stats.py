"""Reuse statistics as the dataset page, the API and the CSV export read them (the counting
itself is ``opendata.services.stats.resource_hit``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet, Sum
from django.utils import timezone

from opendata.models import Dataset, Resource, ResourceDailyStat

#: The window of ``resource_counts``: today and the 29 days before.
WINDOW_DAYS = 30


def window_start(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) - datetime.timedelta(days=WINDOW_DAYS - 1)


def resource_counts(resources: Iterable[Resource]) -> dict[int, tuple[int, int]]:
    """``{resource id: (downloads, api calls)}`` over the last 30 days (today included), for
    each of ``resources`` (0, 0 for one never used). One query."""
    ids = [resource.pk for resource in resources]
    counts = dict.fromkeys(ids, (0, 0))
    if not ids:
        return counts
    rows = (
        ResourceDailyStat.objects.filter(resource_id__in=ids, day__gte=window_start())
        .values("resource_id")
        .annotate(downloads=Sum("downloads"), api_calls=Sum("api_calls"))
    )
    for row in rows:
        counts[row["resource_id"]] = (row["downloads"] or 0, row["api_calls"] or 0)
    return counts


def dataset_daily_stats(dataset: Dataset, resources: QuerySet[Resource]) -> list[dict[str, object]]:
    """The daily rows of ``resources`` (those of ``dataset`` the caller may read), oldest day
    first, for the CSV export."""
    rows = (
        ResourceDailyStat.objects.filter(resource__in=resources, resource__dataset=dataset)
        .select_related("resource")
        .order_by("day", "resource__position", "resource_id")
    )
    return [
        {
            "jour": row.day.isoformat(),
            "ressource_id": row.resource_id,
            "ressource": row.resource.title,
            "telechargements": row.downloads,
            "appels_api": row.api_calls,
        }
        for row in rows
    ]
