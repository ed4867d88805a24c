"""Background work of the search app, run by `manage.py db_worker --backend civis`."""

from __future__ import annotations

import datetime

from django.tasks import task
from django.utils import timezone

from search.outbox import apply_pending


@task(backend="civis")
def apply_index_outbox() -> dict[str, int]:
    """Apply the outbox to every search index (retries itself later on failure)."""
    applied, retry_in = apply_pending()
    if retry_in is not None:
        schedule_apply(datetime.timedelta(seconds=retry_in))
    return applied


def schedule_apply(delay: datetime.timedelta | None = None) -> None:
    job = apply_index_outbox
    if delay is not None:
        if not job.get_backend().supports_defer:
            return  # immediate mode (tests): the next change or `civis_reindex` retries
        job = job.using(run_after=timezone.now() + delay)
    job.enqueue()
