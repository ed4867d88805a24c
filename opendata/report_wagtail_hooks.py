"""The admin's "Signalements" section (opendata/admin/reports.py): its URLs and menu item,
shown to those who publish for an authority (they handle its reports). Imported by
opendata/wagtail_hooks.py, the module Wagtail discovers."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from documents.selectors import authorities_publishable_by
from opendata.admin.reports import report_handle_view, reports_list_view


class ReportsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return (
            bool(request.user.is_authenticated)
            and authorities_publishable_by(request.user).exists()
        )


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_report_urls() -> list[URLPattern]:
    return [
        path("signalements/", reports_list_view, name="opendata_reports"),
        path("signalements/<int:report_id>/", report_handle_view, name="opendata_report"),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_reports_menu_item() -> ReportsMenuItem:
    return ReportsMenuItem(
        _("Signalements"), reverse("opendata_reports"), icon_name="warning", order=880
    )
