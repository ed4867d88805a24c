"""What a person reads, for the person-rights page of the access-rights administration.

Identity draws that page and knows no document: this module provides its document sections
through the ``civis_person_rights_sections`` hook (registered in documents/wagtail_hooks.py).
A document the administrator looking at the page may not read is named by its id only. The
queries are a fixed number, whatever the person holds.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import Document, DocumentGroupGrant, DocumentUserGrant
from documents.selectors import documents_visible_to
from identity.admin.rights import PersonSection, SectionRow
from identity.models import User
from identity.selectors import principals_of

LISTED = 50


def document_label(document: Document, readable_ids: set[int]) -> SectionRow:
    """A document as someone may see it: title and owner if they may read it, else its id."""
    if document.pk in readable_ids:
        return SectionRow(document.title, document.owner.name)
    return SectionRow(_("Document n° %(id)d") % {"id": document.pk})


def _rows(documents: list[Document], readable_ids: set[int]) -> list[SectionRow]:
    # Readable titles in order, then the others by id: the order reveals no hidden title.
    shown = sorted((d for d in documents if d.pk in readable_ids), key=lambda d: d.title)
    hidden = sorted((d for d in documents if d.pk not in readable_ids), key=lambda d: d.pk)
    return [document_label(d, readable_ids) for d in shown + hidden]


def person_document_sections(viewer: User | AnonymousUser, person: User) -> list[PersonSection]:
    """What ``person`` reads: a count, the documents shared with their groups and those
    granted to them by name — titles only where ``viewer`` may read them too."""
    readable = documents_visible_to(person)
    group_ids = principals_of(person).group_ids
    through_groups = (
        list(
            readable.filter(
                pk__in=DocumentGroupGrant.objects.filter(group_id__in=group_ids).values(
                    "content_object_id"
                )
            )
            .select_related("owner")
            .order_by("-pk")[:LISTED]
        )
        if group_ids
        else []
    )
    by_name = list(
        Document.objects.filter(
            pk__in=DocumentUserGrant.objects.filter(user=person).values("content_object_id")
        )
        .select_related("owner")
        .order_by("-pk")[:LISTED]
    )
    ids = {d.pk for d in through_groups + by_name}
    viewer_reads = (
        set(documents_visible_to(viewer).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    count = readable.count()
    sections = [
        PersonSection(
            _("Ce que cette personne peut lire"),
            ngettext(
                "%(count)d document lisible en tout.",
                "%(count)d documents lisibles en tout.",
                count,
            )
            % {"count": count},
        )
    ]
    if through_groups:
        sections.append(
            PersonSection(_("Grâce à ses groupes"), rows=_rows(through_groups, viewer_reads))
        )
    if by_name:
        sections.append(
            PersonSection(_("Accès donnés nommément"), rows=_rows(by_name, viewer_reads))
        )
    return sections
