"""The one answer to "which documents may this person read, and which may they edit".

Every path — portal lists and pages, downloads, the citizen's space, the API, feeds, sitemaps
and search — goes through ``documents_visible_to``. Each function builds one SQL query whose
shape depends on the requester's roles, never on the number of documents or grants.

The rules (the reference oracle in tests/documents/oracle.py states them in plain Python):

* Published documents are read by their audience: public (everyone), signed_in (any
  authenticated person), internal (agents of the owner), shared_up (agents of the owner and of
  every authority above it), restricted (nobody by audience), personal (the addressee and the
  owner's agents); plus explicit grants (view or change) to a user, a group or all agents of an
  authority.
* Editors see every status. Editors are the owner's publishers and administrators, the
  administrators of any authority above it (except for personal documents, which stay between
  the citizen and the owner's agents), holders of a "change" grant, and superusers.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.db.models.sql import Query

from documents.models import (
    Audience,
    Document,
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
    GrantLevel,
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


def editable_condition(principals: Principals) -> Q | None:
    """Q for documents the requester may edit; None when there are none."""
    if not principals.authenticated:
        return None
    condition = _granted(principals, CHANGE_CODENAMES)
    if principals.edits_own:
        condition |= Q(owner_id__in=principals.edits_own)
    if principals.admin_of:
        condition |= Q(owner_id__in=overseen_subtree(principals)) & ~Q(audience=Audience.PERSONAL)
    return condition


def readable_condition(principals: Principals) -> Q:
    """Q for documents the requester may read (published by audience or grant, or editable)."""
    by_audience = Q(audience=Audience.PUBLIC)
    if principals.authenticated:
        by_audience |= Q(audience=Audience.SIGNED_IN)
        by_audience |= Q(audience=Audience.PERSONAL, addressee_id=principals.user_id)
        if principals.agent_of:
            by_audience |= Q(
                audience__in=[Audience.INTERNAL, Audience.PERSONAL],
                owner_id__in=principals.agent_of,
            )
            by_audience |= Q(
                audience=Audience.SHARED_UP, owner_id__in=subtree_ids(principals.agent_of)
            )
        by_audience |= _granted(principals, VIEW_CODENAMES)
    condition = Q(status=Status.PUBLISHED) & by_audience
    editable = editable_condition(principals)
    return condition | editable if editable is not None else condition


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


def can_edit(user: User | AnonymousUser | None, document: Document) -> bool:
    return documents_editable_by(user).filter(pk=document.pk).exists()


def authorities_publishable_by(user: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Authorities whose documents the user may create: the ones they publish for, and their
    oversight scope (``identity.selectors.authorities_overseen_by``)."""
    principals = principals_of(user)
    if principals.superuser:
        return Authority.objects.all()
    if not principals.authenticated:
        return Authority.objects.none()
    return Authority.objects.filter(
        Q(pk__in=principals.edits_own) | Q(pk__in=overseen_subtree(principals))
    )


def latest_public_documents(authority: Authority, limit: int = 10) -> list[Document]:
    """An authority page's latest public documents (the same selector, as an anonymous user)."""
    return list(
        documents_visible_to(AnonymousUser())
        .filter(owner=authority)
        .select_related("current_version")
        .order_by("-published_on", "-pk")[:limit]
    )
