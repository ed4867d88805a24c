"""Import the official territory (Etalab decoupage-administratif JSON files)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.services import territory_import
from identity.territory import TerritoryFileError, load_territory, select_scope


class Command(BaseCommand):
    help = (
        "Importe le territoire officiel depuis un dossier contenant regions.json, "
        "departements.json, epci.json et communes.json. Sans portée : toute la France."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Dossier des fichiers JSON d'Etalab.")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--region", help="Code INSEE d'une région (ex. 75).")
        scope.add_argument("--epci", help="SIREN d'un EPCI (ex. 243300316).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            data = select_scope(
                load_territory(options["path"]), region=options["region"], epci=options["epci"]
            )
        except TerritoryFileError as exc:
            raise CommandError(f"Import annulé, rien n'a été importé. {exc}") from exc
        report = territory_import(data=data)
        self.stdout.write(report.summary())
        self.stdout.write(
            self.style.SUCCESS(f"Territoire importé en {time.perf_counter() - started:.1f} s.")
        )
