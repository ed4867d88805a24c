"""The shared document store: documents, their file versions and explicit grants (the audit
log is the ``audit`` app's).

Who may read a document is decided in one place only: ``documents.selectors``.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from documents.storage import document_storage
from identity.models import Authority


class DocumentType(models.TextChoices):
    DELIBERATION = "deliberation", _("Délibération")
    ARRETE = "arrete", _("Arrêté")
    COMPTE_RENDU = "compte_rendu", _("Compte rendu de séance")
    PROCES_VERBAL = "proces_verbal", _("Procès-verbal")
    FORMULAIRE = "formulaire", _("Formulaire")
    RAPPORT = "rapport", _("Rapport")
    BUDGET = "budget", _("Budget")
    ATTESTATION = "attestation", _("Attestation / certificat")
    DONNEES = "donnees", _("Fichier de données ouvertes")
    AUTRE = "autre", _("Autre")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    SIGNED_IN = "signed_in", _("Personnes connectées")
    INTERNAL = "internal", _("Agents de la collectivité")
    SHARED_UP = "shared_up", _("Agents de la collectivité et des collectivités de rattachement")
    RESTRICTED = "restricted", _("Restreint (accès explicites seulement)")
    PERSONAL = "personal", _("Personnel (adressé à un citoyen)")


class Status(models.TextChoices):
    """Only ``PUBLISHED`` documents are read by their audience; every other state is seen by
    editors only. ``SCHEDULED`` goes live by itself at ``go_live_at`` (the background worker);
    ``IN_REVIEW`` waits for a publisher of the owner (authorities whose publishing policy asks
    for review)."""

    DRAFT = "draft", _("Brouillon")
    IN_REVIEW = "in_review", _("En attente de validation")
    SCHEDULED = "scheduled", _("Programmé")
    PUBLISHED = "published", _("Publié")
    WITHDRAWN = "withdrawn", _("Retiré")


class Licence(models.TextChoices):
    LO2 = "lo-2.0", _("Licence Ouverte 2.0")
    ODBL = "odbl-1.0", _("ODbL 1.0")
    CC_BY = "cc-by-4.0", _("CC BY 4.0")
    NONE = "", _("Aucune (document non public)")


class TaggedDocument(TaggedItemBase):
    # taggit ships no type information: its managers (NaturalKeyManager) as mypy may see them,
    # so that Document.tagged_items is typed.
    objects: ClassVar[models.Manager[TaggedDocument]]
    _default_manager: ClassVar[models.Manager[TaggedDocument]]

    content_object = models.ForeignKey(
        "Document", on_delete=models.CASCADE, related_name="tagged_items"
    )


class Document(models.Model):
    owner = models.ForeignKey(
        Authority,
        verbose_name=_("collectivité"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    title = models.CharField(_("titre"), max_length=255)
    summary = models.TextField(_("résumé"), blank=True)
    document_type = models.CharField(
        _("type de document"),
        max_length=20,
        choices=DocumentType.choices,
        default=DocumentType.AUTRE,
    )
    published_on = models.DateField(_("date de publication"), null=True, blank=True)
    tags = TaggableManager(
        _("mots-clés"), through=TaggedDocument, blank=True, related_name="civis_documents"
    )
    licence = models.CharField(
        _("licence"), max_length=16, choices=Licence.choices, default=Licence.LO2, blank=True
    )
    status = models.CharField(
        _("statut"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    audience = models.CharField(
        _("public visé"), max_length=12, choices=Audience.choices, default=Audience.PUBLIC
    )
    addressee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="personal_documents",
    )
    go_live_at = models.DateTimeField(
        _("mise en ligne programmée"),
        null=True,
        blank=True,
        help_text=_("Le document reste invisible au public jusqu'à cette date et cette heure."),
    )
    expire_at = models.DateTimeField(
        _("fin d'affichage"),
        null=True,
        blank=True,
        help_text=_("Le document est retiré automatiquement à cette date et cette heure."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extracted_text = models.TextField(_("texte extrait"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-published_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "audience", "owner"]),
            models.Index(fields=["owner", "-published_on"]),
            models.Index(fields=["addressee", "-published_on"]),
            # The scheduler's two sweeps: what goes live, what expires.
            models.Index(fields=["status", "go_live_at"]),
            models.Index(fields=["status", "expire_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="personal", addressee__isnull=False)
                | (~Q(audience="personal") & Q(addressee__isnull=True)),
                name="document_addressee_iff_personal",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED and self.audience == Audience.PUBLIC


class PublishingPolicy(models.Model):
    """How an authority publishes. With ``review_required``, its agents may prepare drafts and
    submit them; a publisher of the authority approves (publishes or schedules) or sends them
    back with a comment."""

    authority = models.OneToOneField(
        Authority,
        verbose_name=_("collectivité"),
        on_delete=models.CASCADE,
        related_name="publishing_policy",
    )
    review_required = models.BooleanField(
        _("validation avant publication"),
        default=False,
        help_text=_(
            "Les agents préparent des brouillons et les soumettent ; un éditeur de la "
            "collectivité les valide ou les renvoie avec un commentaire."
        ),
    )

    class Meta:
        verbose_name = _("règle de publication")
        verbose_name_plural = _("règles de publication")

    def __str__(self) -> str:
        return f"{self.authority}"


class ReviewStep(models.Model):
    """One step of a document's review, shown on the document (the audit log has it too)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Soumis pour validation")
        APPROVE = "approve", _("Validé")
        SEND_BACK = "send_back", _("Renvoyé pour corrections")

    document = models.ForeignKey("Document", on_delete=models.CASCADE, related_name="review_steps")
    action = models.CharField(_("étape"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("date"), default=timezone.now)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        verbose_name = _("étape de validation")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document} — {self.get_action_display()}"


