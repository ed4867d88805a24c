"""Health check, production settings and migrations."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from tests.support import run_manage


@pytest.mark.django_db
def test_healthz_answers_200_json_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage({"CIVIS_DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "CIVIS_SECRET_KEY is not set" in result.stderr


def test_a_malformed_boolean_setting_is_refused_clearly():
    result = run_manage({"CIVIS_DEBUG": "peut-être"}, "check")
    assert result.returncode != 0
    assert "CIVIS_DEBUG must be a boolean" in result.stderr


def test_check_deploy_gives_no_warning_with_production_settings(tmp_path):
    result = run_manage(
        {
            "CIVIS_DEBUG": "0",
            "CIVIS_SECRET_KEY": "x7Gq2-production-like-secret-key-with-enough-entropy-9fK3pLmZ0wQe",
            "CIVIS_ALLOWED_HOSTS": "portail.example.fr",
            # Uploads are scanned by clamd (the check reads the configuration, it does not connect).
            "CIVIS_CLAMAV_SOCKET": "/run/clamav/clamd.ctl",
            "CIVIS_FIELD_ENCRYPTION_KEY": "2E1KQyFf1tKSmn2CTLvW2lM-bE4vUF0XTjANQZgrPDo=",
            "CIVIS_VAR_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_a_new_database_migrates_from_zero_and_loads_the_demo_twice(tmp_path):
    """What `make demo` does on a fresh machine, in a fresh SQLite file."""
    env = {
        "CIVIS_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
        "CIVIS_VAR_DIR": str(tmp_path),
    }
    migrate = run_manage(env, "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    for _attempt in range(2):
        demo = run_manage(env, "civis_demo")
        assert demo.returncode == 0, demo.stderr
        assert "Démonstration prête" in demo.stdout
