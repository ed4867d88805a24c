"""The periodic safety net, as a long-running process: every ``--interval`` seconds, what
``manage.py civis_publish_scheduled`` does (publish the scheduled documents whose time has
come, withdraw those past their end of display).

The worker already does this at each document's time (a task queued with ``run_after`` when
the document is scheduled); this loop catches what it missed (a queue emptied by hand, an
enqueue lost with its transaction, CIVIS_TASKS_IMMEDIATE=1). ``make serve`` runs it next to
the worker; in production, run it as a service (docs/production/civis-scheduler.service) or
``civis_publish_scheduled`` from cron or a systemd timer instead: both are idempotent, and
several schedulers at once are harmless (each document is taken under a row lock).
"""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from documents.services import documents_schedule_apply

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Toutes les --interval secondes, met en ligne les documents programmés échus et retire "
        "ceux dont la fin d'affichage est passée (filet de sécurité du worker)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=int,
            default=60,
            help="Secondes entre deux passages (60).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Un seul passage, puis s'arrêter.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval: int = options["interval"]
        if interval < 1:
            raise CommandError("--interval doit valoir au moins 1 seconde.")
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        if not options["once"]:
            signal.signal(signal.SIGINT, _stop)
            signal.signal(signal.SIGTERM, _stop)
            self.stdout.write(
                f"Planificateur démarré : mises en ligne programmées et fins d'affichage "
                f"toutes les {interval} s."
            )
        while True:
            self._sweep()
            if options["once"] or stop.wait(interval):
                break
        if not options["once"]:
            self.stdout.write("Planificateur arrêté.")

    def _sweep(self) -> None:
        close_old_connections()
        try:
            done = documents_schedule_apply()
        except DatabaseError:
            # A locked SQLite file, a PostgreSQL failover: the next pass tries again.
            logger.exception("Scheduler: the sweep failed; retrying at the next pass")
            return
        finally:
            close_old_connections()
        if done["published"]:
            self.stdout.write(
                f"{len(done['published'])} document(s) mis en ligne : "
                + ", ".join(map(str, done["published"]))
            )
        if done["expired"]:
            self.stdout.write(
                f"{len(done['expired'])} document(s) retiré(s) (fin d'affichage) : "
                + ", ".join(map(str, done["expired"]))
            )
