"""Lift a login lockout: ``manage.py civis_unlock <login|address>``; ``--list`` shows them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from identity.security import login_lockouts, login_unlock


class Command(BaseCommand):
    help = (
        "Lève le blocage de connexion d'un compte (identifiant) ou d'une adresse IP "
        "après trop d'échecs ; --list affiche les blocages en cours."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", nargs="?", help="identifiant de connexion ou adresse IP")
        parser.add_argument("--list", action="store_true", help="afficher les blocages en cours")

    def handle(
        self, *args: Any, target: str | None = None, list: bool = False, **options: Any
    ) -> None:
        if list:
            locks = login_lockouts()
            for lock in locks:
                kind = "compte" if lock["kind"] == "username" else "adresse"
                until = timezone.localtime(lock["until"]).strftime("%d/%m/%Y %H:%M")
                self.stdout.write(
                    f"{kind} {lock['value']} : {lock['failures']} échecs, bloqué jusqu'à {until}"
                )
            if not locks:
                self.stdout.write("Aucun blocage en cours.")
            return
        if not target or not target.strip():
            raise CommandError("Indiquez l'identifiant ou l'adresse IP à débloquer (ou --list).")
        deleted = login_unlock(actor=None, target=target)
        if deleted:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Débloqué : {deleted} tentative(s) effacée(s) pour « {target.strip()} »."
                )
            )
        else:
            self.stdout.write(f"Aucune tentative enregistrée pour « {target.strip()} ».")
