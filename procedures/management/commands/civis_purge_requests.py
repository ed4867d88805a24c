"""Purge the closed requests past their procedure's retention period (answers, log, messages,
files): run it daily (cron or a systemd timer). Audited (one PURGE row per procedure)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from procedures.privacy import expired_requests, requests_purge


class Command(BaseCommand):
    help = (
        "Supprime les dossiers clos dont la durée de conservation (fixée par chaque démarche) "
        "est écoulée depuis la décision."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Compter les dossiers sans rien supprimer.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            count = expired_requests().count()
            self.stdout.write(_("%(count)d dossier(s) à supprimer.") % {"count": count})
            return
        count = requests_purge()
        if not count:
            self.stdout.write(
                _("Rien à faire : aucun dossier clos n'a dépassé sa durée de conservation.")
            )
            return
        self.stdout.write(_("%(count)d dossier(s) supprimé(s).") % {"count": count})
