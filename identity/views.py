"""Sign-in and sign-out for the portal: local accounts and LDAP directories through the form,
OIDC providers through their buttons (or routed by the agent's e-mail domain)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity import services
from identity.models import OIDCProvider, User
from identity.oidc_views import provider_logout_url


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
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
        return HttpResponseRedirect(provider_url) if provider_url else response
