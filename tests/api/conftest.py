"""A small corpus for the API tests: real rows through the search factories (no files)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from documents.models import Document
from identity.models import Authority, Membership, User
from tests.factories import make_authority, make_user
from tests.search.factories import index_now, make_document


@dataclass
class Corpus:
    merignac: Authority
    pessac: Authority
    public: list[Document]
    internal: Document
    agent: User


@pytest.fixture
def corpus(db) -> Corpus:
    metropole = make_authority(Authority.Kind.EPCI, name="Bordeaux Métropole", siren="243300316")
    merignac = make_authority(name="Mérignac", insee_code="33281", parent=metropole)
    pessac = make_authority(name="Pessac", insee_code="33318", parent=metropole)
    public = [
        make_document(
            merignac,
            f"Délibération du conseil municipal n° {i}",
            text="Le conseil municipal approuve la rénovation des écoles.",
            document_type="deliberation",
            tags=["écoles"],
            published_on=datetime.date(2025, 1 + i, 10),
        )
        for i in range(3)
    ]
    internal = make_document(
        merignac, "Note interne du conseil municipal", audience="internal", text="Note interne."
    )
    agent = make_user("agent-api", kind=User.Kind.AGENT)
    Membership.objects.create(user=agent, authority=merignac, role="agent")
    index_now()
    return Corpus(merignac=merignac, pessac=pessac, public=public, internal=internal, agent=agent)
