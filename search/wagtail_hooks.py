"""The admin's « Synonymes de la recherche » section (search/admin/): its URLs
(``search_admin_synonyms*``) and its menu item, shown to whoever may change the list
(``search.synonyms.may_edit_synonyms``: publishers and superusers)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from search.admin import views
from search.synonyms import may_edit_synonyms

SYNONYM = "recherche/synonymes/<int:pk>/"


class SynonymsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return may_edit_synonyms(request.user)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_synonym_urls() -> list[URLPattern]:
    return [
        path("recherche/synonymes/", views.synonyms_view, name="search_admin_synonyms"),
        path(
            "recherche/synonymes/ajouter/",
            views.synonym_create_view,
            name="search_admin_synonyms_create",
        ),
        path(SYNONYM, views.synonym_edit_view, name="search_admin_synonyms_edit"),
        path(
            SYNONYM + "supprimer/", views.synonym_delete_view, name="search_admin_synonyms_delete"
        ),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_synonyms_menu_item() -> SynonymsMenuItem:
    return SynonymsMenuItem(
        _("Synonymes de la recherche"),
        reverse("search_admin_synonyms"),
        name="search-synonyms",
        icon_name="search",
        order=880,
    )
