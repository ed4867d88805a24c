"""The one answer to "which documents may this person read, and which may they edit".

Every path — portal lists and pages, downloads, the citizen's space, the API, feeds, sitemaps
and search — goes through ``documents_visible_to``. Each function builds one SQL query whose
shape depends on the requester's roles, never on the number of documents or grants.

The rules (the reference oracle in tests/documents/oracle.py states them in plain Python):

* Published documents are read by their audience: public (everyone), signed_in (any
  authenticated person), internal (agents of the owner), shared_up (agents of the owner and of
  every authority above it), restricted (nobody by audience), personal (the addressee only);
  plus explicit grants (view or change) to a user, a group or all agents of an authority.
* Editors see every status. Editors are the owner's publishers and administrators, the
  administrators of any authority above it, holders of a "change" grant, and superusers.
* Personal documents are the exception: being an agent of the owner is no reason to read a
  citizen's document. They are read by the addressee (once published), their creator while
  an agent of the owner, holders of an explicit grant (user, group — e.g. the instructors of
  the procedure that produced it — or authority) and superusers. The owner's publishers and
  administrators edit and publish one only if they created it or hold a change grant;
  administrators above the owner never do. Every read by someone other than the addressee is
  audited (``documents.services.document_access_record``; ``personal_reads_of`` lists them).
* An author (creator) reads their document in every status while an agent of its owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.db.models.sql import Query

from audit.models import AuditEvent
from documents.models import (
    Audience,
    Document,
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
    GrantLevel,
    PublishingPolicy,
    Status,
)
from identity.models import Authority, User
from identity.selectors import Principals, overseen_subtree, principals_of, subtree_ids

VIEW_CODENAMES = ("view_document", "change_document")
CHANGE_CODENAMES = ("change_document",)


def _granted(principals: Principals, codenames: tuple[str, ...]) -> Q:
    """Documents granted to the requester (as a user, a group member or an agent)."""
    levels = [GrantLevel.CHANGE] if codenames == CHANGE_CODENAMES else list(GrantLevel.values)
    condition = Q(
        pk__in=DocumentUserGrant.objects.filter(
            user_id=principals.user_id,
            permission__codename__in=codenames,
        ).values("content_object_id")
    )
    if principals.group_ids:
        condition |= Q(
            pk__in=DocumentGroupGrant.objects.filter(
                group_id__in=principals.group_ids,
                permission__codename__in=codenames,
            ).values("content_object_id")
        )
    if principals.agent_of:
        condition |= Q(
            pk__in=DocumentAuthorityGrant.objects.filter(
                authority_id__in=principals.agent_of,
                level__in=levels,
            ).values("document_id")
        )
    return condition


def publishable_condition(principals: Principals) -> Q | None:
    """Q for documents the requester may publish, schedule, withdraw, approve or send back (and
    edit in every status); None when there are none."""
    if not principals.authenticated:
        return None
    condition = _granted(principals, CHANGE_CODENAMES)
    if principals.edits_own:
        # A personal document: only the one who created it (or a change grant, above).
        condition |= Q(owner_id__in=principals.edits_own) & (
            ~Q(audience=Audience.PERSONAL) | Q(created_by_id=principals.user_id)
        )
    if principals.admin_of:
        condition |= Q(owner_id__in=overseen_subtree(principals)) & ~Q(audience=Audience.PERSONAL)
    return condition


def _reviewed_authorities(principals: Principals) -> QuerySet[PublishingPolicy, Mapping[str, Any]]:
    """A subquery: the requester's authorities whose policy asks for review (the policy is read
    by the database, so a cached query stays right when the policy changes)."""
    return PublishingPolicy.objects.filter(
        review_required=True, authority_id__in=principals.agent_of
    ).values("authority_id")


def _authored(principals: Principals) -> Q | None:
    """Documents the requester created, while an agent of their owner (read in every status)."""
    if not principals.agent_of:
        return None
    return Q(created_by_id=principals.user_id, owner_id__in=principals.agent_of)


def _authored_drafts(principals: Principals) -> Q | None:
    """Drafts the requester created in an authority with review (they edit them until they
    submit them)."""
    if not principals.agent_of:
        return None
    return Q(
        created_by_id=principals.user_id,
        status=Status.DRAFT,
        owner_id__in=_reviewed_authorities(principals),
    )


def _either(*conditions: Q | None) -> Q | None:
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    combined = present[0]
    for condition in present[1:]:
        combined |= condition
    return combined


def editable_condition(principals: Principals) -> Q | None:
    """Q for documents the requester may edit; None when there are none."""
    return _either(publishable_condition(principals), _authored_drafts(principals))


def readable_condition(principals: Principals) -> Q:
    """Q for documents the requester may read (published by audience or grant, or editable)."""
    by_audience = Q(audience=Audience.PUBLIC)
    if principals.authenticated:
        by_audience |= Q(audience=Audience.SIGNED_IN)
        by_audience |= Q(audience=Audience.PERSONAL, addressee_id=principals.user_id)
        if principals.agent_of:
            by_audience |= Q(audience=Audience.INTERNAL, owner_id__in=principals.agent_of)
            by_audience |= Q(
                audience=Audience.SHARED_UP, owner_id__in=subtree_ids(principals.agent_of)
            )
        by_audience |= _granted(principals, VIEW_CODENAMES)
    condition = Q(status=Status.PUBLISHED) & by_audience
    others = _either(editable_condition(principals), _authored(principals))
    return condition | others if others is not None else condition


@lru_cache(maxsize=256)
def _readable_query(principals: Principals) -> Query:
    """The filtered query, built once per set of principals: building it is milliseconds of
    ORM work for an administrator, on every request, and its SQL depends on the principals
    only (grants and authority subtrees are subqueries the database runs). Never modified:
    callers get a copy."""
    return Document.objects.filter(readable_condition(principals)).query


def documents_visible_to(user: User | AnonymousUser | None) -> QuerySet[Document]:
    """Documents ``user`` may read. Unreadable ones must answer 404 wherever they are asked."""
    principals = principals_of(user)
    documents = Document.objects.all()
    if principals.superuser:
        return documents
    documents.query = _readable_query(principals).chain()
    return documents


def documents_editable_by(user: User | AnonymousUser | None) -> QuerySet[Document]:
    principals = principals_of(user)
    if principals.superuser:
        return Document.objects.all()
    condition = editable_condition(principals)
    if condition is None:
        return Document.objects.none()
    return Document.objects.filter(condition)


def documents_publishable_by(user: User | AnonymousUser | None) -> QuerySet[Document]:
    """Documents ``user`` may publish, schedule, withdraw, approve or send back."""
    principals = principals_of(user)
    if principals.superuser:
        return Document.objects.all()
    condition = publishable_condition(principals)
    if condition is None:
        return Document.objects.none()
    return Document.objects.filter(condition)


def documents_workspace_of(user: User | AnonymousUser | None) -> QuerySet[Document]:
    """The admin's list for ``user``: what they may edit, and what they created and submitted
    (an agent follows their submission until it is approved)."""
    principals = principals_of(user)
    if principals.superuser:
        return Document.objects.all()
    condition = _either(editable_condition(principals), _authored(principals))
    if condition is None:
        return Document.objects.none()
    return Document.objects.filter(condition)


def can_edit(user: User | AnonymousUser | None, document: Document) -> bool:
    return documents_editable_by(user).filter(pk=document.pk).exists()


def can_publish(user: User | AnonymousUser | None, document: Document) -> bool:
    return documents_publishable_by(user).filter(pk=document.pk).exists()


def authorities_publishable_by(user: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities whose documents the user may create and publish: the ones they publish for,
    and their oversight scope (``identity.selectors.authorities_overseen_by``)."""
    principals = principals_of(user)
    if principals.superuser:
        return Authority.objects.all()
    if not principals.authenticated:
        return Authority.objects.none()
    return Authority.objects.filter(
        Q(pk__in=principals.edits_own) | Q(pk__in=overseen_subtree(principals))
    )


