"""Write a scoped copy of the official territory files (how the demo fixture was made)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.territory import TerritoryFileError, load_territory, select_scope, write_territory


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Extrait une portée (région ou EPCI) des fichiers officiels vers un autre dossier."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source")
        parser.add_argument("destination")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--region")
        scope.add_argument("--epci")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = select_scope(
                load_territory(options["source"]), region=options["region"], epci=options["epci"]
            )
        except TerritoryFileError as exc:
            raise CommandError(str(exc)) from exc
        write_territory(data, options["destination"])
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(data.regions)} région(s), {len(data.epcis)} EPCI, "
                f"{len(data.communes)} communes écrites dans {options['destination']}."
            )
        )
