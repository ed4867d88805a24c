"""The citizen's URLs of online procedures (namespace ``procedures``), included at the root by
civis/urls.py: the catalogue and procedure pages under /demarches/, the person's requests and
"Mes données" under /mon-espace/. Views: procedures/views.py."""

from django.urls import URLPattern, URLResolver, path

from procedures import views

app_name = "procedures"

urlpatterns: list[URLPattern | URLResolver] = [
    path("demarches/", views.catalogue, name="catalogue"),
    # Before <slug>/: "verifier" is not a procedure.
    path("demarches/verifier/", views.verify, name="verify"),
    path("demarches/<slug:slug>/", views.detail, name="detail"),
    path("demarches/<slug:slug>/commencer/", views.start, name="start"),
    path("mon-espace/demarches/", views.my_requests, name="my_requests"),
    path("mon-espace/demarches/<uuid:uuid>/", views.request_page, name="request"),
    path("mon-espace/demarches/<uuid:uuid>/enregistrer/", views.autosave, name="autosave"),
    path(
        "mon-espace/demarches/<uuid:uuid>/pieces/<int:pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path("mon-espace/demarches/<uuid:uuid>/recapitulatif/", views.summary, name="summary"),
    path("mon-espace/demarches/<uuid:uuid>/messages/", views.message, name="message"),
    path("mon-espace/mes-donnees/", views.my_data, name="my_data"),
    path("mon-espace/mes-donnees/telecharger/", views.my_data_download, name="my_data_download"),
    path(
        "mon-espace/mes-donnees/supprimer-mon-compte/", views.account_delete, name="account_delete"
    ),
]
