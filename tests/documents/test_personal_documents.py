"""Personal documents after issue 11: read by the addressee, their creator while an agent of the
owner, explicit grant holders and superusers — not by every agent of the owner; filed and
withdrawn by the portal (personal_document_file / personal_document_withdraw); every read by
someone other than the addressee is audited and listed by personal_reads_of."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_pdf
from documents.models import Audience, Document, DocumentVersion, Status
from documents.selectors import (
    can_edit,
    can_publish,
    documents_visible_to,
    personal_reads_of,
)
from documents.services import personal_document_file, personal_document_withdraw
from identity.models import Membership, User
from identity.selectors import forget_principals
from search.query import SearchQuery
from search.selectors import search_documents
from tests.factories import make_agent

CONTENT = make_pdf("Décision d'inscription scolaire", ["Votre demande est acceptée."])


@pytest.fixture
def instructors(territory) -> Group:
    group = Group.objects.create(name="Instructeurs inscription scolaire")
    territory.agent.groups.add(group)
    forget_principals(territory.agent)
    return group


def file_decision(territory, instructors, actor=None, **kwargs) -> Document:
    return personal_document_file(
        actor=actor,
        owner=territory.merignac,
        addressee=territory.citizen,
        title=kwargs.pop("title", "Décision — Inscription scolaire — D-000001"),
        content=CONTENT,
        file_name="decision.pdf",
        reader_group=instructors,
        **kwargs,
    )


def readers(document: Document, people: list[User]) -> set[str]:
    return {p.username for p in people if documents_visible_to(p).filter(pk=document.pk).exists()}


def test_filed_document_is_published_personal_with_a_version_and_a_group_grant(
    territory, instructors
):
    document = file_decision(territory, instructors, summary="Résumé")
    assert document.status == Status.PUBLISHED
    assert document.audience == Audience.PERSONAL
    assert document.addressee == territory.citizen
    assert document.published_on is not None
    version = DocumentVersion.objects.get(document=document)
    assert document.current_version == version and version.kind == "pdf"
    assert document.group_grants.filter(group=instructors).exists()
    actions = set(AuditEvent.objects.filter(document=document).values_list("action", flat=True))
    assert actions == {"create", "grant", "publish"}


def test_readers_are_the_addressee_the_group_and_superusers_only(territory, instructors):
    document = file_decision(territory, instructors)
    superuser = User.objects.create(username="root", is_superuser=True)
    people = [
        territory.citizen,
        territory.other_citizen,
        territory.agent,  # in the instructors' group
        territory.publisher,  # publisher of Mérignac, the owner: no longer
        territory.metro_agent,
        territory.metro_publisher,
        territory.region_admin,
        territory.bordeaux_agent,
        superuser,
    ]
    assert readers(document, people) == {"citoyen", "agent-merignac", "root"}
    for person in (territory.publisher, territory.region_admin, territory.agent):
        assert not can_edit(person, document)
        assert not can_publish(person, document)


def test_every_path_answers_404_to_an_agent_of_the_owner_without_a_reason(territory, instructors):
    document = file_decision(territory, instructors)
    other = make_agent("autre-agent-merignac", roles=[(territory.merignac, "agent")])
    client = Client()
    client.force_login(other)
    for url in (
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/telecharger",
        f"/api/v1/documents/{document.pk}/",
        f"/api/v1/documents/{document.pk}/download",
    ):
        assert client.get(url).status_code == 404, url
    listing = client.get("/api/v1/documents/", {"page_size": 100}).json()
    assert document.pk not in {item["id"] for item in listing["results"]}


def test_search_neither_shows_nor_counts_it_for_other_agents(territory, instructors):
    document = file_decision(territory, instructors, title="Zzdecision confidentielle")
    query = SearchQuery(text="Zzdecision", page_size=100)
    for person, seen in (
        (territory.publisher, False),
        (territory.region_admin, False),
        (territory.agent, True),
        (territory.citizen, True),
    ):
        fresh = User.objects.get(pk=person.pk)
        page = search_documents(fresh, query)
        assert ({h.document.pk for h in page.hits} == {document.pk}) is seen, person
        assert page.total == (1 if seen else 0), person
        counts = {v.value: v.count for v in page.facets.get("authority", [])}
        assert counts.get(str(territory.merignac.pk), 0) == (1 if seen else 0), person


def test_a_publisher_who_created_it_reads_and_edits_it_others_do_not(territory, instructors):
    document = file_decision(territory, instructors, actor=territory.publisher)
    assert document.created_by == territory.publisher
    assert can_edit(territory.publisher, document)
    assert can_publish(territory.publisher, document)
    colleague = make_agent("editeur-2", roles=[(territory.merignac, Membership.Role.PUBLISHER)])
    assert not documents_visible_to(colleague).filter(pk=document.pk).exists()
    assert not can_edit(colleague, document)
    # The creator who leaves the authority reads it no more.
    Membership.objects.filter(user=territory.publisher).delete()
    forget_principals(territory.publisher)
    fresh = User.objects.get(pk=territory.publisher.pk)
    assert not documents_visible_to(fresh).filter(pk=document.pk).exists()


def test_a_change_grant_lets_a_publisher_edit(territory, instructors):
    from documents.services import grant_add

    document = file_decision(territory, instructors)
    grant_add(actor=None, document=document, level="change", user=territory.publisher)
    assert can_edit(territory.publisher, document)
    assert documents_visible_to(territory.publisher).filter(pk=document.pk).exists()


def test_an_instructor_of_the_group_may_file_an_agent_outside_may_not(territory, instructors):
    document = file_decision(territory, instructors, actor=territory.agent)
    assert document.created_by == territory.agent
    with pytest.raises(PermissionDenied):
        file_decision(territory, instructors, actor=territory.bordeaux_agent)
    with pytest.raises(PermissionDenied):
        file_decision(territory, None, actor=territory.agent)  # no group: no reason


def test_bad_input_is_refused_in_french(territory, instructors):
    with pytest.raises(ValidationError) as error:
        file_decision(territory, instructors, title="  ")
    assert "titre" in str(error.value)
    with pytest.raises(ValidationError):
        personal_document_file(
            actor=None,
            owner=territory.merignac,
            addressee=territory.citizen,
            title="Pas un PDF",
            content=b"MZ\x90\x00 not a pdf",
            file_name="decision.pdf",
        )
    assert not Document.objects.exists()


def test_as_a_step_it_is_undone_with_the_callers_transaction(territory, instructors):
    with pytest.raises(RuntimeError), transaction.atomic():
        personal_document_file.step(
            actor=None,
            owner=territory.merignac,
            addressee=territory.citizen,
            title="Accusé",
            content=CONTENT,
            file_name="accuse.pdf",
            reader_group=instructors,
        )
        assert Document.objects.count() == 1
        raise RuntimeError("the procedure's service failed after filing")
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="create").exists()


def test_called_alone_inside_a_transaction_it_refuses(territory, instructors):
    with pytest.raises(RuntimeError), transaction.atomic():
        file_decision(territory, instructors)


def test_the_file_is_scanned_by_clamav(territory, instructors, scanned):
    document = file_decision(territory, instructors)
    assert document.current_version is not None


def test_withdraw(territory, instructors):
    document = file_decision(territory, instructors)
    with pytest.raises(ValidationError):
        personal_document_withdraw(actor=territory.agent, document=document, reason=" ")
    with pytest.raises(PermissionDenied):
        personal_document_withdraw(
            actor=territory.bordeaux_agent, document=document, reason="Erreur"
        )
    other = make_agent("autre-agent", roles=[(territory.merignac, "agent")])
    with pytest.raises(PermissionDenied):
        personal_document_withdraw(actor=other, document=document, reason="Erreur")
    personal_document_withdraw(actor=territory.agent, document=document, reason="Dossier rouvert")
    document.refresh_from_db()
    assert document.status == Status.WITHDRAWN
    assert not documents_visible_to(territory.citizen).filter(pk=document.pk).exists()
    event = AuditEvent.objects.get(document=document, action="withdraw")
    assert event.actor == territory.agent and event.detail["reason"] == "Dossier rouvert"


def test_withdraw_refuses_a_document_that_is_not_personal(territory, publish):
    document = publish(Audience.PUBLIC)
    with pytest.raises(ValidationError):
        personal_document_withdraw(actor=None, document=document, reason="Erreur")


def test_every_read_by_someone_else_is_audited_and_listed(territory, instructors):
    document = file_decision(territory, instructors)
    superuser = User.objects.create(username="root", is_superuser=True)
    citizen = Client()
    citizen.force_login(territory.citizen)
    assert citizen.get(f"/documents/{document.pk}/").status_code == 200
    agent = Client()
    agent.force_login(territory.agent)
    assert agent.get(f"/documents/{document.pk}/").status_code == 200
    assert agent.get(f"/documents/{document.pk}/telecharger").status_code == 200
    assert agent.get(f"/api/v1/documents/{document.pk}/").status_code == 200
    root = Client()
    root.force_login(superuser)
    assert root.get(f"/api/v1/documents/{document.pk}/download").status_code == 200
    reads = list(personal_reads_of(territory.citizen))
    assert [(e.actor.username, e.action) for e in reads] == [
        ("root", "download"),
        ("agent-merignac", "view"),
        ("agent-merignac", "download"),
        ("agent-merignac", "view"),
    ]
    assert all(e.document == document for e in reads)
    assert not personal_reads_of(territory.other_citizen).exists()
    assert not personal_reads_of(None).exists()
