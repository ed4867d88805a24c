"""The admin's "Données ouvertes" section (opendata/admin/views.py): its URLs and menu item,
shown to those who publish for an authority; and the "Signalements" section
(report_wagtail_hooks). The menu item is named "opendata_datasets", never "documents": the
documents app hides Wagtail's own menu item named "documents"."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from documents.selectors import authorities_publishable_by
from opendata import report_wagtail_hooks  # noqa: F401 (registers the reports section)
from opendata.admin.views import dataset_create_view, dataset_edit_view, datasets_view


class DatasetsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return (
            bool(request.user.is_authenticated)
            and authorities_publishable_by(request.user).exists()
        )


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_dataset_urls() -> list[URLPattern]:
    return [
        path("donnees-ouvertes/", datasets_view, name="opendata_datasets"),
        path("donnees-ouvertes/nouveau/", dataset_create_view, name="opendata_dataset_create"),
        path(
            "donnees-ouvertes/<uuid:identifier>/", dataset_edit_view, name="opendata_dataset_edit"
        ),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_datasets_menu_item() -> DatasetsMenuItem:
    return DatasetsMenuItem(
        _("Données ouvertes"),
        reverse("opendata_datasets"),
        name="opendata_datasets",
        icon_name="table",
        order=870,
    )
