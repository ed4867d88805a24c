"""The accusé de réception électronique (ARE) at the latest 10 working days after submission
(décret n° 2016-1411): run it daily (cron or a systemd timer). An instructor opening a request
files it earlier (request_open). Working days: Monday to Friday (public holidays are not
counted out: at worst the ARE comes a little early, never late)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import Request, RequestState

WORKING_DAYS = 10


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """``day`` plus ``count`` working days (Monday to Friday)."""
    current = day
    added = 0
    while added < count:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def acknowledgement_deadline(submitted_at: datetime.datetime) -> datetime.date:
    """The last day the ARE may be sent for a request submitted at ``submitted_at``."""
    return add_working_days(timezone.localdate(submitted_at), WORKING_DAYS)


def due_requests(today: datetime.date | None = None) -> list[Request]:
    """Submitted requests with no ARE whose deadline is today or past."""
    today = today or timezone.localdate()
    # A first cut in SQL (10 working days span at least 12 calendar days), then exactly.
    earliest = timezone.now() - datetime.timedelta(days=11)
    candidates = (
        Request.objects.filter(
            state__in=[RequestState.SUBMITTED, RequestState.INSTRUCTION],
            acknowledgement__isnull=True,
            applicant__isnull=False,
            submitted_at__isnull=False,
            submitted_at__lte=earliest,
        )
        .select_related("procedure")
        .order_by("submitted_at", "pk")
    )
    return [
        r
        for r in candidates
        if r.submitted_at and acknowledgement_deadline(r.submitted_at) <= today
    ]


class Command(BaseCommand):
    help = (
        "Envoie l'accusé de réception électronique (ARE) des dossiers déposés depuis "
        "10 jours ouvrés qui n'en ont pas encore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Lister les dossiers sans rien envoyer.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from procedures.services.requests import request_acknowledge

        due = due_requests()
        if not due:
            self.stdout.write(_("Rien à faire : aucun accusé de réception n'est dû."))
            return
        sent: list[str] = []
        for request in due:
            if options["dry_run"]:
                sent.append(request.number)
                continue
            try:
                done = request_acknowledge(actor=None, request=request)
            except ValidationError as exc:
                self.stderr.write(f"{request.number} : {' '.join(exc.messages)}")
                continue
            if done.acknowledgement_id is not None:
                sent.append(request.number)
        verb = _("à envoyer") if options["dry_run"] else _("envoyé(s)")
        self.stdout.write(
            _("%(count)d accusé(s) de réception %(verb)s : %(numbers)s")
            % {"count": len(sent), "verb": verb, "numbers": ", ".join(sent)}
        )
