"""The open data URLs (namespace ``opendata``), included at the root by civis/urls.py.

Each block belongs to one module: the catalog (catalog_views), the public dataset pages and the
listing exports (views), the SCDL exports (scdl_views), reports (report_views).
"""

from django.urls import URLPattern, URLResolver, path

app_name = "opendata"

urlpatterns: list[URLPattern | URLResolver] = []

# --- catalog_views: the DCAT-AP catalog, per-dataset RDF ---
from opendata import catalog_views  # noqa: E402

urlpatterns += [
    path("catalog", catalog_views.catalog, name="catalog"),
    path("catalog.ttl", catalog_views.catalog_ttl, name="catalog_ttl"),
    path("catalog.jsonld", catalog_views.catalog_jsonld, name="catalog_jsonld"),
    path("catalog.xml", catalog_views.catalog_xml, name="catalog_xml"),
    path("donnees/<uuid:identifier>.<str:fmt>", catalog_views.dataset_rdf, name="dataset_rdf"),
    # The harvester refuses any 3xx: the same answers with a trailing slash, no redirect.
    path("catalog/", catalog_views.catalog),
    path("catalog.ttl/", catalog_views.catalog_ttl),
    path("catalog.jsonld/", catalog_views.catalog_jsonld),
    path("catalog.xml/", catalog_views.catalog_xml),
    path("donnees/<uuid:identifier>.<str:fmt>/", catalog_views.dataset_rdf),
]
# --- end catalog_views ---

# --- views: dataset list and page, resource download ---
from opendata import views  # noqa: E402

urlpatterns += [
    path("donnees/", views.dataset_list, name="dataset_list"),
    path("donnees/<uuid:identifier>/", views.dataset_detail, name="dataset_detail"),
    path(
        "donnees/<uuid:identifier>/ressources/<int:resource_id>/telecharger",
        views.resource_download,
        name="resource_download",
    ),
]
from opendata import stats_views  # noqa: E402

urlpatterns += [
    path(
        "donnees/<uuid:identifier>/statistiques.csv",
        stats_views.dataset_stats,
        name="dataset_stats",
    ),
]
# --- end views ---

# --- scdl_views: SCDL exports ---
from opendata import scdl_views  # noqa: E402

urlpatterns += [
    path(
        "donnees/scdl/<str:code>/deliberations.csv",
        scdl_views.deliberations,
        name="scdl_deliberations",
    ),
    path("donnees/scdl/<str:code>/catalogue.csv", scdl_views.catalogue, name="scdl_catalogue"),
]
# --- end scdl_views ---

# --- report_views: reports ---
from opendata import report_views  # noqa: E402

urlpatterns += [
    path("signaler/<str:target>/<str:key>/", report_views.report, name="report"),
]
# --- end report_views ---
