"""Import a commune's assignment of addresses to bureaux (the shared CSV's format, or the
REU's "adresses" table: see polling/services.py for the columns)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.models import Authority
from polling.services import assignment_import


class Command(BaseCommand):
    help = (
        "Importe le rattachement des adresses aux bureaux de vote (CSV : bureau, adresse, cp, "
        "ville… ou la table « adresses » du REU). Remplace le rattachement des communes du "
        "fichier ; relancer le même fichier ne change rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Fichier CSV.")
        parser.add_argument("--source", required=True, help="D'où viennent les données.")
        parser.add_argument("--date", default="", help="Date des données, AAAA-MM-JJ.")
        parser.add_argument(
            "--commune", default="", help="Code INSEE : n'importer que cette commune."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source_date = None
        if options["date"]:
            try:
                source_date = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"Date invalide : {options['date']!r} (AAAA-MM-JJ).") from None
        commune = None
        if options["commune"]:
            commune = Authority.objects.filter(
                kind=Authority.Kind.COMMUNE, insee_code=options["commune"]
            ).first()
            if commune is None:
                raise CommandError(f"Commune inconnue : {options['commune']}.")
        try:
            data = Path(options["path"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {options['path']} ({exc.strerror}).") from exc
        try:
            report = assignment_import(
                actor=None,
                data=data,
                source=options["source"],
                source_date=source_date,
                commune=commune,
            )
        except ValidationError as exc:
            raise CommandError(
                "Import annulé, rien n'a été importé. " + " ".join(exc.messages)
            ) from exc
        self.stdout.write(report.summary())
        for example in report.examples:
            self.stdout.write(f"  {example}")
