"""The access-rights administration and the OIDC provider registry in the Wagtail admin."""

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from identity.admin import certification as certification_views
from identity.admin import contact as contact_views
from identity.admin import rights as admin_views
from identity.admin.providers import OIDCProviderViewSet, ProviderPermissionPolicy
from identity.models import OIDCProvider
from identity.selectors import authorities_identity_editable_by, authorities_managed_by

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


class AuthorityContactMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return authorities_identity_editable_by(request.user).exists()


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_authority_contact_urls() -> list[URLPattern]:
    return [
        path("identite/", contact_views.contact_index, name="civis_authority_contact_index"),
        path("identite/<int:pk>/", contact_views.contact_edit, name="civis_authority_contact"),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_authority_contact_menu_item() -> AuthorityContactMenuItem:
    return AuthorityContactMenuItem(
        _("Identité de la collectivité"),
        reverse("civis_authority_contact_index"),
        icon_name="site",
        order=840,
    )


class CertificationMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_certification_urls() -> list[URLPattern]:
    return [
        path("certification/", certification_views.certification_index, name="civis_certification"),
        path(
            "certification/<int:pk>/",
            certification_views.certification_set,
            name="civis_certification_set",
        ),
    ]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_certification_menu_item() -> CertificationMenuItem:
    return CertificationMenuItem(
        _("Service public certifié"),
        reverse("civis_certification"),
        icon_name="tick-inverse",
        order=860,
    )
