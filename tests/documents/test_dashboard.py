"""The admin's home: what each role finds there (and does not), its menu, and a query count
that does not grow with the data."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from documents import services
from documents.models import Audience, DocumentVersion
from documents.services.policy import publishing_policy_set
from identity.models import Membership
from identity.services import membership_grant
from tests.documents.conftest import pdf_upload
from tests.factories import make_authority, make_user

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
GO_LIVE = datetime.datetime(2030, 1, 15, 8, 0, tzinfo=UTC)  # 09:00 in Paris (winter)


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def menu_items(html: str) -> list[dict]:
    """The sidebar's menu items (label, url...), as Wagtail hands them to its JavaScript."""
    props = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', html, re.S
    )
    assert props
    found: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "label" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(props.group(1)))
    return found


def labels(html: str) -> list[str]:
    return [item["label"] for item in menu_items(html)]


def panel(html: str, name: str) -> str:
    start = html.find(f'id="{name}')
    assert start != -1, f"no panel {name}"
    return html[start:]


def section(html: str, panel_name: str, identifier: str) -> str:
    start = html.find(f'id="{panel_name}-{identifier}"')
    assert start != -1, f"no section {identifier}"
    end = html.find("</section>", start)
    return html[start:end]


@pytest.fixture
def workspace(territory, publish):
    """Mérignac asks for review; a document of Mérignac in each state."""
    t = territory
    publishing_policy_set(actor=None, authority=t.merignac, review_required=True)
    draft = services.document_create(
        actor=t.agent, owner=t.merignac, title="Brouillon de l'agent", upload=pdf_upload()
    )
    submitted = services.document_create(
        actor=t.agent, owner=t.merignac, title="Soumis par l'agent", upload=pdf_upload()
    )
    services.document_submit(actor=t.agent, document=submitted, comment="À relire")
    scheduled = services.document_create(
        actor=t.publisher, owner=t.merignac, title="Programmé plus tard", upload=pdf_upload()
    )
    services.document_schedule(actor=t.publisher, document=scheduled, go_live_at=GO_LIVE)
    published = publish(title="Délibération publiée", published_on=datetime.date(2026, 11, 20))
    failed = publish(title="Texte illisible")
    DocumentVersion.objects.filter(pk=failed.current_version_id).update(
        extraction_status=DocumentVersion.ExtractionStatus.FAILED,
        extraction_error="PDF sans texte",
    )
    personal = publish(Audience.PERSONAL, addressee=t.citizen, title="Attestation personnelle")
    internal = publish(Audience.INTERNAL, title="Note interne aux agents")
    metro_draft = publish(owner=t.metropole, publish=False, title="Brouillon de la métropole")
    return {
        "draft": draft,
        "submitted": submitted,
        "scheduled": scheduled,
        "published": published,
        "failed": failed,
        "personal": personal,
        "internal": internal,
        "metro_draft": metro_draft,
    }


def edit_link(document) -> str:
    return f'href="{reverse("civis_documents:edit", args=[document.pk])}"'


def test_publisher_home_lists_my_authority_documents_by_state(client, territory, workspace):
    html = home(client, territory.publisher)
    publisher = panel(html, "civis_publisher")
    assert "Mes publications" in publisher
    assert f'href="{reverse("civis_documents:add")}"' in publisher
    assert "Publier un document" in publisher

    in_review = section(html, "civis_publisher", "in_review")
    assert "Soumis par l&#x27;agent" in in_review and edit_link(workspace["submitted"]) in in_review
    assert territory.agent.display_name in in_review  # who submitted it

    drafts = section(html, "civis_publisher", "drafts")
    assert "Brouillon de l&#x27;agent" in drafts and edit_link(workspace["draft"]) in drafts
    assert "Brouillon de la métropole" not in html

    scheduled = section(html, "civis_publisher", "scheduled")
    assert "Programmé plus tard" in scheduled and edit_link(workspace["scheduled"]) in scheduled
    assert "15/01/2030 09:00" in scheduled  # Europe/Paris, not UTC
    assert 'datetime="2030-01-15T09:00:00+01:00"' in scheduled

    published = section(html, "civis_publisher", "published")
    assert "Délibération publiée" in published and "20/11/2026" in published
    assert "Programmé plus tard" not in published

    failed = section(html, "civis_publisher", "failed")
    assert "Texte illisible" in failed and "PDF sans texte" in failed
    assert edit_link(workspace["failed"]) in failed


def test_a_publisher_of_another_authority_sees_none_of_merignac(client, territory, workspace):
    html = home(client, territory.metro_publisher)
    assert "Bordeaux Métropole" in panel(html, "civis_publisher")
    assert "Brouillon de la métropole" in section(html, "civis_publisher", "drafts")
    for title in ("Brouillon de l&#x27;agent", "Soumis par l&#x27;agent", "Programmé plus tard"):
        assert title not in html
    assert "Aucun document en attente de validation" in html
    assert "Aucune publication programmée" in html
    assert "civis_agent" not in html and "civis_administrator" not in html


def test_empty_states_are_in_french(client, territory):
    lonely = make_authority(name="Saint-Jean-d'Illac", parent=territory.metropole)
    publisher = make_user("editeur-illac", kind="agent")
    membership_grant(actor=None, user=publisher, authority=lonely, role=Membership.Role.PUBLISHER)
    html = home(client, publisher)
    for empty in (
        "Aucun brouillon.",
        "Aucun document en attente de validation.",
        "Aucune publication programmée.",
        "Aucune publication récente.",
        "Aucun échec d&#x27;extraction.",
    ):
        assert empty in html


