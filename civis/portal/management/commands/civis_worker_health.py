"""Is the background worker (``manage.py db_worker --backend civis``) alive? For monitoring.

Read from the task table the worker drains (django-tasks-db's ``DBTaskResult``): a task that
has been ready to run for more than ``--minutes`` (its ``run_after``, or its enqueue time when
it was not deferred) means nobody is draining the queue, unless a task was started or finished
within that window (a busy worker working through a backlog). Exit status: 0 healthy, 1 the
worker is down or stuck, 2 the database does not answer. It says why, in French.

A worker that has nothing to do cannot be told from a stopped one: with an empty queue the
check passes. Keep the worker under a supervisor that restarts it (systemd ``Restart=always``,
docs/production/civis-worker.service); this check finds the worker that is running but stuck,
or stopped while work waits.
"""

from __future__ import annotations

import datetime
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Max, Min, Q
from django.tasks import task_backends
from django.tasks.base import TaskResultStatus
from django.tasks.exceptions import InvalidTaskBackend
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

EXIT_STUCK = 1
EXIT_DATABASE = 2


def _duration(since: datetime.datetime, now: datetime.datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 1:
        return "moins d'une minute"
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h"


class Command(BaseCommand):
    help = (
        "Vérifie que le worker des tâches de fond tourne : échoue (code 1) quand une tâche "
        "attend depuis plus de --minutes minutes sans qu'aucune tâche n'ait été traitée."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--minutes",
            type=int,
            default=5,
            help="Retard au-delà duquel une tâche en attente signale un worker arrêté (5).",
        )
        parser.add_argument(
            "--backend",
            default="civis",
            help="Alias du backend de tâches dans TASKS (civis).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes: int = options["minutes"]
        alias: str = options["backend"]
        if minutes < 1:
            raise CommandError("--minutes doit valoir au moins 1.")
        try:
            backend = task_backends[alias]
        except InvalidTaskBackend:
            raise CommandError(
                f"Aucun backend de tâches « {alias} » dans TASKS ({', '.join(settings.TASKS)})."
            ) from None
        if not isinstance(backend, DatabaseBackend):
            self.stdout.write(
                f"Le backend « {alias} » n'a pas de file d'attente (tâches exécutées sur place, "
                "CIVIS_TASKS_IMMEDIATE=1) : aucun worker à vérifier."
            )
            return
        try:
            healthy, message = self._verdict(alias, minutes)
        except DatabaseError as exc:
            self.stderr.write(f"La base de données ne répond pas : {exc}")
            sys.exit(EXIT_DATABASE)
        if not healthy:
            self.stderr.write(message)
            sys.exit(EXIT_STUCK)
        self.stdout.write(message)

    def _verdict(self, alias: str, minutes: int) -> tuple[bool, str]:
        now = timezone.now()
        threshold = now - datetime.timedelta(minutes=minutes)
        tasks = DBTaskResult.objects.filter(backend_name=alias)
        # Ready since before the threshold: deferred ones by their run_after, the others (whose
        # run_after is django-tasks-db's "no date", year 9999) by their enqueue time.
        overdue = tasks.filter(status=TaskResultStatus.READY).filter(
            Q(run_after__lt=threshold) | Q(run_after=get_date_max(), enqueued_at__lt=threshold)
        )
        overdue_count = overdue.count()
        last = tasks.aggregate(finished=Max("finished_at"), started=Max("started_at"))
        last_activity = max((when for when in last.values() if when is not None), default=None)
        activity = (
            f"dernière tâche traitée il y a {_duration(last_activity, now)}"
            if last_activity is not None
            else "aucune tâche traitée à ce jour"
        )
        if not overdue_count:
            return True, f"Worker en bonne santé : aucune tâche en retard ({activity})."
        if last_activity is not None and last_activity >= threshold:
            return True, (
                f"Worker actif mais en retard : {overdue_count} tâche(s) attendent depuis plus "
                f"de {minutes} min ({activity})."
            )
        due = overdue.aggregate(
            deferred=Min("run_after", filter=~Q(run_after=get_date_max())),
            enqueued=Min("enqueued_at", filter=Q(run_after=get_date_max())),
        )
        oldest = min(when for when in due.values() if when is not None)
        return False, (
            f"Worker arrêté ou bloqué : {overdue_count} tâche(s) attendent depuis plus de "
            f"{minutes} min (la plus ancienne depuis {_duration(oldest, now)}), {activity}. "
            f"Lancez ou relancez « manage.py db_worker --backend {alias} »."
        )
