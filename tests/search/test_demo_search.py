"""The issue's acceptance check on the demo: anonymous and a Mérignac agent search the same
words; the agent sees the internal deliberations too; facets and counts follow."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from documents.models import Document
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from tests.search.factories import index_now

pytestmark = pytest.mark.django_db

QUERY = {"q": "deliberation conseil municipal", "page_size": 100}


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    # After-commit work (text extraction, then indexing) runs as it would with the worker.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("civis_demo", stdout=io.StringIO())
    index_now()


def test_demo_search_anonymous_then_merignac_agent(demo, client):
    merignac = Authority.objects.get(kind="commune", insee_code="33281")
    query = {**QUERY, "authority": merignac.pk}
    anonymous = client.get("/api/v1/search/", query).json()
    found = Document.objects.filter(pk__in=[r["id"] for r in anonymous["results"]])
    assert found.filter(owner__name="Mérignac", document_type="deliberation").exists()
    assert set(found.values_list("audience", flat=True)) == {"public"}
    assert set(found.values_list("status", flat=True)) == {"published"}

    agent = User.objects.get(username="agent-merignac")
    client.force_login(agent)
    as_agent = client.get("/api/v1/search/", query).json()
    extra = Document.objects.filter(
        pk__in={r["id"] for r in as_agent["results"]} - {r["id"] for r in anonymous["results"]}
    )
    # Agents-only documents of Mérignac (internal, or shared up its authority chain).
    assert extra.filter(owner__name="Mérignac").exclude(audience="public").exists()
    readable = set(documents_visible_to(agent).values_list("pk", flat=True))
    assert {r["id"] for r in as_agent["results"]} <= readable
    assert as_agent["count"] == len(as_agent["results"]) > anonymous["count"]
    assert sum(f["count"] for f in as_agent["facets"]["type"]) == as_agent["count"]
