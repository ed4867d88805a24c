"""Re-encrypt every encrypted column with the first key of CIVIS_FIELD_ENCRYPTION_KEY.

Rotation: put the new key first (``CIVIS_FIELD_ENCRYPTION_KEY=new,old``), restart, run this
command, then drop the old key from the list and restart again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.crypto import DecryptionError, EncryptedTextField


class Command(BaseCommand):
    help = (
        "Chiffre à nouveau les secrets enregistrés (secrets des clients OIDC) avec la "
        "première clé de CIVIS_FIELD_ENCRYPTION_KEY."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        with transaction.atomic():
            for model in apps.get_models():
                fields = [
                    f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
                ]
                manager = model._base_manager
                for field in fields:
                    count = 0
                    # Read: any key of the list decrypts; write: the first one encrypts.
                    rows = manager.only("pk", field.attname).order_by("pk")
                    try:
                        for row in rows.iterator():
                            value = getattr(row, field.attname)
                            if value:
                                manager.filter(pk=row.pk).update(**{field.attname: value})
                                count += 1
                    except DecryptionError as exc:
                        raise CommandError(f"{model._meta.label}.{field.name}: {exc}") from None
                    total += count
                    self.stdout.write(f"{model._meta.label}.{field.name} : {count} valeur(s)")
        self.stdout.write(
            self.style.SUCCESS(f"{total} secret(s) chiffré(s) à nouveau avec la première clé.")
        )
