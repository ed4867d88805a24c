from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap as PageSitemap

from civis import health
from civis.api import api
from civis.portal import views as portal_views
from documents import views as documents_views
from documents.feeds import DocumentSitemap, LatestDocumentsFeed

sitemaps = {"pages": PageSitemap, "documents": DocumentSitemap}

urlpatterns = [
    path("healthz", portal_views.healthz, name="healthz"),
    path("sante/", health.sante, name="sante"),
    # Before Wagtail's admin: tag suggestions from readable documents only (same paths).
    path("admin/", include("documents.admin.tags")),
    path("admin/", include(wagtailadmin_urls)),
    path("", include("search.urls")),
    path("", include("identity.urls")),
    path("", include("civis.portal.urls")),
    path("", include("opendata.urls")),
    # Online procedures: /demarches/… and /mon-espace/demarches/…, /mon-espace/mes-donnees/.
    path("", include("procedures.urls")),
    # Election results: /elections/… (pages, map, widgets); their data is in the API.
    path("elections/", include("elections.urls")),
    # "Où voter ?": /ou-voter/ (the page); its answers and downloads are in the API.
    path("", include("polling.urls")),
    path("mon-espace/", portal_views.citizen_space, name="citizen_space"),
    path("documents/flux/", LatestDocumentsFeed(), name="documents_feed"),
    path("documents/<int:document_id>/", documents_views.document_detail, name="document_detail"),
    path(
        "documents/<int:document_id>/telecharger",
        documents_views.document_download,
        name="document_download",
    ),
    # The JSON API (documents, search), its OpenAPI description and docs: civis/api.py.
    path("api/v1/", api.urls),
    path(
        "sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": sitemaps},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # The language switch needs no CSRF token: switching someone's language is harmless, and
    # a token in every page's footer would make every page that visitor's own (never kept by
    # the anonymous page cache, core/pagecache.py).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]

# Wagtail's page tree answers everything else; keep it last.
urlpatterns += [path("", include(wagtail_urls))]

# Error pages in the portal's layout (debug off); templates in civis/templates/.
handler400 = "civis.portal.views.bad_request"
handler403 = "civis.portal.views.permission_denied"
handler404 = "civis.portal.views.page_not_found"
handler500 = "civis.portal.views.server_error"