def test_agent_home_shows_news_and_my_drafts_and_submissions(client, territory, workspace):
    html = home(client, territory.agent)
    agent = panel(html, "civis_agent")
    assert "Nouveautés de Mérignac" in agent
    news = section(html, "civis_agent", "news")
    assert "Délibération publiée" in news
    assert "Note interne aux agents" in news  # readable to Mérignac's agents
    assert f'href="{reverse("document_detail", args=[workspace["published"].pk])}"' in news
    # Not published yet, or someone's personal document: not news.
    for title in ("Programmé plus tard", "Attestation personnelle", "Brouillon"):
        assert title not in news
    mine = section(html, "civis_agent", "mine")
    assert "Brouillon de l&#x27;agent" in mine and edit_link(workspace["draft"]) in mine
    assert "Soumis par l&#x27;agent" in mine and "En attente de validation" in mine
    assert "Préparer un document" in agent
    assert "civis_publisher" not in html and "civis_administrator" not in html
    assert "Documents" in labels(html)


def test_an_agent_without_review_has_news_only(client, territory, publish):
    publish(owner=territory.bordeaux, title="Arrêté de Bordeaux")
    publish(title="Arrêté de Mérignac")
    html = home(client, territory.bordeaux_agent)
    news = section(html, "civis_agent", "news")
    assert "Arrêté de Bordeaux" in news and "Arrêté de Mérignac" not in news
    assert 'id="civis_agent-mine"' not in html
    assert "Préparer un document" not in html
    # Nothing to do with documents in the admin: no empty menu either.
    assert "Documents" not in labels(html)


def test_administrator_home_shows_people_roles_and_recent_events(client, territory, workspace):
    elsewhere = make_authority("region", name="Occitanie", insee_code="76")
    stranger = make_user("agent-occitanie", kind="agent")
    membership_grant(actor=None, user=stranger, authority=elsewhere, role=Membership.Role.AGENT)
    html = home(client, territory.region_admin)
    admin = panel(html, "civis_administrator")
    rights = reverse("civis_rights")
    assert f'href="{rights}"' in admin and "Gérer les droits d&#x27;accès" in admin
    # région, métropole, Mérignac, Bordeaux; six people with a role there (not Occitanie's).
    assert "<strong>4</strong> Collectivités administrées" in admin
    assert "<strong>6</strong> Personnes ayant un rôle" in admin
    assert "<strong>3</strong> Agent" in admin and "<strong>2</strong> Éditeur" in admin
    assert f'action="{rights}" method="get"' in admin and 'name="personne"' in admin
    found = client.get(rights, {"personne": "editeur-merignac"}).content.decode()
    assert territory.publisher.username in found
    audit = section(html, "civis_administrator", "audit")
    log = reverse("civis_audit_log")
    assert f'href="{log}"' in audit
    newest = workspace["metro_draft"]  # the fixture's last write, by the system
    assert "Création — Brouillon de la métropole" in audit and "par le système" in audit
    assert f'href="{log}?document={newest.pk}"' in audit
    assert "Occitanie" not in audit
    # At most a handful of rows, the newest first.
    assert audit.count("<tr>") <= 8 + 1
    assert "civis_publisher" not in html and "civis_agent" not in html
    assert "Journal d'audit" in labels(html) and "Droits d'accès" in labels(html)


def test_administrator_audit_panel_hides_readings_and_unreadable_titles(
    client, territory, workspace
):
    personal = workspace["personal"]
    services.document_access_record(
        actor=territory.citizen, document=personal, action=AuditEvent.Action.DOWNLOAD
    )
    html = home(client, territory.region_admin)
    audit = section(html, "civis_administrator", "audit")
    assert "Téléchargement" not in audit
    assert "Attestation personnelle" not in html


def test_menu_shows_our_documents_and_hides_wagtail_library_and_help(client, territory):
    html = home(client, territory.publisher)
    menu = labels(html)
    assert menu.count("Documents") == 1
    (documents,) = [item for item in menu_items(html) if item["label"] == "Documents"]
    assert documents["url"] == reverse("civis_documents:index")
    assert 'href="/admin/documents/"' not in html
    for useless in ("Aide", "Guide du redacteur", "Pages", "Images", "Rapports", "Extraits"):
        assert useless not in menu
    # Wagtail's page panels are gone; so are the page and image counts.
    assert "w-summary__list" not in html
    assert "recent-edits" not in html and "awaiting-review" not in html


def test_superuser_keeps_wagtail_menus_but_not_its_document_library(client, territory):
    root = make_user("root", kind="agent", is_superuser=True, is_staff=True)
    html = home(client, root)
    menu = labels(html)
    assert menu.count("Documents") == 1
    assert "Aide" in menu
    assert 'href="/admin/documents/"' not in html
    assert "civis_administrator" in html


@pytest.mark.parametrize("who", ["publisher", "agent", "region_admin"])
def test_home_query_count_does_not_grow_with_data(client, territory, workspace, who):
    user = getattr(territory, who)
    client.force_login(user)
    client.get("/admin/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return len(queries)

    before = count()
    for n in range(12):
        draft = services.document_create(
            actor=territory.agent, owner=territory.merignac, title=f"Note {n}", upload=pdf_upload()
        )
        if n % 3 == 0:
            services.document_submit(actor=territory.agent, document=draft)
        services.document_create(
            actor=None,
            owner=territory.merignac,
            title=f"Publié {n}",
            upload=pdf_upload(),
            publish=True,
        )
    assert count() == before
    html = client.get("/admin/").content.decode()
    assert len(re.findall(r"Note \d+<", html)) <= 2 * 8
    assert len(re.findall(r"Publié \d+<", html)) <= 8
