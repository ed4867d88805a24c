"""Background work of the document store, run by `manage.py db_worker --backend civis`."""

from __future__ import annotations

import logging

from django.db import transaction
from django.tasks import task

from documents.models import Document, DocumentVersion
from documents.signals import documents_changed

logger = logging.getLogger(__name__)


@task(backend="civis")
def extract_version_text(version_id: int) -> str:
    """Extract a version's text into its document. A failure is recorded, never raised again:
    the upload itself is already safe in storage."""
    from documents.extraction import ExtractionError, extract_text

    version = DocumentVersion.objects.filter(pk=version_id).select_related("document").first()
    if version is None:
        return "gone"
    try:
        with version.file.open("rb") as handle:
            text = extract_text(handle, version.kind)
    except (ExtractionError, OSError) as exc:
        DocumentVersion.objects.filter(pk=version_id).update(
            extraction_status=DocumentVersion.ExtractionStatus.FAILED,
            extraction_error=str(exc)[:300],
        )
        logger.warning("Text extraction failed for version %s: %s", version_id, exc)
        return "failed"
    with transaction.atomic():
        DocumentVersion.objects.filter(pk=version_id).update(
            extraction_status=DocumentVersion.ExtractionStatus.DONE, extraction_error=""
        )
        # Only the current version's text describes the document.
        updated = Document.objects.filter(
            pk=version.document_id, current_version_id=version_id
        ).update(extracted_text=text)
        if updated:
            documents_changed.send(sender=Document, document_ids=[version.document_id])
    return "done"


@task(backend="civis")
def apply_schedule() -> dict[str, list[int]]:
    """Publish the scheduled documents whose time has come and withdraw those past their end
    of display. Enqueued for each document's time when it is scheduled (``run_after``); any
    run does whatever is due, so a late or repeated run is harmless."""
    from documents.services.schedule import documents_schedule_apply

    return documents_schedule_apply()
