"""Feed and sitemap of public documents — through the one selector, as an anonymous visitor."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from documents.models import Document
from documents.selectors import documents_visible_to

# Feed and Sitemap are generic in django-stubs only: subscripted at run time they raise
# TypeError (unless django_stubs_ext.monkeypatch() has run).
if TYPE_CHECKING:
    _DocumentFeed = Feed[Document, None]
    _DocumentSitemap = Sitemap[Document]
else:
    _DocumentFeed, _DocumentSitemap = Feed, Sitemap


def public_documents() -> QuerySet[Document]:
    return documents_visible_to(AnonymousUser()).select_related("owner")


class LatestDocumentsFeed(_DocumentFeed):
    link = "/documents/flux/"
    description = "Les derniers documents publics des collectivités du territoire."
    language = "fr"

    def title(self) -> str:
        return f"{settings.WAGTAIL_SITE_NAME} — dernières publications"

    def items(self) -> list[Document]:
        return list(public_documents().order_by("-published_on", "-pk")[:50])

    def item_title(self, item: Document) -> str:
        # The title alone: a screen reader reading the list hears each title once, not the
        # authority's name fifty times; the authority is the item's author and category.
        return item.title

    def item_author_name(self, item: Document) -> str:
        return item.owner.name

    def item_categories(self, item: Document) -> list[str]:
        return [item.owner.name, item.get_document_type_display()]

    def item_description(self, item: Document) -> str:
        return item.summary

    def item_link(self, item: Document) -> str:
        return reverse("document_detail", args=[item.pk])

    def item_pubdate(self, item: Document) -> datetime.datetime | None:
        if item.published_on is None:
            return None
        return datetime.datetime.combine(
            item.published_on, datetime.time(), tzinfo=timezone.get_current_timezone()
        )


class DocumentSitemap(_DocumentSitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self) -> QuerySet[Document]:
        return public_documents().order_by("pk")

    def location(self, item: Document) -> str:
        return reverse("document_detail", args=[item.pk])

    def lastmod(self, item: Document) -> datetime.datetime:
        return item.updated_at
