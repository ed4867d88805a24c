"""Plain pages of the portal: the accessibility declaration and plan, the commune finder."""

from django.urls import path

from civis.portal import views

urlpatterns = [
    path(
        "accessibilite/",
        views.accessibility_declaration,
        name="accessibility_declaration",
    ),
    path(
        "accessibilite/schema-pluriannuel/",
        views.accessibility_plan,
        name="accessibility_plan",
    ),
    path("trouver-ma-collectivite/", views.commune_finder, name="commune_finder"),
]
