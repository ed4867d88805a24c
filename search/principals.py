"""Security trimming: the principals that may read a document, and those a requester holds.

A document is readable by a requester exactly when the two sets intersect. The document side
states the rules of documents.selectors (and tests/documents/oracle.py) as strings, so a
search engine can filter on them; the requester side is derived from identity's Principals,
computed once per request. Role and group changes alter the requester's set only, so they
take effect at once; audience, status, grant and authority-tree changes need reindexing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser

from documents.models import Audience, Status
from identity.models import User
from identity.selectors import principals_of

PUBLIC = "public"
SIGNED_IN = "signed_in"


def document_principals(
    *,
    status: str,
    audience: str,
    owner_chain: list[int],
    addressee_id: int | None,
    view_grants: Iterable[str],
    change_grants: Iterable[str],
    author_id: int | None = None,
) -> set[str]:
    """``owner_chain``: the owner then every authority above it. Grants are principal strings
    (``user:<id>``, ``group:<id>``, ``agents:<authority id>``)."""
    owner = owner_chain[0]
    allowed: set[str] = set(change_grants)
    if author_id is not None:
        # Its author reads it in every status while an agent of the owner (review).
        allowed.add(f"author:{author_id}x{owner}")
    if audience != Audience.PERSONAL:
        # A personal document is no business of the owner's editors or of the administrators
        # above: its addressee, its author, grant holders (and superusers) read it.
        allowed.add(f"editors:{owner}")
        allowed.update(f"admins:{a}" for a in owner_chain)
    if status == Status.PUBLISHED:
        allowed.update(view_grants)
        if audience == Audience.PUBLIC:
            allowed.add(PUBLIC)
        elif audience == Audience.SIGNED_IN:
            allowed.add(SIGNED_IN)
        elif audience == Audience.INTERNAL:
            allowed.add(f"agents:{owner}")
        elif audience == Audience.SHARED_UP:
            allowed.update(f"agents:{a}" for a in owner_chain)
        elif audience == Audience.PERSONAL:
            allowed.add(f"user:{addressee_id}")
    return allowed


def requester_principals(user: User | AnonymousUser | None) -> frozenset[str] | None:
    """The requester's principals; None for a superuser, who reads everything."""
    principals = principals_of(user)
    if principals.superuser:
        return None
    held = {PUBLIC}
    if principals.authenticated:
        held |= {SIGNED_IN, f"user:{principals.user_id}"}
        held |= {f"group:{g}" for g in principals.group_ids}
        held |= {f"agents:{a}" for a in principals.agent_of}
        held |= {f"author:{principals.user_id}x{a}" for a in principals.agent_of}
        held |= {f"editors:{a}" for a in principals.edits_own}
        held |= {f"admins:{a}" for a in principals.admin_of}
    return frozenset(held)


def token(principal: str) -> str:
    """A principal as one full-text token (FTS5 splits on ':' and '_')."""
    return "z" + principal.replace(":", "").replace("_", "")
