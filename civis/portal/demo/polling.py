"""The demo's "Où voter ?": an assignment of addresses to Mérignac's six demo bureaux, and a
few streets of Pessac, of the project's own making, so that ``make demo`` shows each kind of
answer at /ou-voter/:

- certain: « 15 rue Jean Jaurès », Mérignac → bureau 2 (Pessac also has a rue Jean Jaurès,
  in its bureau 7: never the answer for Mérignac);
- certain (arrêté): « 24 avenue de l'Yser » → bureau 6 (the arrêté's rule: even numbers);
- probable: « 16 rue de Capeyron » (not on the list; 14 and 18 are in bureau 4);
- no answer: « 45 avenue de la Marne » (the avenue is split between bureaux 1 and 4, and the
  numbers around 45 are not on the list).
"""

from __future__ import annotations

import datetime

from django.core.management.base import OutputWrapper

from identity.models import Authority
from polling.models import CommuneReference
from polling.services import assignment_import, rules_import

HEADER = "bureau,adresse,cp,ville,result_type,result_name\n"
# The streets' names as the BAN writes them (the list is in capitals, without accents).
LABELS = {
    "RUE JEAN JAURES": "Rue Jean Jaurès",
    "AVENUE DE LA MARNE": "Avenue de la Marne",
    "RUE DE CAPEYRON": "Rue de Capeyron",
    "RUE MARCEL PAGNOL": "Rue Marcel Pagnol",
    "ALLEE DES TILLEULS": "Allée des Tilleuls",
    "RUE D'ARLAC": "Rue d'Arlac",
    "PLACE CHARLES DE GAULLE": "Place Charles de Gaulle",
    "AVENUE PASTEUR": "Avenue Pasteur",
}


def _rows() -> list[str]:
    rows: list[str] = []

    def add(bureau: int, numbers: range | list[int], street: str, cp: str, city: str) -> None:
        label = LABELS[street]
        rows.extend(f'{bureau},"{n} {street}",{cp},{city},housenumber,"{label}"' for n in numbers)

    merignac = ("33700", "MERIGNAC")
    add(2, range(1, 42), "RUE JEAN JAURES", *merignac)
    add(1, range(1, 30), "AVENUE DE LA MARNE", *merignac)
    add(4, range(61, 121), "AVENUE DE LA MARNE", *merignac)
    add(4, [n for n in range(2, 51, 2) if n != 16], "RUE DE CAPEYRON", *merignac)
    add(4, range(1, 50, 2), "RUE DE CAPEYRON", *merignac)
    add(3, range(1, 25), "RUE MARCEL PAGNOL", *merignac)
    add(5, range(1, 31), "ALLEE DES TILLEULS", *merignac)
    add(6, range(1, 60), "RUE D'ARLAC", *merignac)
    add(1, range(1, 12), "PLACE CHARLES DE GAULLE", *merignac)
    pessac = ("33600", "PESSAC")
    add(7, range(1, 80), "RUE JEAN JAURES", *pessac)
    add(8, range(1, 40), "AVENUE PASTEUR", *pessac)
    return rows


RULES = (
    "voie;de;a;cote;bureau;arrete\n"
    "Avenue de l'Yser;1;99;impairs;3;Arrêté n° 2026-014 du 12 janvier 2026 (démonstration)\n"
    "Avenue de l'Yser;2;98;pairs;6;Arrêté n° 2026-014 du 12 janvier 2026 (démonstration)\n"
)


def load_polling(stdout: OutputWrapper | None = None) -> int:
    """The demo's assignment and rules (once). Returns the number of communes loaded."""
    merignac = Authority.objects.get(kind=Authority.Kind.COMMUNE, insee_code="33281")
    if CommuneReference.objects.filter(commune=merignac).exists():
        if stdout is not None:
            stdout.write("Où voter ? : déjà chargé.")
        return 0
    report = assignment_import(
        actor=None,
        data=(HEADER + "\n".join(_rows()) + "\n").encode(),
        source="Liste des bureaux de vote (données de démonstration)",
        source_date=datetime.date(2026, 1, 12),
    )
    rules_import(actor=None, commune=merignac, data=RULES.encode())
    if stdout is not None:
        stdout.write(f"Où voter ? : {len(report.communes)} commune(s), règles de l'arrêté.")
    return len(report.communes)
