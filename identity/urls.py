"""Sign-in routes of the portal: local and LDAP accounts, and OIDC providers."""

from django.urls import path

from identity import oidc_views, views

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("connexion/agent/", views.agent_route, name="agent_route"),
    path("connexion/oidc/retour/", oidc_views.OIDCCallbackView.as_view(), name="oidc_callback"),
    path("connexion/oidc/<slug:slug>/", oidc_views.OIDCStartView.as_view(), name="oidc_start"),
    path(
        "connexion/oidc/<slug:slug>/deconnexion-backchannel/",
        oidc_views.backchannel_logout,
        name="oidc_backchannel_logout",
    ),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
]
