"""The admin's « Où voter ? » section (polling/admin/): its URLs (``polling_admin_*``) and its
menu item, shown to whoever manages a commune's polling data (``communes_managed_by``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from polling.admin import views
from polling.admin.views import may_see_section

COMMUNE = "ou-voter/<str:insee>/"
RULE = "ou-voter/regles/<int:pk>/"


class PollingMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return may_see_section(request.user)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_polling_urls() -> list[URLPattern]:
    return [
        path("ou-voter/", views.communes_view, name="polling_admin_communes"),
        # Before the commune's route, which would otherwise read "regles" as an INSEE code.
        path(RULE, views.rule_edit_view, name="polling_admin_rule_edit"),
        path(RULE + "supprimer/", views.rule_delete_view, name="polling_admin_rule_delete"),
        path(COMMUNE, views.commune_view, name="polling_admin_commune"),
        path(COMMUNE + "regles/", views.rule_create_view, name="polling_admin_rule_create"),
        path(
            COMMUNE + "regles/import/", views.rules_import_view, name="polling_admin_rules_import"
        ),
        path(
            COMMUNE + "adresses/import/",
            views.assignment_import_view,
            name="polling_admin_assignment_import",
        ),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_polling_menu_item() -> PollingMenuItem:
    return PollingMenuItem(
        _("Où voter ?"),
        reverse("polling_admin_communes"),
        name="polling",
        icon_name="site",
        order=875,
    )
