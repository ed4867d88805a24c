"""The OIDC provider registry in the Wagtail admin: superusers, and territory administrators
for their territory's providers. Saving goes through services.oidc_provider_save."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import ScopedPermissionPolicy, ServiceFormMixin
from core.http import client_ip
from identity import services
from identity.models import Membership, OIDCProvider
from identity.selectors import authorities_managed_by


def _is_territory_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or Membership.objects.active()
                .filter(user=user, role=Membership.Role.TERRITORY_ADMIN).exists()))


class ProviderPermissionPolicy(ScopedPermissionPolicy):
    def may_use(self, user) -> bool:
        return _is_territory_admin(user)

    def scoped_instances(self, user, action: str):
        if not _is_territory_admin(user):
            return OIDCProvider.objects.none()
        if user.is_superuser:
            return OIDCProvider.objects.all()
        return OIDCProvider.objects.filter(authority__in=authorities_managed_by(user))


class ProviderForm(WagtailAdminModelForm):
    class Meta:
        model = OIDCProvider
        fields = ["name", "slug", "kind", "enabled", "issuer", "client_id", "client_secret",
                  "scopes", "authority", "authority_claim", "role_claim", "role_mapping",
                  "email_domains", "signing_algorithms", "timeout", "authorization_endpoint",
                  "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"]

    def __init__(self, *args, for_user=None, **kwargs) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and not for_user.is_superuser:
            self.fields["authority"].queryset = authorities_managed_by(for_user)


class _ServiceSave(ServiceFormMixin):
    def save_instance(self) -> OIDCProvider:
        return services.oidc_provider_save(
            actor=self.request.user, provider=self.form.save(commit=False),
            ip_address=client_ip(self.request))


class ProviderCreateView(_ServiceSave, generic.CreateView):
    pass


class ProviderEditView(_ServiceSave, generic.EditView):
    pass


class OIDCProviderViewSet(ModelViewSet):
    model = OIDCProvider
    form_fields = ProviderForm.Meta.fields
    icon = "key"
    menu_label = _("Fournisseurs d'identité")
    menu_order = 860
    add_to_admin_menu = True
    add_view_class = ProviderCreateView
    edit_view_class = ProviderEditView
    list_display = ["name", "kind", "issuer", "authority", "enabled"]
    inspect_view_enabled = False
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False):
        return ProviderForm
