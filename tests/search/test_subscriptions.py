"""Search hears what the lower floors announce: if a receiver were disconnected, an index
update would be dropped silently."""

from __future__ import annotations

import search.services
from documents.models import Document
from documents.signals import documents_changed
from identity.models import Authority
from identity.signals import authorities_moved
from search import receivers
from search.models import IndexOutbox
from search.services import index_check
from tests.factories import make_authority
from tests.search.factories import make_document


def test_search_subscribes_to_document_and_authority_changes():
    assert documents_changed.has_listeners(Document)
    assert authorities_moved.has_listeners(Authority)
    # Connected under search's dispatch uids (Django keys receivers by (uid, sender)).
    assert receivers.DOCUMENTS_UID in {entry[0][0] for entry in documents_changed.receivers}
    assert receivers.AUTHORITIES_UID in {entry[0][0] for entry in authorities_moved.receivers}


def test_an_announced_document_change_reaches_the_index_in_the_same_transaction(db):
    owner = make_authority(name="Mérignac")
    document = make_document(owner, "Compte rendu", text="voirie")
    Document.objects.filter(pk=document.pk).update(audience="internal")  # says nothing
    assert index_check()[0].stale == [document.pk]
    documents_changed.send(sender=Document, document_ids=[document.pk])
    assert index_check()[0].differences == 0


def test_a_moved_authority_reindexes_its_documents(db):
    region = make_authority("region", name="Région", insee_code="75")
    other = make_authority("region", name="Autre région", insee_code="76")
    owner = make_authority(name="Mérignac", parent=region)
    make_document(owner, "Compte rendu", text="voirie", audience="shared_up")
    Authority.objects.filter(pk=owner.pk).update(parent=other)
    assert index_check()[0].differences == 1
    authorities_moved.send(sender=Authority, authority_ids={owner.pk})
    assert index_check()[0].differences == 0


def test_other_engines_are_fed_through_the_outbox(db, monkeypatch):
    class Engine:
        name = "es"
        transactional = False

    monkeypatch.setattr(search.services, "targets", lambda: {"es": Engine()})
    owner = make_authority(name="Mérignac")
    document = make_document(owner, "Compte rendu", text="voirie")
    assert set(IndexOutbox.objects.filter(target="es").values_list("document_id", flat=True)) == {
        document.pk
    }
