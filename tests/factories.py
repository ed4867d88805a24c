"""Small factories for tests: real rows, sensible defaults, override what matters."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from identity.models import Authority, User

_counter = itertools.count(1)


def make_authority(kind: str = Authority.Kind.COMMUNE, *, parent: Authority | None = None,
                   **fields: Any) -> Authority:
    n = next(_counter)
    defaults: dict[str, Any] = {"name": f"Collectivité {n}"}
    if kind == Authority.Kind.EPCI:
        defaults["siren"] = f"{200000000 + n}"
    else:
        width = 5 if kind == Authority.Kind.COMMUNE else 3
        defaults["insee_code"] = f"{n:0{width}d}"[-width:]
    defaults.update(fields)
    return Authority.objects.create(kind=kind, parent=parent, **defaults)


def make_user(username: str | None = None, *, kind: str = User.Kind.CITIZEN,
              password: str = "a-long-test-password", **fields: Any) -> User:
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
