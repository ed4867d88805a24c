"""What the index holds for a document, built in bulk from the document store.

``index_documents(ids)`` answers one IndexDoc per existing document (missing ids are documents
to remove). The fingerprint covers every indexed value, so ``civis_index_check`` can tell a
stale entry from a current one on any backend.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from documents.models import (
    Document,
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentType,
    DocumentUserGrant,
)
from identity.models import MAX_DEPTH, Authority
from search.principals import document_principals

MAX_BODY_CHARS = 200_000  # PostgreSQL's tsvector is limited to 1 MB
# Moves when the analysis or the index layout changes (issue 17: "St" is "saint", "n° 12" one
# word, feminine forms, PostgreSQL's field boundaries): every entry's fingerprint changes,
# so ``civis_index_check`` reports the whole index stale and ``civis_reindex`` rebuilds it.
ANALYSIS_VERSION = 2


@dataclass(frozen=True)
class IndexDoc:
    id: int
    title: str
    meta: str  # authority name, type label, tags: matched, weighted above body
    body: str  # summary and extracted text
    owner_id: int
    scopes: tuple[int, ...]  # the owner and every authority above it (authority filter)
    document_type: str
    year: int | None
    published_on: str | None
    kind: str
    principals: tuple[str, ...]

    @property
    def fingerprint(self) -> str:
        payload = json.dumps(
            {**asdict(self), "analysis": ANALYSIS_VERSION}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()


class AuthorityTree:
    """Parent links of the whole territory, loaded once (ids only: ~36k rows for France)."""

    def __init__(self) -> None:
        rows = Authority.objects.values_list("pk", "parent_id", "name")
        self.parent: dict[int, int | None] = {}
        self.name: dict[int, str] = {}
        for pk, parent_id, name in rows:
            self.parent[pk] = parent_id
            self.name[pk] = name

    def chain(self, authority_id: int) -> list[int]:
        out = [authority_id]
        while len(out) <= MAX_DEPTH and (above := self.parent.get(out[-1])) is not None:
            out.append(above)
        return out


def _grants(ids: list[int]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    view: dict[int, set[str]] = defaultdict(set)
    change: dict[int, set[str]] = defaultdict(set)
    for doc_id, user_id, codename in DocumentUserGrant.objects.filter(
        content_object_id__in=ids
    ).values_list("content_object_id", "user_id", "permission__codename"):
        (change if codename == "change_document" else view)[doc_id].add(f"user:{user_id}")
    for doc_id, group_id, codename in DocumentGroupGrant.objects.filter(
        content_object_id__in=ids
    ).values_list("content_object_id", "group_id", "permission__codename"):
        (change if codename == "change_document" else view)[doc_id].add(f"group:{group_id}")
    for doc_id, authority_id, level in DocumentAuthorityGrant.objects.filter(
        document_id__in=ids
    ).values_list("document_id", "authority_id", "level"):
        (change if level == "change" else view)[doc_id].add(f"agents:{authority_id}")
    return view, change


TYPE_LABELS = dict(DocumentType.choices)


def index_documents(ids: Iterable[int], tree: AuthorityTree | None = None) -> list[IndexDoc]:
    ids = list(ids)
    if not ids:
        return []
    tree = tree or AuthorityTree()
    view, change = _grants(ids)
    tags: dict[int, list[str]] = defaultdict(list)
    for doc_id, name in Document.tags.through.objects.filter(content_object_id__in=ids).values_list(
        "content_object_id", "tag__name"
    ):
        tags[doc_id].append(name)
    rows = Document.objects.filter(pk__in=ids).values_list(
        "pk",
        "title",
        "summary",
        "extracted_text",
        "owner_id",
        "document_type",
        "published_on",
        "status",
        "audience",
        "addressee_id",
        "current_version__kind",
        "created_by_id",
    )
    out = []
    for (
        pk,
        title,
        summary,
        text,
        owner_id,
        doc_type,
        published_on,
        status,
        audience,
        addressee_id,
        kind,
        created_by_id,
    ) in rows:
        chain = tree.chain(owner_id)
        principals = document_principals(
            status=status,
            audience=audience,
            owner_chain=chain,
            addressee_id=addressee_id,
            view_grants=view.get(pk, ()),
            change_grants=change.get(pk, ()),
            author_id=created_by_id,
        )
        meta = " ".join(
            [
                tree.name.get(owner_id, ""),
                str(TYPE_LABELS.get(doc_type, "")),
                *sorted(tags.get(pk, [])),
            ]
        )
        out.append(
            IndexDoc(
                id=pk,
                title=title,
                meta=meta,
                body=f"{summary}\n{text}"[:MAX_BODY_CHARS],
                owner_id=owner_id,
                scopes=tuple(chain),
                document_type=doc_type,
                year=published_on.year if published_on else None,
                published_on=published_on.isoformat() if published_on else None,
                kind=kind or "",
                principals=tuple(sorted(principals)),
            )
        )
    return out


def all_document_ids(batch: int = 2000) -> Iterator[list[int]]:
    """Every document id, in batches (a rebuild reads the store in slices)."""
    last = 0
    while True:
        ids = list(
            Document.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]
