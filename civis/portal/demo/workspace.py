"""The agents' workspace in the demo: Mérignac asks for review before publication, and holds a
document in each state of the publishing flow, so that each demo account's admin home has
something to show (a draft and a submission by agent-merignac, a publication scheduled a few
days ahead, a temporary arrêté with an end of display).

Everything goes through documents.services with the demo accounts as actors, like agents in the
admin. Created once: a second run finds the documents and does nothing."""

from __future__ import annotations

import datetime
import io
import random

from django.utils import timezone

from civis.portal.demo.filegen import french_paragraphs, make_pdf
from documents import services
from documents.models import Document, DocumentType
from documents.services.policy import publishing_policy_set
from identity.models import Authority, User

MERIGNAC_INSEE = "33281"
AGENT = "agent-merignac"
PUBLISHER = "editeur-merignac"

DRAFT = "Projet de règlement des jardins partagés de Mérignac"
SUBMITTED = "Délibération — tarifs de la restauration scolaire 2027 (projet)"
SCHEDULED = "Programme des animations de Noël 2026 à Mérignac"
TEMPORARY = "Arrêté temporaire — travaux avenue de la Libération"
TITLES = (DRAFT, SUBMITTED, SCHEDULED, TEMPORARY)


def _upload(rng: random.Random, title: str, topic: str) -> services.Upload:
    return services.Upload(
        io.BytesIO(make_pdf(title, french_paragraphs(rng, 3, topic))), "document.pdf"
    )


def load_workspace_documents(*, now: datetime.datetime | None = None) -> int:
    """Mérignac's review policy and its documents in each state. Returns how many documents
    were created (0 when already there, or when the demo accounts are missing)."""
    merignac = Authority.objects.filter(kind="commune", insee_code=MERIGNAC_INSEE).first()
    agent = User.objects.filter(username=AGENT).first()
    publisher = User.objects.filter(username=PUBLISHER).first()
    if merignac is None or agent is None or publisher is None:
        return 0
    # The agents prepare drafts and submit them; a publisher of Mérignac approves.
    publishing_policy_set(actor=None, authority=merignac, review_required=True)
    if Document.objects.filter(owner=merignac, title__in=TITLES).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(1033)  # noqa: S311 - reproducible demo data, not security
    today = timezone.localdate(now)

    services.document_create(
        actor=agent,
        owner=merignac,
        title=DRAFT,
        document_type=DocumentType.AUTRE,
        summary="Règles d'usage des parcelles, inscriptions et entretien.",
        tags=["environnement"],
        upload=_upload(rng, DRAFT, "environnement"),
    )

    submitted = services.document_create(
        actor=agent,
        owner=merignac,
        title=SUBMITTED,
        document_type=DocumentType.DELIBERATION,
        summary="Projet de délibération fixant les tarifs de la restauration scolaire.",
        tags=["écoles"],
        upload=_upload(rng, SUBMITTED, "écoles"),
    )
    services.document_submit(
        actor=agent,
        document=submitted,
        comment="Tarifs validés en commission ; à publier après le conseil.",
    )

    scheduled = services.document_create(
        actor=publisher,
        owner=merignac,
        title=SCHEDULED,
        document_type=DocumentType.AUTRE,
        summary="Marché de Noël, spectacles et illuminations dans les quartiers.",
        tags=["culture"],
        upload=_upload(rng, SCHEDULED, "culture"),
    )
    # A few days ahead, at 9:00 in Mérignac: not public until then.
    go_live = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=4), datetime.time(9, 0)),
        timezone.get_default_timezone(),
    )
    services.document_schedule(actor=publisher, document=scheduled, go_live_at=go_live)

    temporary = services.document_create(
        actor=publisher,
        owner=merignac,
        title=TEMPORARY,
        document_type=DocumentType.ARRETE,
        summary="Circulation alternée pendant les travaux de réseau.",
        tags=["voirie"],
        published_on=today,
        publish=True,
        upload=_upload(rng, TEMPORARY, "voirie"),
    )
    # Withdrawn by itself at the end of the works.
    services.document_edit(
        actor=publisher,
        document=temporary,
        expire_at=timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=30), datetime.time(18, 0)),
            timezone.get_default_timezone(),
        ),
    )
    return len(TITLES)
