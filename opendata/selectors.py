"""Who may read and manage open data: the one path every view, export, the catalog and the API
go through.

- A dataset is public when it is published. Its draft and withdrawn states are seen by its
  editors only (the owner's publishers, administrators above it, superusers), like documents.
- A resource built on a document is shown only while the document is public
  (``documents_visible_to(AnonymousUser())``): open data is for everyone or it is not open.
  Resources of the other kinds (API endpoint, portal export) follow their dataset.
- Reports are seen and handled by the owning authority's publishers (and those who oversee it).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from documents.selectors import authorities_publishable_by, documents_visible_to
from identity.models import User
from opendata.models import Dataset, Report, Resource

Someone = User | AnonymousUser | None


def datasets_public() -> QuerySet[Dataset]:
    return Dataset.objects.filter(status=Dataset.Status.PUBLISHED)


def datasets_editable_by(user: Someone) -> QuerySet[Dataset]:
    """Datasets ``user`` may edit, publish and withdraw: those of the authorities they publish
    for (``documents.selectors.authorities_publishable_by``)."""
    return Dataset.objects.filter(owner__in=authorities_publishable_by(user))


def datasets_visible_to(user: Someone) -> QuerySet[Dataset]:
    """Datasets ``user`` may see: every published one, and those they may edit."""
    public = Q(status=Dataset.Status.PUBLISHED)
    if user is None or not user.is_authenticated:
        return Dataset.objects.filter(public)
    return Dataset.objects.filter(public | Q(pk__in=datasets_editable_by(user).values("pk")))


def resources_public(dataset: Dataset | None = None) -> QuerySet[Resource]:
    """Resources anyone may read (of one dataset, or of every public dataset)."""
    public_documents = documents_visible_to(AnonymousUser()).values("pk")
    resources = Resource.objects.filter(dataset__status=Dataset.Status.PUBLISHED).filter(
        ~Q(kind=Resource.Kind.DOCUMENT) | Q(document__in=public_documents)
    )
    if dataset is not None:
        resources = resources.filter(dataset=dataset)
    return resources.select_related("document__current_version", "dataset")


def resources_visible_to(user: Someone, dataset: Dataset) -> QuerySet[Resource]:
    """A dataset's resources as ``user`` sees them: editors see every resource (and which
    ones are hidden from the public), everyone else the public ones."""
    if datasets_editable_by(user).filter(pk=dataset.pk).exists():
        return dataset.resources.select_related("document__current_version")
    return resources_public(dataset)


def reports_handled_by(user: Someone) -> QuerySet[Report]:
    """Reports ``user`` sees and handles: those filed on their authorities' content."""
    return Report.objects.filter(authority__in=authorities_publishable_by(user))


def reports_filed_by(user: User) -> QuerySet[Report]:
    """A signed-in person's own reports, newest first (their space, /mon-espace/)."""
    return (
        Report.objects.filter(reporter=user)
        .select_related("document", "dataset", "authority")
        .order_by("-created_at", "-pk")
    )
