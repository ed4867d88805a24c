"""The OIDC provider registry in the Wagtail admin: superusers, and territory administrators
for the providers of the authorities strictly below theirs. Saving goes through
services.oidc_provider_save; the client secret is write-only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import ScopedPermissionPolicy, ServiceFormMixin
from core.http import client_ip
from identity import services
from identity.models import OIDCProvider, User
from identity.selectors import authorities_with_providers_managed_by
from identity.services.providers import PROVIDER_FIELDS


def _manages_providers(user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or authorities_with_providers_managed_by(user).exists())
    )


class ProviderPermissionPolicy(ScopedPermissionPolicy):
    def may_use(self, user: User | AnonymousUser) -> bool:
        return _manages_providers(user)

    def scoped_instances(self, user: User | AnonymousUser, action: str) -> QuerySet[OIDCProvider]:
        if not _manages_providers(user):
            return OIDCProvider.objects.none()
        if user.is_superuser:
            return OIDCProvider.objects.all()
        # Strictly below their territory: the provider of their own authority is not theirs.
        return OIDCProvider.objects.filter(
            authority__in=authorities_with_providers_managed_by(user)
        )


class ProviderForm(WagtailAdminModelForm):
    # Write-only: the secret is never rendered back (not even masked); left empty on an
    # edit, the current one is kept.
    client_secret = forms.CharField(
        label=_("secret du client"),
        required=False,
        strip=True,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = OIDCProvider
        # The service's fields, with the write-only secret after the client id.
        fields = [
            name.removesuffix("_id") if name == "authority_id" else name for name in PROVIDER_FIELDS
        ]
        fields.insert(fields.index("client_id") + 1, "client_secret")

    def __init__(
        self, *args: Any, for_user: User | AnonymousUser | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        self.initial.pop("client_secret", None)
        self.has_secret = bool(self.instance.pk and self.instance.client_secret)
        field = self.fields["client_secret"]
        if self.has_secret:
            field.help_text = _(
                "Secret actuel : défini. Laissez vide pour le garder, ou saisissez le nouveau."
            )
        else:
            field.help_text = _("Secret actuel : non défini.")
            field.required = True
        if for_user is not None and not for_user.is_superuser:
            self.fields["authority"].queryset = authorities_with_providers_managed_by(for_user)

    def clean_client_secret(self) -> str:
        value = self.cleaned_data.get("client_secret") or ""
        return value or (self.instance.client_secret if self.has_secret else "")


def providers_managed_by(user: User | AnonymousUser) -> QuerySet[OIDCProvider]:
    return ProviderPermissionPolicy(OIDCProvider).scoped_instances(user, "change")


class _ServiceSave(ServiceFormMixin):
    # Provided by Wagtail's generic create/edit views.
    request: HttpRequest
    form: ProviderForm  # get_form_class() below

    def save_instance(self) -> OIDCProvider:
        return services.oidc_provider_save(
            actor=cast(User, self.request.user),  # the Wagtail admin requires a signed-in user
            provider=self.form.save(commit=False),
            ip_address=client_ip(self.request),
        )


class ProviderIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[OIDCProvider]:
        return providers_managed_by(self.request.user).select_related("authority")


class ProviderCreateView(_ServiceSave, generic.CreateView):
    pass


class ProviderEditView(_ServiceSave, generic.EditView):
    def get_base_object_queryset(self) -> QuerySet[OIDCProvider]:
        return providers_managed_by(self.request.user)


def _managed_only(pattern: URLPattern) -> URLPattern:
    """``pattern``'s view, answering 404 unless its ``pk`` is a provider the requester
    manages, before the view runs (history, usage, delete and any view a later Wagtail adds)."""
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not providers_managed_by(request.user).filter(pk=kwargs["pk"]).exists():
            raise Http404
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)


class OIDCProviderViewSet(ModelViewSet):
    model = OIDCProvider
    form_fields = ProviderForm.Meta.fields
    icon = "key"
    menu_label = _("Fournisseurs d'identité")
    menu_order = 860
    add_to_admin_menu = True
    index_view_class = ProviderIndexView
    add_view_class = ProviderCreateView
    edit_view_class = ProviderEditView
    list_display = ["name", "kind", "issuer", "authority", "enabled"]
    inspect_view_enabled = False
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type[ProviderForm]:
        return ProviderForm

    def get_urlpatterns(self) -> list[URLPattern]:
        return [
            _managed_only(p) if "pk" in getattr(p.pattern, "converters", {}) else p
            for p in super().get_urlpatterns()
        ]
