"""Rebuild every search index from the document store (safe to run again at any time)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from search.services import reindex


class Command(BaseCommand):
    help = "Reconstruit les index de recherche à partir des documents (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counts = reindex()
        elapsed = time.perf_counter() - started
        for target, count in counts.items():
            self.stdout.write(f"Index {target} : {count} document(s) indexé(s).")
        total = sum(counts.values())
        rate = total / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Réindexation terminée en {elapsed:.1f} s ({rate:.0f} documents/s)."
            )
        )
