"""Delete audit entries older than CIVIS_AUDIT_RETENTION_DAYS (12 months by default, CNIL)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.services import audit_purge


class Command(BaseCommand):
    help = "Supprime les entrées du journal d'audit plus anciennes que la durée de conservation."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = audit_purge()
        self.stdout.write(
            self.style.SUCCESS(
                f"{deleted} entrée(s) de plus de {settings.CIVIS_AUDIT_RETENTION_DAYS} jours "
                "supprimée(s)."
            )
        )
