"""Published procedures as places of the search (search cannot import procedures: it sits
below; procedures registers this source at start-up, see procedures/apps.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from procedures.models import ProcedureStatus
from procedures.selectors import procedures_visible_to
from search.french import STOP_WORDS, analyse
from search.places import Actor, Place, name_words


def procedure_places(user: Actor, text: str, limit: int) -> Iterable[Place]:
    """The published procedures ``user`` may see whose title (and authority) hold every
    meaningful word typed."""
    wanted = set(analyse(" ".join(w for w in name_words(text) if w not in STOP_WORDS)))
    if not wanted:
        return []
    visible = (
        procedures_visible_to(user)
        .filter(status=ProcedureStatus.PUBLISHED, current_revision__isnull=False)
        .select_related("owner")
        .order_by("title", "pk")
    )
    typed = " ".join(name_words(text))
    found = []
    for procedure in visible:
        title = " ".join(name_words(procedure.title))
        if wanted <= set(analyse(f"{title} {procedure.owner.name}")):
            found.append(
                Place(
                    kind="procedure",
                    label=procedure.title,
                    url=reverse("procedures:detail", args=[procedure.slug]),
                    description=f"Démarche en ligne · {procedure.owner.name}",
                    rank=0 if title == typed else 3,
                )
            )
    return found[:limit]
