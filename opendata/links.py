"""Where a resource is read: one function, so the dataset page, the catalog, the API and the
exports give the same URL."""

from __future__ import annotations

from django.urls import reverse

from opendata.models import Resource


def resource_access_path(resource: Resource) -> str:
    """The portal path that serves ``resource``; the catalog and the API make it absolute with
    ``request.build_absolute_uri`` (harvesters need absolute URLs)."""
    if resource.kind == Resource.Kind.DOCUMENT:
        return reverse(
            "opendata:resource_download",
            kwargs={"identifier": resource.dataset.identifier, "resource_id": resource.pk},
        )
    if resource.kind == Resource.Kind.API:
        return resource.api_path
    return reverse(f"opendata:scdl_{resource.export}", kwargs={"code": resource.dataset.owner.code})
