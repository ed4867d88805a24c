"""Import polling stations (bureaux de vote) and their contours from a GeoJSON layer."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from elections.services.imports import ImportReport, stations_import
from identity.models import Authority


def write_report(command: BaseCommand, report: ImportReport) -> None:
    """The report in French: the summary, what was left aside and the rows refused."""
    command.stdout.write(report.summary())
    for item in report.unmatched:
        command.stdout.write(
            f"  non importé — ligne/entité {item['line']} : {item['code']} "
            f"({item['commune']}) : {item['reason']}"
        )
    for error in report.errors:
        command.stderr.write(command.style.ERROR(f"  erreur — {error}"))


class Command(BaseCommand):
    help = (
        "Importe les bureaux de vote et leurs contours depuis une couche GeoJSON "
        "(FeatureCollection ; propriétés DEPCO, BVOTE, TITRE, LIEUV/LLIEU, CANTO)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Fichier GeoJSON des bureaux de vote (WGS84).")
        parser.add_argument(
            "--valid-from",
            required=True,
            help="Date d'entrée en vigueur des bureaux, AAAA-MM-JJ (ex. 2024-03-01).",
        )
        parser.add_argument(
            "--commune",
            default="",
            help="Code INSEE d'une commune : n'importer que ses bureaux (ex. 29019).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            valid_from = datetime.date.fromisoformat(options["valid_from"])
        except ValueError:
            raise CommandError(
                f"Date invalide : {options['valid_from']!r} (attendu AAAA-MM-JJ)."
            ) from None
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
            report = stations_import(actor=None, data=data, valid_from=valid_from, commune=commune)
        except ValidationError as exc:
            raise CommandError(
                "Import annulé, rien n'a été importé. " + " ".join(exc.messages)
            ) from exc
        write_report(self, report)
