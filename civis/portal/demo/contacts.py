"""Demo contact details of a few authorities (address, hours, phone, e-mail, website).

All of the project's own making: the addresses are invented, the telephone numbers are in the
range ARCEP keeps for fiction (05 36 49 xx xx), the e-mail and web addresses are under
``demo.civis.invalid``. Written through ``authority_contact_update`` with the system as actor,
so running the demo again changes nothing (no change, no audit row).
"""

from __future__ import annotations

from django.core.management.base import OutputWrapper

from identity.models import Authority
from identity.services import authority_contact_update

# (lookup, fields)
DEMO_CONTACTS: list[tuple[dict[str, str], dict[str, str]]] = [
    (
        {"kind": "commune", "insee_code": "33281"},
        {
            "street_address": "Hôtel de ville\n1 place de la République",
            "postal_code": "33700",
            "city": "Mérignac",
            "opening_hours": "Lu-Ve 08:30-12:30,13:30-17:30; Sa 09:00-12:00",
            "opening_hours_note": "Le samedi : état civil uniquement. Fermé les jours fériés.",
            "phone": "05 36 49 10 00",
            "email": "accueil@merignac.demo.civis.invalid",
            "website": "https://www.merignac.demo.civis.invalid/",
        },
    ),
    (
        {"kind": "epci", "siren": "243300316"},
        {
            "street_address": "Hôtel de la Métropole\n10 esplanade des Communes",
            "postal_code": "33045",
            "city": "Bordeaux Cedex",
            "opening_hours": "Lu-Ve 08:30-17:00",
            "phone": "05 36 49 20 00",
            "contact_url": "https://www.metropole.demo.civis.invalid/nous-ecrire",
            "website": "https://www.metropole.demo.civis.invalid/",
        },
    ),
    (
        {"kind": "commune", "insee_code": "33063"},
        {
            "street_address": "Hôtel de ville\n2 place de la Mairie",
            "postal_code": "33000",
            "city": "Bordeaux",
            "opening_hours": "Lu-Ve 08:30-17:00; Sa 09:00-12:00",
            "opening_hours_note": "Fermé les jours fériés.",
            "phone": "05 36 49 30 00",
            "email": "mairie@bordeaux.demo.civis.invalid",
            "contact_url": "https://www.bordeaux.demo.civis.invalid/contact",
            "website": "https://www.bordeaux.demo.civis.invalid/",
        },
    ),
    (
        {"kind": "commune", "insee_code": "33318"},
        {
            "street_address": "Hôtel de ville\n5 place de la Liberté",
            "postal_code": "33600",
            "city": "Pessac",
            "opening_hours": "Lu,Ma,Je,Ve 08:30-12:00,13:30-17:00; Me 08:30-12:00",
            "phone": "05 36 49 40 00",
            "email": "contact@pessac.demo.civis.invalid",
            "website": "https://www.pessac.demo.civis.invalid/",
        },
    ),
    (
        {"kind": "commune", "insee_code": "33522"},
        {
            "street_address": "Hôtel de ville\n8 rue du Parc",
            "postal_code": "33400",
            "city": "Talence",
            "opening_hours": "Lu-Ve 08:00-12:00,13:00-17:00",
            "phone": "05 36 49 50 00",
            "email": "accueil@talence.demo.civis.invalid",
        },
    ),
]


def load_contacts(stdout: OutputWrapper) -> int:
    """Fill the demo authorities' contact details; returns how many changed."""
    changed = 0
    for lookup, fields in DEMO_CONTACTS:
        authority = Authority.objects.filter(**lookup).first()
        if authority is None:
            continue
        before = getattr(authority, "contact", None)
        stamp = before.updated_at if before is not None else None
        contact = authority_contact_update(actor=None, authority=authority, **fields)
        changed += contact.updated_at != stamp
    stdout.write(f"Coordonnées : {changed} collectivité(s) renseignée(s).\n")
    return changed
