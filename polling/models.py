"""Where each address of a commune votes: the commune's assignment of addresses to bureaux
(imported from its list or the REU's), and the street-range rules of its arrêté (entered by
its agents or imported), which are the authoritative source when they exist.

A bureau is referred to by its number within the commune; ``polling.selectors`` finds the
``elections.PollingStation`` of that number in force on the date of the next election (its
name, lieu de vote, address and contour). Addresses are compared through
``polling.normalize``: ``Street.key`` and the numbers are what a lookup matches, the labels
are what it shows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import Authority


class CommuneReference(models.Model):
    """What the portal holds for one commune, and where it comes from."""

    commune = models.OneToOneField(
        Authority,
        verbose_name=_("commune"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="polling_reference",
    )
    source = models.CharField(_("source"), max_length=300, blank=True, default="")
    source_date = models.DateField(_("date des données"), null=True, blank=True)
    imported_at = models.DateTimeField(_("importé le"), null=True, blank=True)
    addresses = models.PositiveIntegerField(_("adresses"), default=0)
    # Addresses the list itself puts in several bureaux (never answered from the list alone).
    split_addresses = models.PositiveIntegerField(_("adresses dans plusieurs bureaux"), default=0)
    # The open data dataset of the commune's bureaux, assignment, rules and contours.
    dataset_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("données « Où voter ? » d'une commune")
        verbose_name_plural = _("données « Où voter ? » des communes")

    def __str__(self) -> str:
        return str(self.commune)


class Street(models.Model):
    """A street of a commune, as known from its assignment or its rules."""

    commune = models.ForeignKey(
        Authority,
        verbose_name=_("commune"),
        on_delete=models.CASCADE,
        related_name="polling_streets",
    )
    key = models.CharField(_("clé normalisée"), max_length=200)
    # The key without its street type ("JEAN JAURES"): "Jean Jaurès" finds the one street.
    name_key = models.CharField(max_length=200, db_index=True)
    label = models.CharField(_("voie"), max_length=200)

    class Meta:
        verbose_name = _("voie")
        verbose_name_plural = _("voies")
        ordering = ["commune", "label"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "key"], name="polling_street_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label


class AssignedAddress(models.Model):
    """One address of the commune's list and its bureau. The same address in two bureaux is
    two rows (the list contradicts itself: a lookup never answers from it alone)."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="addresses")
    number = models.PositiveIntegerField(_("numéro"), null=True, blank=True)
    repetition = models.CharField(_("indice de répétition"), max_length=10, blank=True, default="")
    bureau = models.PositiveIntegerField(_("bureau"))
    # Lines of the file for this address and bureau (electors, or duplicates).
    lines = models.PositiveIntegerField(default=1)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    ban_id = models.CharField(_("identifiant BAN"), max_length=60, blank=True, default="")

    class Meta:
        verbose_name = _("adresse rattachée")
        verbose_name_plural = _("adresses rattachées")
        ordering = ["street", "number", "repetition"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "number", "repetition", "bureau"],
                name="polling_address_unique",
            ),
        ]

    def __str__(self) -> str:
        number = f"{self.number} {self.repetition}".strip() if self.number is not None else ""
        return f"{number} {self.street.label}".strip()


class Parity(models.TextChoices):
    ALL = "all", _("pairs et impairs")
    EVEN = "even", _("pairs")
    ODD = "odd", _("impairs")


class StreetRule(models.Model):
    """A line of the commune's arrêté: the numbers ``number_from`` to ``number_to`` (either end
    open) of one side of a street, or both, vote in ``bureau``."""

    street = models.ForeignKey(
        Street, verbose_name=_("voie"), on_delete=models.CASCADE, related_name="rules"
    )
    number_from = models.PositiveIntegerField(_("du numéro"), null=True, blank=True)
    number_to = models.PositiveIntegerField(_("au numéro"), null=True, blank=True)
    parity = models.CharField(_("côté"), max_length=4, choices=Parity.choices, default=Parity.ALL)
    bureau = models.PositiveIntegerField(_("bureau"))
    reference = models.CharField(
        _("arrêté"),
        max_length=200,
        help_text=_("Référence de l'arrêté (ex. « Arrêté n° 2026-14 du 12 janvier 2026 »)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("règle de découpage")
        verbose_name_plural = _("règles de découpage")
        ordering = ["street", "number_from", "parity"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_from__isnull=True)
                | Q(number_to__isnull=True)
                | Q(number_to__gte=models.F("number_from")),
                name="polling_rule_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street.label} ({self.describe()}) → bureau {self.bureau}"

    def describe(self) -> str:
        """« du 1 au 39, impairs »"""
        low = self.number_from
        high = self.number_to
        if low is None and high is None:
            span = str(_("tous les numéros"))
        elif high is None:
            span = str(_("à partir du %(n)d") % {"n": low})
        elif low is None:
            span = str(_("jusqu'au %(n)d") % {"n": high})
        else:
            span = str(_("du %(a)d au %(b)d") % {"a": low, "b": high})
        return f"{span}, {self.get_parity_display()}"
