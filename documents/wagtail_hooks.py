from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from documents.admin.audit_log import audit_log_view
from documents.admin.person import person_document_sections
from documents.admin.views import DocumentPermissionPolicy, DocumentViewSet
from documents.models import Document
from identity.admin.rights import PERSON_RIGHTS_SECTIONS_HOOK
from identity.selectors import principals_of

register_permission_policy(Document, DocumentPermissionPolicy(Document))


@hooks.register("register_admin_viewset")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_document_viewset() -> DocumentViewSet:
    return DocumentViewSet("civis_documents", url_prefix="publications")


@hooks.register("construct_main_menu")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def hide_wagtail_documents(request: HttpRequest, menu_items: list[MenuItem]) -> None:
    # Wagtail's own document library would be a second store with its own serving path.
    menu_items[:] = [item for item in menu_items if item.name != "documents"]


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        principals = principals_of(request.user)
        return principals.superuser or bool(principals.admin_of)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_audit_log_url() -> list[URLPattern]:
    return [path("journal/", audit_log_view, name="civis_audit_log")]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_audit_log_menu_item() -> AdministratorsMenuItem:
    return AdministratorsMenuItem(
        _("Journal d'audit"), reverse("civis_audit_log"), icon_name="list-ul", order=900
    )


# The person-rights page (identity) lists what a person reads through documents.
hooks.register(PERSON_RIGHTS_SECTIONS_HOOK, person_document_sections)
