from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Journal d'audit")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from audit.receivers import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="audit.record_lockout")
