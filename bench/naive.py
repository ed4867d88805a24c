"""The naive baseline: decide document by document who may read it, then search.

What a portal without security trimming in its index has to do: load every document, check
each one against the access rules (the requester's roles, groups and explicit grants, as
documents.selectors states them), search without trimming, and intersect.
"""

from __future__ import annotations

from collections import Counter

from documents.models import (
    Document,
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
)
from identity.models import MAX_DEPTH, Authority
from identity.selectors import principals_of
from search.backends import database_backend
from search.query import SearchQuery


def readable_ids(user) -> set[int]:
    p = principals_of(user)
    if p.superuser:
        return set(Document.objects.values_list("pk", flat=True))
    parent = dict(Authority.objects.values_list("pk", "parent_id"))

    def chain(a: int) -> list[int]:
        out = [a]
        while len(out) <= MAX_DEPTH and parent.get(out[-1]) is not None:
            out.append(parent[out[-1]])
        return out

    view: set[int] = set()
    change: set[int] = set()
    if p.authenticated:
        for doc, codename in DocumentUserGrant.objects.filter(user_id=p.user_id).values_list(
                "content_object_id", "permission__codename"):
            (change if codename == "change_document" else view).add(doc)
        for doc, codename in DocumentGroupGrant.objects.filter(
                group_id__in=p.group_ids).values_list("content_object_id", "permission__codename"):
            (change if codename == "change_document" else view).add(doc)
        for doc, level in DocumentAuthorityGrant.objects.filter(
                authority_id__in=p.agent_of).values_list("document_id", "level"):
            (change if level == "change" else view).add(doc)
    out = set()
    for pk, owner, audience, status, addressee in Document.objects.values_list(
            "pk", "owner_id", "audience", "status", "addressee_id").iterator(chunk_size=5000):
        up = chain(owner)
        if (owner in p.edits_own or pk in change
                or (audience != "personal" and p.admin_of.intersection(up))):
            out.add(pk)
            continue
        if status != "published":
            continue
        if (audience == "public" or pk in view
                or (p.authenticated and (
                    audience == "signed_in"
                    or (audience == "internal" and owner in p.agent_of)
                    or (audience == "shared_up" and p.agent_of.intersection(up))
                    or (audience == "personal" and (addressee == p.user_id
                                                   or owner in p.agent_of))))):
            out.add(pk)
    return out


def naive_search(user, query: SearchQuery) -> tuple[int, list[int], dict[str, Counter]]:
    allowed = readable_ids(user)
    everything = SearchQuery(**{**query.__dict__, "page": 1, "page_size": 10_000_000})
    result = database_backend().search(everything, None)
    hits = [doc for doc, _score in result.hits if doc in allowed]
    rows = Document.objects.filter(pk__in=hits[:query.offset + query.page_size]) \
        .select_related("current_version")
    facets: dict[str, Counter] = {"type": Counter()}
    for document_type in Document.objects.filter(pk__in=hits).values_list(
            "document_type", flat=True).iterator(chunk_size=5000):
        facets["type"][document_type] += 1
    list(rows)
    return len(hits), hits[query.offset:query.offset + query.page_size], facets
