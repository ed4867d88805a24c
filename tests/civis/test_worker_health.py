"""manage.py civis_worker_health: 0 while the worker drains the task queue, 1 once a task has
waited too long with nobody working, a reason in French either way."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    """The civis alias on django-tasks-db's database queue, as in production (the suite runs
    tasks inline)."""
    settings.TASKS = {
        **settings.TASKS,
        "civis": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    }


def _health(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("civis_worker_health", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _enqueue(*, minutes_ago: int, deferred: bool = False) -> DBTaskResult:
    from documents.tasks import apply_schedule

    past = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    if deferred:
        result = apply_schedule.using(run_after=past).enqueue()
    else:
        result = apply_schedule.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=past)
    return DBTaskResult.objects.get(pk=result.id)


def test_an_empty_queue_is_healthy(queue):
    code, out, _err = _health()
    assert code == 0
    assert "Worker en bonne santé" in out
    assert "aucune tâche traitée à ce jour" in out


def test_an_overdue_queued_task_with_no_worker_fails(queue):
    _enqueue(minutes_ago=12)
    code, out, err = _health()
    assert code == 1
    assert not out
    assert "Worker arrêté ou bloqué : 1 tâche(s) attendent depuis plus de 5 min" in err
    assert "la plus ancienne depuis 12 min" in err
    assert "db_worker --backend civis" in err


def test_a_deferred_task_counts_from_its_time_not_its_enqueue_time(queue):
    task = _enqueue(minutes_ago=60, deferred=True)
    # Enqueued an hour ago for two minutes ago: not overdue yet.
    DBTaskResult.objects.filter(pk=task.pk).update(
        run_after=timezone.now() - datetime.timedelta(minutes=2)
    )
    assert _health()[0] == 0
    # For twenty minutes ago: overdue.
    DBTaskResult.objects.filter(pk=task.pk).update(
        run_after=timezone.now() - datetime.timedelta(minutes=20)
    )
    code, _out, err = _health()
    assert code == 1
    assert "la plus ancienne depuis 20 min" in err


def test_a_future_publication_waiting_for_its_time_is_not_overdue(queue):
    from documents.tasks import apply_schedule

    apply_schedule.using(run_after=timezone.now() + datetime.timedelta(days=4)).enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(days=1))
    assert _health()[0] == 0


def test_a_recent_task_done_means_a_busy_worker_not_a_dead_one(queue):
    _enqueue(minutes_ago=30)
    done = _enqueue(minutes_ago=31)
    DBTaskResult.objects.filter(pk=done.pk).update(
        status="SUCCESSFUL",
        started_at=timezone.now() - datetime.timedelta(minutes=2),
        finished_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    code, out, _err = _health()
    assert code == 0
    assert "Worker actif mais en retard : 1 tâche(s)" in out
    assert "dernière tâche traitée il y a 1 min" in out


def test_the_threshold_is_configurable(queue):
    _enqueue(minutes_ago=12)
    assert _health("--minutes", "15")[0] == 0
    assert _health("--minutes", "10")[0] == 1


def test_another_backends_tasks_are_not_counted(queue):
    task = _enqueue(minutes_ago=30)
    DBTaskResult.objects.filter(pk=task.pk).update(backend_name="ailleurs")
    assert _health()[0] == 0


def test_inline_tasks_have_no_worker_to_check():
    # The suite's own setting: CIVIS_TASKS_IMMEDIATE=1.
    code, out, _err = _health()
    assert code == 0
    assert "aucun worker à vérifier" in out
