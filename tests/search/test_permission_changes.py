"""Permission changes reach search: roles and groups at once, audience, grants and authority
moves through the outbox; snippets never carry markup from the documents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from documents.services import document_edit, grant_add
from identity.models import Authority, Membership
from identity.selectors import forget_principals
from search.query import SearchQuery
from search.selectors import search_documents
from search.services import authorities_moved, index_check
from tests.factories import make_authority, make_user
from tests.search.factories import index_now, make_document

pytestmark = pytest.mark.django_db


def found(user, text: str = "piscine") -> set[int]:
    if user is not None:
        forget_principals(user)  # a new request
    return {h.document.pk for h in search_documents(user, SearchQuery(text=text)).hits}


def test_group_membership_and_roles_apply_without_reindexing():
    owner = make_authority(name="Pessac")
    restricted = make_document(owner, "Piscine : planning", audience="restricted")
    internal = make_document(owner, "Piscine : note interne", audience="internal")
    group = Group.objects.create(name="Maîtres-nageurs")
    assign_perm("documents.view_document", group, restricted)
    from search.services import documents_changed

    documents_changed([restricted.pk])
    index_now()
    person = make_user(kind="agent")
    assert found(person) == set()
    person.groups.add(group)
    assert found(person) == {restricted.pk}
    Membership.objects.create(user=person, authority=owner, role="agent")
    assert found(person) == {restricted.pk, internal.pk}


def test_audience_and_grant_changes_go_through_the_outbox():
    owner = make_authority(name="Talence")
    document = make_document(owner, "Piscine municipale", audience="internal")
    citizen = make_user()
    index_now()
    assert found(None) == set()
    document_edit(actor=None, document=document, audience="public")
    index_now()
    assert found(None) == {document.pk}
    document_edit(actor=None, document=document, audience="restricted")
    grant_add(actor=None, document=document, user=citizen)
    index_now()
    assert found(None) == set() and found(citizen) == {document.pk}


def test_an_authority_move_reindexes_its_subtree():
    region = make_authority(Authority.Kind.REGION, name="Région")
    old_epci = make_authority(Authority.Kind.EPCI, name="Ancienne CC", parent=region)
    new_epci = make_authority(Authority.Kind.EPCI, name="Nouvelle CA", parent=region)
    commune = make_authority(name="Saint-Jean", parent=old_epci)
    document = make_document(commune, "Piscine intercommunale", audience="shared_up")
    index_now()
    agent = make_user(kind="agent")
    Membership.objects.create(user=agent, authority=new_epci, role="agent")
    assert found(agent) == set()
    commune.parent = new_epci
    commune.save()
    assert authorities_moved([commune.pk]) == 1
    # The database index changed in the same transaction: nothing stale, no worker needed.
    assert index_check()[0].differences == 0
    assert found(agent) == {document.pk}


def test_snippets_escape_the_documents_markup():
    owner = make_authority()
    make_document(owner, "Piscine", text="<script>alert(1)</script> horaires de la piscine")
    index_now()
    hit = search_documents(None, SearchQuery(text="piscine")).hits[0]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet and "<mark>piscine</mark>" in hit.snippet


def test_a_narrowing_change_is_never_counted_even_before_the_worker_runs():
    """Issue 18 #9: totals and facets matched hits while the index lagged (count 7, 6 hits).
    The database index now changes in the writer's transaction: no lag to observe."""
    owner = make_authority(name="Bègles")
    documents = [make_document(owner, f"Piscine {i}", audience="public") for i in range(7)]
    index_now()
    anonymous = search_documents(None, SearchQuery(text="piscine"))
    assert (anonymous.total, len(anonymous.hits)) == (7, 7)

    document_edit(actor=None, document=documents[0], audience="internal")  # no index_now()

    page = search_documents(None, SearchQuery(text="piscine"))
    assert page.total == len(page.hits) == 6
    assert sum(f.count for f in page.facets["authority"]) == 6
    assert sum(f.count for f in page.facets["type"]) == 6
