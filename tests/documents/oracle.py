"""The access rules of the document store in plain Python, the reference the selector must match.

Deliberately naive: it reads every row and decides document by document, the way the rules are
written in the issue, so a mistake in the SQL cannot hide behind the same mistake here.

Personal documents (issue 11): read by the addressee (published), their creator while an agent
of the owner, holders of an explicit view or change grant (user, group, authority) and
superusers — not by the owner's other agents. The owner's publishers and administrators edit
and publish one only if they created it; change grants and superusers always; administrators
above the owner never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.utils import timezone

from documents.models import (
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
    PublishingPolicy,
)
from identity.models import Authority, AuthorityGroup, Membership, User

EDITOR_ROLES = {"publisher", "admin", "territory_admin"}
ADMIN_ROLES = {"admin", "territory_admin"}


class DocumentFacts(Protocol):
    """What the rules read of a document: a Document, or a row of its values (the benchmark)."""

    @property
    def pk(self) -> int: ...
    @property
    def owner_id(self) -> int: ...
    @property
    def audience(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def addressee_id(self) -> int | None: ...

    # Optional: ``created_by_id`` (the author; the benchmark's rows have none, read as None).


@dataclass
class World:
    parent: dict[int, int | None]
    roles: dict[int, set[tuple[int, str]]]  # user -> {(authority, role)} active today
    groups: dict[int, set[int]]  # user -> group ids
    user_grants: set[tuple[int, int, str]]  # (document, user, level)
    group_grants: set[tuple[int, int, str]]  # (document, group, level)
    authority_grants: set[tuple[int, int, str]]  # (document, authority, level)
    reviewed: set[int] = field(default_factory=set)  # authorities whose policy asks for review

    @classmethod
    def load(cls, users: list[User] | None = None) -> World:
        """Everything the rules read; ``users`` limits roles and groups to those people (the
        benchmark's naive baseline asks for one requester at a time)."""
        today = timezone.localdate()
        memberships = Membership.objects.all()
        people = User.objects.all()
        if users is not None:
            memberships = memberships.filter(user__in=users)
            people = people.filter(pk__in=[u.pk for u in users])
        roles: dict[int, set[tuple[int, str]]] = {}
        for m in memberships:
            if m.starts_on <= today and (m.ends_on is None or m.ends_on >= today):
                roles.setdefault(m.user_id, set()).add((m.authority_id, m.role))
        parent: dict[int, int | None] = dict(Authority.objects.values_list("pk", "parent_id"))
        owners = dict(AuthorityGroup.objects.values_list("group_id", "owner_id"))

        def in_territory(user_id: int, owner: int) -> bool:
            # A commission counts while its member holds a current role at or below its owner.
            for authority, _role in roles.get(user_id, set()):
                node: int | None = authority
                while node is not None:
                    if node == owner:
                        return True
                    node = parent.get(node)
            return False

        groups: dict[int, set[int]] = {}
        for user in people.prefetch_related("groups"):
            groups[user.pk] = {
                g.pk
                for g in user.groups.all()
                if g.pk not in owners or in_territory(user.pk, owners[g.pk])
            }
        user_grants = DocumentUserGrant.objects.select_related("permission")
        if users is not None:
            user_grants = user_grants.filter(user__in=users)
        return cls(
            parent=parent,
            roles=roles,
            groups=groups,
            user_grants={
                (g.content_object_id, g.user_id, g.permission.codename.split("_")[0])
                for g in user_grants
            },
            group_grants={
                (g.content_object_id, g.group_id, g.permission.codename.split("_")[0])
                for g in DocumentGroupGrant.objects.select_related("permission")
            },
            authority_grants=set(
                DocumentAuthorityGrant.objects.values_list("document_id", "authority_id", "level")
            ),
            reviewed=set(
                PublishingPolicy.objects.filter(review_required=True).values_list(
                    "authority_id", flat=True
                )
            ),
        )

    def chain(self, authority: int) -> list[int]:
        """The authority then every authority above it."""
        out = [authority]
        while (above := self.parent.get(out[-1])) is not None:
            out.append(above)
        return out

    def _granted(self, user: User, doc: DocumentFacts, levels: set[str]) -> bool:
        agent_of = {a for a, _r in self.roles.get(user.pk, set())}
        return (
            any((doc.pk, user.pk, lv) in self.user_grants for lv in levels)
            or any(
                (doc.pk, g, lv) in self.group_grants
                for g in self.groups.get(user.pk, set())
                for lv in levels
            )
            or any((doc.pk, a, lv) in self.authority_grants for a in agent_of for lv in levels)
        )

    def _authored(self, user: User, doc: DocumentFacts) -> bool:
        """The requester created the document and is still an agent of its owner."""
        agent_of = {a for a, _r in self.roles.get(user.pk, set())}
        return getattr(doc, "created_by_id", None) == user.pk and doc.owner_id in agent_of

    def can_edit(self, user: User | None, doc: DocumentFacts) -> bool:
        if user is None:
            return False
        if self.can_publish(user, doc):
            return True
        # Review before publication: the author edits their draft until they submit it.
        return doc.status == "draft" and doc.owner_id in self.reviewed and self._authored(user, doc)

    def can_publish(self, user: User | None, doc: DocumentFacts) -> bool:
        if user is None:
            return False
        if user.is_superuser:
            return True
        roles = self.roles.get(user.pk, set())
        personal = doc.audience == "personal"
        if any(a == doc.owner_id and r in EDITOR_ROLES for a, r in roles) and (
            not personal or getattr(doc, "created_by_id", None) == user.pk
        ):
            # A personal document: the owner's publishers only if they created it.
            return True
        if not personal and any(
            a in self.chain(doc.owner_id) and r in ADMIN_ROLES for a, r in roles
        ):
            return True
        return self._granted(user, doc, {"change"})

    def can_read(self, user: User | None, doc: DocumentFacts) -> bool:
        if self.can_edit(user, doc):
            return True
        if user is not None and self._authored(user, doc):
            return True  # an author follows their document in every status
        if doc.status != "published":
            return False
        if doc.audience == "public":
            return True
        if user is None:
            return False
        agent_of = {a for a, _r in self.roles.get(user.pk, set())}
        if doc.audience == "signed_in":
            return True
        if doc.audience == "internal" and doc.owner_id in agent_of:
            return True
        if doc.audience == "shared_up" and agent_of & set(self.chain(doc.owner_id)):
            return True
        # Personal: the addressee only (the owner's agents no longer; its creator and grant
        # holders are read above and below).
        if doc.audience == "personal" and doc.addressee_id == user.pk:
            return True
        return self._granted(user, doc, {"view", "change"})
