"""JSON API of the portal (a router of civis/api.py): GET /api/v1/communes/?q=… — the communes
of the territory by name, INSEE code or mairie postcode; it feeds the "Trouver ma collectivité"
combobox (civis/static/civis/commune-finder.js)."""

# No `from __future__ import annotations`: django-ninja reads the views' annotations at
# import time.

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from civis.portal.selectors import MAX_SUGGESTIONS, commune_search
from core.api import error_responses

router = Router(tags=["Collectivités"])


class CommuneParams(Schema):
    q: str = Field(
        "",
        description="Début du nom, code INSEE ou code postal de la mairie.",
        max_length=100,
    )


class CommuneOut(Schema):
    name: str
    insee_code: str
    postal_code: str = Field(description="Code postal de la mairie, vide s'il n'est pas connu.")
    url: str = Field(description="Adresse de la page de la commune sur le portail.")


@router.get(
    "/",
    response={200: list[CommuneOut], **error_responses(400)},
    url_name="communes",
    summary="Trouver une commune du territoire",
)
def communes(request: HttpRequest, params: Query[CommuneParams]) -> list[CommuneOut]:
    """Dix communes au plus, celles dont le nom commence par les mots saisis d'abord."""
    return [
        CommuneOut(name=m.name, insee_code=m.insee_code, postal_code=m.postal_code, url=m.url)
        for m in commune_search(params.q, request=request, limit=MAX_SUGGESTIONS)
    ]
