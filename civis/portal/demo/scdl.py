"""Demo data of the SCDL exports: a SIRET for each demo authority, and the SCDL data
(identifier, ACTES subject, vote, transmission to the préfecture, budget) of the demo's
délibérations, so ``/donnees/scdl/<code>/deliberations.csv`` validates on the demo.

The SIRETs are the authority's real SIREN followed by a NIC of our own making, computed so the
key is valid (Luhn): they look like the real ones but are not claimed to be. The vote figures
follow the size of each council (commune councils by population, CGCT art. L2121-2). The data
goes through ``documents.services.deliberation_details_save``, so every row passes the checks a
publisher's would; running the demo again changes nothing.
"""

from __future__ import annotations

import datetime
import random
import re

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import OutputWrapper
from django.utils import timezone

from documents.models import DeliberationDetails, Document, DocumentType
from documents.selectors import documents_visible_to
from documents.services import deliberation_details_save
from identity.models import Authority
from opendata.scdl_checks import nic_for

# The demo's topics (civis.portal.demo.documents.TOPICS) → their ACTES subject.
TOPIC_SUBJECTS = {
    "urbanisme": "2.1",
    "voirie": "8.3",
    "écoles": "8.1",
    "budget": "7.1",
    "environnement": "8.8",
    "culture": "8.9",
    "sport": "9.1",
    "marchés publics": "1.1",
    "subventions": "7.5",
    "eau et assainissement": "8.8",
    "mobilités": "8.7",
    "logement": "8.5",
}
BUDGETED = {"7.1", "7.5", "1.1"}
# Seats of a municipal council by population (upper bound excluded → seats).
COMMUNE_SEATS = [
    (100, 7),
    (500, 11),
    (1500, 15),
    (2500, 19),
    (3500, 23),
    (5000, 27),
    (10000, 29),
    (20000, 33),
    (30000, 35),
    (40000, 39),
    (50000, 43),
    (60000, 45),
    (80000, 49),
    (100000, 53),
    (150000, 55),
    (200000, 59),
    (250000, 61),
    (300000, 65),
]
SEATS: dict[str, int] = {
    Authority.Kind.EPCI: 104,
    Authority.Kind.DEPARTEMENT: 66,
    Authority.Kind.REGION: 183,
}
# The préfecture of the Gironde (and of the Nouvelle-Aquitaine région).
PREFECTURE = "PREF033"
ACT_NUMBER = re.compile(r"n° (\d{4}-\d{3})")


def _seats(authority: Authority) -> int:
    if authority.kind != Authority.Kind.COMMUNE:
        return SEATS.get(authority.kind, 30)
    population = authority.population or 0
    for bound, seats in COMMUNE_SEATS:
        if population < bound:
            return seats
    return 69


# SIRENs the demo territory files lack (the région's; the département's is left out on
# purpose: the région's export then shows how rows without a SIRET are announced).
KNOWN_SIRENS = {(Authority.Kind.REGION, "75"): "200053759"}


def _sirets() -> int:
    """A SIRET for every authority that has a SIREN and no SIRET yet (reference data, loaded
    like the territory itself)."""
    given = 0
    for (kind, insee_code), siren in KNOWN_SIRENS.items():
        siret = siren + nic_for(siren, base=11)
        given += Authority.objects.filter(kind=kind, insee_code=insee_code, siret="").update(
            siret=siret
        )
    for authority in (
        Authority.objects.filter(siret="").exclude(siren__isnull=True).exclude(siren="")
    ):
        assert authority.siren is not None  # noqa: S101 (filtered above)
        siret = authority.siren + nic_for(authority.siren, base=11)
        given += Authority.objects.filter(pk=authority.pk, siret="").update(siret=siret)
    return given


def _details(rng: random.Random, document: Document, today: datetime.date) -> dict[str, object]:
    published = document.published_on or today
    adopted = min(published, today) - datetime.timedelta(days=rng.randint(3, 12))
    topics = [t for t in document.tags.names() if t in TOPIC_SUBJECTS]
    subject = TOPIC_SUBJECTS[topics[0]] if topics else "9.1"
    match = ACT_NUMBER.search(document.title)
    data: dict[str, object] = {
        "act_id": match.group(1) if match else f"{adopted.year}-D{document.pk:04d}",
        "adopted_on": adopted,
        "subject_code": subject,
        "prefecture_id": PREFECTURE,
        "prefecture_date": min(adopted + datetime.timedelta(days=rng.randint(1, 6)), today),
    }
    if subject in BUDGETED:
        data["budget_year"] = str(adopted.year)
        data["budget_name"] = "Budget principal"
    if rng.random() < 0.9:  # a few older délibérations were recorded without their vote
        effectif = _seats(document.owner)
        reel = effectif - rng.randint(0, max(1, effectif // 8))
        contre = rng.choice([0, 0, 0, rng.randint(1, max(1, reel // 6))])
        abstention = rng.choice([0, 0, rng.randint(1, max(1, reel // 10))])
        data.update(
            vote_effectif=effectif,
            vote_reel=reel,
            vote_pour=reel - contre - abstention,
            vote_contre=contre,
            vote_abstention=abstention,
        )
    return data


def load_scdl(stdout: OutputWrapper | None = None, *, seed: int = 2026) -> int:
    """SIRETs, then the SCDL data of every public délibération that has none yet. Returns how
    many délibérations got their data."""
    sirets = _sirets()
    today = timezone.localdate()
    documents = (
        documents_visible_to(AnonymousUser())
        .filter(document_type=DocumentType.DELIBERATION)
        .exclude(pk__in=DeliberationDetails.objects.values("document_id"))
        .select_related("owner")
        .order_by("pk")
    )
    done = 0
    for document in documents:
        rng = random.Random(seed * 100003 + document.pk)  # noqa: S311 - demo data
        deliberation_details_save(
            actor=None, document=document, data=_details(rng, document, today)
        )
        done += 1
    if stdout is not None:
        stdout.write(f"SCDL : {sirets} SIRET, {done} délibération(s) renseignée(s).")
    return done
