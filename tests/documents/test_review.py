"""Review before publication: with the authority's policy, an agent prepares a draft and
submits it; a publisher of the authority approves it (now or scheduled) or sends it back with a
comment. Who may do what, the states, the review steps and the audit rows."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from documents import services
from documents.models import PublishingPolicy, Status
from documents.selectors import (
    authorities_draftable_by,
    can_edit,
    document_actions,
    documents_visible_to,
    documents_workspace_of,
)
from identity.models import Membership, User
from identity.services import membership_grant
from tests.documents.conftest import pdf_upload
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(territory):
    PublishingPolicy.objects.create(authority=territory.merignac, review_required=True)
    return territory


@pytest.fixture
def draft(reviewed):
    return services.document_create(
        actor=reviewed.agent,
        owner=reviewed.merignac,
        title="Compte rendu du conseil de quartier",
        upload=pdf_upload(),
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def steps(document) -> list[tuple[str, str | None, str]]:
    return [
        (s.action, s.actor.username if s.actor else None, s.comment)
        for s in document.review_steps.order_by("at", "pk")
    ]


def audit_actions(document) -> list[tuple[str, str | None]]:
    return list(
        AuditEvent.objects.filter(document=document)
        .order_by("at", "pk")
        .values_list("action", "actor__username")
    )


def test_without_review_nothing_changes_for_agents(territory):
    assert not authorities_draftable_by(territory.agent).exists()
    with pytest.raises(PermissionDenied):
        services.document_create(
            actor=territory.agent, owner=territory.merignac, title="T", upload=pdf_upload()
        )
    # A policy without review is the same as none.
    PublishingPolicy.objects.create(authority=territory.merignac, review_required=False)
    assert not authorities_draftable_by(fresh(territory.agent)).exists()


def test_an_agent_prepares_a_draft_only_where_review_is_required(reviewed):
    assert list(authorities_draftable_by(reviewed.agent)) == [reviewed.merignac]
    assert not authorities_draftable_by(reviewed.bordeaux_agent).exists()
    with pytest.raises(PermissionDenied, match="soumettez-le pour validation"):
        services.document_create(
            actor=reviewed.agent,
            owner=reviewed.merignac,
            title="T",
            upload=pdf_upload(),
            publish=True,
        )
    with pytest.raises(PermissionDenied):
        services.document_create(
            actor=reviewed.agent, owner=reviewed.bordeaux, title="T", upload=pdf_upload()
        )


def test_the_author_edits_their_draft_and_submits_it(reviewed, draft):
    agent = reviewed.agent
    assert (draft.status, draft.created_by) == (Status.DRAFT, agent)
    assert document_actions(agent, draft) == {"edit", "submit"}
    services.document_edit(actor=agent, document=draft, summary="Relu par l'agent")
    # Not publish, not schedule: that is the publishers' step.
    for status in (Status.PUBLISHED, Status.SCHEDULED):
        with pytest.raises(PermissionDenied, match="soumettez-le pour validation"):
            services.document_edit(
                actor=agent,
                document=draft,
                status=status,
                go_live_at=timezone.now() + datetime.timedelta(days=1),
            )
    # Another agent of the same authority does not edit it; the visitor does not see it.
    colleague = make_user("agent2-merignac", kind=User.Kind.AGENT)
    membership_grant(
        actor=None, user=colleague, authority=reviewed.merignac, role=Membership.Role.AGENT
    )
    assert not can_edit(colleague, draft)
    assert document_actions(colleague, draft) == frozenset()
    assert not documents_visible_to(None).filter(pk=draft.pk).exists()

    services.document_submit(actor=agent, document=draft, comment="Prêt à publier")
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    # Submitted: the author no longer edits it but follows it.
    agent = fresh(agent)
    assert not can_edit(agent, draft)
    assert document_actions(agent, draft) == frozenset()
    assert documents_visible_to(agent).filter(pk=draft.pk).exists()
    assert documents_workspace_of(agent).filter(pk=draft.pk).exists()
    with pytest.raises(PermissionDenied):
        services.document_edit(actor=agent, document=draft, title="Encore")
    with pytest.raises(ValidationError) as caught:
        services.document_submit(actor=reviewed.publisher, document=draft)
    assert caught.value.message_dict == {
        "status": ["Seul un brouillon peut être soumis pour validation."]
    }
    assert document_actions(reviewed.publisher, draft) == {"edit", "approve", "send_back"}
    assert steps(draft) == [("submit", "agent-merignac", "Prêt à publier")]
    assert audit_actions(draft) == [
        ("create", "agent-merignac"),
        ("update", "agent-merignac"),
        ("submit", "agent-merignac"),
    ]


def test_a_publisher_sends_it_back_with_a_comment_then_approves_it(reviewed, draft):
    services.document_submit(actor=reviewed.agent, document=draft)
    # Only those who may publish it decide: not the author, not a publisher elsewhere.
    for outsider in (reviewed.agent, reviewed.metro_publisher, reviewed.bordeaux_agent):
        with pytest.raises(PermissionDenied):
            services.document_approve(actor=outsider, document=draft)
        with pytest.raises(PermissionDenied):
            services.document_send_back(actor=outsider, document=draft, comment="Non")
    with pytest.raises(ValidationError) as caught:
        services.document_send_back(actor=reviewed.publisher, document=draft, comment="  ")
    assert list(caught.value.message_dict) == ["comment"]
    assert "commentaire est obligatoire" in str(caught.value)

    services.document_send_back(
        actor=reviewed.publisher, document=draft, comment="Ajoutez la date de la séance."
    )
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    agent = fresh(reviewed.agent)
    assert document_actions(agent, draft) == {"edit", "submit"}
    services.document_edit(actor=agent, document=draft, title="Compte rendu du 3 mars")
    services.document_submit(actor=agent, document=draft)

    services.document_approve(actor=reviewed.publisher, document=draft, comment="Merci")
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert Client().get(f"/documents/{draft.pk}/").status_code == 200
    assert steps(draft) == [
        ("submit", "agent-merignac", ""),
        ("send_back", "editeur-merignac", "Ajoutez la date de la séance."),
        ("submit", "agent-merignac", ""),
        ("approve", "editeur-merignac", "Merci"),
    ]
    assert [a for a, _u in audit_actions(draft)][-6:] == [
        "submit",
        "send_back",
        "update",
        "submit",
        "approve",
        "publish",
    ]
    detail = AuditEvent.objects.get(document=draft, action="send_back").detail
    assert detail == {"comment": "Ajoutez la date de la séance."}
    with pytest.raises(ValidationError) as caught:
        services.document_approve(actor=reviewed.publisher, document=draft)
    assert caught.value.message_dict == {
        "status": ["Ce document n'est pas en attente de validation."]
    }


def test_approval_may_schedule(reviewed, draft):
    services.document_submit(actor=reviewed.agent, document=draft)
    go_live = timezone.now() + datetime.timedelta(days=2)
    # The territory administrator above the owner may publish it, so may approve it.
    services.document_approve(actor=reviewed.region_admin, document=draft, go_live_at=go_live)
    draft.refresh_from_db()
    assert (draft.status, draft.go_live_at) == (Status.SCHEDULED, go_live)
    assert not documents_visible_to(None).filter(pk=draft.pk).exists()
    assert [a for a, _u in audit_actions(draft)][-2:] == ["approve", "schedule"]
    services.documents_go_live_due(now=go_live)
    assert documents_visible_to(None).filter(pk=draft.pk).exists()


def test_publishing_a_submitted_document_from_the_edit_form_records_the_approval(reviewed, draft):
    services.document_submit(actor=reviewed.agent, document=draft)
    services.document_edit(actor=reviewed.publisher, document=draft, status=Status.PUBLISHED)
    assert steps(draft)[-1] == ("approve", "editeur-merignac", "")


def test_the_policy_is_read_live_even_by_the_cached_query(reviewed, draft):
    agent = reviewed.agent
    assert can_edit(fresh(agent), draft)
    PublishingPolicy.objects.filter(authority=reviewed.merignac).update(review_required=False)
    assert not can_edit(fresh(agent), draft)
    assert document_actions(fresh(agent), draft) == frozenset()
    # The author still reads what they wrote (every status), while an agent of the owner.
    assert documents_visible_to(fresh(agent)).filter(pk=draft.pk).exists()
    Membership.objects.filter(user=agent).delete()
    assert not documents_visible_to(fresh(agent)).filter(pk=draft.pk).exists()
