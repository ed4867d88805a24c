"""Demo content of the document store: a few hundred realistic documents across the demo
territory, every audience represented, personal documents for the demo citizen, and grants to a
cross-authority group. Everything goes through documents.services, like an agent's upload."""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Callable

from django.contrib.auth.models import Group

from civis.portal.demo.filegen import french_paragraphs, make_csv, make_odt, make_pdf
from civis.portal.demo.workspace import load_workspace_documents
from documents import services
from documents.models import Audience, Document, DocumentType, GrantLevel, Status
from identity.models import Authority, User

COMMISSION = "Commission urbanisme métropolitaine"
TOPICS = [
    "urbanisme",
    "voirie",
    "écoles",
    "budget",
    "environnement",
    "culture",
    "sport",
    "marchés publics",
    "subventions",
    "eau et assainissement",
    "mobilités",
    "logement",
]
STREETS = [
    "avenue de la Libération",
    "rue Jean Jaurès",
    "place de la République",
    "allée des Tilleuls",
    "cours Victor Hugo",
    "rue des Écoles",
    "chemin du Lac",
]


def _title(
    rng: random.Random,
    kind: DocumentType,
    authority: Authority,
    number: int,
    day: datetime.date,
    topic: str,
) -> str:
    council = (
        "conseil communautaire"
        if authority.kind == "epci"
        else (
            "conseil régional"
            if authority.kind == "region"
            else (
                "conseil départemental" if authority.kind == "departement" else "conseil municipal"
            )
        )
    )
    return {
        DocumentType.DELIBERATION: f"Délibération n° {day.year}-{number:03d} — {topic} : "
        f"approbation par le {council}",
        DocumentType.ARRETE: f"Arrêté n° {day.year}-A{number:03d} réglementant la circulation "
        f"{rng.choice(STREETS)}",
        DocumentType.COMPTE_RENDU: f"Compte rendu de la séance du {council} du {day:%d/%m/%Y}",
        DocumentType.PROCES_VERBAL: f"Procès-verbal du {council} du {day:%d/%m/%Y}",
        DocumentType.FORMULAIRE: f"Formulaire de demande — {topic}",
        DocumentType.RAPPORT: f"Rapport annuel {day.year - 1} — {topic}",
        DocumentType.BUDGET: f"Budget primitif {day.year} — {authority.name}",
        DocumentType.DONNEES: f"Données ouvertes — équipements {topic} de {authority.name}",
        DocumentType.AUTRE: f"Note d'information — {topic}",
    }[kind]


def _file(rng: random.Random, kind: DocumentType, title: str, topic: str) -> tuple[bytes, str]:
    if kind == DocumentType.DONNEES:
        rows = [["nom", "adresse", "commune", "capacité"]] + [
            [f"Équipement {i}", rng.choice(STREETS), "", str(rng.randint(20, 900))]
            for i in range(1, rng.randint(5, 30))
        ]
        return make_csv(rows), "donnees.csv"
    paragraphs = french_paragraphs(rng, rng.randint(3, 8), topic)
    if rng.random() < 0.25:
        return make_odt(title, paragraphs), "document.odt"
    return make_pdf(title, paragraphs), "document.pdf"


# (audience, status, weight) of an authority's ordinary publications.
MIX = [
    (Audience.PUBLIC, Status.PUBLISHED, 14),
    (Audience.SIGNED_IN, Status.PUBLISHED, 1),
    (Audience.INTERNAL, Status.PUBLISHED, 3),
    (Audience.SHARED_UP, Status.PUBLISHED, 2),
    (Audience.RESTRICTED, Status.PUBLISHED, 1),
    (Audience.PUBLIC, Status.DRAFT, 1),
    (Audience.PUBLIC, Status.WITHDRAWN, 1),
]
PUBLIC_TYPES = [
    DocumentType.DELIBERATION,
    DocumentType.DELIBERATION,
    DocumentType.ARRETE,
    DocumentType.COMPTE_RENDU,
    DocumentType.PROCES_VERBAL,
    DocumentType.FORMULAIRE,
    DocumentType.RAPPORT,
    DocumentType.BUDGET,
    DocumentType.DONNEES,
]
PERSONAL = [
    ("Attestation de domicile", DocumentType.ATTESTATION),
    ("Certificat d'urbanisme informatif", DocumentType.ATTESTATION),
    ("Avis de stationnement résidentiel", DocumentType.AUTRE),
    ("Attestation d'inscription scolaire", DocumentType.ATTESTATION),
    ("Réponse à votre demande de subvention", DocumentType.AUTRE),
]


