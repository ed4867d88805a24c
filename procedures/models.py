"""Online procedures (démarches en ligne): a procedure of one authority, its versioned form, the
requests (dossiers) citizens make on a frozen revision, their operation log, messages,
attachments, and the passerelle to business software (signed webhooks, API tokens).

Who may read a procedure or a request is decided in one place: ``procedures.selectors``.
Writes go through ``procedures.services`` (``actor=``, one durable transaction, an audit row).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from documents.models import Document
from documents.storage import document_storage
from identity.models import Authority


class Eligibility(models.TextChoices):
    ANYONE = "anyone", _("Toute personne")
    SIGNED_IN = "signed_in", _("Citoyens connectés")
    RESIDENTS = "residents", _("Habitants du territoire")
    AGENTS = "agents", _("Agents publics")


class SilenceMeans(models.TextChoices):
    """What the administration's silence means at the end of the processing time (code des
    relations entre le public et l'administration, L231-1 and L231-4)."""

    ACCEPTANCE = "acceptance", _("Le silence vaut acceptation")
    REFUSAL = "refusal", _("Le silence vaut rejet")


class ProcedureStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")
    CLOSED = "closed", _("Fermée")


class Procedure(models.Model):
    owner = models.ForeignKey(
        Authority,
        verbose_name=_("collectivité"),
        on_delete=models.PROTECT,
        related_name="procedures",
    )
    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    eligibility = models.CharField(
        _("qui peut faire la demande"),
        max_length=16,
        choices=Eligibility.choices,
        default=Eligibility.SIGNED_IN,
    )
    needed_documents = models.TextField(
        _("pièces à fournir"), blank=True, default="", help_text=_("Une pièce par ligne.")
    )
    expected_days = models.PositiveIntegerField(
        _("délai de traitement annoncé (jours)"), default=30
    )
    silence_means = models.CharField(
        _("sens du silence"),
        max_length=16,
        choices=SilenceMeans.choices,
        default=SilenceMeans.REFUSAL,
    )
    appeal = models.TextField(
        _("voies et délais de recours"),
        blank=True,
        default="",
        help_text=_("Repris dans l'accusé de réception et dans la décision."),
    )
    contact_email = models.EmailField(_("courriel de contact"), blank=True, default="")
    contact_phone = models.CharField(
        _("téléphone de contact"), max_length=32, blank=True, default=""
    )
    decision_template = models.TextField(
        _("modèle de décision"),
        blank=True,
        default="",
        help_text=_(
            "Texte de la décision. Champs disponibles : {demandeur}, {numero}, {demarche}, "
            "{collectivite}, {decision}, {motivation}, {date}, et {champ:<clé>} pour une "
            "réponse du formulaire."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("durée de conservation des dossiers clos (jours)"), default=365 * 5
    )
    status = models.CharField(
        _("état"), max_length=16, choices=ProcedureStatus.choices, default=ProcedureStatus.DRAFT
    )
    # One group per procedure: its instructors. Decision documents are granted to it, so a
    # change of instructors changes who reads them, with no per-document rewrite.
    instructors = models.OneToOneField(
        Group,
        verbose_name=_("instructeurs"),
        on_delete=models.PROTECT,
        related_name="instructed_procedure",
    )
    current_revision = models.ForeignKey(
        "ProcedureRevision",
        verbose_name=_("révision publiée"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Passerelle: a signed webhook on every state change of a request.
    webhook_url = models.URLField(_("adresse du webhook"), blank=True, default="")
    webhook_secret = EncryptedTextField(_("secret du webhook"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["status", "owner"])]

    def __str__(self) -> str:
        return self.title


class ProcedureRevision(models.Model):
    """A version of the procedure's form. ``fields`` is a list of field definitions
    (``procedures.fields``); once ``published_at`` is set the revision is frozen and requests
    made on it keep it."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("numéro"))
    fields = models.JSONField(_("champs"), default=list)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("révision de formulaire")
        verbose_name_plural = _("révisions de formulaire")
        ordering = ["procedure", "number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.procedure} — v{self.number}"

    @property
    def frozen(self) -> bool:
        return self.published_at is not None


class RequestState(models.TextChoices):
    DRAFT = "brouillon", _("Brouillon")
    SUBMITTED = "en_construction", _("Déposé")
    INSTRUCTION = "en_instruction", _("En instruction")
    ACCEPTED = "accepte", _("Accepté")
    REFUSED = "refuse", _("Refusé")
    CLOSED = "sans_suite", _("Classé sans suite")


CLOSED_STATES = (RequestState.ACCEPTED, RequestState.REFUSED, RequestState.CLOSED)


class Request(models.Model):
    """A dossier: one applicant's request on one frozen revision of a procedure."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="requests")
    revision = models.ForeignKey(ProcedureRevision, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandeur"),
        null=True,  # null once the applicant deleted their account (closed requests are kept)
        on_delete=models.SET_NULL,
        related_name="procedure_requests",
    )
    state = models.CharField(
        _("état"), max_length=16, choices=RequestState.choices, default=RequestState.DRAFT
    )
    data = models.JSONField(_("réponses"), default=dict, blank=True)
    # Routing and the queue's filter: the commune the request is about (a "commune" field).
    commune = models.ForeignKey(
        Authority, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructeur assigné"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    correction_asked = models.TextField(_("correction demandée"), blank=True, default="")
    motivation = models.TextField(_("motivation de la décision"), blank=True, default="")
    receipt = models.ForeignKey(  # accusé d'enregistrement électronique (AEE)
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledgement = models.ForeignKey(  # accusé de réception électronique (ARE)
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    instruction_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["procedure", "state"]),
            models.Index(fields=["applicant", "-updated_at"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """What the citizen and the agent call the request (on receipts and in mails)."""
        return f"D-{self.pk:06d}" if self.pk else "D-?"

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES


class RequestEvent(models.Model):
    """The request's operation log (timestamped, never edited), shown to the citizen and the
    instructors; the audit log keeps the same facts for the authority."""

    class Action(models.TextChoices):
        CREATE = "create", _("Brouillon créé")
        SUBMIT = "submit", _("Dossier déposé")
        UPDATE = "update", _("Dossier modifié")
        OPEN = "open", _("Instruction commencée")
        CORRECTION = "correction", _("Correction demandée")
        CORRECTED = "corrected", _("Dossier corrigé")
        ACCEPT = "accept", _("Dossier accepté")
        REFUSE = "refuse", _("Dossier refusé")
        CLOSE = "close", _("Dossier classé sans suite")
        REOPEN = "reopen", _("Dossier rouvert")
        MESSAGE = "message", _("Message")
        ASSIGN = "assign", _("Dossier assigné")
        ACKNOWLEDGE = "acknowledge", _("Accusé de réception envoyé")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    state = models.CharField(max_length=16, choices=RequestState.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_instructor = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} message {self.pk}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"procedures/{instance.request.uuid}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    """A file of a request: the answer to an attachment field, or joined to a message. A file
    picked from the citizen's space is copied (the request keeps what was sent)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    field_key = models.CharField(max_length=64, blank=True, default="")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    # The documents' private storage: never served by URL, read only through the selectors.
    file = models.FileField(upload_to=_attachment_path, storage=document_storage, max_length=300)
    file_name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    from_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file_name


class WebhookDelivery(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="deliveries")
    request = models.ForeignKey(Request, null=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=32)
    payload = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.procedure} {self.event} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A passerelle token of one procedure; only its SHA-256 is stored."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("nom"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(token_sha256=""), name="api_token_sha256_not_empty")
        ]

    def __str__(self) -> str:
        return self.name
