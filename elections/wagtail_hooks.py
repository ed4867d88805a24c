"""The admin's « Élections » section (elections/admin/): its URLs (``elections_admin_*``), its
menu item, shown to whoever counts a commune's bureaux or manages (or may create) an election,
and the home's « Soirée électorale » panel while a round is being counted."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from elections.admin import dashboard, manage, views
from elections.admin.access import may_see_section

ROUND = "elections/<int:pk>/tours/<int:number>/"
RESULT = "elections/resultats/<int:pk>/"


class ElectionsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return may_see_section(request.user)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_election_urls() -> list[URLPattern]:
    return [
        path("elections/", views.elections_view, name="elections_admin_list"),
        path("elections/nouvelle/", manage.election_create_view, name="elections_admin_create"),
        path(ROUND, views.round_view, name="elections_admin_round"),
        path(ROUND + "publier/", views.round_publish_view, name="elections_admin_publish"),
        path(ROUND + "clore/", views.round_finalise_view, name="elections_admin_finalise"),
        path(ROUND + "candidats/", manage.candidates_view, name="elections_admin_candidates"),
        path(ROUND + "bureaux-attendus/", manage.expect_view, name="elections_admin_expect"),
        path(ROUND + "import/", manage.import_view, name="elections_admin_import"),
        path(RESULT + "saisie/", views.entry_view, name="elections_admin_entry"),
        path(RESULT + "validation/", views.validation_view, name="elections_admin_validation"),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_elections_menu_item() -> ElectionsMenuItem:
    return ElectionsMenuItem(
        _("Élections"),
        reverse("elections_admin_list"),
        name="elections",
        icon_name="clipboard-list",
        order=870,
    )


@hooks.register("construct_homepage_panels")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def election_night_panel(request: HttpRequest, panels: list[Component]) -> None:
    panels.extend(dashboard.panels_for(request))
