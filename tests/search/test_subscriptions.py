"""Search hears what the lower floors announce: if a receiver were disconnected, an index
update would be dropped silently."""

from __future__ import annotations

from documents.models import Document
from documents.signals import documents_changed
from identity.models import Authority
from identity.signals import authorities_moved
from search import receivers
from search.models import IndexOutbox
from tests.factories import make_authority
from tests.search.factories import make_document


def test_search_subscribes_to_document_and_authority_changes():
    assert documents_changed.has_listeners(Document)
    assert authorities_moved.has_listeners(Authority)
    # Connected under search's dispatch uids (Django keys receivers by (uid, sender)).
    assert receivers.DOCUMENTS_UID in {entry[0][0] for entry in documents_changed.receivers}
    assert receivers.AUTHORITIES_UID in {entry[0][0] for entry in authorities_moved.receivers}


def test_an_announced_document_change_lands_in_the_outbox_in_the_same_transaction(db):
    owner = make_authority(name="Mérignac")
    document = make_document(owner, "Compte rendu", text="voirie")
    IndexOutbox.objects.all().delete()
    documents_changed.send(sender=Document, document_ids=[document.pk])
    assert set(IndexOutbox.objects.values_list("document_id", flat=True)) == {document.pk}


def test_a_moved_authority_queues_its_documents(db):
    region = make_authority("region", name="Région", insee_code="75")
    owner = make_authority(name="Mérignac", parent=region)
    document = make_document(owner, "Compte rendu", text="voirie")
    IndexOutbox.objects.all().delete()
    authorities_moved.send(sender=Authority, authority_ids={region.pk})
    assert set(IndexOutbox.objects.values_list("document_id", flat=True)) == {document.pk}
