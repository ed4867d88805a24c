"""Sign-in routes of the portal (local accounts; federated OIDC and LDAP plug in here)."""

from django.urls import path

from identity import views

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
]
