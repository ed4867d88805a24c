"""The search page, included at the root by civis/urls.py (the JSON API is search/api.py,
mounted on civis/api.py)."""

from django.urls import path

from search import views

urlpatterns = [
    path("recherche/", views.search_page, name="search"),
]
