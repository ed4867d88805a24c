from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import (
    DismissibleMenuItem,
    MenuItem,
    SubmenuMenuItem,
    help_menu,
)
from wagtail.admin.search import SearchArea
from wagtail.admin.site_summary import PagesSummaryItem, SummaryItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.home import (
    LockedPagesPanel,
    RecentEditsPanel,
    UserObjectsInWorkflowModerationPanel,
    WorkflowObjectsToModeratePanel,
)
from wagtail.documents.wagtail_hooks import DocsSearchArea as WagtailDocsSearchArea
from wagtail.documents.wagtail_hooks import DocumentsMenuItem as WagtailDocumentsMenuItem
from wagtail.documents.wagtail_hooks import DocumentsSummaryItem as WagtailDocumentsSummaryItem
from wagtail.images.wagtail_hooks import ImagesSummaryItem
from wagtail.permissions import register_permission_policy

import documents.admin.bulk  # noqa: F401 (registers the bulk upload's URLs and menu)
from documents.admin import dashboard
from documents.admin.audit_log import audit_log_view
from documents.admin.person import person_document_sections
from documents.admin.views import DocumentPermissionPolicy, DocumentViewSet
from documents.models import Document
from identity.admin.rights import PERSON_RIGHTS_SECTIONS_HOOK
from identity.selectors import principals_of

register_permission_policy(Document, DocumentPermissionPolicy(Document))

# The construct_* hooks below filter what Wagtail's apps registered: they run after them.
LAST = 1000


@hooks.register("register_admin_viewset")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_document_viewset() -> DocumentViewSet:
    return DocumentViewSet("civis_documents", url_prefix="publications")


@hooks.register("construct_main_menu", order=LAST)  # type: ignore[untyped-decorator]  # Wagtail ships no types
def hide_wagtail_documents(request: HttpRequest, menu_items: list[MenuItem]) -> None:
    # Wagtail's own document library would be a second store with its own serving path: its
    # menu item goes by its class (our own "Documents" menu has the same name), and so does
    # Wagtail's help submenu for agents (what's new in Wagtail, its page editors' guide).
    menu_items[:] = [
        item
        for item in menu_items
        if not isinstance(item, WagtailDocumentsMenuItem)
        and not (_is_wagtail_help(item) and not request.user.is_superuser)
    ]


def _is_wagtail_help(item: MenuItem) -> bool:
    return isinstance(item, SubmenuMenuItem) and item.menu is help_menu


@hooks.register("construct_help_menu", order=LAST)  # type: ignore[untyped-decorator]  # Wagtail ships no types
def keep_shortcuts_only(request: HttpRequest, menu_items: list[MenuItem]) -> None:
    # Links to Wagtail's release notes and page editors' guide: nothing an agent needs.
    if not request.user.is_superuser:
        menu_items[:] = [item for item in menu_items if not isinstance(item, DismissibleMenuItem)]


@hooks.register("construct_search", order=LAST)  # type: ignore[untyped-decorator]  # Wagtail ships no types
def hide_wagtail_documents_search(request: HttpRequest, areas: list[SearchArea]) -> None:
    areas[:] = [area for area in areas if not isinstance(area, WagtailDocsSearchArea)]


@hooks.register("construct_homepage_summary_items", order=LAST)  # type: ignore[untyped-decorator]  # Wagtail ships no types
def hide_wagtail_summary(request: HttpRequest, items: list[SummaryItem]) -> None:
    # Counts of Wagtail's pages, images and document library: the portal's pages are generated
    # from the territory, and the other two stores are not used. Superusers keep the pages'.
    hidden: tuple[type[SummaryItem], ...] = (WagtailDocumentsSummaryItem,)
    if not request.user.is_superuser:
        hidden += (PagesSummaryItem, ImagesSummaryItem)
    items[:] = [item for item in items if not isinstance(item, hidden)]


WAGTAIL_PANELS = (
    WorkflowObjectsToModeratePanel,
    UserObjectsInWorkflowModerationPanel,
    RecentEditsPanel,
    LockedPagesPanel,
)


@hooks.register("construct_homepage_panels", order=LAST)  # type: ignore[untyped-decorator]  # Wagtail ships no types
def role_panels(request: HttpRequest, panels: list[Component]) -> None:
    # Wagtail's own panels are about its page tree and workflows (pages awaiting review, recent
    # page edits, locked pages): empty or irrelevant to agents. Each role gets its own.
    if not request.user.is_superuser:
        panels[:] = [panel for panel in panels if not isinstance(panel, WAGTAIL_PANELS)]
    panels.extend(dashboard.panels_for(request))


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        principals = principals_of(request.user)
        return principals.superuser or bool(principals.admin_of)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_audit_log_url() -> list[URLPattern]:
    return [path("journal/", audit_log_view, name="civis_audit_log")]


# Review before publication, per authority, set by its administrators (documents/admin/views.py).
@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_publishing_policy_url() -> list[URLPattern]:
    from documents.admin.views import publishing_policy_view

    return [path("regles-de-publication/", publishing_policy_view, name="civis_publishing_policy")]


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_publishing_policy_menu_item() -> AdministratorsMenuItem:
    return AdministratorsMenuItem(
        _("Règles de publication"),
        reverse("civis_publishing_policy"),
        icon_name="tasks",
        order=910,
    )


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_audit_log_menu_item() -> AdministratorsMenuItem:
    return AdministratorsMenuItem(
        _("Journal d'audit"), reverse("civis_audit_log"), icon_name="list-ul", order=900
    )


# The person-rights page (identity) lists what a person reads through documents.
hooks.register(PERSON_RIGHTS_SECTIONS_HOOK, person_document_sections)
