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


# --- open data (helper CATALOG): datasets, resources, public documents ---------------------


def make_open_document(
    owner: Authority,
    *,
    status: str = "published",
    audience: str = "public",
    kind: str = "csv",
    content: bytes = b"nom,ville\nEcole,Merignac\n",
    **fields: Any,
):
    """A document with one stored version (no upload pipeline): ``status`` and ``audience``
    as given, so tests can build every public / non-public combination."""
    import datetime
    import hashlib

    from django.core.files.base import ContentFile

    from documents.models import Document, DocumentVersion
    from documents.validation import MIME_TYPES

    document = Document.objects.create(
        owner=owner,
        title=fields.pop("title", f"Fichier {next(_counter)}"),
        status=status,
        audience=audience,
        published_on=fields.pop("published_on", datetime.date.today()),
        document_type=fields.pop("document_type", "donnees"),
        **fields,
    )
    version = DocumentVersion(
        document=document,
        number=1,
        file_name=f"donnees.{kind}",
        kind=kind,
        mime_type=MIME_TYPES[kind],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    version.file.save(f"donnees.{kind}", ContentFile(content), save=True)
    document.current_version = version
    document.save(update_fields=["current_version"])
    return document


def make_dataset(owner: Authority, *, status: str = "published", **fields: Any):
    """An open-data dataset row (published by default, with published_at set)."""
    from django.utils import timezone

    from opendata.models import Dataset

    n = next(_counter)
    defaults: dict[str, Any] = {
        "title": f"Jeu de données {n}",
        "description": f"Description du jeu de données {n}.",
        "keywords": ["budget", "conseil municipal"],
        "themes": ["GOVE", "ECON"],
        "frequency": "ANNUAL",
        "contact_name": "Service des données",
        "contact_email": "donnees@example.org",
    }
    if status == Dataset.Status.PUBLISHED:
        defaults["published_at"] = timezone.now()
    defaults.update(fields)
    return Dataset.objects.create(owner=owner, status=status, **defaults)


def make_dataset_resource(dataset, kind: str = "document", **fields: Any):
    """A resource of ``dataset``: ``document`` (pass ``document=``, or a public CSV is made),
    ``api`` (``api_path``) or ``export`` (``export``, deliberations by default)."""
    from opendata.models import Resource

    defaults: dict[str, Any] = {"title": f"Ressource {next(_counter)}"}
    if kind == Resource.Kind.DOCUMENT and "document" not in fields:
        defaults["document"] = make_open_document(dataset.owner)
    elif kind == Resource.Kind.API:
        defaults["api_path"] = f"/api/v1/documents/?authority_code={dataset.owner.code}"
    elif kind == Resource.Kind.EXPORT:
        defaults["export"] = Resource.Export.DELIBERATIONS
    defaults.update(fields)
    return Resource.objects.create(dataset=dataset, kind=kind, **defaults)


# --- open data (helper REPORTS): reports ---------------------------------------------------


def make_report(target, *, reason: str = "data_error", **fields: Any):
    """A report row on a document or dataset (``target``), open by default, filed anonymously
    unless ``reporter=`` is given."""
    from documents.models import Document
    from opendata.models import Report

    key = "document" if isinstance(target, Document) else "dataset"
    defaults: dict[str, Any] = {"message": "La colonne des montants est décalée d'une ligne."}
    defaults.update(fields)
    return Report.objects.create(authority=target.owner, reason=reason, **{key: target}, **defaults)


# --- open data (helper SCDL): SIRETs, délibérations with their SCDL data -------------------


def scdl_siret(siren: str) -> str:
    """A valid SIRET (Luhn) for ``siren``: the SIREN and the first NIC that makes one."""
    from opendata.scdl_checks import nic_for

    return siren + nic_for(siren)


def scdl_give_siret(*authorities: Authority) -> None:
    for authority in authorities:
        authority.siret = scdl_siret(authority.siren or f"2{authority.pk:08d}")
        authority.save(update_fields=["siret"])


def scdl_make_deliberation(
    owner: Authority,
    *,
    status: str = "published",
    audience: str = "public",
    details: dict[str, Any] | None = None,
    **fields: Any,
):
    """A délibération (a stored PDF, no upload pipeline) with valid SCDL data; ``details``
    overrides the data (``None`` values included)."""
    import datetime

    from documents.models import DeliberationDetails

    n = next(_counter)
    document = make_open_document(
        owner,
        status=status,
        audience=audience,
        kind="pdf",
        content=b"%PDF-1.4\n%deliberation\n",
        document_type="deliberation",
        title=fields.pop("title", f"Délibération n° 2026-{n:03d} — budget : approbation"),
        **fields,
    )
    data: dict[str, Any] = {
        "act_id": f"2026-{n:03d}",
        "adopted_on": datetime.date(2026, 3, 12),
        "subject_code": "7.1",
        "budget_year": "2026",
        "budget_name": "Budget principal",
        "prefecture_id": "PREF033",
        "prefecture_date": datetime.date(2026, 3, 14),
        "vote_effectif": 49,
        "vote_reel": 45,
        "vote_pour": 40,
        "vote_contre": 3,
        "vote_abstention": 2,
    }
    data.update(details or {})
    DeliberationDetails.objects.create(document=document, **data)
    return document
