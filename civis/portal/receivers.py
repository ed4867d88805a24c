"""The portal's kept anonymous pages (core.pagecache) follow what they show: each change a lower
floor announces, and each write of a model an anonymous page shows, makes them stale when its
transaction commits. Nothing else is done here."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from civis.portal.models import AccessibilityDeclaration
from core.pagecache import public_pages_changed
from documents.signals import documents_changed
from identity.models import Authority, AuthorityContact
from identity.signals import authorities_moved
from opendata.models import Dataset, Resource
from procedures.models import Procedure, ProcedureRevision

# Shown on the home, authority, document and catalog pages (names, contacts, procedures,
# datasets, the accessibility line of the footer).
SHOWN_MODELS = (
    Authority,
    AuthorityContact,
    Procedure,
    ProcedureRevision,
    Dataset,
    Resource,
    AccessibilityDeclaration,
)
UID = "portal.pagecache"


def on_change(**_kwargs: Any) -> None:
    public_pages_changed()


def on_page_write(*, sender: type, **_kwargs: Any) -> None:
    if issubclass(sender, Page):
        public_pages_changed()


def connect() -> None:
    documents_changed.connect(on_change, dispatch_uid=f"{UID}.documents")
    authorities_moved.connect(on_change, dispatch_uid=f"{UID}.authorities")
    page_published.connect(on_change, dispatch_uid=f"{UID}.page_published")
    page_unpublished.connect(on_change, dispatch_uid=f"{UID}.page_unpublished")
    post_page_move.connect(on_change, dispatch_uid=f"{UID}.page_moved")
    for model in SHOWN_MODELS:
        post_save.connect(on_change, sender=model, dispatch_uid=f"{UID}.save.{model.__name__}")
        post_delete.connect(on_change, sender=model, dispatch_uid=f"{UID}.delete.{model.__name__}")
    post_delete.connect(on_page_write, dispatch_uid=f"{UID}.delete.page")
