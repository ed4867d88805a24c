"""A small territory with people in every role, and helpers to upload real files."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from civis.portal.demo.filegen import make_csv, make_odt, make_pdf
from documents import services
from documents.models import Audience, Document
from identity.models import Authority, Membership, User
from identity.services import membership_grant
from tests.factories import make_authority, make_user


@dataclass
class Territory:
    region: Authority
    metropole: Authority
    merignac: Authority
    bordeaux: Authority
    citizen: User
    other_citizen: User
    agent: User  # agent of Mérignac
    publisher: User  # publisher of Mérignac
    metro_agent: User  # agent of the métropole
    metro_publisher: User
    region_admin: User  # territory administrator of the région
    bordeaux_agent: User


@pytest.fixture
def territory(db) -> Territory:
    region = make_authority("region", name="Nouvelle-Aquitaine", insee_code="75")
    metropole = make_authority("epci", name="Bordeaux Métropole", siren="243300316", parent=region)
    merignac = make_authority("commune", name="Mérignac", insee_code="33281", parent=metropole)
    bordeaux = make_authority("commune", name="Bordeaux", insee_code="33063", parent=metropole)

    def agent(username: str, authority: Authority, role: str) -> User:
        user = make_user(username, kind=User.Kind.AGENT)
        membership_grant(actor=None, user=user, authority=authority, role=role)
        return user

    return Territory(
        region=region,
        metropole=metropole,
        merignac=merignac,
        bordeaux=bordeaux,
        citizen=make_user("citoyen"),
        other_citizen=make_user("voisin"),
        agent=agent("agent-merignac", merignac, Membership.Role.AGENT),
        publisher=agent("editeur-merignac", merignac, Membership.Role.PUBLISHER),
        metro_agent=agent("agent-metropole", metropole, Membership.Role.AGENT),
        metro_publisher=agent("editeur-metropole", metropole, Membership.Role.PUBLISHER),
        region_admin=agent("admin-region", region, Membership.Role.TERRITORY_ADMIN),
        bordeaux_agent=agent("agent-bordeaux", bordeaux, Membership.Role.AGENT),
    )


def pdf_upload(
    title: str = "Délibération", text: str = "L'école est rénovée.", name: str = "deliberation.pdf"
) -> services.Upload:
    return services.Upload(io.BytesIO(make_pdf(title, [text])), name)


def odt_upload(name: str = "compte-rendu.odt") -> services.Upload:
    return services.Upload(io.BytesIO(make_odt("Compte rendu", ["Séance du conseil."])), name)


def csv_upload(name: str = "donnees.csv") -> services.Upload:
    return services.Upload(io.BytesIO(make_csv([["nom", "ville"], ["École", "Mérignac"]])), name)


@pytest.fixture
def publish(territory):
    """publish(audience=..., owner=..., **fields) -> a published document with a PDF."""

    def _publish(
        audience: str = Audience.PUBLIC,
        owner: Authority | None = None,
        upload: services.Upload | None = None,
        publish: bool = True,
        **fields,
    ) -> Document:
        return services.document_create(
            actor=None,
            owner=owner or territory.merignac,
            title=fields.pop("title", "Doc"),
            audience=audience,
            upload=upload or pdf_upload(),
            publish=publish,
            **fields,
        )

    return _publish


def stored_files(storage) -> list[str]:
    """Every file name in a storage, walking its directories."""
    found: list[str] = []

    def walk(path: str) -> None:
        try:
            directories, files = storage.listdir(path)
        except FileNotFoundError:
            return
        found.extend(f"{path}/{f}".lstrip("/") for f in files)
        for directory in directories:
            walk(f"{path}/{directory}".lstrip("/"))

    walk("")
    return found


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test gets its own empty private storage, so "nothing left behind" is checkable."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    from documents.storage import document_storage

    return document_storage()


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """One real clamd for the session (tests/documents/clamav.py); skipped without clamd."""
    from tests.documents.clamav import start_clamd

    daemon = start_clamd(tmp_path_factory.mktemp("clamd"))
    yield daemon
    daemon.stop()


@pytest.fixture
def scanned(settings, clamd):
    """Uploads scanned by the session's clamd over loopback TCP, failing closed."""
    settings.CIVIS_CLAMAV_SOCKET = ""
    settings.CIVIS_CLAMAV_HOST = clamd.host
    settings.CIVIS_CLAMAV_PORT = clamd.port
    settings.CIVIS_CLAMAV_TIMEOUT = 10
    settings.CIVIS_CLAMAV_FAIL_OPEN = False
    return clamd
