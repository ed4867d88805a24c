"""The audit log. The table predates this app (it was ``documents_auditevent``) and keeps its
name and its rows: audit.0001 only adopts it into this app's state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what, when (UTC) and from where. Never file contents nor secrets."""

    class Action(models.TextChoices):
        CREATE = "create", _("Création")
        UPDATE = "update", _("Modification")
        PUBLISH = "publish", _("Publication")
        WITHDRAW = "withdraw", _("Retrait")
        VERSION = "version", _("Nouvelle version")
        GRANT = "grant", _("Accès accordé")
        REVOKE = "revoke", _("Accès retiré")
        VIEW = "view", _("Consultation")
        DOWNLOAD = "download", _("Téléchargement")
        ROLE = "role", _("Changement de rôle")
        LOCKOUT = "lockout", _("Connexion bloquée")
        UNLOCK = "unlock", _("Connexion débloquée")
        SCHEDULE = "schedule", _("Publication programmée")
        SUBMIT = "submit", _("Soumis pour validation")
        APPROVE = "approve", _("Validé")
        SEND_BACK = "send_back", _("Renvoyé pour corrections")
        EXPORT = "export", _("Export du journal")
        CERTIFY = "certify", _("Certification")
        REPORT = "report", _("Signalement")
        MODERATE = "moderate", _("Signalement traité")
        INSTRUCT = "instruct", _("Instruction d'un dossier")
        DECIDE = "decide", _("Décision sur un dossier")
        MESSAGE = "message", _("Message sur un dossier")
        ACCOUNT_DELETE = "unregister", _("Suppression de compte")
        PURGE = "purge", _("Purge des dossiers expirés")
        ENTER = "enter", _("Saisie de résultats")
        IMPORT = "import", _("Import de données")

    at = models.DateTimeField(_("date (UTC)"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    authority = models.ForeignKey(
        "identity.Authority",
        verbose_name=_("collectivité"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    detail = models.JSONField(_("détail"), default=dict, blank=True)

    class Meta:
        db_table = "documents_auditevent"
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at"]
        indexes = [models.Index(fields=["authority", "-at"], name="documents_a_authori_e90a97_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"
