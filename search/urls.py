"""Search routes, included at the root by civis/urls.py."""

from django.urls import path

from search import views

urlpatterns = [
    path("recherche/", views.search_page, name="search"),
    path("api/v1/search/", views.search_api, name="api_search"),
]
