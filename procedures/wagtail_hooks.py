"""The admin's "Démarches" section (procedures/admin/): its URLs (``procedures_admin_*``)
and its menu item, shown to those who edit or instruct a procedure."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from procedures.admin import instruct, views


class ProceduresMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return views.may_see_section(request.user)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_procedure_urls() -> list[URLPattern]:
    return [
        path("demarches/", views.procedures_view, name="procedures_admin_list"),
        path("demarches/nouvelle/", views.procedure_create_view, name="procedures_admin_create"),
        path("demarches/<int:pk>/", views.procedure_edit_view, name="procedures_admin_edit"),
        path("demarches/<int:pk>/formulaire/", views.builder_view, name="procedures_admin_builder"),
        path("demarches/<int:pk>/apercu/", views.preview_view, name="procedures_admin_preview"),
        path(
            "demarches/<int:pk>/instructeurs/",
            views.instructors_view,
            name="procedures_admin_instructors",
        ),
        path("demarches/<int:pk>/jetons/", views.tokens_view, name="procedures_admin_tokens"),
        path(
            "demarches/<int:pk>/webhook/",
            views.deliveries_view,
            name="procedures_admin_deliveries",
        ),
        path("demarches/<int:pk>/dossiers/", instruct.queue_view, name="procedures_admin_queue"),
        path(
            "demarches/<int:pk>/dossiers/export.csv",
            instruct.export_csv_view,
            name="procedures_admin_export_csv",
        ),
        path(
            "demarches/<int:pk>/dossiers/pieces.zip",
            instruct.export_zip_view,
            name="procedures_admin_export_zip",
        ),
        path(
            "demarches/dossiers/<uuid:request_uuid>/",
            instruct.request_view,
            name="procedures_admin_request",
        ),
        path(
            "demarches/dossiers/<uuid:request_uuid>/pieces/<int:pk>/",
            instruct.attachment_view,
            name="procedures_admin_attachment",
        ),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_procedures_menu_item() -> ProceduresMenuItem:
    return ProceduresMenuItem(
        _("Démarches"),
        reverse("procedures_admin_list"),
        name="procedures",
        icon_name="form",
        order=860,
    )
