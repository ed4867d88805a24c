"""The access rules of the document store in plain Python, the reference the selector must match.

Deliberately naive: it reads every row and decides document by document, the way the rules are
written in the issue, so a mistake in the SQL cannot hide behind the same mistake here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils import timezone

from documents.models import (
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
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


@dataclass
class World:
    parent: dict[int, int | None]
    roles: dict[int, set[tuple[int, str]]]  # user -> {(authority, role)} active today
    groups: dict[int, set[int]]  # user -> group ids
    user_grants: set[tuple[int, int, str]]  # (document, user, level)
    group_grants: set[tuple[int, int, str]]  # (document, group, level)
    authority_grants: set[tuple[int, int, str]]  # (document, authority, level)

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

    def can_edit(self, user: User | None, doc: DocumentFacts) -> bool:
        if user is None:
            return False
        if user.is_superuser:
            return True
        roles = self.roles.get(user.pk, set())
        if any(a == doc.owner_id and r in EDITOR_ROLES for a, r in roles):
            return True
        if doc.audience != "personal" and any(
            a in self.chain(doc.owner_id) and r in ADMIN_ROLES for a, r in roles
        ):
            return True
        return self._granted(user, doc, {"change"})

    def can_read(self, user: User | None, doc: DocumentFacts) -> bool:
        if self.can_edit(user, doc):
            return True
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
        if doc.audience == "personal" and (doc.addressee_id == user.pk or doc.owner_id in agent_of):
            return True
        return self._granted(user, doc, {"view", "change"})
