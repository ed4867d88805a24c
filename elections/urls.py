"""The public election pages (namespace ``elections``), included at /elections/ by
civis/urls.py. The JSON, CSV and GeoJSON are the API's (elections/api.py)."""

from django.urls import URLPattern, URLResolver, path

from elections import views

app_name = "elections"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.election_list, name="list"),
    path("<slug:slug>/", views.election_detail, name="detail"),
    path("<slug:slug>/tour-<int:number>/", views.round_page, name="round"),
    path("<slug:slug>/tour-<int:number>/bureau/<str:code>/", views.bureau_page, name="bureau"),
    path("<slug:slug>/tour-<int:number>/widget/<str:kind>/", views.widget, name="widget"),
]