def load_demo_documents(
    *,
    citizen: User,
    counts: dict[Authority, int],
    commission_members: list[User],
    seed: int = 2026,
    progress: Callable[[str], None] = lambda _m: None,
) -> int:
    """Create the demo documents once, then the agents' workspace (civis.portal.demo.workspace).
    Returns how many were created (0 on a second run)."""
    created = 0
    if not Document.objects.filter(owner__in=list(counts)).exists():
        created = _load_publications(
            citizen=citizen,
            counts=counts,
            commission_members=commission_members,
            seed=seed,
            progress=progress,
        )
    return created + load_workspace_documents()


def _load_publications(
    *,
    citizen: User,
    counts: dict[Authority, int],
    commission_members: list[User],
    seed: int,
    progress: Callable[[str], None],
) -> int:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    group, _created = Group.objects.get_or_create(name=COMMISSION)
    group.user_set.add(*commission_members)
    weights = [w for _a, _s, w in MIX]
    created = 0
    today = datetime.date(2026, 11, 15)
    for authority, count in counts.items():
        for number in range(1, count + 1):
            audience, status, _w = rng.choices(MIX, weights=weights)[0]
            kind = rng.choice(PUBLIC_TYPES)
            topic = rng.choice(TOPICS)
            day = today - datetime.timedelta(days=rng.randint(0, 900))
            title = _title(rng, kind, authority, number, day, topic)
            content, name = _file(rng, kind, title, topic)
            document = services.document_create(
                actor=None,
                owner=authority,
                title=title,
                document_type=kind,
                summary=french_paragraphs(rng, 1, topic)[0][:300],
                audience=audience,
                tags=[topic],
                published_on=day,
                publish=status != Status.DRAFT,
                upload=services.Upload(io.BytesIO(content), name),
            )
            if status == Status.WITHDRAWN:
                services.document_withdraw(actor=None, document=document)
            if audience == Audience.RESTRICTED:
                services.grant_add(
                    actor=None, document=document, group=group, level=GrantLevel.VIEW
                )
            created += 1
        progress(f"{authority.name} : {count} documents")
    for authority in list(counts)[:4]:
        # Personal documents are read by the addressee and the agents with a reason (issue 11):
        # here the authority's publisher who answers the citizen, by an explicit grant.
        sender = (
            User.objects.filter(memberships__authority=authority, memberships__role="publisher")
            .order_by("pk")
            .first()
        )
        for title, kind in PERSONAL:
            day = today - datetime.timedelta(days=rng.randint(0, 400))
            personal = services.document_create(
                actor=None,
                owner=authority,
                title=f"{title} — {authority.name}",
                document_type=kind,
                audience=Audience.PERSONAL,
                addressee=citizen,
                published_on=day,
                publish=True,
                upload=services.Upload(
                    io.BytesIO(
                        make_pdf(
                            title,
                            [
                                f"Madame, Monsieur {citizen.last_name},",
                                *french_paragraphs(rng, 2, "attestation"),
                            ],
                        )
                    ),
                    "courrier.pdf",
                ),
            )
            if sender is not None:
                services.grant_add(
                    actor=None, document=personal, user=sender, level=GrantLevel.VIEW
                )
            created += 1
    return created
