"""Documents for search tests: real rows, no file storage (the text is what search reads)."""

from __future__ import annotations

import datetime
import itertools

from documents.models import Document, DocumentVersion
from identity.models import Authority, User
from search.services import documents_changed

_counter = itertools.count(1)


def make_document(
    owner: Authority,
    title: str = "",
    *,
    text: str = "",
    summary: str = "",
    audience: str = "public",
    status: str = "published",
    document_type: str = "autre",
    published_on: datetime.date | None = None,
    kind: str | None = "pdf",
    addressee: User | None = None,
    tags: list[str] | None = None,
) -> Document:
    n = next(_counter)
    document = Document.objects.create(
        owner=owner,
        title=title or f"Document {n}",
        summary=summary,
        extracted_text=text,
        audience=audience,
        status=status,
        document_type=document_type,
        published_on=published_on or datetime.date(2025, 1, 1 + n % 28),
        addressee=addressee if audience == "personal" else None,
    )
    if tags:
        document.tags.set(tags)
    if kind:
        version = DocumentVersion.objects.create(
            document=document,
            number=1,
            file=f"documents/test/{n}.{kind}",
            file_name=f"{n}.{kind}",
            kind=kind,
            mime_type="application/octet-stream",
            size=1,
            sha256="0" * 64,
        )
        document.current_version = version
        document.save(update_fields=["current_version"])
    documents_changed([document.pk])
    return document


def index_now() -> None:
    """Apply the outbox at once (tests run inside a transaction that never commits)."""
    from search.services import apply_outbox

    apply_outbox(due_only=False)
