"""The person-rights page: what it shows the administrator (only what they may read), what it
costs (the same number of queries whatever the person holds), and where its document sections
come from (a hook the documents app registers: identity knows no document)."""

from __future__ import annotations

import ast
import datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm
from wagtail import hooks

from documents.models import Audience, Document, Status
from identity import services
from identity.admin.rights import PERSON_RIGHTS_SECTIONS_HOOK
from identity.models import Authority, Membership
from tests.factories import make_agent, make_authority, make_territory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
IDENTITY = Path(__file__).resolve().parents[2] / "identity"


@pytest.fixture
def world():
    territory = make_territory()
    occitanie = make_authority(Authority.Kind.REGION, name="Occitanie", insee_code="76")
    territory["toulouse"] = make_authority(parent=occitanie, name="Toulouse", insee_code="31555")
    people = {
        "region_admin": make_agent(
            "admin-region", roles=[(territory["region"], "territory_admin")]
        ),
        "metropole_admin": make_agent("admin-metropole", roles=[(territory["metropole"], "admin")]),
        "person": make_agent(
            "editeur-metropole",
            first_name="Camille",
            last_name="Martin",
            roles=[(territory["metropole"], "publisher")],
        ),
    }
    return territory, people


def _document(owner: Authority, title: str, audience: str = Audience.RESTRICTED) -> Document:
    return Document.objects.create(
        owner=owner, title=title, audience=audience, status=Status.PUBLISHED, published_on=TODAY
    )


def _page(viewer, person) -> str:
    client = Client()
    client.force_login(viewer)
    response = client.get(f"/admin/droits/personne/{person.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_titles_outside_the_administrators_reach_are_shown_as_ids(world):
    territory, people = world
    person = people["person"]
    group = services.authority_group_create(
        actor=people["metropole_admin"],
        name="Commission des finances",
        owner=territory["metropole"],
    )
    services.authority_group_member_add(
        actor=people["metropole_admin"], authority_group=group, user=person
    )
    ours_by_group = _document(territory["metropole"], "PLU — projet de la métropole")
    theirs_by_group = _document(territory["toulouse"], "Toulouse — note confidentielle RSA")
    ours_by_name = _document(territory["metropole"], "Budget — annexe métropole")
    theirs_by_name = _document(territory["toulouse"], "Toulouse — contentieux du maire")
    for document in (ours_by_group, theirs_by_group):
        assign_perm("documents.view_document", group.group, document)
    for document in (ours_by_name, theirs_by_name):
        assign_perm("documents.view_document", person, document)

    html = _page(people["metropole_admin"], person)
    assert "Commission des finances" in html
    assert ours_by_group.title in html and ours_by_name.title in html
    assert "Toulouse — note" not in html and "contentieux" not in html
    assert f"Document n° {theirs_by_group.pk}" in html
    assert f"Document n° {theirs_by_name.pk}" in html
    # What the person reads is counted all the same.
    assert "lisibles en tout" in html


def _give(person, authorities, group_owner, n: int, admin) -> None:
    """``n`` roles (some ended), ``n`` groups, ``n`` named grants, ``n`` grants to a group."""
    for i, authority in enumerate(authorities[:n]):
        role = "territory_admin" if i % 3 == 0 else "agent"
        ended = TODAY - datetime.timedelta(days=1)
        Membership.objects.create(
            user=person,
            authority=authority,
            role=role,
            starts_on=TODAY - datetime.timedelta(days=30),
            ends_on=None if i % 2 == 0 else ended,
        )
    for i in range(n):
        group = services.authority_group_create(
            actor=None, name=f"Groupe {n}-{i}", owner=group_owner
        )
        person.groups.add(group.group)
        by_group = _document(authorities[i], f"Partagé {n}-{i}")
        assign_perm("documents.view_document", group.group, by_group)
        assign_perm("documents.view_document", person, _document(authorities[i], f"Nommé {n}-{i}"))


def test_the_page_costs_the_same_queries_for_2_and_for_20_rights(world):
    territory, people = world
    communes = [
        make_authority(parent=territory["metropole"], name=f"Commune {i}") for i in range(20)
    ]
    few = make_agent("peu-de-droits", roles=[(territory["metropole"], "agent")])
    many = make_agent("beaucoup-de-droits", roles=[(territory["metropole"], "agent")])
    _give(few, communes, territory["metropole"], 2, people["region_admin"])
    _give(many, communes, territory["metropole"], 20, people["region_admin"])

    counts = []
    for person in (few, many):
        client = Client()
        client.force_login(people["region_admin"])
        client.get(f"/admin/droits/personne/{person.pk}/")  # session and caches warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/admin/droits/personne/{person.pk}/")
        assert response.status_code == 200
        counts.append(len(queries))
    html = response.content.decode()
    assert "Partagé 20-19" in html and "Nommé 20-19" in html and "Groupe 20-19" in html
    assert "Commune 19" in html
    assert counts[0] == counts[1], counts


def test_the_document_sections_come_from_the_documents_hook(world):
    _territory, people = world
    providers = [fn.__module__ for fn in hooks.get_hooks(PERSON_RIGHTS_SECTIONS_HOOK)]
    assert any(module.startswith("documents.") for module in providers)
    sections = [
        section
        for fn in hooks.get_hooks(PERSON_RIGHTS_SECTIONS_HOOK)
        for section in fn(people["metropole_admin"], people["person"])
    ]
    assert sections and all(section.title for section in sections)


def test_identity_imports_neither_documents_nor_search():
    offenders = []
    for path in IDENTITY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(IDENTITY.parent)}: {name}"
                for name in names
                if name.split(".")[0] in {"documents", "search", "civis"}
            ]
    assert offenders == []
