"""Compare each search index with the document store: missing, stale and extra entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from search.services import index_check

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Vérifie les index de recherche : documents manquants, périmés ou en trop. "
        "Code de sortie 1 s'il y a des différences."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        differences = 0
        for report in index_check():
            differences += report.differences
            self.stdout.write(
                f"Index {report.target} : {report.documents} document(s) attendus, "
                f"{len(report.missing)} manquant(s), {len(report.stale)} périmé(s), "
                f"{len(report.extra)} en trop."
            )
            for label, ids in (
                ("manquants", report.missing),
                ("périmés", report.stale),
                ("en trop", report.extra),
            ):
                if ids:
                    more = f" (et {len(ids) - SHOWN} autres)" if len(ids) > SHOWN else ""
                    self.stdout.write(f"  {label} : {', '.join(map(str, ids[:SHOWN]))}{more}")
        if differences:
            raise CommandError(
                f"{differences} différence(s). Corrigez avec `python manage.py civis_reindex`."
            )
        self.stdout.write(self.style.SUCCESS("0 différence."))
