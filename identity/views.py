"""Sign-in and sign-out for the portal (local accounts; federated providers plug in here)."""

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "/"
