"""The one JSON API of the portal: /api/v1/, described at /api/v1/openapi.json, interactive
documentation at /api/v1/docs. Each app brings a router (``<app>/api.py``); the shared
plumbing — errors, pagination, parameters, throttling — is core/api.py. A new API (online
procedures, open data, elections) is one more ``api.add_router`` line here.

No API key: a caller is anonymous or signed in by the portal's session, and reads only what
documents.selectors lets them read.
"""

from __future__ import annotations

from ninja import NinjaAPI

from civis.portal.api import router as portal_router
from core.api import CivisJSONRenderer, api_throttles, install_error_handlers
from documents.api import router as documents_router
from elections.api import router as elections_router
from opendata.api import router as opendata_router
from polling.api import router as polling_router
from procedures.api import router as procedures_router
from search.api import router as search_router

api = NinjaAPI(
    title="Civis Data API",
    version="v1",
    description=(
        "Les documents publiés par les collectivités du territoire, leur recherche, et leurs "
        "jeux de données ouverts (`/datasets/`, lecture publique ouverte à toutes les origines). "
        "Chaque appel ne voit que ce que l'appelant peut lire (anonyme, ou connecté au "
        'portail). Les erreurs sont en JSON : `{"error": "…", "field": "…"}` — 400 '
        "pour un paramètre invalide, 404 pour un document introuvable ou illisible, 429 "
        "(avec `Retry-After`) au-delà du débit permis."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=CivisJSONRenderer(),
    throttle=api_throttles(),
)
install_error_handlers(api)
api.add_router("/documents/", documents_router)
api.add_router("/search/", search_router)
api.add_router("/communes/", portal_router)
api.add_router("/datasets/", opendata_router)
api.add_router("/procedures/", procedures_router)
api.add_router("/elections/", elections_router)
api.add_router("/polling-station/", polling_router)