def authorities_draftable_by(user: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities where the user may create a document: those they publish for, and those
    whose policy asks for review where they are an agent (drafts only, submitted for review)."""
    principals = principals_of(user)
    if principals.superuser:
        return Authority.objects.all()
    if not principals.authenticated:
        return Authority.objects.none()
    condition = Q(pk__in=principals.edits_own) | Q(pk__in=overseen_subtree(principals))
    if principals.agent_of:
        condition |= Q(pk__in=_reviewed_authorities(principals))
    return Authority.objects.filter(condition)


def review_required(authority: Authority | int) -> bool:
    """Whether ``authority``'s policy asks for review before publication."""
    pk = authority if isinstance(authority, int) else authority.pk
    return PublishingPolicy.objects.filter(authority_id=pk, review_required=True).exists()


ACTIONS = frozenset(
    {"edit", "publish", "schedule", "unschedule", "withdraw", "submit", "approve", "send_back"}
)
_PUBLISHER_ACTIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({"edit", "publish", "schedule"}),
    Status.IN_REVIEW: frozenset({"edit", "approve", "send_back"}),
    Status.SCHEDULED: frozenset({"edit", "publish", "schedule", "unschedule"}),
    Status.PUBLISHED: frozenset({"edit", "withdraw"}),
    Status.WITHDRAWN: frozenset({"edit", "publish", "schedule"}),
}


def document_actions(user: User | AnonymousUser | None, document: Document) -> frozenset[str]:
    """What ``user`` may do to ``document`` now, among ``ACTIONS`` (one query): the admin shows
    these buttons, the services enforce the same rules."""
    principals = principals_of(user)
    status = document.status
    if principals.superuser:
        may_publish = may_edit = True
    else:
        publishable = publishable_condition(principals)
        editable = editable_condition(principals)
        if editable is None:
            return frozenset()
        row = (
            Document.objects.filter(pk=document.pk)
            .annotate(
                may_publish=Case(
                    When(publishable or Q(pk__in=[]), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
                may_edit=Case(
                    When(editable, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
            .values_list("may_publish", "may_edit", "status")
            .first()
        )
        if row is None:
            return frozenset()
        may_publish, may_edit, status = row
    if may_publish:
        return _PUBLISHER_ACTIONS.get(status, frozenset({"edit"}))
    if may_edit:
        # The author of a draft in an authority with review: edit it, then submit it.
        return frozenset({"edit", "submit"}) if status == Status.DRAFT else frozenset()
    return frozenset()


def latest_public_documents(authority: Authority, limit: int = 10) -> list[Document]:
    """An authority page's latest public documents (the same selector, as an anonymous user)."""
    return list(
        documents_visible_to(AnonymousUser())
        .filter(owner=authority)
        .select_related("current_version")
        .order_by("-published_on", "-pk")[:limit]
    )


READ_ACTIONS = (AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD)


def personal_reads_of(user: User | AnonymousUser | None) -> QuerySet[AuditEvent]:
    """Who read the documents addressed to ``user`` (page views and downloads, on the portal,
    in the admin and through the API), other than ``user``: newest first, with the reader and
    the document loaded. For "Mes données": transparency on one's own personal documents."""
    if user is None or not user.is_authenticated:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(
            action__in=READ_ACTIONS,
            document__audience=Audience.PERSONAL,
            document__addressee_id=user.pk,
        )
        .exclude(actor_id=user.pk)
        .select_related("actor", "document", "document__owner")
        .order_by("-at", "-pk")
    )
