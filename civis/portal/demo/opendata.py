"""Demo open data: published datasets for Mérignac, Bordeaux Métropole and the région, built
on the demo's public "données ouvertes" CSV documents, with a live API resource and the SCDL
délibérations export for Mérignac; Mérignac is certified « Service public certifié ».

Everything goes through the services an agent's admin uses (``opendata.services.datasets``,
``identity.services.authority_certify``), acted by the demo's publishers and by the demo
superuser ``superviseur`` (created here if missing). Running the demo again changes nothing:
a dataset is recognised by its owner and title.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import OutputWrapper
from django.db.models import QuerySet

from documents import services as document_services
from documents.models import Document, DocumentType, Status
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from identity.services import authority_certify
from opendata.models import Dataset, DatasetLicence, Frequency, Resource
from opendata.scdl import SCHEMAS
from opendata.services.datasets import dataset_create, dataset_publish, resource_add

SUPERUSER = "superviseur"
MERIGNAC_INSEE = "33281"
METROPOLE_SIREN = "243300316"
REGION_CODE = "75"
CERTIFIED = MERIGNAC_INSEE

# Small made-up tables, for an authority that has no public CSV of its own in the demo.
FALLBACK_CSV: dict[str, tuple[str, list[list[str]]]] = {
    "bornes": (
        "Bornes de recharge pour véhicules électriques",
        [
            ["identifiant", "adresse", "puissance_kw", "points_de_charge"],
            ["BRV-001", "place de la République", "22", "2"],
            ["BRV-002", "avenue de la Libération", "50", "1"],
            ["BRV-003", "rue des Écoles", "22", "4"],
        ],
    ),
    "lycees": (
        "Lycées : effectifs à la rentrée",
        [
            ["lycee", "commune", "effectif", "annee"],
            ["Lycée des Tilleuls", "Mérignac", "1150", "2026"],
            ["Lycée du Lac", "Bordeaux", "1420", "2026"],
            ["Lycée Victor Hugo", "Arcachon", "780", "2026"],
        ],
    ),
}


@dataclass(frozen=True)
class DemoDataset:
    owner: dict[str, str]
    editor: str
    title: str
    description: str
    keywords: list[str]
    themes: list[str]
    frequency: str
    files: int = 2  # how many of the owner's public CSV documents become resources
    fallback_csv: str = ""
    api_path: str = ""
    api_title: str = ""
    export: str = ""
    licence: str = DatasetLicence.LOV2
    extra: dict[str, object] = field(default_factory=dict)


DATASETS = [
    DemoDataset(
        owner={"kind": Authority.Kind.COMMUNE, "insee_code": MERIGNAC_INSEE},
        editor="editeur-merignac",
        title="Équipements publics de Mérignac",
        description=(
            "Les équipements publics de la commune (écoles, équipements sportifs et "
            "culturels) : nom, adresse et capacité d'accueil, mis à jour chaque année."
        ),
        keywords=["équipements", "écoles", "sport", "culture"],
        themes=["REGI", "EDUC"],
        frequency=Frequency.ANNUAL,
        files=2,
        fallback_csv="bornes",
    ),
    DemoDataset(
        owner={"kind": Authority.Kind.COMMUNE, "insee_code": MERIGNAC_INSEE},
        editor="editeur-merignac",
        title="Délibérations du conseil municipal de Mérignac",
        description=(
            "Les délibérations du conseil municipal au format SCDL 2.1.5 (objet, matière "
            "ACTES, vote, transmission à la préfecture), et les documents publiés par la "
            "commune dans l'API du portail."
        ),
        keywords=["délibérations", "conseil municipal", "SCDL"],
        themes=["GOVE"],
        frequency=Frequency.MONTHLY,
        files=0,
        api_path=f"/api/v1/documents/?authority_code={MERIGNAC_INSEE}&type=deliberation",
        api_title="Les délibérations de Mérignac dans l'API du portail",
        export=Resource.Export.DELIBERATIONS,
    ),
    DemoDataset(
        owner={"kind": Authority.Kind.EPCI, "siren": METROPOLE_SIREN},
        editor="editeur-metropole",
        title="Données ouvertes de Bordeaux Métropole",
        description=(
            "Les fichiers de données publiés par Bordeaux Métropole (équipements, mobilités, "
            "environnement), et ses publications dans l'API du portail."
        ),
        keywords=["métropole", "mobilités", "environnement"],
        themes=["TRAN", "ENVI"],
        frequency=Frequency.QUARTERLY,
        files=2,
        fallback_csv="bornes",
        api_path=f"/api/v1/documents/?authority_code={METROPOLE_SIREN}",
        api_title="Les publications de Bordeaux Métropole dans l'API du portail",
        licence=DatasetLicence.ODBL,
    ),
    DemoDataset(
        owner={"kind": Authority.Kind.REGION, "insee_code": REGION_CODE},
        editor=SUPERUSER,
        title="Lycées et équipements de la région Nouvelle-Aquitaine",
        description=(
            "Les données ouvertes de la région : lycées, effectifs et équipements, publiées "
            "dans le dépôt de documents du portail."
        ),
        keywords=["lycées", "éducation", "région"],
        themes=["EDUC", "REGI"],
        frequency=Frequency.ANNUAL,
        files=1,
        fallback_csv="lycees",
    ),
]


def _superuser(password: str | None) -> User:
    user = User.objects.filter(username=SUPERUSER).first()
    if user is None:
        user = User(
            username=SUPERUSER,
            first_name="Sam",
            last_name="Lefèvre",
            kind=User.Kind.AGENT,
            email=f"{SUPERUSER}@demo.civis.invalid",
            is_superuser=True,
            is_staff=True,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    elif password and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _public_csv(owner: Authority) -> QuerySet[Document]:
    return (
        documents_visible_to(AnonymousUser())
        .filter(
            owner=owner,
            status=Status.PUBLISHED,
            document_type=DocumentType.DONNEES,
            current_version__kind="csv",
        )
        .order_by("pk")
    )


def _csv_bytes(rows: list[list[str]]) -> bytes:
    text = "\r\n".join(",".join(cell for cell in row) for row in rows) + "\r\n"
    return text.encode("utf-8")


def _files(spec: DemoDataset, owner: Authority) -> list[Document]:
    found = list(_public_csv(owner)[: spec.files]) if spec.files else []
    if spec.files and not found and spec.fallback_csv:
        title, rows = FALLBACK_CSV[spec.fallback_csv]
        document_services.document_create(
            actor=None,
            owner=owner,
            title=f"{title} — {owner.name}",
            document_type=DocumentType.DONNEES,
            summary=f"{title} ({owner.name}), fichier CSV.",
            tags=["données ouvertes"],
            published_on=datetime.date(2026, 11, 2),
            publish=True,
            upload=document_services.Upload(
                io.BytesIO(_csv_bytes(rows)), f"{spec.fallback_csv}.csv"
            ),
        )
        found = list(_public_csv(owner)[: spec.files])
    return found


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _load(spec: DemoDataset, superuser: User) -> bool:
    owner = Authority.objects.filter(**spec.owner).first()
    if owner is None or Dataset.objects.filter(owner=owner, title=spec.title).exists():
        return False
    editor = User.objects.filter(username=spec.editor).first() or superuser
    dataset = dataset_create(
        actor=editor,
        owner=owner,
        title=spec.title,
        description=spec.description,
        keywords=spec.keywords,
        themes=spec.themes,
        frequency=spec.frequency,
        licence=spec.licence,
        temporal_start=datetime.date(2024, 1, 1),
        contact_name=f"Service des données — {owner.name}",
        contact_email=f"donnees@{owner.code or owner.pk}.demo.civis.invalid",
    )
    for document in _files(spec, owner):
        resource_add(
            actor=editor,
            dataset=dataset,
            kind=Resource.Kind.DOCUMENT,
            title=_sentence(document.title.removeprefix("Données ouvertes — ")),
            description=document.summary[:300],
            document=document,
        )
    if spec.export:
        resource_add(
            actor=editor,
            dataset=dataset,
            kind=Resource.Kind.EXPORT,
            title=str(Resource.Export(spec.export).label),
            description="Export CSV du portail, conforme au schéma SCDL.",
            export=spec.export,
            schema_url=SCHEMAS[spec.export],
        )
    if spec.api_path:
        resource_add(
            actor=editor,
            dataset=dataset,
            kind=Resource.Kind.API,
            title=spec.api_title,
            description="Réponse JSON paginée de l'API du portail (/api/v1/).",
            api_path=spec.api_path,
        )
    dataset_publish(actor=editor, dataset=dataset)
    return True


def load_opendata(stdout: OutputWrapper | None = None, *, password: str | None = None) -> int:
    """The demo datasets (once) and Mérignac's certification. Returns how many datasets were
    created (0 on a second run)."""
    superuser = _superuser(password)
    created = sum(_load(spec, superuser) for spec in DATASETS)
    certified = Authority.objects.filter(kind=Authority.Kind.COMMUNE, insee_code=CERTIFIED).first()
    if certified is not None and not certified.is_certified:
        authority_certify(actor=superuser, authority=certified, certified=True)
    if stdout is not None:
        stdout.write(
            f"Données ouvertes : {created} jeu(x) de données créé(s)"
            + (" (déjà chargés)" if not created else "")
            + (f", {certified.name} certifiée « Service public certifié »." if certified else ".")
        )
    return created
