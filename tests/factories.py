"""Small factories for tests: real rows, sensible defaults, override what matters."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from identity.models import Authority, User

_counter = itertools.count(1)


def make_authority(
    kind: str = Authority.Kind.COMMUNE, *, parent: Authority | None = None, **fields: Any
) -> Authority:
    n = next(_counter)
    defaults: dict[str, Any] = {"name": f"Collectivité {n}"}
    if kind == Authority.Kind.EPCI:
        defaults["siren"] = f"{200000000 + n}"
    else:
        width = 5 if kind == Authority.Kind.COMMUNE else 3
        defaults["insee_code"] = f"{n:0{width}d}"[-width:]
    defaults.update(fields)
    return Authority.objects.create(kind=kind, parent=parent, **defaults)


def make_user(
    username: str | None = None,
    *,
    kind: str = User.Kind.CITIZEN,
    password: str = "a-long-test-password",
    **fields: Any,
) -> User:
    user = User(username=username or f"user{next(_counter)}", kind=kind, **fields)
    user.set_password(password)
    user.save()
    return user


def write_territory_files(directory: Path, **files: Any) -> Path:
    """Write Etalab-shaped files; pass raw strings to write malformed content as-is."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        (directory / f"{name}.json").write_text(text, encoding="utf-8")
    return directory


def make_territory() -> dict[str, Authority]:
    """A small real-coded territory: région > Bordeaux Métropole > Mérignac, Bordeaux; and
    Arcachon, a commune outside the métropole."""
    region = make_authority(
        Authority.Kind.REGION, name="Nouvelle-Aquitaine", insee_code="75", siren="200053759"
    )
    metropole = make_authority(
        Authority.Kind.EPCI, parent=region, name="Bordeaux Métropole", siren="243300316"
    )
    return {
        "region": region,
        "metropole": metropole,
        "merignac": make_authority(
            parent=metropole, name="Mérignac", insee_code="33281", siren="213302813"
        ),
        "bordeaux": make_authority(
            parent=metropole, name="Bordeaux", insee_code="33063", siren="213300635"
        ),
        "arcachon": make_authority(
            parent=region, name="Arcachon", insee_code="33009", siren="213300098"
        ),
    }


def make_agent(
    username: str | None = None, *, roles: list[tuple[Authority, str]] = (), **fields: Any
) -> User:
    """An agent account holding ``roles`` (granted by the system, as the demo does)."""
    from identity.services import membership_grant

    user = make_user(username, kind=User.Kind.AGENT, **fields)
    for authority, role in roles:
        membership_grant(actor=None, user=user, authority=authority, role=role)
    return user


def make_oidc_provider(
    slug: str, issuer: str, *, client_id: str, client_secret: str, **fields: Any
):
    from identity.models import OIDCProvider

    defaults: dict[str, Any] = {"name": slug.title(), "scopes": "openid email profile"}
    defaults.update(fields)
    return OIDCProvider.objects.create(
        slug=slug, issuer=issuer, client_id=client_id, client_secret=client_secret, **defaults
    )
