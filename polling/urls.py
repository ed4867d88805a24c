"""The public page of "Où voter ?" (namespace ``polling``), included by civis/urls.py; its
data is in the API (polling/api.py)."""

from django.urls import URLPattern, URLResolver, path

from polling import views

app_name = "polling"

urlpatterns: list[URLPattern | URLResolver] = [
    path("ou-voter/", views.where_to_vote, name="where_to_vote"),
]
