"""The access-rights administration and the OIDC provider registry in the Wagtail admin."""

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from identity.admin import rights as admin_views
from identity.admin.providers import OIDCProviderViewSet, ProviderPermissionPolicy
from identity.models import OIDCProvider
from identity.selectors import authorities_managed_by

register_permission_policy(OIDCProvider, ProviderPermissionPolicy(OIDCProvider))


class RightsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return authorities_managed_by(request.user).exists()


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_rights_urls() -> list[URLPattern]:
    return [
        path("droits/", admin_views.rights_index, name="civis_rights"),
        path(
            "droits/collectivite/<int:pk>/",
            admin_views.authority_rights,
            name="civis_rights_authority",
        ),
        path(
            "droits/role/<int:pk>/retirer/",
            admin_views.membership_revoke,
            name="civis_rights_revoke",
        ),
        path("droits/personne/<int:pk>/", admin_views.person_rights, name="civis_rights_person"),
        path("droits/groupes/", admin_views.group_index, name="civis_rights_groups"),
        path("droits/groupes/<int:pk>/", admin_views.group_detail, name="civis_rights_group"),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_rights_menu_item() -> RightsMenuItem:
    return RightsMenuItem(_("Droits d'accès"), reverse("civis_rights"), icon_name="key", order=850)


@hooks.register("register_admin_viewset")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_provider_viewset() -> OIDCProviderViewSet:
    return OIDCProviderViewSet("civis_oidc_providers", url_prefix="fournisseurs-identite")
