"""The synthetic territory of the benchmark: people, roles, groups, documents and grants.

Rows are inserted in bulk (no file storage: the text goes straight to extracted_text), from a
seeded random generator, so two runs build the same world.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction

from civis.portal.demo.filegen import _TOPICS, french_paragraphs
from documents.models import (
    Document,
    DocumentAuthorityGrant,
    DocumentGroupGrant,
    DocumentUserGrant,
    DocumentVersion,
)
from identity.models import Authority, Membership, User

AUDIENCES = [
    ("public", 60),
    ("signed_in", 5),
    ("internal", 10),
    ("shared_up", 5),
    ("restricted", 2),
    ("personal", 18),
]
STATUSES = [("published", 90), ("draft", 8), ("withdrawn", 2)]
TYPES = [
    ("deliberation", 35),
    ("arrete", 20),
    ("compte_rendu", 10),
    ("proces_verbal", 5),
    ("formulaire", 5),
    ("rapport", 10),
    ("budget", 5),
    ("attestation", 5),
    ("autre", 5),
]
KINDS = [("pdf", 60), ("odt", 15), ("docx", 10), ("xlsx", 5), ("csv", 5), ("txt", 5)]
TITLES = {
    "deliberation": "Délibération relative à {subject}",
    "arrete": "Arrêté du maire concernant {subject}",
    "compte_rendu": "Compte rendu de la séance : {subject}",
    "proces_verbal": "Procès-verbal : {subject}",
    "formulaire": "Formulaire de demande : {subject}",
    "rapport": "Rapport sur {subject}",
    "budget": "Budget : {subject}",
    "attestation": "Attestation : {subject}",
    "autre": "Information : {subject}",
}
NO_PASSWORD = make_password(None)  # unusable: nobody signs in to the benchmark
# Rare words planted in a known number of documents, for "rare word" queries.
RARE = {"xylophone": 20, "photovoltaïque": 400}


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


@dataclass
class BenchWorld:
    region: Authority
    communes: list[int]
    epcis: list[int]
    agents: list[int] = field(default_factory=list)
    citizens: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


def build_people(
    rng: random.Random, region_code: str, n_agents: int, n_citizens: int
) -> BenchWorld:
    region = Authority.objects.get(kind=Authority.Kind.REGION, insee_code=region_code)
    communes = list(Authority.objects.filter(kind="commune").values_list("pk", flat=True))
    epcis = list(Authority.objects.filter(kind="epci").values_list("pk", flat=True))
    world = BenchWorld(region=region, communes=communes, epcis=epcis)
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(username=f"agent{i}", kind="agent", password=NO_PASSWORD)
                for i in range(n_agents)
            ]
            + [
                User(username=f"citoyen{i}", kind="citizen", password=NO_PASSWORD)
                for i in range(n_citizens)
            ],
            batch_size=2000,
        )
        world.agents = list(User.objects.filter(kind="agent").values_list("pk", flat=True))
        world.citizens = list(User.objects.filter(kind="citizen").values_list("pk", flat=True))
        start = datetime.date(2020, 1, 1)
        memberships = []
        for index, user_id in enumerate(world.agents):
            if index < 5:
                memberships.append(
                    Membership(
                        user_id=user_id, authority=region, role="territory_admin", starts_on=start
                    )
                )
            elif index % 20 == 0:
                memberships.append(
                    Membership(
                        user_id=user_id,
                        authority_id=rng.choice(epcis),
                        role="admin",
                        starts_on=start,
                    )
                )
            else:
                role = "publisher" if index % 5 == 0 else "agent"
                memberships.append(
                    Membership(
                        user_id=user_id,
                        authority_id=rng.choice(communes),
                        role=role,
                        starts_on=start,
                    )
                )
        Membership.objects.bulk_create(memberships, batch_size=2000)
        Group.objects.bulk_create([Group(name=f"Groupe {i}") for i in range(100)])
        world.groups = list(Group.objects.values_list("pk", flat=True))
        through = User.groups.through
        members = {
            (rng.choice(world.agents + world.citizens[:2000]), rng.choice(world.groups))
            for _ in range(5000)
        }
        through.objects.bulk_create(
            [through(user_id=u, group_id=g) for u, g in members], batch_size=5000
        )
    return world


def _documents(
    rng: random.Random,
    world: BenchWorld,
    n: int,
    start: int,
) -> Iterator[tuple[Document, str]]:
    topics = list(_TOPICS)
    owners = world.communes * 8 + world.epcis * 20 + [world.region.pk] * 200
    names = dict(Authority.objects.values_list("pk", "name"))
    rare = {word: set(rng.sample(range(start), min(count, start))) for word, count in RARE.items()}
    for index in range(n):
        topic = rng.choice(topics)
        subject = rng.choice(_TOPICS[topic])
        doc_type = _weighted(rng, TYPES)
        audience = _weighted(rng, AUDIENCES)
        owner = rng.choice(owners)
        text = "\n".join(french_paragraphs(rng, rng.randint(1, 4), topic))
        planted = [word for word, where in rare.items() if index in where]
        if planted:
            text += f"\nLe dossier mentionne {' et '.join(planted)}."
        day = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randint(0, 2500))
        yield (
            Document(
                owner_id=owner,
                title=TITLES[doc_type].format(subject=subject) + f" — {names[owner]}",
                summary="",
                document_type=doc_type,
                published_on=day,
                status=_weighted(rng, STATUSES),
                audience=audience,
                addressee_id=rng.choice(world.citizens) if audience == "personal" else None,
                licence="lo-2.0" if audience == "public" else "",
                extracted_text=text,
            ),
            _weighted(rng, KINDS),
        )


def build_documents(rng: random.Random, world: BenchWorld, n: int, chunk: int = 5000) -> None:
    generator = _documents(rng, world, n, n)
    done = 0
    while done < n:
        batch = [next(generator) for _ in range(min(chunk, n - done))]
        with transaction.atomic():
            created = Document.objects.bulk_create([d for d, _k in batch])
            if created[0].pk is None:  # backends without RETURNING: read the ids back
                ids = list(
                    Document.objects.order_by("-pk").values_list("pk", flat=True)[: len(batch)]
                )[::-1]
            else:
                ids = [d.pk for d in created]
            DocumentVersion.objects.bulk_create(
                [
                    DocumentVersion(
                        document_id=pk,
                        number=1,
                        file=f"bench/{pk}.{kind}",
                        file_name=f"{pk}.{kind}",
                        kind=kind,
                        mime_type="x",
                        size=1,
                        sha256="0" * 64,
                    )
                    for pk, (_d, kind) in zip(ids, batch, strict=True)
                ]
            )
        done += len(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_document SET current_version_id = (SELECT v.id FROM "
            "documents_documentversion v WHERE v.document_id = documents_document.id)"
        )


def build_grants(rng: random.Random, world: BenchWorld, n: int) -> None:
    ids = list(Document.objects.values_list("pk", flat=True))
    view = Permission.objects.get(codename="view_document", content_type__app_label="documents")
    change = Permission.objects.get(codename="change_document", content_type__app_label="documents")
    with transaction.atomic():
        people = world.citizens + world.agents
        user_grants = {
            (rng.choice(ids), rng.choice(people), rng.choice([view.pk, view.pk, change.pk]))
            for _ in range(n)
        }
        DocumentUserGrant.objects.bulk_create(
            [
                DocumentUserGrant(content_object_id=d, user_id=u, permission_id=p)
                for d, u, p in user_grants
            ],
            batch_size=2000,
        )
        DocumentGroupGrant.objects.bulk_create(
            [
                DocumentGroupGrant(content_object_id=d, group_id=g, permission_id=view.pk)
                for d, g in {(rng.choice(ids), rng.choice(world.groups)) for _ in range(n // 2)}
            ],
            batch_size=2000,
        )
        DocumentAuthorityGrant.objects.bulk_create(
            [
                DocumentAuthorityGrant(document_id=d, authority_id=a, level="view")
                for d, a in {
                    (rng.choice(ids), rng.choice(world.communes + world.epcis))
                    for _ in range(n // 2)
                }
            ],
            batch_size=2000,
        )
