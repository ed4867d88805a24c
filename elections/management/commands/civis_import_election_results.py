"""Import the Ministry of the Interior's results by bureau into one round of an election."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from elections.management.commands.civis_import_polling_stations import write_report
from elections.models import Round
from elections.services.imports import results_import


class Command(BaseCommand):
    help = (
        "Importe les résultats officiels par bureau de vote (fichiers du ministère de "
        "l'Intérieur, formats 2022 et 2024) dans un tour d'une élection."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Fichier CSV des résultats par bureau de vote.")
        parser.add_argument("--election", required=True, help="Identifiant (slug) de l'élection.")
        parser.add_argument("--round", required=True, type=int, help="Numéro du tour (1 ou 2).")

    def handle(self, *args: Any, **options: Any) -> None:
        round = (
            Round.objects.filter(election__slug=options["election"], number=options["round"])
            .select_related("election")
            .first()
        )
        if round is None:
            raise CommandError(
                f"Aucun tour n° {options['round']} pour l'élection « {options['election']} »."
            )
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {path} ({exc.strerror}).") from exc
        try:
            report = results_import(actor=None, round=round, data=data, filename=path.name)
        except ValidationError as exc:
            raise CommandError(
                "Import annulé, rien n'a été importé.\n" + "\n".join(exc.messages)
            ) from exc
        write_report(self, report)
