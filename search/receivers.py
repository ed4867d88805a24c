"""Search subscribes to what documents and identity announce. No logic here: each receiver
hands over to a service, in the sender's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from documents.signals import documents_changed
from identity.signals import authorities_moved
from search import services

DOCUMENTS_UID = "search.documents_changed"
AUTHORITIES_UID = "search.authorities_moved"


def on_documents_changed(*, document_ids: Iterable[int], **_kwargs: Any) -> None:
    services.documents_changed(document_ids)


def on_authorities_moved(*, authority_ids: Iterable[int], **_kwargs: Any) -> None:
    services.authorities_moved(authority_ids)


def connect() -> None:
    documents_changed.connect(on_documents_changed, dispatch_uid=DOCUMENTS_UID)
    authorities_moved.connect(on_authorities_moved, dispatch_uid=AUTHORITIES_UID)
