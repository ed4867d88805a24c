"""The public page "Où voter ?" (``/ou-voter/``): a commune field and an address field, and
the answer from ``polling.selectors.polling_station_for`` — the same as the API's.

A GET form (the answer can be bookmarked and shared); nothing typed is stored. The commune is
required and never guessed: a name or postcode shared by several communes shows the choice.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from elections.map import render_station_map
from polling.api import downloads
from polling.selectors import (
    OFFICIAL_SERVICE_URL,
    commune_stations,
    communes_with_data,
    find_communes,
    polling_station_for,
)

MAX_FIELD = 200


@require_safe
def where_to_vote(request: HttpRequest) -> HttpResponse:
    commune_text = " ".join(request.GET.get("commune", "").split())[:MAX_FIELD]
    address = " ".join(request.GET.get("adresse", "").split())[:MAX_FIELD]
    context: dict[str, Any] = {
        "commune_text": commune_text,
        "address": address,
        "communes_with_data": list(communes_with_data()[:200]),
        "official_service": OFFICIAL_SERVICE_URL,
        "errors": {},
    }
    status = 200
    if "commune" not in request.GET and "adresse" not in request.GET:
        return render(request, "polling/where_to_vote.html", context)
    communes = find_communes(commune_text) if commune_text else []
    if not commune_text:
        context["errors"]["commune"] = _(
            "Indiquez votre commune (son nom ou son code postal) : nous ne cherchons une "
            "adresse que dans la commune choisie."
        )
    elif not communes:
        context["errors"]["commune"] = _(
            "Aucune commune ne porte ce nom ou ce code postal : vérifiez l'orthographe."
        )
    elif len(communes) > 1:
        context["choices"] = communes
    if not address:
        context["errors"]["adresse"] = _("Indiquez votre adresse : un numéro et une voie.")
    if context["errors"]:
        status = 400
        labels = {"commune": _("Commune"), "adresse": _("Adresse")}
        context["error_summary"] = [
            (f"id_{name}", labels[name], message) for name, message in context["errors"].items()
        ]
    elif len(communes) == 1:
        commune = communes[0]
        answer = polling_station_for(commune, address)
        context["commune"] = commune
        context["answer"] = answer
        context["downloads"] = downloads(request, answer.reference)
        if answer.bureau is not None and answer.bureau.known:
            on = answer.election_date or timezone.localdate()
            context["map"] = render_station_map(
                commune_stations(commune, on),
                highlight=answer.bureau.number,
                title=_("Le bureau n° %(n)d parmi les bureaux de %(commune)s")
                % {"n": answer.bureau.number, "commune": commune.name},
            )
    response = render(request, "polling/where_to_vote.html", context, status=status)
    # An answer is about someone's address: kept by no shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
