"""The safety net of scheduled publication: run it from cron or a systemd timer (every few
minutes) in case the worker was down when a document's time came."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from documents.services import documents_schedule_apply


class Command(BaseCommand):
    help = (
        "Met en ligne les documents programmés dont l'heure est venue et retire ceux dont la "
        "fin d'affichage est passée."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = documents_schedule_apply()
        published, expired = done["published"], done["expired"]
        if not published and not expired:
            self.stdout.write(_("Rien à faire : aucun document programmé n'est échu."))
            return
        if published:
            self.stdout.write(
                _("%(count)d document(s) mis en ligne : %(ids)s")
                % {"count": len(published), "ids": ", ".join(map(str, published))}
            )
        if expired:
            self.stdout.write(
                _("%(count)d document(s) retiré(s) (fin d'affichage) : %(ids)s")
                % {"count": len(expired), "ids": ", ".join(map(str, expired))}
            )
