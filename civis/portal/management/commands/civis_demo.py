"""Load the demo territory, its pages and the demo accounts. Safe to run again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from civis.portal.demo.contacts import load_contacts
from civis.portal.demo.documents import COMMISSION, load_demo_documents
from civis.portal.demo.elections import load_elections
from civis.portal.demo.opendata import load_opendata
from civis.portal.demo.polling import load_polling
from civis.portal.demo.procedures import load_procedures
from civis.portal.demo.scdl import load_scdl
from civis.portal.services import authority_pages_sync, home_page_ensure
from identity.models import Authority, Membership, User
from identity.services import authority_group_adopt, membership_grant, territory_import
from identity.territory import load_territory

DEMO_TERRITORY = Path(settings.BASE_DIR) / "identity" / "data" / "demo-territory"
DEMO_PASSWORD = "demo-civis-2026"  # noqa: S105 - demo accounts only, printed on purpose
REGION_CODE = "75"  # Nouvelle-Aquitaine
METROPOLE_SIREN = "243300316"  # Bordeaux Métropole
MERIGNAC_INSEE = "33281"

# (username, first name, last name, kind, [(authority lookup, role)])
DEMO_ACCOUNTS = [
    ("citoyen", "Camille", "Martin", User.Kind.CITIZEN, []),
    (
        "agent-merignac",
        "Alex",
        "Durand",
        User.Kind.AGENT,
        [({"kind": "commune", "insee_code": MERIGNAC_INSEE}, Membership.Role.AGENT)],
    ),
    (
        "editeur-merignac",
        "Sacha",
        "Bernard",
        User.Kind.AGENT,
        [({"kind": "commune", "insee_code": MERIGNAC_INSEE}, Membership.Role.PUBLISHER)],
    ),
    (
        "editeur-metropole",
        "Dominique",
        "Petit",
        User.Kind.AGENT,
        [({"kind": "epci", "siren": METROPOLE_SIREN}, Membership.Role.PUBLISHER)],
    ),
    (
        "admin-region",
        "Claude",
        "Moreau",
        User.Kind.AGENT,
        [({"kind": "region", "insee_code": REGION_CODE}, Membership.Role.TERRITORY_ADMIN)],
    ),
]


class Command(BaseCommand):
    help = "Charge le territoire de démonstration, ses pages et les comptes de démonstration."

    def handle(self, *args: Any, **options: Any) -> None:
        data = load_territory(DEMO_TERRITORY)
        report = territory_import(data=data)
        self.stdout.write(report.summary())

        region = Authority.objects.get(kind=Authority.Kind.REGION, insee_code=REGION_CODE)
        home = home_page_ensure(title=f"Portail de la région {region.name}", territory=region)
        codes = (
            {c["code"] for c in data.communes}
            | {r["code"] for r in data.regions}
            | {d["code"] for d in data.departements}
        )
        sirens = {e["code"] for e in data.epcis}
        demo_authorities = list(
            Authority.objects.filter(insee_code__in=codes)
            | Authority.objects.filter(siren__in=sirens, kind=Authority.Kind.EPCI)
        )
        counts = authority_pages_sync(home=home, authorities=demo_authorities)
        self.stdout.write(
            f"Pages : {counts['created']} créée(s), {counts['updated']} mise(s) "
            f"à jour, {counts['moved']} déplacée(s)."
        )

        for username, first, last, kind, roles in DEMO_ACCOUNTS:
            user, _created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "kind": kind,
                    "email": f"{username}@demo.civis.invalid",
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            for lookup, role in roles:
                membership_grant(
                    actor=None, user=user, authority=Authority.objects.get(**lookup), role=role
                )
        self._documents()
        load_scdl(self.stdout)
        load_contacts(self.stdout)
        load_opendata(self.stdout, password=DEMO_PASSWORD)
        load_procedures(self.stdout, password=DEMO_PASSWORD)
        load_elections(self.stdout)
        load_polling(self.stdout)
        self.stdout.write(self.style.SUCCESS("Démonstration prête."))
        self.stdout.write(f"Comptes de démonstration (mot de passe pour tous : {DEMO_PASSWORD}) :")
        for username, first, last, _kind, roles in DEMO_ACCOUNTS:
            role_names = (
                ", ".join(
                    f"{r.label} ({Authority.objects.get(**lookup).name})" for lookup, r in roles
                )
                or "Citoyen"
            )
            self.stdout.write(f"  {username:<18} {first} {last} — {role_names}")
        self.stdout.write(
            f"  {'superviseur':<18} Superutilisateur — certification « Service public certifié »"
        )

    def _documents(self) -> None:
        by_code = {
            a.insee_code or a.siren: a
            for a in Authority.objects.filter(kind__in=["region", "departement", "epci", "commune"])
        }
        metropole = by_code[METROPOLE_SIREN]
        counts = {
            by_code[MERIGNAC_INSEE]: 60,
            metropole: 60,
            by_code[REGION_CODE]: 30,
            by_code["33063"]: 35,
            by_code["33"]: 10,
        }
        for commune in metropole.children.exclude(insee_code__in=[MERIGNAC_INSEE, "33063"]):
            counts[commune] = 4
        created = load_demo_documents(
            citizen=User.objects.get(username="citoyen"),
            counts=counts,
            commission_members=[User.objects.get(username="editeur-metropole")],
        )
        self.stdout.write(
            f"Documents : {created} créé(s)" + (" (déjà chargés)" if not created else "") + "."
        )
        # The commission belongs to the métropole, so its administrators manage its members.
        authority_group_adopt(actor=None, group=Group.objects.get(name=COMMISSION), owner=metropole)
