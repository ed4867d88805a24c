"""Sign-in and sign-out for the portal: local accounts and LDAP directories through the form,
OIDC providers through their buttons (or routed by the agent's e-mail domain)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity import services
from identity.models import OIDCProvider, User
from identity.oidc_views import provider_logout_url


def login_errors(form: Any) -> list[tuple[str, str, str]]:
    """(field id, field label, message) for the error summary of the sign-in form. A refused
    pair names the password (the field a person retypes) and never says which one was wrong."""
    if not form.is_bound or not form.errors:
        return []
    labels = {"username": _("Identifiant"), "password": _("Mot de passe")}
    errors = [
        (f"id_{name}", str(labels[name]), str(message))
        for name in ("username", "password")
        for message in form.errors.get(name, [])
    ]
    if form.non_field_errors() and not errors:
        errors.append(
            (
                "id_password",
                str(labels["password"]),
                _("l'identifiant ou le mot de passe est incorrect. Vérifiez-les et réessayez."),
            )
        )
    return errors


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Django's LoginView puts the *request's host* in site_name (no django.contrib.sites):
        # that was the "127.0.0.1:18104" in the title and header. The portal's name instead.
        context["site_name"] = settings.WAGTAIL_SITE_NAME
        context["error_summary"] = login_errors(context["form"])
        providers = OIDCProvider.objects.filter(enabled=True).select_related("authority")
        context["agent_providers"] = [p for p in providers if p.kind == User.Kind.AGENT]
        context["citizen_providers"] = [p for p in providers if p.kind == User.Kind.CITIZEN]
        return context


@require_POST
def agent_route(request: HttpRequest) -> HttpResponse:
    """Send an agent to the provider of their authority, chosen or found by e-mail domain."""
    slug = request.POST.get("provider", "")
    email = request.POST.get("email", "").strip()
    provider = None
    if slug:
        provider = OIDCProvider.objects.filter(
            slug=slug, enabled=True, kind=User.Kind.AGENT
        ).first()
    elif "@" in email:
        domain = email.rsplit("@", 1)[1].lower()
        provider = next(
            (
                p
                for p in OIDCProvider.objects.filter(enabled=True, kind=User.Kind.AGENT)
                if domain in p.domains()
            ),
            None,
        )
    if provider is None:
        messages.error(
            request,
            _(
                "Aucun fournisseur d'identité ne correspond. Choisissez "
                "votre collectivité dans la liste."
            ),
        )
        return HttpResponseRedirect(reverse("login"))
    url = reverse("oidc_start", args=[provider.slug])
    return HttpResponseRedirect(f"{url}?{urlencode({'login_hint': email})}" if email else url)


class LogoutView(auth_views.LogoutView):
    next_page = "/"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Read before the session is flushed: it holds the provider and the ID token hint.
        provider_url = provider_logout_url(request)
        if request.session.session_key:
            services.federated_session_forget(session_key=request.session.session_key)
        response = super().post(request, *args, **kwargs)
        # After the flush: the message lives in the (new, anonymous) message storage.
        messages.success(request, _("Vous êtes déconnecté. À bientôt !"))
        return HttpResponseRedirect(provider_url) if provider_url else response
