"""The outbox: writes never wait for, nor fail with, the search engine; the index catches up."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.management import call_command

import search.outbox
import search.services
from documents.services import document_edit
from search.backends import database_backend
from search.backends.base import BackendUnavailable
from search.models import IndexOutbox
from search.query import SearchQuery
from search.selectors import search_documents
from search.services import apply_outbox, index_check
from tests.factories import make_authority
from tests.search.factories import make_document

CHANGES = 1000


@pytest.fixture
def committed(transactional_db):
    """Real commits (so after-commit work runs); the FTS table is ours to empty afterwards."""
    yield
    database_backend().clear()


class UnavailableBackend:
    """The database index as seen while its engine is down: every write fails."""

    name = "down"

    def apply(self, docs, removed) -> None:
        raise BackendUnavailable("moteur de recherche arrêté (simulation)")


@pytest.fixture
def documents(committed):
    owner = make_authority(name="Mérignac")
    return [make_document(owner, f"Compte rendu {i}", text="voirie") for i in range(10)]


def test_changes_commit_while_the_index_is_down_and_catch_up_after(documents, monkeypatch):
    assert index_check()[0].differences == 0  # the after-commit task indexed them
    down = {"db": UnavailableBackend()}
    monkeypatch.setattr(search.services, "targets", lambda: down)  # where changes are recorded
    monkeypatch.setattr(search.outbox, "targets", lambda: down)  # where they are applied
    for i in range(CHANGES):
        document_edit(actor=None, document=documents[i % 10], title=f"Piscine {i}")
    monkeypatch.undo()  # the engine is back
    assert documents[0].__class__.objects.filter(title__startswith="Piscine").count() == 10
    assert IndexOutbox.objects.filter(target="db").count() == CHANGES
    report = index_check()[0]
    assert len(report.stale) == 10 and report.differences == 10

    apply_outbox(due_only=False)  # what the worker's next retry does

    assert index_check()[0].differences == 0
    assert not IndexOutbox.objects.exists()
    assert search_documents(None, SearchQuery(text="piscine")).total == 10
    output = io.StringIO()
    call_command("civis_index_check", stdout=output)
    assert "0 manquant(s), 0 périmé(s), 0 en trop" in output.getvalue()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_elasticsearch_down_writes_commit_and_search_falls_back(documents, settings):
    settings.CIVIS_ELASTICSEARCH_URL = f"http://127.0.0.1:{_closed_port()}"
    for i in range(CHANGES):
        document_edit(actor=None, document=documents[i % 10], title=f"Cantine {i}")
    pending = IndexOutbox.objects.filter(target="es")
    assert pending.count() == CHANGES
    assert pending.filter(attempts__gte=1).exists()
    assert "injoignable" in pending.exclude(last_error="").first().last_error
    assert not IndexOutbox.objects.filter(target="db").exists()  # the fallback index is current
    page = search_documents(None, SearchQuery(text="cantine"))
    assert page.total == 10 and page.backend in {"sqlite", "postgresql"}


def test_reindex_is_idempotent_and_removes_extras(documents):
    database_backend().apply([], [])
    IndexOutbox.objects.all().delete()
    documents[0].__class__.objects.filter(pk=documents[0].pk).delete()  # no outbox row
    assert index_check()[0].extra == [documents[0].pk]
    for _run in range(2):
        call_command("civis_reindex", stdout=io.StringIO())
        assert index_check()[0].differences == 0
