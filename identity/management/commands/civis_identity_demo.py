"""Register the test OIDC provider (tests/oidc, run by hand) with the demo: agents of the
métropole and its communes, agents of the région, and citizens. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from identity import services
from identity.models import Authority, OIDCProvider, User

COMMISSION = "Commission urbanisme métropolitaine"  # the group documents/demo.py shares with

# The static clients of tests/oidc/demo.json.
CLIENTS: list[dict[str, Any]] = [
    {
        "slug": "metropole",
        "name": "Bordeaux Métropole et ses communes (test)",
        "client_id": "civis-metropole",
        "client_secret": "metropole-secret-0123456789abcdef0123456789",
        "signing_algorithms": "RS256",
        "authority": {"kind": "epci", "siren": "243300316"},
        "scopes": "openid email profile civis",
        "authority_claim": "siret",
        "role_claim": "groups",
        "email_domains": "merignac.fr,bordeaux.fr",
        "role_mapping": {"civis-editeurs": "publisher", "civis-agents": "agent"},
    },
    {
        "slug": "region",
        "name": "Région Nouvelle-Aquitaine (test)",
        "client_id": "civis-region",
        "client_secret": "region-secret-0123456789abcdef0123456789abcd",
        "signing_algorithms": "ES256",
        "authority": {"kind": "region", "insee_code": "75"},
        "scopes": "openid email profile civis",
        "role_claim": "groups",
        "email_domains": "nouvelle-aquitaine.fr",
        "role_mapping": {"civis-editeurs": "publisher"},
    },
    {
        "slug": "citoyens",
        "name": "Compte citoyen (test)",
        "client_id": "civis-citoyens",
        "client_secret": "citoyens-secret-0123456789abcdef0123456789",
        "signing_algorithms": "RS256",
        "kind": User.Kind.CITIZEN,
    },
]


class Command(BaseCommand):
    help = "Enregistre le fournisseur OIDC de test (tests/oidc/demo.json) pour la démonstration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", default="http://127.0.0.1:9000")

    def handle(self, *args: Any, issuer: str, **options: Any) -> None:
        for entry in CLIENTS:
            values = dict(entry)
            lookup = values.pop("authority", None)
            provider = OIDCProvider.objects.filter(slug=values["slug"]).first() or OIDCProvider(
                slug=values["slug"]
            )
            for name, value in values.items():
                setattr(provider, name, value)
            provider.issuer = issuer
            provider.authority = Authority.objects.get(**lookup) if lookup else None
            services.oidc_provider_save(actor=None, provider=provider)
            self.stdout.write(f"{provider.name} : {issuer}")
        # The demo's commission (documents/demo.py) becomes the métropole's to manage.
        commission = Group.objects.filter(name=COMMISSION).first()
        if commission is not None:
            services.authority_group_adopt(
                actor=None,
                group=commission,
                owner=Authority.objects.get(kind="epci", siren="243300316"),
            )
            self.stdout.write(f"Groupe « {COMMISSION} » : géré par Bordeaux Métropole")
