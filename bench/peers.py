"""The peers of Civis's trimmed search, measured in the same run on the same rows (issue 15).

- *the limit*: the same search (the same backend, the same SQL, the same page) with no
  permission trimming at all, as a superuser asks it: what trimming costs is Civis minus this
  (a superuser also matches drafts and withdrawn documents: a little more to count).
- *Wagtail's way*: what a Wagtail developer writes: Wagtail 8's own search backend
  (django-modelsearch, on PostgreSQL its ``IndexEntry`` table with a tsvector and a GIN index)
  over ``documents_visible_to(user)``, then the page and its count.
- *guardian's way*: django-guardian as its documentation shows it: every reader's right stored
  as an object permission (``view_document``; a user's own, or through a group) in the
  direct foreign-key tables the project declares for guardian (``DocumentUserGrant``,
  ``DocumentGroupGrant``), and ``get_objects_for_user`` intersected with the same full-text
  query on the same index, then the page and its count.

The rights given to guardian are the index's own principals, one row per document and
principal (a reader named by the principal gets the row: ``user:N`` and ``author:NxA`` as
user permissions, ``group:G`` to the real group, the others — public, signed in, agents,
editors and administrators of an authority — to a group of that name the personas join), so
guardian answers exactly what Civis answers: each measured answer's total is compared. Those
rows are added after Civis and Wagtail's way are measured (they would add to the grants
``documents_visible_to`` reads), in a database the benchmark throws away.

Only on PostgreSQL (the issue's peers; on SQLite Wagtail's backend is another engine).
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user
from modelsearch import index
from wagtail.search.models import IndexEntry

from documents.models import Document, DocumentGroupGrant, DocumentUserGrant
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from search.backends import database_backend
from search.principals import requester_principals
from search.query import SearchQuery
from search.selectors import search_documents

PAGE = 20


class WagtailDocument(index.Indexed, Document):
    """The document as a Wagtail developer would index it (a proxy: no table, no migration;
    defined for the benchmark only, so production saves never write Wagtail's index)."""

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("summary"),
        index.SearchField("extracted_text"),
        index.FilterField("id"),  # pk__in=documents_visible_to(user)
        index.FilterField("document_type"),
        index.FilterField("owner_id"),
        index.FilterField("published_on"),
    ]

    class Meta:
        proxy = True
        app_label = "documents"


def _wagtail_backend() -> Any:
    from wagtail.search.backends import get_search_backend

    return get_search_backend()


def build_wagtail_index(chunk: int = 2000) -> float:
    """Fill Wagtail's index with every document; answers the seconds it took."""
    from modelsearch.abstract_models import TextIDGenericRelation

    if not hasattr(WagtailDocument, "index_entries"):
        TextIDGenericRelation(IndexEntry).contribute_to_class(WagtailDocument, "index_entries")
    backend = _wagtail_backend()
    started = time.perf_counter()
    ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
    search_index = backend.get_index_for_model(WagtailDocument)
    for start in range(0, len(ids), chunk):
        batch = list(WagtailDocument.objects.filter(pk__in=ids[start : start + chunk]))
        search_index.add_items(WagtailDocument, batch)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {IndexEntry._meta.db_table}")
    return time.perf_counter() - started


def _synthetic(principal: str) -> bool:
    return not principal.startswith(("user:", "group:", "author:"))


