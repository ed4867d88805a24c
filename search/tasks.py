"""Background work of the search app, run by `manage.py db_worker --backend civis`."""

from __future__ import annotations

from django.tasks import task


@task(backend="civis")
def apply_index_outbox() -> dict[str, int]:
    """Apply the outbox to every search index (retries itself later on failure)."""
    from search.services import apply_outbox

    return apply_outbox()
