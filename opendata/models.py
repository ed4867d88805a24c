"""Open data: datasets of an authority, their resources (public documents of the store, live
API endpoints of the portal, or the portal's own SCDL exports), reports of a-posteriori
moderation and reuse statistics counted without tracking anyone.

Who may read a dataset is decided in one place: ``opendata.selectors``. A resource built on a
document is readable only while that document is public (``documents.selectors``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from identity.models import Authority


class DatasetLicence(models.TextChoices):
    """data.gouv.fr's licence identifiers (what its harvester recognises)."""

    LOV2 = "lov2", _("Licence Ouverte / Open Licence version 2.0")
    ODBL = "odc-odbl", _("Open Database License (ODbL)")
    CC_BY = "cc-by", _("Creative Commons Attribution")


LICENCE_URLS = {
    DatasetLicence.LOV2: "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    DatasetLicence.ODBL: "https://opendatacommons.org/licenses/odbl/1-0/",
    DatasetLicence.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
}


class Frequency(models.TextChoices):
    """The EU frequency vocabulary (publications.europa.eu/resource/authority/frequency)."""

    DAILY = "DAILY", _("Quotidienne")
    WEEKLY = "WEEKLY", _("Hebdomadaire")
    MONTHLY = "MONTHLY", _("Mensuelle")
    QUARTERLY = "QUARTERLY", _("Trimestrielle")
    ANNUAL = "ANNUAL", _("Annuelle")
    IRREG = "IRREG", _("Irrégulière")
    UPDATE_CONT = "UPDATE_CONT", _("En continu")
    UNKNOWN = "UNKNOWN", _("Inconnue")


class Theme(models.TextChoices):
    """The EU data themes (publications.europa.eu/resource/authority/data-theme)."""

    AGRI = "AGRI", _("Agriculture, pêche, sylviculture et alimentation")
    ECON = "ECON", _("Économie et finances")
    EDUC = "EDUC", _("Éducation, culture et sport")
    ENER = "ENER", _("Énergie")
    ENVI = "ENVI", _("Environnement")
    GOVE = "GOVE", _("Gouvernement et secteur public")
    HEAL = "HEAL", _("Santé")
    INTR = "INTR", _("Questions internationales")
    JUST = "JUST", _("Justice, système juridique et sécurité publique")
    REGI = "REGI", _("Régions et villes")
    SOCI = "SOCI", _("Population et société")
    TECH = "TECH", _("Science et technologie")
    TRAN = "TRAN", _("Transports")


class Dataset(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publié")
        WITHDRAWN = "withdrawn", _("Retiré")

    # The identifier data.gouv.fr keys the dataset on: never changes, even when renamed.
    identifier = models.UUIDField(_("identifiant"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        Authority, verbose_name=_("collectivité"), on_delete=models.PROTECT, related_name="datasets"
    )
    title = models.CharField(_("titre"), max_length=255)
    description = models.TextField(_("description"))
    keywords = models.JSONField(_("mots-clés"), default=list, blank=True)
    themes = models.JSONField(_("thèmes"), default=list, blank=True)  # Theme values
    licence = models.CharField(
        _("licence"), max_length=16, choices=DatasetLicence.choices, default=DatasetLicence.LOV2
    )
    frequency = models.CharField(
        _("fréquence de mise à jour"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.UNKNOWN,
    )
    temporal_start = models.DateField(_("début de la période couverte"), null=True, blank=True)
    temporal_end = models.DateField(_("fin de la période couverte"), null=True, blank=True)
    contact_name = models.CharField(_("point de contact"), max_length=200, blank=True, default="")
    contact_email = models.EmailField(_("adresse du point de contact"), blank=True, default="")
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    modified_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeu de données")
        verbose_name_plural = _("jeux de données")
        ordering = ["-modified_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "owner"]),
            models.Index(fields=["status", "-modified_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(temporal_start__isnull=True)
                | Q(temporal_end__isnull=True)
                | Q(temporal_end__gte=models.F("temporal_start")),
                name="dataset_temporal_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Fichier du dépôt")
        API = "api", _("Point d'accès de l'API")
        EXPORT = "export", _("Export du portail")

    class Export(models.TextChoices):
        """The portal's own exports, built from the store at a stable URL."""

        DELIBERATIONS = "deliberations", _("Délibérations (SCDL 2.1.5)")
        CATALOGUE = "catalogue", _("Catalogue des données (SCDL 0.1.3)")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    # Exactly one of these, by kind (constraint below).
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dataset_resources",
    )
    api_path = models.CharField(
        _("chemin de l'API"),
        max_length=300,
        blank=True,
        default="",
        help_text=_(
            "Un chemin de l'API du portail, par exemple /api/v1/documents/?authority_code=33281."
        ),
    )
    export = models.CharField(
        _("export"), max_length=16, choices=Export.choices, blank=True, default=""
    )
    # dct:conformsTo: a schema's canonical URL (schema.data.gouv.fr), or empty.
    schema_url = models.URLField(_("schéma de données"), max_length=300, blank=True, default="")
    # The schema check's last answer (None: never checked); the badge shows only when True.
    schema_valid = models.BooleanField(_("conforme au schéma"), null=True, blank=True)
    schema_checked_at = models.DateTimeField(null=True, blank=True)
    schema_errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ressource")
        verbose_name_plural = _("ressources")
        ordering = ["dataset", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="document", document__isnull=False, api_path="", export=""))
                | (Q(kind="api", document__isnull=True, export="") & ~Q(api_path=""))
                | (Q(kind="export", document__isnull=True, api_path="") & ~Q(export="")),
                name="resource_one_target_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} — {self.title}"


class ReportReason(models.TextChoices):
    PERSONAL_DATA = "personal_data", _("Données personnelles")
    ILLEGAL = "illegal", _("Contenu illicite")
    DATA_ERROR = "data_error", _("Erreur dans les données")
    SECURITY = "security", _("Problème de sécurité")
    SPAM = "spam", _("Spam")
    OTHER = "other", _("Autre")


class Report(models.Model):
    """A visitor's report on a public document or dataset (a-posteriori moderation). No IP
    address is stored: the rate limit keys on a salted hash kept in the cache only."""

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        DISMISSED = "dismissed", _("Classé sans suite")
        RESOLVED = "resolved", _("Corrigé ou retiré")

    authority = models.ForeignKey(
        Authority, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="+"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("motif"), max_length=16, choices=ReportReason.choices)
    message = models.TextField(_("message"), max_length=2000)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signalé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Only to tell an anonymous reporter the outcome; erased once they are told.
    reporter_email = models.EmailField(_("adresse pour la réponse"), blank=True, default="")
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.TextField(_("réponse"), blank=True, default="")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traité par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    created_at = models.DateTimeField(_("signalé le"), default=timezone.now)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["authority", "status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False, dataset__isnull=True)
                | Q(document__isnull=True, dataset__isnull=False),
                name="report_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} — {self.created_at:%Y-%m-%d}"


class ResourceDailyStat(models.Model):
    """Downloads and API calls of a resource on one day, counted server-side: no cookie, no
    address, no user — only the two numbers."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    downloads = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "day"], name="resource_stat_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.day}"