def build_guardian_rights(personas: dict[str, User | None]) -> tuple[float, dict[str, User], int]:
    """Store every right as guardian expects; answers the seconds it took, the guardian user of
    each persona (the anonymous one is a user of its own: guardian knows no anonymous reader
    here) and the number of object-permission rows."""
    started = time.perf_counter()
    content_type = ContentType.objects.get_for_model(Document)
    permission = Permission.objects.get(content_type=content_type, codename="view_document")
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT unnest(principals) FROM search_searchentry")
        principals = [row[0] for row in cursor.fetchall()]
    names = [f"civis:{p}" for p in principals if _synthetic(p)]
    Group.objects.bulk_create([Group(name=n) for n in names], ignore_conflicts=True)
    group_table = DocumentGroupGrant._meta.db_table
    user_table = DocumentUserGrant._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # The world's own view grants go: a grant on a draft gives no reading (Civis's rule),
        # and guardian would count it. What may be read is all in the rows below.
        DocumentGroupGrant.objects.filter(permission=permission).delete()
        DocumentUserGrant.objects.filter(permission=permission).delete()
        # Synthetic principals (public, agents:A…) to their group, group:G to the real group.
        cursor.execute(
            f"INSERT INTO {group_table} (permission_id, content_object_id, group_id) "  # noqa: S608
            "SELECT %s, e.document_id, g.id FROM search_searchentry e "
            "CROSS JOIN LATERAL unnest(e.principals) p "
            "JOIN auth_group g ON g.name = 'civis:' || p "
            "UNION "
            "SELECT %s, e.document_id, substr(p, 7)::int FROM search_searchentry e "
            "CROSS JOIN LATERAL unnest(e.principals) p WHERE p LIKE 'group:%%' "
            "ON CONFLICT DO NOTHING",
            [permission.pk, permission.pk],
        )
        groups = cursor.rowcount
        # user:N and author:NxA: the user's own permission.
        cursor.execute(
            f"INSERT INTO {user_table} (permission_id, content_object_id, user_id) "  # noqa: S608
            "SELECT DISTINCT %s, e.document_id, "
            "CASE WHEN p LIKE 'user:%%' THEN substr(p, 6)::int "
            "ELSE split_part(substr(p, 8), 'x', 1)::int END "
            "FROM search_searchentry e CROSS JOIN LATERAL unnest(e.principals) p "
            "WHERE p LIKE 'user:%%' OR p LIKE 'author:%%' ON CONFLICT DO NOTHING",
            [permission.pk],
        )
        users = cursor.rowcount
    readers: dict[str, User] = {}
    for name, user in personas.items():
        reader = user or User.objects.create(username="bench-guardian-anonyme", kind="citizen")
        held = requester_principals(user) or frozenset()
        reader.groups.add(*Group.objects.filter(name__in=[f"civis:{p}" for p in held]))
        readers[name] = reader
    with connection.cursor() as cursor:
        cursor.execute(
            f"VACUUM ANALYZE {group_table}, {user_table}, {User.groups.through._meta.db_table}"
        )
    return time.perf_counter() - started, readers, groups + users


def _page_slice(query: SearchQuery) -> slice:
    start = (max(1, query.page) - 1) * PAGE
    return slice(start, start + PAGE)


def _filtered(documents: QuerySet[Document], query: SearchQuery) -> QuerySet[Document]:
    """The query's filters, as a developer would write them on the queryset."""
    if query.document_type:
        documents = documents.filter(document_type=query.document_type)
    if query.year:
        documents = documents.filter(published_on__year=query.year)
    if query.kind:
        documents = documents.filter(current_version__kind=query.kind)
    if query.authority_id:
        scope = Authority.objects.subtree_of(Authority.objects.get(pk=query.authority_id))
        documents = documents.filter(owner__in=scope)
    return documents


def wagtail_way(user: User | None, query: SearchQuery) -> int:
    """Wagtail's search over the documents ``user`` may read; answers the total."""
    from wagtail.search.utils import parse_query_string

    documents = WagtailDocument.objects.filter(
        pk__in=_filtered(documents_visible_to(user), query).values("pk")
    )
    if not query.text.strip():
        ordered = documents.order_by("-published_on", "-pk")
        list(ordered[_page_slice(query)])
        return ordered.count()
    _filters, parsed = parse_query_string(query.text, operator="and")
    order_by_relevance = query.sort != "date"
    if not order_by_relevance:
        documents = documents.order_by("-published_on", "-id")
    results = _wagtail_backend().search(
        parsed, documents, operator="and", order_by_relevance=order_by_relevance
    )
    list(results[_page_slice(query)])
    return int(results.count())


def guardian_way(reader: User, query: SearchQuery) -> int:
    """``get_objects_for_user`` intersected with the same full-text query; answers the
    total."""
    visible = get_objects_for_user(
        reader,
        "documents.view_document",
        klass=_filtered(Document.objects.all(), query),
        with_superuser=False,
        accept_global_perms=False,
    )
    ids_sql, ids_params = visible.values("pk").query.sql_with_params()
    backend = database_backend()
    matched_sql, params, ranked = backend._matches(query, None)
    where = f"FROM ({matched_sql}) m WHERE m.id IN ({ids_sql})"
    order = "m.score DESC, m.id DESC" if ranked and query.sort != "date" else "m.published_on DESC"
    page = _page_slice(query)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id {where} ORDER BY {order} LIMIT {PAGE} OFFSET {page.start}",
            [*params, *ids_params],
        )
        cursor.fetchall()
        cursor.execute(f"SELECT count(*) {where}", [*params, *ids_params])
        return int(cursor.fetchone()[0])


def limit_way(superuser: User, query: SearchQuery) -> int:
    """Civis's own search as a superuser asks it (``requester_principals`` is None: no
    trimming anywhere, the same SQL and the same page); answers the total."""
    return search_documents(superuser, query).total