def version_upload_to(instance: DocumentVersion, filename: str) -> str:
    # A random key: the stored name reveals neither the title nor the owner.
    return f"documents/{uuid.uuid4().hex}/{filename}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("fichier"), upload_to=version_upload_to, storage=document_storage, max_length=300
    )
    file_name = models.CharField(_("nom du fichier"), max_length=200)
    kind = models.CharField(_("format"), max_length=8)
    mime_type = models.CharField(_("type MIME"), max_length=120)
    size = models.PositiveBigIntegerField(_("taille"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class ExtractionStatus(models.TextChoices):
        PENDING = "pending", _("En attente")
        DONE = "done", _("Fait")
        FAILED = "failed", _("Échec")

    extraction_status = models.CharField(
        max_length=8, choices=ExtractionStatus.choices, default=ExtractionStatus.PENDING
    )
    extraction_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("version")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class DocumentUserGrant(UserObjectPermissionBase):
    """django-guardian direct foreign-key grant to one user (view or change)."""

    content_object = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="user_grants"
    )


class DocumentGroupGrant(GroupObjectPermissionBase):
    """django-guardian direct foreign-key grant to a group (possibly cross-authority)."""

    content_object = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="group_grants"
    )


class GrantLevel(models.TextChoices):
    VIEW = "view", _("Lecture")
    CHANGE = "change", _("Modification")


class DocumentAuthorityGrant(models.Model):
    """A grant to every agent of an authority (guardian has no such principal)."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="authority_grants"
    )
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=GrantLevel.choices, default=GrantLevel.VIEW)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "authority", "level"], name="authority_grant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.authority} — {self.get_level_display()} — {self.document}"


class DeliberationDetails(models.Model):
    """What the SCDL délibérations schema (2.1.5) needs beyond the document itself: the act's
    own identifier, its ACTES subject (``documents.actes``), the vote and the transmission to
    the préfecture. One per délibération; the columns map one to one onto the schema's
    (``DELIB_ID``, ``DELIB_DATE``, ``DELIB_MATIERE_CODE``, ``BUDGET_ANNEE``…)."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, related_name="deliberation", primary_key=True
    )
    act_id = models.CharField(
        _("identifiant de l'acte"),
        max_length=64,
        help_text=_("Numéro interne de la délibération, par exemple 2026-045."),
    )
    adopted_on = models.DateField(_("date d'adoption"))
    subject_code = models.CharField(
        _("matière (nomenclature ACTES)"),
        max_length=5,
        help_text=_("Code de matière ACTES, par exemple 7.1 pour les décisions budgétaires."),
    )
    budget_year = models.CharField(
        _("année du budget"),
        max_length=9,
        blank=True,
        default="",
        help_text=_("AAAA ou AAAA/AAAA."),
    )
    budget_name = models.CharField(_("nom du budget"), max_length=200, blank=True, default="")
    prefecture_id = models.CharField(
        _("identifiant de transmission en préfecture"), max_length=64, blank=True, default=""
    )
    prefecture_date = models.DateField(
        _("date de transmission en préfecture"), null=True, blank=True
    )
    vote_effectif = models.PositiveIntegerField(
        _("effectif (membres en exercice)"), null=True, blank=True
    )
    vote_reel = models.PositiveIntegerField(_("votants"), null=True, blank=True)
    vote_pour = models.PositiveIntegerField(_("pour"), null=True, blank=True)
    vote_contre = models.PositiveIntegerField(_("contre"), null=True, blank=True)
    vote_abstention = models.PositiveIntegerField(_("abstentions"), null=True, blank=True)

    class Meta:
        verbose_name = _("données de délibération")
        verbose_name_plural = _("données de délibérations")

    def __str__(self) -> str:
        return f"{self.act_id} — {self.document}"
