"""The search app's tables: the database index's filter columns and the outbox.

The full-text part of the database index lives beside ``SearchEntry`` in raw SQL (an FTS5
table on SQLite; tsvector and array columns with GIN indexes on PostgreSQL), created by the
migrations, because Django has no portable field for either.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class SearchEntry(models.Model):
    """One indexed document, as the database backend knows it. No foreign key on purpose:
    an entry whose document is gone is an "extra" the index check must be able to see."""

    document_id = models.BigIntegerField(primary_key=True)
    owner_id = models.BigIntegerField(db_index=True)
    document_type = models.CharField(max_length=20)
    year = models.IntegerField(null=True)
    published_on = models.DateField(null=True)
    kind = models.CharField(max_length=8, blank=True)
    fingerprint = models.CharField(max_length=40)

    class Meta:
        verbose_name = "entrée d'index"

    def __str__(self) -> str:
        return f"document {self.document_id}"


class IndexOutbox(models.Model):
    """A document to (re)index or remove on one target ("db" or "es"), recorded in the
    transaction that changed it and applied after commit by the worker."""

    document_id = models.BigIntegerField()
    target = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "changement à indexer"
        indexes = [models.Index(fields=["target", "available_at"])]

    def __str__(self) -> str:
        return f"{self.target}: document {self.document_id}"


class SearchSynonym(models.Model):
    """A group of equivalent expressions added by a publisher ("cantine, restauration
    scolaire"), merged with the built-in list (search.synonyms) at query time."""

    terms = models.CharField(
        "expressions équivalentes",
        max_length=300,
        help_text="Séparées par des virgules : « cantine, restauration scolaire ».",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="ajouté par",
    )
    created_at = models.DateTimeField("ajouté le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "synonyme de la recherche"
        verbose_name_plural = "synonymes de la recherche"
        ordering = ["terms", "pk"]

    def __str__(self) -> str:
        return self.terms
