"""With the REAL background worker: a document scheduled a few seconds ahead goes public by
itself, nobody calling the sweep. ``manage.py db_worker --backend civis`` runs as a process of
its own on a database it shares with the test: the PostgreSQL test database (a transactional
test, so rows are committed), or, on SQLite, a file copy of the in-memory test database (an
in-memory database cannot be opened by another process)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db(transaction=True)

# Runs in a process of its own against the shared database, with the deferred task backend:
# creates a draft, schedules it through the service 2.5 s ahead, then watches as a visitor.
PROBE = textwrap.dedent(
    """
    import datetime, json, time
    import django
    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.test import Client
    from django.utils import timezone
    from audit.models import AuditEvent
    from documents import services
    from documents.models import Document
    from documents.selectors import documents_visible_to
    from identity.models import Authority, Membership, User
    from identity.services import membership_grant

    owner = Authority.objects.create(kind="commune", name="Mérignac", insee_code="33281")
    publisher = User.objects.create(username="editeur-worker", kind="agent")
    membership_grant(actor=None, user=publisher, authority=owner, role=Membership.Role.PUBLISHER)
    document = Document.objects.create(owner=owner, title="Arrêté temporaire")
    go_live = timezone.now() + datetime.timedelta(seconds=2.5)
    services.document_schedule(actor=publisher, document=document, go_live_at=go_live)
    client = Client()

    def public():
        return (
            documents_visible_to(AnonymousUser()).filter(pk=document.pk).exists()
            and client.get(f"/api/v1/documents/{document.pk}/").status_code == 200
        )

    seen_early, visible_at = False, None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = timezone.now()
        if public():
            if now < go_live:
                seen_early = True
            else:
                visible_at = now
                break
        time.sleep(0.25)
    events = list(
        AuditEvent.objects.filter(document_id=document.pk)
        .order_by("at", "pk")
        .values_list("action", "actor_id", "detail")
    )
    print(json.dumps({
        "go_live": go_live.isoformat(),
        "visible_at": visible_at.isoformat() if visible_at else None,
        "seen_early": seen_early,
        "status": Document.objects.get(pk=document.pk).status,
        "events": events,
    }))
    """
)


@pytest.fixture
def shared_database_url(tmp_path) -> str:
    """A DATABASE_URL another process opens onto the test's own database."""
    # A serialized browser test before this one leaves the database flushed without
    # post_migrate (no content types, no permissions, among them Wagtail's access_admin that
    # granting a role needs): recreate them as migrate does, whatever ran before.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    config = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(config.get("USER") or "")
        password = quote(config.get("PASSWORD") or "")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = config.get("HOST") or "localhost"
        port = config.get("PORT") or 5432
        return f"postgres://{credentials}{host}:{port}/{config['NAME']}"
    if connection.vendor != "sqlite":
        pytest.skip(f"the worker test knows PostgreSQL and SQLite, not {connection.vendor}")
    if not connection.is_in_memory_db():
        return f"sqlite:///{config['NAME']}"
    # The in-memory test database, migrated, copied to a file both processes open.
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    if not path.exists() or path.stat().st_size == 0:
        pytest.skip("the in-memory SQLite test database could not be copied for the worker")
    return f"sqlite:///{path}"


def test_a_scheduled_document_goes_public_by_itself_with_the_real_worker(
    shared_database_url, tmp_path
):
    env = {
        **os.environ,
        "DATABASE_URL": shared_database_url,
        "CIVIS_TASKS_IMMEDIATE": "0",
        "DJANGO_SETTINGS_MODULE": "civis.settings",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--backend",
            "civis",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env={**env, "CIVIS_ALLOWED_HOSTS": "testserver"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
    worker_log = (tmp_path / "worker.log").read_text()
    assert probe.returncode == 0, probe.stderr[-3000:] + "\n--- worker:\n" + worker_log[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["visible_at"] is not None, (result, worker_log[-3000:])
    assert not result["seen_early"]
    assert result["status"] == "published"
    assert result["events"][-2:] == [
        ["schedule", result["events"][-2][1], {"go_live_at": result["go_live"], "expire_at": None}],
        ["publish", None, {"scheduled": True}],
    ]
